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
 * For every user with a test item, `count` distinct items the user never touched (in `all` or in `test`),
 * seeded; every untouched item when fewer than `count` exist. Users without a test item get an empty list.
 * `all` is the full dataset (train ∪ test), so a negative is never an item the user has seen (He et al. 2017).
 */
export function sampleNegatives(all: InteractionData, test: InteractionData, options: { count: number; seed: number }): Int32Array[] {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  if (test.users !== all.users || test.items !== all.items) {
    throw new RangeError(`test (${test.users} users, ${test.items} items) and all (${all.users} users, ${all.items} items) must share one id space`);
  }
  const base = createRng(options.seed);
  const touched = touchedItems(all);
  const hasTest = new Uint8Array(all.users);
  for (let r = 0; r < test.user.length; r++) {
    const u = test.user[r]!;
    hasTest[u] = 1;
    touched[u]!.add(test.item[r]!); // already there when `all` really contains `test`; guards against passing train
  }
  const out: Int32Array[] = [];
  for (let u = 0; u < all.users; u++) {
    if (!hasTest[u]) {
      out.push(new Int32Array(0));
      continue;
    }
    const rng = base.fork(u); // per-user stream: one user's sample never shifts another's
    const seen = touched[u]!;
    const available = all.items - seen.size;
    if (available <= count) {
      const rest: number[] = [];
      for (let i = 0; i < all.items; i++) if (!seen.has(i)) rest.push(i);
      out.push(Int32Array.from(rest));
      continue;
    }
    // Rejection sampling: cheap because here more than `count` items are untouched and users touch a small part of a catalogue.
    const chosen = new Set<number>();
    while (chosen.size < count) {
      const i = rng.int(all.items);
      if (!seen.has(i)) chosen.add(i);
    }
    out.push(Int32Array.from(chosen));
  }
  return out;
}
