// The ItemPop baseline: rank items by how many training users interacted with them.
import type { InteractionData } from '../data/interactions';

/** Number of distinct users per item in `train`. */
export function itemPopularity(train: InteractionData): Float64Array {
  const pop = new Float64Array(train.items);
  const seen = new Set<number>();
  for (let r = 0; r < train.user.length; r++) {
    const key = train.user[r]! * train.items + train.item[r]!;
    if (seen.has(key)) continue;
    seen.add(key);
    pop[train.item[r]!]!++;
  }
  return pop;
}

/** Scorers for both evaluators: the same popularity for every user. */
export function itemPopScorer(train: InteractionData): { score: (user: number, items: Int32Array) => Float64Array; scoreAll: (user: number) => Float64Array } {
  const pop = itemPopularity(train);
  return { score: (_u, items) => Float64Array.from(items, (i) => pop[i]!), scoreAll: () => pop };
}
