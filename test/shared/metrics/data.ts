// Hand-made and seeded-random interaction datasets for the metric tests.
import type { InteractionData } from '../../../shared/data/interactions';
import { createRng } from '../../../shared/math/random';

/** A row of a hand-made dataset: [user, item, value, timestamp]. */
export type Row = [number, number, number, number];

/** Build InteractionData from [user, item, value, timestamp] rows. */
export function dataset(users: number, items: number, rows: readonly Row[]): InteractionData {
  return {
    name: 'hand',
    users,
    items,
    user: Int32Array.from(rows, (r) => r[0]),
    item: Int32Array.from(rows, (r) => r[1]),
    value: Float32Array.from(rows, (r) => r[2]),
    timestamp: Float64Array.from(rows, (r) => r[3]),
    userIds: Array.from({ length: users }, (_, u) => `u${u}`),
    itemIds: Array.from({ length: items }, (_, i) => `i${i}`),
  };
}

/**
 * `users` users with `perUser` distinct random items each (so a held-out item is never also in train);
 * timestamps are the row index, which makes every row identifiable and the latest one the last drawn.
 */
export function distinctItemsDataset(users: number, items: number, perUser: number, seed: number): InteractionData {
  const rng = createRng(seed);
  const rows: Row[] = [];
  for (let u = 0; u < users; u++) {
    const chosen = new Set<number>();
    while (chosen.size < perUser) chosen.add(rng.int(items));
    for (const i of chosen) rows.push([u, i, 1 + rng.int(5), rows.length]);
  }
  return dataset(users, items, rows);
}

/** Rows of a dataset as "user-item-timestamp" strings, for comparing splits as multisets. */
export function rowKeys(data: InteractionData): string[] {
  return Array.from(data.timestamp, (t, j) => `${data.user[j]}-${data.item[j]}-${t}`).sort();
}
