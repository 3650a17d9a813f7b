// Variety: re-rank a relevance-ordered pool towards the person's own mix of categories (calibrated
// recommendations, Steck 2018). It only reorders: every score stays the model's, and an item that a more relevant
// one would have beaten on score alone is marked as chosen for variety, with the categories it brings.
//
// p(g|u) = Σ_i w_i p(g|i) / Σ_i w_i over the history (w_i the item's history value), p(g|i) = 1/|G(i)| for each
// of the item's categories; q(g|L) the same mix over the list L (unweighted). Greedily, each next item maximises
//   (1 − λ) · Σ_{j ∈ L ∪ {i}} s'_j − λ · KL(p ‖ q̃(L ∪ {i})),   q̃ = (1 − α) q + α p   (Steck 2018, eq. 3 and 5),
// with s' the pool's scores scaled to [0, 1] (so λ means the same for every model) and λ the variety level.

/** Steck's α: keeps q̃ > 0 wherever p > 0, so the divergence is finite. */
export const CALIBRATION_ALPHA = 0.01;
/** The app's default variety level. */
export const DEFAULT_VARIETY = 0.5;

/** A candidate: its model row, its score and its categories. */
export interface Candidate {
  item: number;
  score: number;
  categories: readonly string[];
}

/** A chosen item, in list order. */
export interface VarietyPick {
  item: number;
  /** The model's score, unchanged. */
  score: number;
  /** True when a higher-scoring candidate was passed over for it. */
  forVariety: boolean;
  /** Categories it brings that the list lacked relative to the person's mix (most lacking first). */
  adds: string[];
}

/** A category distribution (values sum to 1, or the map is empty). */
export type CategoryMix = Map<string, number>;

/** The category mix of weighted items: Σ w p(g|i) / Σ w (items without categories carry no mass). */
export function categoryMix(entries: readonly { categories: readonly string[]; weight: number }[]): CategoryMix {
  const mix: CategoryMix = new Map();
  let total = 0;
  for (const { categories, weight } of entries) {
    const distinct = [...new Set(categories)];
    if (distinct.length === 0 || !(weight > 0)) continue;
    total += weight;
    for (const g of distinct) mix.set(g, (mix.get(g) ?? 0) + weight / distinct.length);
  }
  if (total > 0) for (const [g, v] of mix) mix.set(g, v / total);
  return mix;
}

/** KL(p ‖ q̃) with q̃ = (1 − α) q + α p: how far a list's mix `q` is from the person's mix `p` (0 = calibrated). */
export function miscalibration(p: CategoryMix, q: CategoryMix, alpha = CALIBRATION_ALPHA): number {
  let kl = 0;
  for (const [g, pg] of p) {
    if (pg <= 0) continue;
    const qg = (1 - alpha) * (q.get(g) ?? 0) + alpha * pg;
    kl += pg * Math.log(pg / qg);
  }
  return kl;
}

/** Check a level, naming it. */
function checkLevel(level: number): void {
  if (!(level >= 0 && level <= 1)) throw new RangeError(`the variety level must be in [0, 1], got ${level}`);
}

/**
 * The k items of `pool` in calibrated order at variety `level` (0 = by score only, 1 = by calibration only).
 * With an empty person's mix there is nothing to calibrate to and the order is by score.
 */
export function calibrate(pool: readonly Candidate[], person: CategoryMix, k: number, level: number): VarietyPick[] {
  checkLevel(level);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
  // Relevance order first (ties by row), so "passed over" means the same as in the plain ranking.
  const byScore = [...pool].sort((a, b) => b.score - a.score || a.item - b.item);
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of byScore) {
    lo = Math.min(lo, c.score);
    hi = Math.max(hi, c.score);
  }
  const scaled = (s: number) => (hi > lo ? (s - lo) / (hi - lo) : 1);
  const calibrating = level > 0 && person.size > 0;
  const counts = new Map<string, number>(); // Σ p(g|j) over the list so far
  const taken = new Uint8Array(byScore.length);
  const picks: VarietyPick[] = [];
  const mixWith = (extra: readonly string[] | undefined, size: number): CategoryMix => {
    const q: CategoryMix = new Map();
    for (const [g, v] of counts) q.set(g, v / size);
    if (extra) {
      const distinct = [...new Set(extra)];
      for (const g of distinct) q.set(g, (q.get(g) ?? 0) + 1 / distinct.length / size);
    }
    return q;
  };
  for (let slot = 0; slot < Math.min(k, byScore.length); slot++) {
    let best = -1;
    let bestValue = -Infinity;
    const firstFree = taken.indexOf(0);
    for (let n = 0; n < byScore.length; n++) {
      if (taken[n]) continue;
      const c = byScore[n]!;
      const value = calibrating ? (1 - level) * scaled(c.score) - level * miscalibration(person, mixWith(c.categories, slot + 1)) : -n;
      if (value > bestValue) {
        bestValue = value;
        best = n;
      }
    }
    const chosen = byScore[best]!;
    const before = mixWith(undefined, Math.max(slot, 1));
    const adds = [...new Set(chosen.categories)]
      .filter((g) => (person.get(g) ?? 0) > (slot === 0 ? 0 : (before.get(g) ?? 0)))
      .sort((a, b) => (person.get(b) ?? 0) - (before.get(b) ?? 0) - ((person.get(a) ?? 0) - (before.get(a) ?? 0)) || (a < b ? -1 : 1));
    const forVariety = best !== firstFree && chosen.score < byScore[firstFree]!.score;
    picks.push({ item: chosen.item, score: chosen.score, forVariety, adds: forVariety ? adds : [] });
    taken[best] = 1;
    const distinct = [...new Set(chosen.categories)];
    for (const g of distinct) counts.set(g, (counts.get(g) ?? 0) + 1 / distinct.length);
  }
  return picks;
}
