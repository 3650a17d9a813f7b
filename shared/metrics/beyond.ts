// Beyond-accuracy metrics over top-K lists: catalogue coverage, intra-list diversity, novelty.

/** Catalogue coverage: |∪ lists| / items. */
export function coverageAtK(lists: Int32Array[], items: number): number {
  if (!(items > 0)) throw new RangeError(`items must be positive, got ${items}`);
  const seen = new Set<number>();
  for (const l of lists) for (const i of l) seen.add(i);
  return seen.size / items;
}

function meanPairwise(lists: Int32Array[], distance: (a: number, b: number) => number): number {
  let total = 0;
  let users = 0;
  for (const l of lists) {
    if (l.length < 2) continue;
    let s = 0;
    let pairs = 0;
    for (let a = 0; a < l.length; a++) {
      for (let b = a + 1; b < l.length; b++) {
        s += distance(l[a]!, l[b]!);
        pairs++;
      }
    }
    total += s / pairs;
    users++;
  }
  return users ? total / users : 0;
}

/** Intra-list diversity by category: mean over users of mean pairwise (1 − Jaccard) of the items' category sets. */
export function intraListDiversityByCategory(lists: Int32Array[], itemCategories: readonly (readonly string[])[]): number {
  const sets = itemCategories.map((c) => new Set(c));
  return meanPairwise(lists, (a, b) => {
    const sa = sets[a] ?? new Set<string>();
    const sb = sets[b] ?? new Set<string>();
    if (sa.size === 0 && sb.size === 0) return 0;
    let inter = 0;
    for (const c of sa) if (sb.has(c)) inter++;
    return 1 - inter / (sa.size + sb.size - inter);
  });
}

/** Intra-list diversity by embedding: mean pairwise cosine distance 1 − cos(v_a, v_b) (zero vectors: distance 1). */
export function intraListDiversityByEmbedding(lists: Int32Array[], itemVectors: Float32Array, dim: number): number {
  return meanPairwise(lists, (a, b) => {
    let dotAB = 0;
    let na = 0;
    let nb = 0;
    for (let x = 0; x < dim; x++) {
      const va = itemVectors[a * dim + x]!;
      const vb = itemVectors[b * dim + x]!;
      dotAB += va * vb;
      na += va * va;
      nb += vb * vb;
    }
    return na === 0 || nb === 0 ? 1 : 1 - dotAB / Math.sqrt(na * nb);
  });
}

/**
 * Novelty: mean self-information −log2(pop_i / users) of recommended items, pop_i = users who interacted
 * with item i in training (items nobody touched count as pop 1, to stay finite).
 */
export function noveltyAtK(lists: Int32Array[], itemPopularity: ArrayLike<number>, users: number): number {
  if (!(users > 0)) throw new RangeError(`users must be positive, got ${users}`);
  let s = 0;
  let n = 0;
  for (const l of lists) {
    for (const i of l) {
      s += -Math.log2(Math.max(1, itemPopularity[i]!) / users);
      n++;
    }
  }
  return n ? s / n : 0;
}
