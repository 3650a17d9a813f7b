// The ItemPop baseline: rank items by how many training users interacted with them.
import type { InteractionData } from '../data/interactions';

/** Number of distinct users per item in `train` (a user's repeated interactions with an item count once). */
export function itemPopularity(train: InteractionData): Float64Array {
  // Visit rows user by user (a counting sort, O(n)) and stamp each item with the last user counted for it:
  // no (user, item) set, which for MovieLens 10M would hold ten million keys.
  const n = train.user.length;
  const start = new Int32Array(train.users + 1);
  for (let r = 0; r < n; r++) start[train.user[r]! + 1]!++;
  for (let u = 0; u < train.users; u++) start[u + 1]! += start[u]!;
  const next = start.slice(0, train.users);
  const rows = new Int32Array(n);
  for (let r = 0; r < n; r++) rows[next[train.user[r]!]!++] = r;
  const pop = new Float64Array(train.items);
  const lastUser = new Int32Array(train.items).fill(-1);
  for (let u = 0; u < train.users; u++) {
    for (let j = start[u]!; j < start[u + 1]!; j++) {
      const i = train.item[rows[j]!]!;
      if (lastUser[i] === u) continue;
      lastUser[i] = u;
      pop[i]!++;
    }
  }
  return pop;
}

/**
 * ItemPop scorers for both evaluators: every user gets the same popularity scores. `scoreAll` returns one shared
 * array (no copy per user), which the evaluators only read.
 */
export function itemPopScorer(train: InteractionData): {
  score: (user: number, items: Int32Array) => Float64Array;
  scoreAll: (user: number) => Float64Array;
  popularity: Float64Array;
} {
  const popularity = itemPopularity(train);
  return { score: (_u, items) => Float64Array.from(items, (i) => popularity[i]!), scoreAll: () => popularity, popularity };
}
