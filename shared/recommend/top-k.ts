// The k best entries of a score array in one pass (no full sort): what every list of the recommender needs.

/**
 * Indices of the k largest finite scores whose entry in `blocked` is 0, best first; ties go to the smaller index.
 * O(n + k·(insertions)): for k ≪ n almost every entry is one comparison with the current k-th best.
 */
export function topK(scores: ArrayLike<number>, k: number, blocked?: Uint8Array): number[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const best: number[] = [];
  let floor = -Infinity; // the k-th best score once the list is full
  for (let i = 0; i < scores.length; i++) {
    if (blocked && blocked[i] === 1) continue;
    const s = scores[i]!;
    if (!Number.isFinite(s) || (best.length === k && s <= floor)) continue;
    let at = best.length;
    while (at > 0 && scores[best[at - 1]!]! < s) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
    if (best.length === k) floor = scores[best[k - 1]!]!;
  }
  return best;
}
