// Ranking metrics: hit rate and NDCG for one held-out item, Recall and NDCG over a relevant set, top-K selection.

/**
 * Rank of a target among candidates: how many candidates score strictly higher, plus how many others tie
 * with it (ties count against the target, so a constant scorer cannot look good).
 */
export function rankOfTarget(targetScore: number, candidateScores: ArrayLike<number>): number {
  let rank = 0;
  for (let j = 0; j < candidateScores.length; j++) if (candidateScores[j]! >= targetScore) rank++;
  return rank;
}

/** HR@K of one user: 1 when the target's 0-based rank is below K. */
export function hitAtK(rank: number, k: number): number {
  return rank < k ? 1 : 0;
}

/** NDCG@K of one held-out item (one relevant item, so IDCG = 1): 1 / log2(rank + 2) within the top K. */
export function ndcgOneAtK(rank: number, k: number): number {
  return rank < k ? 1 / Math.log2(rank + 2) : 0;
}

/** Recall@K = |top-K ∩ relevant| / |relevant| (as in LightGCN's evaluation). */
export function recallAtK(topK: ArrayLike<number>, relevant: Set<number>): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (let j = 0; j < topK.length; j++) if (relevant.has(topK[j]!)) hits++;
  return hits / relevant.size;
}

/** NDCG@K with binary relevance: DCG = Σ_{hits at position p} 1/log2(p + 2), divided by the ideal DCG. */
export function ndcgAtK(topK: ArrayLike<number>, relevant: Set<number>, k: number): number {
  let dcg = 0;
  for (let p = 0; p < Math.min(k, topK.length); p++) if (relevant.has(topK[p]!)) dcg += 1 / Math.log2(p + 2);
  let idcg = 0;
  for (let p = 0; p < Math.min(k, relevant.size); p++) idcg += 1 / Math.log2(p + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

/**
 * Indices of the K highest scores, best first, skipping `exclude`; a bounded min-heap keeps it O(n log K).
 * Ties go to the lower index so results are deterministic.
 */
export function topK(scores: ArrayLike<number>, k: number, exclude?: Set<number>): Int32Array {
  const heapIdx: number[] = [];
  const worse = (a: number, b: number) => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
  const siftUp = (p: number) => {
    while (p > 0) {
      const parent = (p - 1) >> 1;
      if (!worse(heapIdx[p]!, heapIdx[parent]!)) break;
      [heapIdx[p], heapIdx[parent]] = [heapIdx[parent]!, heapIdx[p]!];
      p = parent;
    }
  };
  const siftDown = (p: number) => {
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < heapIdx.length && worse(heapIdx[l]!, heapIdx[m]!)) m = l;
      if (r < heapIdx.length && worse(heapIdx[r]!, heapIdx[m]!)) m = r;
      if (m === p) return;
      [heapIdx[p], heapIdx[m]] = [heapIdx[m]!, heapIdx[p]!];
      p = m;
    }
  };
  for (let i = 0; i < scores.length; i++) {
    if (exclude?.has(i) || Number.isNaN(scores[i]!)) continue;
    if (heapIdx.length < k) {
      heapIdx.push(i);
      siftUp(heapIdx.length - 1);
    } else if (k > 0 && worse(heapIdx[0]!, i)) {
      heapIdx[0] = i;
      siftDown(0);
    }
  }
  return Int32Array.from(heapIdx.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0)));
}
