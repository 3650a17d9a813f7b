// Ranking metrics: hit rate and NDCG for one held-out item, Recall and NDCG over a relevant set, top-K selection.

/** Throw unless `k` is an integer ≥ `min` (1 for metrics; 0 is a valid, empty, top-K request). */
export function checkK(k: number, min = 1): void {
  if (!Number.isInteger(k) || k < min) throw new RangeError(`k must be an integer ≥ ${min}, got ${k}`);
}

/** NaN ranks below every number, so a diverged model can only lose, never win a tie. */
const orderable = (s: number): number => (Number.isNaN(s) ? -Infinity : s);

/**
 * 0-based rank of a target among candidates = #candidates scoring strictly higher + #candidates tying with it.
 * Ties count against the target so a constant (or all-NaN) scorer ranks last rather than first; NaN counts as −∞.
 */
export function rankOfTarget(targetScore: number, candidateScores: ArrayLike<number>): number {
  const t = orderable(targetScore);
  let rank = 0;
  for (let j = 0; j < candidateScores.length; j++) if (orderable(candidateScores[j]!) >= t) rank++;
  return rank;
}

/** HR@K of one user: 1 when the target's 0-based rank is below K, else 0. */
export function hitAtK(rank: number, k: number): number {
  return rank < k ? 1 : 0;
}

/** NDCG@K of one held-out item (one relevant item, so IDCG = 1): 1 / log2(rank + 2) when rank < K, else 0 (He et al. 2017). */
export function ndcgOneAtK(rank: number, k: number): number {
  return rank < k ? 1 / Math.log2(rank + 2) : 0;
}

/** Recall@K = |top-K ∩ relevant| / |relevant| (as in LightGCN's evaluation, He et al. 2020); 0 when nothing is relevant. */
export function recallAtK(topK: ArrayLike<number>, relevant: ReadonlySet<number>): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (let j = 0; j < topK.length; j++) if (relevant.has(topK[j]!)) hits++;
  return hits / relevant.size;
}

/**
 * NDCG@K with binary relevance: DCG = Σ_{relevant at 0-based position p < K} 1/log2(p + 2), divided by
 * IDCG = Σ_{p < min(K, |relevant|)} 1/log2(p + 2), the DCG of a list that puts every relevant item first.
 */
export function ndcgAtK(topK: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  let dcg = 0;
  for (let p = 0; p < Math.min(k, topK.length); p++) if (relevant.has(topK[p]!)) dcg += 1 / Math.log2(p + 2);
  let idcg = 0;
  for (let p = 0; p < Math.min(k, relevant.size); p++) idcg += 1 / Math.log2(p + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

/**
 * Indices of the K highest scores, best first, skipping `exclude` and NaN scores. A bounded min-heap of the
 * best K seen so far keeps it O(n log K), so a 10k-item catalogue is never fully sorted per user.
 * Ties go to the lower index so lists are deterministic (and the top 10 is a prefix of the top 20).
 */
export function topK(scores: ArrayLike<number>, k: number, exclude?: ReadonlySet<number>): Int32Array {
  checkK(k, 0);
  const heap: number[] = []; // heap[0] is the worst of the kept items
  const worse = (a: number, b: number) => scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
  const swap = (p: number, q: number) => {
    const t = heap[p]!;
    heap[p] = heap[q]!;
    heap[q] = t;
  };
  const siftUp = (p: number) => {
    while (p > 0) {
      const parent = (p - 1) >> 1;
      if (!worse(heap[p]!, heap[parent]!)) break;
      swap(p, parent);
      p = parent;
    }
  };
  const siftDown = (p: number) => {
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === p) return;
      swap(p, m);
      p = m;
    }
  };
  if (k === 0) return new Int32Array(0);
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i]!) || exclude?.has(i)) continue;
    if (heap.length < k) {
      heap.push(i);
      siftUp(heap.length - 1);
    } else if (worse(heap[0]!, i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return Int32Array.from(heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0)));
}
