// How faithful the served "why" is, on each user's top recommendations: exactness of the shares, the
// counterfactual test of the largest share, and deletion curves for our shares beside two baseline explainers.
//
// Definitions (per sampled user, on the top `topK` items of `recommend` with the history hidden):
//   share gap        |bias + Σ_j share_j − score|, summed in the order `recommend` lists the shares; the
//                    report gives the maximum, and its size in float32 ulps of the score (ulp₃₂(x) = 2^(⌊log₂|x|⌋ − 23)).
//   counterfactual   remove the history item j* with the largest share (every entry of it), re-solve the user
//                    through `solveShards`, rescore; change = score_before − score_after of the same item,
//                    gap = |change − share_j*|. Reported: the mean gap, and Spearman's ρ between share_j* and
//                    change over all (user, item) pairs. The share is exact for the score as it is; the change
//                    also moves A = VᵀV + Σ_j (c_j − 1) x_j x_jᵀ + λI, so the two differ by that curvature term.
//   DEL@k            remove the k history items an explainer names first for the item, re-solve, rescore every
//                    item, and take the item's new rank among the candidates (every item outside the original
//                    history, as `recommend` ranks them); DEL@k = mean over (user, item) of new rank − old rank,
//                    so a larger fall means the named items really were what held the item up.
import { createRng } from '../../shared/math/random';
import type { History, UserSystem } from '../../shared/model/reconstruct';
import { recommend, solveShards, type Recommendation, type ServedTables } from '../../shared/recommend/recommend';
import { EXPLAINERS, concatenatedCosine, cosineOrder, randomOrder, sharesOrder, type ExplainerName } from './explainers';
import { createServedBatchScorer, rankAmong } from './served-ranks';
import { mean, spearman, standardError } from './stats';

/** A user to explain: a dense id (it seeds the random explainer) and the history the model sees. */
export interface SampledUser {
  user: number;
  history: History;
}

/** Settings of the measurement. */
export interface FaithfulnessOptions {
  /** Recommendations explained per user (default 10). */
  topK?: number;
  /** Deletion curves run k = 1 … maxRemoved (default 5); every history needs that many distinct items. */
  maxRemoved?: number;
  /** Seeds the random explainer (each user and item draws from its own fork, independent of the sample). */
  seed: number;
  /** Called after each user with the users done so far. */
  onUser?: (done: number) => void;
}

/** One explainer's deletion curve: index k − 1 holds DEL@k. */
export interface DeletionCurve {
  /** Mean rank fall after removing the explainer's top k history items. */
  mean: number[];
  /** Standard error of that mean over (user, item) pairs. */
  stdErr: number[];
}

/** The measurement's figures. */
export interface FaithfulnessResult {
  users: number;
  /** (user, recommended item) pairs measured. */
  pairs: number;
  /** max |bias + Σ shares − score|. */
  maxShareGap: number;
  /** max over pairs of the gap in float32 ulps of that pair's score. */
  maxShareGapFloat32Ulps: number;
  counterfactual: {
    meanAbsGap: number;
    rankCorrelation: number;
    meanShare: number;
    meanChange: number;
  };
  del: Record<ExplainerName, DeletionCurve>;
  /** Paired differences DEL@k(shares) − DEL@k(baseline) over the same (user, item) pairs. */
  sharesMinus: Record<Exclude<ExplainerName, 'shares'>, DeletionCurve>;
  /**
   * What one removal (k = 1) does to scores, per explainer: the item's own score drop, and the mean drop of the
   * other top-K items (its nearest rivals). A rank falls by the first relative to the second, not by the first alone.
   */
  firstRemoval: Record<ExplainerName, { itemScoreDrop: number; rivalScoreDrop: number }>;
  /** Fraction of pairs where shares and cosine name the same first history item. */
  firstItemAgreementSharesCosine: number;
  /** Distinct re-solved histories (identical removal sets are solved once per user). */
  resolves: number;
}

/** Spacing of float32 values around x (the smallest subnormal step at 0). */
export function float32Ulp(x: number): number {
  const ax = Math.abs(x);
  if (!(ax >= 2 ** -126)) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(ax)) - 23);
}

/** The history without the entries of `removed`. */
function without(history: History, removed: ReadonlySet<number>): History {
  const items: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < history.items.length; j++) {
    if (removed.has(history.items[j]!)) continue;
    items.push(history.items[j]!);
    values.push(history.values[j]!);
  }
  return { items, values };
}

/** One rank fall to measure: row of the re-solved history, the item, its rank before, and whose removal it was. */
interface Query {
  row: number;
  item: number;
  oldRank: number;
  explainer: ExplainerName;
  k: number;
}

/** Measure the served explanations' faithfulness for the given users. */
export function measureFaithfulness(served: ServedTables, users: readonly SampledUser[], o: FaithfulnessOptions): FaithfulnessResult {
  const topK = o.topK ?? 10;
  const maxRemoved = o.maxRemoved ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`topK must be a positive integer, got ${topK}`);
  if (!Number.isInteger(maxRemoved) || maxRemoved < 1) throw new RangeError(`maxRemoved must be a positive integer, got ${maxRemoved}`);
  const { items } = served.shards[0]!;
  const scorer = createServedBatchScorer(served);
  const cosine = concatenatedCosine(served);
  const randomRoot = createRng(o.seed).fork('explanations/random-explainer');
  const isCandidate = new Uint8Array(items);

  let maxShareGap = 0;
  let maxShareGapFloat32Ulps = 0;
  const cfShares: number[] = [];
  const cfChanges: number[] = [];
  const falls = Object.fromEntries(EXPLAINERS.map((e) => [e, Array.from({ length: maxRemoved }, () => [] as number[])])) as Record<ExplainerName, number[][]>;
  const itemDrops = Object.fromEntries(EXPLAINERS.map((e) => [e, [] as number[]])) as Record<ExplainerName, number[]>;
  const rivalDrops = Object.fromEntries(EXPLAINERS.map((e) => [e, [] as number[]])) as Record<ExplainerName, number[]>;
  let sameFirstItem = 0;
  let resolves = 0;
  let pairs = 0;

  for (const [done, { user, history }] of users.entries()) {
    const distinct = [...new Set(Array.from(history.items))];
    if (distinct.length < maxRemoved) throw new RangeError(`user ${user} has ${distinct.length} distinct history items, fewer than maxRemoved = ${maxRemoved}`);
    const recs: Recommendation[] = recommend(served, { history, k: topK });

    // Exactness: the served shares and bias against the served score.
    for (const rec of recs) {
      let sum = rec.bias;
      for (const s of rec.shares) sum += s.share;
      const gap = Math.abs(sum - rec.score);
      maxShareGap = Math.max(maxShareGap, gap);
      maxShareGapFloat32Ulps = Math.max(maxShareGapFloat32Ulps, gap / float32Ulp(rec.score));
    }

    // Every history to re-solve, each distinct removal set once; row 0 is the history as it is.
    const rows = new Map<string, number>([['', 0]]);
    const systems: UserSystem[][] = [solveShards(served, history)];
    const rowOf = (removed: readonly number[]): number => {
      const key = [...removed].sort((a, b) => a - b).join(',');
      let row = rows.get(key);
      if (row === undefined) {
        row = systems.length;
        rows.set(key, row);
        systems.push(solveShards(served, without(history, new Set(removed))));
      }
      return row;
    };
    const queries: Query[] = [];
    const userRandom = randomRoot.fork(user);
    for (const [r, rec] of recs.entries()) {
      const orders: Record<ExplainerName, number[]> = {
        shares: sharesOrder(rec),
        random: randomOrder(distinct, userRandom.fork(rec.item)),
        cosine: cosineOrder(cosine, rec.item, distinct),
      };
      if (orders.shares[0] === orders.cosine[0]) sameFirstItem++;
      for (const explainer of EXPLAINERS) {
        for (let k = 1; k <= maxRemoved; k++) queries.push({ row: rowOf(orders[explainer].slice(0, k)), item: rec.item, oldRank: r + 1, explainer, k });
      }
    }
    resolves += systems.length - 1;

    const scores = scorer.score(systems);
    // Candidates as `recommend` ranks them: outside the history, with a finite score.
    isCandidate.fill(1);
    for (const h of distinct) isCandidate[h] = 0;
    for (let i = 0; i < items; i++) if (!Number.isFinite(scores[i]!)) isCandidate[i] = 0;
    // The batch must be the served ranking itself: the same scores, bit for bit, and the same ranks.
    for (const [r, rec] of recs.entries()) {
      const rank = rankAmong(scores, 0, items, rec.item, isCandidate);
      if (scores[rec.item] !== rec.score || rank !== r + 1) {
        throw new Error(`user ${user}: the batch scorer gives item ${rec.item} score ${scores[rec.item]} rank ${rank}, recommend gave ${rec.score} rank ${r + 1}`);
      }
    }

    for (const q of queries) {
      falls[q.explainer][q.k - 1]!.push(rankAmong(scores, q.row, items, q.item, isCandidate) - q.oldRank);
      if (q.k !== 1) continue;
      const rec = recs[q.oldRank - 1]!;
      const change = rec.score - scores[q.row * items + q.item]!; // change = score_before − score_after
      itemDrops[q.explainer].push(change);
      let rivals = 0;
      for (const other of recs) if (other !== rec) rivals += other.score - scores[q.row * items + other.item]!;
      if (recs.length > 1) rivalDrops[q.explainer].push(rivals / (recs.length - 1));
      if (q.explainer === 'shares') {
        cfShares.push(rec.shares[0]!.share);
        cfChanges.push(change);
      }
    }
    pairs += recs.length;
    o.onUser?.(done + 1);
  }

  const gaps = cfShares.map((s, n) => Math.abs(cfChanges[n]! - s));
  const curve = (perK: number[][]): DeletionCurve => ({ mean: perK.map(mean), stdErr: perK.map(standardError) });
  // The explainers' falls are pushed in the same (user, item) order, so they pair up index by index.
  const minusShares = (e: ExplainerName) => curve(falls.shares.map((f, k) => f.map((x, n) => x - falls[e][k]![n]!)));
  return {
    users: users.length,
    pairs,
    maxShareGap,
    maxShareGapFloat32Ulps,
    counterfactual: { meanAbsGap: mean(gaps), rankCorrelation: spearman(cfShares, cfChanges), meanShare: mean(cfShares), meanChange: mean(cfChanges) },
    del: Object.fromEntries(EXPLAINERS.map((e) => [e, curve(falls[e])])) as Record<ExplainerName, DeletionCurve>,
    sharesMinus: { random: minusShares('random'), cosine: minusShares('cosine') },
    firstRemoval: Object.fromEntries(EXPLAINERS.map((e) => [e, { itemScoreDrop: mean(itemDrops[e]), rivalScoreDrop: mean(rivalDrops[e]) }])) as FaithfulnessResult['firstRemoval'],
    firstItemAgreementSharesCosine: pairs > 0 ? sameFirstItem / pairs : Number.NaN,
    resolves,
  };
}
