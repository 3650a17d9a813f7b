// The history a device trains on: read from its store at each round, so a permission changed a moment ago
// applies to the very next update. What is switched off (a data type, a category, an item marked "not
// interested") is not in it at all.
import type { History } from '../../shared/model/reconstruct';
import { historyOf, toRows } from '../core/history';
import type { DeviceStore } from '../store/store';

/** The model history the store's permissions allow, in model rows (`rowOf` maps catalogue ids). */
export async function trainingHistory(store: DeviceStore, rowOf: (id: number) => number | undefined): Promise<History> {
  const [events, permissions, notInterested] = await Promise.all([store.events(), store.permissions(), store.setting('notInterested')]);
  const rows = toRows(historyOf(events, permissions, new Set(notInterested ?? [])), rowOf);
  return { items: Int32Array.from(rows.items), values: Float32Array.from(rows.values) };
}
