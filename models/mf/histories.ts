// Per-user and per-item interaction lists (CSR-like) built once from a training set.
import type { InteractionData } from '../../shared/data/interactions';
import type { History } from '../../shared/model/reconstruct';

/** Histories of every user (items + values) and of every item (users + values). */
export interface Histories {
  byUser: History[];
  byItem: History[];
}

function group(keys: Int32Array, others: Int32Array, values: Float32Array, count: number): History[] {
  const sizes = new Int32Array(count);
  for (let n = 0; n < keys.length; n++) sizes[keys[n]!]!++;
  const out: { items: Int32Array; values: Float32Array }[] = [];
  for (let r = 0; r < count; r++) out.push({ items: new Int32Array(sizes[r]!), values: new Float32Array(sizes[r]!) });
  const fill = new Int32Array(count);
  for (let n = 0; n < keys.length; n++) {
    const r = keys[n]!;
    const pos = fill[r]!++;
    out[r]!.items[pos] = others[n]!;
    out[r]!.values[pos] = values[n]!;
  }
  return out;
}

/** Build both groupings in O(interactions). */
export function buildHistories(data: InteractionData): Histories {
  return {
    byUser: group(data.user, data.item, data.value, data.users),
    byItem: group(data.item, data.user, data.value, data.items),
  };
}
