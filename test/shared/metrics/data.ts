// Tiny hand-made interaction datasets for metric tests.
import type { InteractionData } from '../../../shared/data/interactions';

/** Build InteractionData from [user, item, value, timestamp] rows. */
export function dataset(users: number, items: number, rows: [number, number, number, number][]): InteractionData {
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
