// Items near one another in the served model, each with its reason in numbers and words.
//
// Nearness is the cosine of the items' vectors with the shards side by side (the served score is a mean over
// shards, so that concatenation is the item's vector in the served model). The second number is exact model
// arithmetic: the share the first item alone would give the other, were it someone's only history — the same
// share the "Why?" of a recommendation shows (recommend.ts).
import { explainServed, solveShards, type ServedTables } from './recommend';
import { topK } from './top-k';

/** A neighbour of an item. */
export interface Neighbour {
  item: number;
  /** Cosine similarity in [−1, 1]. */
  similarity: number;
  /** Score points `of` alone gives this item (its exact share with a one-item history). */
  share: number;
}

/** Every item's served vector (its shards' vectors side by side) scaled to unit length; zero for a zero vector. */
export interface SimilarityIndex {
  /** items × width, row-major. */
  unit: Float64Array;
  width: number;
}

/** Build the index once per model version. */
export function similarityIndex(served: ServedTables): SimilarityIndex {
  const { items, dim } = served.shards[0]!;
  const width = dim * served.shards.length;
  const unit = new Float64Array(items * width);
  for (let i = 0; i < items; i++) {
    let norm = 0;
    served.shards.forEach((t, s) => {
      for (let a = 0; a < dim; a++) {
        const x = t.vectors[i * dim + a]!;
        unit[i * width + s * dim + a] = x;
        norm += x * x;
      }
    });
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let c = 0; c < width; c++) unit[i * width + c]! *= inv;
  }
  return { unit, width };
}

/** The k items most similar to `of` (never itself, nor an item `skip` rules out), most similar first (ties by index). */
export function similarItems(served: ServedTables, index: SimilarityIndex, of: number, k: number, skip: (item: number) => boolean = () => false): Neighbour[] {
  const { items } = served.shards[0]!;
  if (!Number.isInteger(of) || of < 0 || of >= items) throw new RangeError(`item ${of} is outside the model (0..${items - 1})`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const { unit, width } = index;
  const o = of * width;
  const cos = new Float64Array(items);
  const blocked = new Uint8Array(items);
  blocked[of] = 1;
  for (let i = 0; i < items; i++) {
    if (skip(i)) blocked[i] = 1;
    let c = 0;
    const r = i * width;
    for (let a = 0; a < width; a++) c += unit[r + a]! * unit[o + a]!;
    cos[i] = c;
  }
  const top = topK(cos, k, blocked);
  // The one-item history {of} at full strength: its exact share towards each neighbour.
  const history = { items: [of], values: [served.params.kind === 'implicit' ? served.params.valueScale : 1] };
  const explained = explainServed(served, solveShards(served, history), top);
  return top.map((item, n) => ({ item, similarity: Math.max(-1, Math.min(1, cos[item]!)), share: explained[n]!.shares[0]?.share ?? 0 }));
}

/** One sentence for a neighbour: what the two share in the model, and how strongly. */
export function describeNeighbour(titles: { of: string; item: string }, n: Neighbour, sharedCategories: readonly string[]): string {
  const strength = n.similarity >= 0.8 ? 'very closely' : n.similarity >= 0.5 ? 'closely' : n.similarity >= 0.2 ? 'somewhat' : 'loosely';
  const genres = sharedCategories.length ? ` Both are ${sharedCategories.slice(0, 3).join(', ')}.` : '';
  return `People who like ${titles.of} ${strength} like ${titles.item} too: their vectors in the model point the same way (cosine ${n.similarity.toFixed(2)}), and liking ${titles.of} alone adds ${n.share >= 0 ? '+' : ''}${n.share.toFixed(3)} to its score.${genres}`;
}
