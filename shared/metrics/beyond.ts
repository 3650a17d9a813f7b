// Beyond-accuracy metrics over top-K lists: catalogue coverage, intra-list diversity, novelty.

/** Throw unless every listed item is a valid index into a table of `size` entries called `what`. */
function checkItems(lists: readonly Int32Array[], size: number, what: string): void {
  for (const l of lists) {
    for (const i of l) if (!(i >= 0 && i < size)) throw new RangeError(`item ${i} in a list is outside ${what} (size ${size})`);
  }
}

/** Catalogue coverage = |∪ lists| / items. */
export function coverageAtK(lists: readonly Int32Array[], items: number): number {
  if (!Number.isInteger(items) || items < 1) throw new RangeError(`items must be a positive integer, got ${items}`);
  checkItems(lists, items, 'the catalogue');
  const seen = new Set<number>();
  for (const l of lists) for (const i of l) seen.add(i);
  return seen.size / items;
}

/** Mean over lists of the mean pairwise distance; lists with < 2 items have no pairs and are left out. */
function meanPairwise(lists: readonly Int32Array[], distance: (a: number, b: number) => number): number {
  let total = 0;
  let users = 0;
  for (const l of lists) {
    if (l.length < 2) continue;
    let s = 0;
    for (let a = 0; a < l.length; a++) for (let b = a + 1; b < l.length; b++) s += distance(l[a]!, l[b]!);
    total += s / ((l.length * (l.length - 1)) / 2);
    users++;
  }
  return users ? total / users : 0;
}

/**
 * Intra-list diversity by category (Ziegler et al. 2005, with Jaccard distance): mean over users of the mean
 * pairwise 1 − |C_a ∩ C_b| / |C_a ∪ C_b|. Two uncategorised items count as identical (distance 0), so missing
 * metadata cannot inflate diversity.
 */
export function intraListDiversityByCategory(lists: readonly Int32Array[], itemCategories: readonly (readonly string[])[]): number {
  checkItems(lists, itemCategories.length, 'itemCategories');
  const sets = itemCategories.map((c) => new Set(c));
  return meanPairwise(lists, (a, b) => {
    const sa = sets[a]!;
    const sb = sets[b]!;
    if (sa.size === 0 && sb.size === 0) return 0;
    let inter = 0;
    for (const c of sa) if (sb.has(c)) inter++;
    return 1 - inter / (sa.size + sb.size - inter);
  });
}

/**
 * Intra-list diversity by embedding: mean over users of the mean pairwise cosine distance 1 − v_a·v_b / (|v_a||v_b|),
 * vectors stored row-major in `itemVectors` (`dim` per item). A zero vector has no direction: distance 1.
 */
export function intraListDiversityByEmbedding(lists: readonly Int32Array[], itemVectors: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (itemVectors.length % dim !== 0) throw new RangeError(`itemVectors length ${itemVectors.length} is not a multiple of dim ${dim}`);
  checkItems(lists, itemVectors.length / dim, 'itemVectors');
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
 * Novelty (Zhou et al. 2010): mean self-information −log2(pop_i / users) over every recommended item, pop_i =
 * training users who interacted with item i. An item nobody touched counts as pop 1, to keep the value finite.
 */
export function noveltyAtK(lists: readonly Int32Array[], itemPopularity: ArrayLike<number>, users: number): number {
  if (!(users > 0)) throw new RangeError(`users must be positive, got ${users}`);
  checkItems(lists, itemPopularity.length, 'itemPopularity');
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
