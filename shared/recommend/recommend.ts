// Recommendations with their exact reasons, over the served model's shards: the one recommender that the
// device, the server-assisted route and the benchmarks all run.
//
// The served score is the mean of the shards' scores (SISA, Bourtoule et al. 2021, aggregate by averaging):
//   score_i = (1/S) Σ_s (b_si + x_siᵀ u_s),   u_s = A_s⁻¹ Σ_j t_j x_sj   (the ridge re-solve, per shard)
// and since every shard's score splits exactly into its bias plus one term per history entry (Hu, Koren &
// Volinsky 2008, section 5), so does the mean:
//   bias_i = (1/S) Σ_s b_si,   share_ij = (1/S) Σ_s t_j · x_siᵀ A_s⁻¹ x_sj,   score_i = bias_i + Σ_j share_ij.
import { explainItems } from '../explain/decompose';
import { checkHistory, itemGram, solveUser, type History, type ItemTable, type ModelParams, type UserSystem } from '../model/reconstruct';

/** The served model as the recommender reads it: one item table per shard, and each table's Gram VᵀV. */
export interface ServedTables {
  params: ModelParams;
  shards: readonly ItemTable[];
  /** VᵀV of each shard (implicit models): computed once per model version, shared by every request. */
  grams: readonly Float64Array[];
}

/** One history item's exact part of a score. */
export interface Share {
  item: number;
  share: number;
}

/** A recommended item: score = bias + Σ shares (exactly, up to floating-point rounding). */
export interface Recommendation {
  item: number;
  score: number;
  bias: number;
  /** One entry per distinct history item, largest first. */
  shares: Share[];
}

/** What to recommend from. */
export interface RecommendRequest {
  history: History;
  /** How many items to return. */
  k: number;
  /** Items that may be neither recommended nor used as history (excluded categories, "not interested"). */
  excluded?: (item: number) => boolean;
  /** Items that may not be recommended but still count as history (default: the history's own items). */
  hidden?: (item: number) => boolean;
}

/** Prepare the served tables for scoring: check their shapes and compute each shard's Gram once. */
export function prepareServedTables(params: ModelParams, shards: readonly ItemTable[]): ServedTables {
  if (shards.length === 0) throw new RangeError('a served model needs at least one shard');
  const { items, dim } = shards[0]!;
  for (const [s, t] of shards.entries()) {
    if (t.items !== items || t.dim !== dim) throw new RangeError(`shard ${s} has ${t.items}×${t.dim} items×dims, shard 0 has ${items}×${dim}`);
  }
  return { params, shards, grams: shards.map((t) => (params.kind === 'implicit' ? itemGram(t) : new Float64Array(0))) };
}

/** The history without excluded items. */
function keptHistory(history: History, excluded: ((item: number) => boolean) | undefined): History {
  if (!excluded) return history;
  const items: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < history.items.length; j++) {
    if (excluded(history.items[j]!)) continue;
    items.push(history.items[j]!);
    values.push(history.values[j]!);
  }
  return { items, values };
}

/** Every item's served score for one history: the mean over shards of b_si + x_siᵀ u_s. */
function scoreAll(served: ServedTables, systems: readonly UserSystem[]): Float64Array {
  const { items, dim } = served.shards[0]!;
  const scores = new Float64Array(items);
  const inv = 1 / served.shards.length;
  const explicitMean = served.params.kind === 'explicit' ? served.params.globalMean : 0;
  for (const [s, table] of served.shards.entries()) {
    const system = systems[s]!;
    const u = system.vector;
    const o = system.intercept ? 1 : 0;
    const userBias = system.intercept ? u[0]! : 0;
    for (let i = 0; i < items; i++) {
      let x = table.biases[i]! + explicitMean + userBias;
      const base = i * dim;
      for (let a = 0; a < dim; a++) x += table.vectors[base + a]! * u[o + a]!;
      scores[i]! += inv * x;
    }
  }
  return scores;
}

/** Solve the history's user system in every shard. */
export function solveShards(served: ServedTables, history: History): UserSystem[] {
  return served.shards.map((table, s) => solveUser(table, history, served.params, served.params.kind === 'implicit' ? served.grams[s] : undefined));
}

/** Explain given items for a solved history: bias and shares per item, exact sums over shards. */
export function explainServed(served: ServedTables, systems: readonly UserSystem[], items: readonly number[], scores?: Float64Array): Recommendation[] {
  const S = served.shards.length;
  const perShard = served.shards.map((table, s) => explainItems(table, systems[s]!, items, served.params));
  return items.map((item, r) => {
    let bias = 0;
    let score = 0;
    const shares = new Map<number, number>();
    for (let s = 0; s < S; s++) {
      const e = perShard[s]![r]!;
      bias += e.offset / S;
      score += e.score / S;
      for (const c of e.contributions) shares.set(c.item, (shares.get(c.item) ?? 0) + c.value / S);
    }
    // For one shard the ranked score and the explained one are the same arithmetic; keep the ranked one when given.
    const ranked = scores?.[item];
    return {
      item,
      score: ranked ?? score,
      bias,
      shares: [...shares].map(([h, share]) => ({ item: h, share })).sort((a, b) => b.share - a.share || a.item - b.item),
    };
  });
}

/** The top k items for a history, each with its exact reasons. */
export function recommend(served: ServedTables, request: RecommendRequest): Recommendation[] {
  const { items } = served.shards[0]!;
  if (!Number.isInteger(request.k) || request.k < 1) throw new RangeError(`k must be a positive integer, got ${request.k}`);
  checkHistory(served.shards[0]!, request.history);
  const history = keptHistory(request.history, request.excluded);
  const systems = solveShards(served, history);
  const scores = scoreAll(served, systems);
  const seen = new Set<number>(Array.from(history.items));
  const hidden = request.hidden ?? ((i: number) => seen.has(i));
  const candidates: number[] = [];
  for (let i = 0; i < items; i++) {
    if (hidden(i) || request.excluded?.(i) || !Number.isFinite(scores[i]!)) continue;
    candidates.push(i);
  }
  candidates.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return explainServed(served, systems, candidates.slice(0, request.k), scores);
}
