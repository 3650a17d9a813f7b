// The three explainers the deletion curves compare: each names the history items it holds responsible for a
// recommendation, most responsible first.
//   shares  our served explanation: the history items with the largest exact shares of the score;
//   random  seeded random history items (the floor any explainer should beat);
//   cosine  the history items whose item vectors are most similar to the recommended one ("because you
//           watched", the usual item-to-item explainer); across shards the vectors are concatenated.
import { shuffleInPlace, type Rng } from '../../shared/math/random';
import type { Recommendation, ServedTables } from '../../shared/recommend/recommend';

export const EXPLAINERS = ['shares', 'random', 'cosine'] as const;
export type ExplainerName = (typeof EXPLAINERS)[number];

/** Shares: history items by share, largest first (the order `recommend` already returns them in). */
export function sharesOrder(rec: Recommendation): number[] {
  return rec.shares.map((s) => s.item);
}

/** Random: the history's distinct items in a seeded random order. */
export function randomOrder(historyItems: readonly number[], rng: Rng): number[] {
  return shuffleInPlace([...historyItems], rng);
}

/** Cosine similarity of item vectors, each item's vector being its shards' vectors concatenated. */
export interface ItemCosine {
  (a: number, b: number): number;
}

/** Cosine similarity over the served shards; an item with a zero vector is dissimilar to everything (0). */
export function concatenatedCosine(served: ServedTables): ItemCosine {
  const { items, dim } = served.shards[0]!;
  const norms = new Float64Array(items);
  for (const table of served.shards) {
    for (let i = 0; i < items; i++) {
      let s = 0;
      for (let a = 0; a < dim; a++) s += table.vectors[i * dim + a]! ** 2;
      norms[i]! += s;
    }
  }
  for (let i = 0; i < items; i++) norms[i] = Math.sqrt(norms[i]!);
  return (x, y) => {
    const denominator = norms[x]! * norms[y]!;
    if (denominator === 0) return 0;
    let dot = 0;
    for (const table of served.shards) {
      const v = table.vectors;
      for (let a = 0; a < dim; a++) dot += v[x * dim + a]! * v[y * dim + a]!;
    }
    return dot / denominator; // cos = ⟨v_x, v_y⟩ / (‖v_x‖ ‖v_y‖) over the concatenation
  };
}

/** Cosine: history items by cosine similarity to the recommended item, most similar first (ties by id). */
export function cosineOrder(cosine: ItemCosine, item: number, historyItems: readonly number[]): number[] {
  const sim = new Map(historyItems.map((h) => [h, cosine(item, h)]));
  return [...historyItems].sort((a, b) => sim.get(b)! - sim.get(a)! || a - b);
}
