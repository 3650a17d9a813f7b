// Negative sampling for leave-one-out evaluation: items a user never interacted with.
import type { InteractionData } from '../data/interactions';
import { createRng } from '../math/random';

/** Per user, the set of items they interacted with anywhere in `data`. */
export function touchedItems(data: InteractionData): Set<number>[] {
  const out = Array.from({ length: data.users }, () => new Set<number>());
  for (let r = 0; r < data.user.length; r++) out[data.user[r]!]!.add(data.item[r]!);
  return out;
}

/**
 * For every user with a test item, `count` distinct items the user never touched (in train or test),
 * seeded; all untouched items when fewer exist. Users without a test item get an empty list.
 */
export function sampleNegatives(all: InteractionData, test: InteractionData, options: { count: number; seed: number }): Int32Array[] {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  const touched = touchedItems(all);
  const hasTest = new Uint8Array(all.users);
  for (let r = 0; r < test.user.length; r++) hasTest[test.user[r]!] = 1;
  const out: Int32Array[] = [];
  for (let u = 0; u < all.users; u++) {
    if (!hasTest[u]) {
      out.push(new Int32Array(0));
      continue;
    }
    const rng = createRng(options.seed).fork(u); // per-user stream: one user's sample never shifts another's
    const seen = touched[u]!;
    const available = all.items - seen.size;
    if (available <= count) {
      const rest: number[] = [];
      for (let i = 0; i < all.items; i++) if (!seen.has(i)) rest.push(i);
      out.push(Int32Array.from(rest));
      continue;
    }
    const chosen = new Set<number>();
    while (chosen.size < count) {
      const i = rng.int(all.items);
      if (!seen.has(i)) chosen.add(i);
    }
    out.push(Int32Array.from(chosen));
  }
  return out;
}
