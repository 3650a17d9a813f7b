// Items near one another in the served model, each with its reason in numbers and words.
//
// Nearness is the cosine of the items' vectors with the shards side by side (the served score is a mean over
// shards, so that concatenation is the item's vector in the served model). The second number is exact model
// arithmetic: the share the first item alone would give the other, were it someone's only history — the same
// share the "Why?" of a recommendation shows (recommend.ts).
import { explainServed, solveShards, type ServedTables } from './recommend';

/** A neighbour of an item. */
export interface Neighbour {
  item: number;
  /** Cosine similarity in [−1, 1]. */
  similarity: number;
  /** Score points `of` alone gives this item (its exact share with a one-item history). */
  share: number;
}

/** Each item's vector norm over the shards (computed once per model version). */
export function itemNorms(served: ServedTables): Float64Array {
  const { items, dim } = served.shards[0]!;
  const norms = new Float64Array(items);
  for (const t of served.shards) {
    for (let i = 0; i < items; i++) {
      let s = 0;
      for (let a = 0; a < dim; a++) s += t.vectors[i * dim + a]! ** 2;
      norms[i]! += s;
    }
  }
  for (let i = 0; i < items; i++) norms[i] = Math.sqrt(norms[i]!);
  return norms;
}

/** The k items most similar to `of` (never itself, nor an item `skip` rules out), most similar first. */
export function similarItems(served: ServedTables, norms: Float64Array, of: number, k: number, skip: (item: number) => boolean = () => false): Neighbour[] {
  const { items, dim } = served.shards[0]!;
  if (!Number.isInteger(of) || of < 0 || of >= items) throw new RangeError(`item ${of} is outside the model (0..${items - 1})`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const dots = new Float64Array(items);
  for (const t of served.shards) {
    const o = of * dim;
    for (let i = 0; i < items; i++) {
      let s = 0;
      for (let a = 0; a < dim; a++) s += t.vectors[i * dim + a]! * t.vectors[o + a]!;
      dots[i]! += s;
    }
  }
  const base = norms[of]!;
  const cos = (i: number) => (base > 0 && norms[i]! > 0 ? dots[i]! / (base * norms[i]!) : 0);
  const candidates: number[] = [];
  for (let i = 0; i < items; i++) if (i !== of && !skip(i)) candidates.push(i);
  candidates.sort((a, b) => cos(b) - cos(a) || a - b);
  const top = candidates.slice(0, k);
  // The one-item history {of} with full strength: its exact share towards each neighbour.
  const history = { items: [of], values: [served.params.kind === 'implicit' ? served.params.valueScale : 1] };
  const explained = explainServed(served, solveShards(served, history), top);
  return top.map((item, n) => ({ item, similarity: Math.max(-1, Math.min(1, cos(item))), share: explained[n]!.shares[0]?.share ?? 0 }));
}

/** One sentence for a neighbour: what the two share in the model, and how strongly. */
export function describeNeighbour(titles: { of: string; item: string }, n: Neighbour, sharedCategories: readonly string[]): string {
  const strength = n.similarity >= 0.8 ? 'very closely' : n.similarity >= 0.5 ? 'closely' : n.similarity >= 0.2 ? 'somewhat' : 'loosely';
  const genres = sharedCategories.length ? ` Both are ${sharedCategories.slice(0, 3).join(', ')}.` : '';
  return `People who like ${titles.of} ${strength} like ${titles.item} too: their vectors in the model point the same way (cosine ${n.similarity.toFixed(2)}), and liking ${titles.of} alone adds ${n.share >= 0 ? '+' : ''}${n.share.toFixed(3)} to its score.${genres}`;
}
