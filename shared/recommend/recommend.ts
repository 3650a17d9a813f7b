// Recommendations with their exact reasons, over the served model's shards: the one recommender that the
// device, the server-assisted route and the benchmarks all run.
//
// The served score is the mean of the shards' scores (SISA, Bourtoule et al. 2021, aggregate by averaging):
//   score_i = (1/S) Σ_s (b_si + x_siᵀ u_s),   u_s = A_s⁻¹ Σ_j t_j x_sj   (the ridge re-solve, per shard)
// and since every shard's score splits exactly into its bias plus one term per history entry (Hu, Koren &
// Volinsky 2008, section 5), so does the mean:
//   bias_i = (1/S) Σ_s b_si,   share_ij = (1/S) Σ_s t_j · x_siᵀ A_s⁻¹ x_sj,   score_i = bias_i + Σ_j share_ij.
import { explainItems } from '../explain/decompose';
import { topK } from './top-k';
import { checkHistory, itemGram, solveUser, type History, type ItemTable, type ModelParams, type UserSystem } from '../model/reconstruct';

/** The served model as the recommender reads it: one item table per shard, and each table's Gram VᵀV. */
export interface ServedTables {
  params: ModelParams;
  shards: readonly ItemTable[];
  /** VᵀV of each shard (implicit models): computed once per model version, shared by every request. */
  grams: readonly Float64Array[];
  /** Each shard's item vectors widened to float64 once, for the scoring loop (it reads them for every request). */
  wide: readonly Float64Array[];
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
  /** One entry per distinct history item: largest first, unless the request asked for the history's order. */
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
  /** Shares largest first (default), or in the history's order (cheaper: for callers that do not show them ranked). */
  sortShares?: boolean;
}

/** A shard already prepared (its table unchanged since): its Gram and widened vectors are reused, not recomputed. */
export interface PreparedShard {
  gram: Float64Array;
  wide: Float64Array;
}

/** Prepare the served tables for scoring: check their shapes and compute each shard's Gram once (or take `known`'s). */
export function prepareServedTables(params: ModelParams, shards: readonly ItemTable[], known: (shard: number) => PreparedShard | undefined = () => undefined): ServedTables {
  if (shards.length === 0) throw new RangeError('a served model needs at least one shard');
  const { items, dim } = shards[0]!;
  for (const [s, t] of shards.entries()) {
    if (t.items !== items || t.dim !== dim) throw new RangeError(`shard ${s} has ${t.items}×${t.dim} items×dims, shard 0 has ${items}×${dim}`);
  }
  return {
    params,
    shards,
    grams: shards.map((t, s) => known(s)?.gram ?? (params.kind === 'implicit' ? itemGram(t) : new Float64Array(0))),
    wide: shards.map((t, s) => known(s)?.wide ?? Float64Array.from(t.vectors)),
  };
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
  const whole = dim - (dim % 4);
  for (const [s, table] of served.shards.entries()) {
    const system = systems[s]!;
    // The user's factors without the intercept, and the offset every item shares (μ and the user bias).
    const u = system.vector.subarray(system.intercept ? 1 : 0);
    const offset = explicitMean + (system.intercept ? system.vector[0]! : 0);
    const vectors = served.wide[s]!;
    const biases = table.biases;
    for (let i = 0, base = 0; i < items; i++, base += dim) {
      // Four running sums: the dot product is this loop's whole cost, and independent sums pipeline.
      let x0 = 0;
      let x1 = 0;
      let x2 = 0;
      let x3 = 0;
      let a = 0;
      for (; a < whole; a += 4) {
        x0 += vectors[base + a]! * u[a]!;
        x1 += vectors[base + a + 1]! * u[a + 1]!;
        x2 += vectors[base + a + 2]! * u[a + 2]!;
        x3 += vectors[base + a + 3]! * u[a + 3]!;
      }
      for (; a < dim; a++) x0 += vectors[base + a]! * u[a]!;
      scores[i]! += inv * (biases[i]! + offset + (x0 + x1 + x2 + x3));
    }
  }
  return scores;
}

/** Solve the history's user system in every shard. */
export function solveShards(served: ServedTables, history: History): UserSystem[] {
  return served.shards.map((table, s) => solveUser(table, history, served.params, served.params.kind === 'implicit' ? served.grams[s] : undefined));
}

/** Explain given items for a solved history: bias and shares per item, exact sums over shards. */
export function explainServed(served: ServedTables, systems: readonly UserSystem[], items: readonly number[], scores?: Float64Array, sortShares = true): Recommendation[] {
  const S = served.shards.length;
  const perShard = served.shards.map((table, s) => explainItems(table, systems[s]!, items, served.params));
  // Distinct history items in first-seen order: each entry's slot, so shares merge by index, not by Map.
  const history = systems[0]!.items;
  const slotOf = new Map<number, number>();
  const slots = new Int32Array(history.length);
  for (let j = 0; j < history.length; j++) {
    let slot = slotOf.get(history[j]!);
    if (slot === undefined) slotOf.set(history[j]!, (slot = slotOf.size));
    slots[j] = slot;
  }
  const distinct = [...slotOf.keys()];
  return items.map((item, r) => {
    let bias = 0;
    let score = 0;
    const values = new Float64Array(distinct.length);
    for (let s = 0; s < S; s++) {
      const e = perShard[s]![r]!;
      bias += e.offset / S;
      score += e.score / S;
      const c = e.contributions;
      for (let j = 0; j < c.length; j++) values[slots[j]!]! += c[j]!.value / S;
    }
    const shares = new Array<Share>(distinct.length);
    for (let k = 0; k < distinct.length; k++) shares[k] = { item: distinct[k]!, share: values[k]! };
    if (sortShares) shares.sort((a, b) => b.share - a.share || a.item - b.item);
    // For one shard the ranked score and the explained one are the same arithmetic; keep the ranked one when given.
    return { item, score: scores?.[item] ?? score, bias, shares };
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
  const blocked = new Uint8Array(items);
  if (request.hidden) {
    for (let i = 0; i < items; i++) if (request.hidden(i)) blocked[i] = 1;
  } else {
    for (let j = 0; j < history.items.length; j++) blocked[history.items[j]!] = 1;
  }
  if (request.excluded) for (let i = 0; i < items; i++) if (request.excluded(i)) blocked[i] = 1;
  return explainServed(served, systems, topK(scores, request.k, blocked), scores, request.sortShares ?? true);
}
