// Building InteractionData incrementally: dense ids in first-appearance order and growable typed columns.
import type { InteractionData, ItemMeta } from '../../shared/data/interactions';
import type { MetaEntry } from '../../shared/data/movielens-movies';

/** External-id -> dense-id maps; several column sets may share one (train/test splits). */
export interface IdSpace {
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
  userIds: string[];
  itemIds: string[];
}

/** An empty id space. */
export function createIdSpace(): IdSpace {
  return { userIndex: new Map(), itemIndex: new Map(), userIds: [], itemIds: [] };
}

/** Dense id of a user, assigning the next one on first sight. */
export function userId(space: IdSpace, external: string): number {
  let id = space.userIndex.get(external);
  if (id === undefined) {
    id = space.userIds.length;
    space.userIndex.set(external, id);
    space.userIds.push(external);
  }
  return id;
}

/** Dense id of an item, assigning the next one on first sight. */
export function itemId(space: IdSpace, external: string): number {
  let id = space.itemIndex.get(external);
  if (id === undefined) {
    id = space.itemIds.length;
    space.itemIndex.set(external, id);
    space.itemIds.push(external);
  }
  return id;
}

/** Interaction columns that double their capacity as rows arrive. */
export interface Columns {
  length: number;
  user: Int32Array;
  item: Int32Array;
  value: Float32Array;
  timestamp: Float64Array;
}

/** Empty columns with room for `capacity` rows before the first resize. */
export function createColumns(capacity = 1 << 16): Columns {
  const c = Math.max(1, capacity);
  return { length: 0, user: new Int32Array(c), item: new Int32Array(c), value: new Float32Array(c), timestamp: new Float64Array(c) };
}

function grow(cols: Columns): void {
  const c = cols.user.length * 2;
  const user = new Int32Array(c);
  user.set(cols.user);
  const item = new Int32Array(c);
  item.set(cols.item);
  const value = new Float32Array(c);
  value.set(cols.value);
  const timestamp = new Float64Array(c);
  timestamp.set(cols.timestamp);
  Object.assign(cols, { user, item, value, timestamp });
}

/** Append one interaction (dense ids). */
export function pushRow(cols: Columns, user: number, item: number, value: number, timestamp: number): void {
  if (cols.length === cols.user.length) grow(cols);
  const n = cols.length++;
  cols.user[n] = user;
  cols.item[n] = item;
  cols.value[n] = value;
  cols.timestamp[n] = timestamp;
}

/** Freeze columns into InteractionData over the id space as it stands now (ids are copied, columns trimmed). */
export function toInteractionData(name: string, space: IdSpace, cols: Columns, itemMeta?: ItemMeta[]): InteractionData {
  const n = cols.length;
  const data: InteractionData = {
    name,
    users: space.userIds.length,
    items: space.itemIds.length,
    user: cols.user.slice(0, n),
    item: cols.item.slice(0, n),
    value: cols.value.slice(0, n),
    timestamp: cols.timestamp.slice(0, n),
    userIds: space.userIds.slice(),
    itemIds: space.itemIds.slice(),
  };
  if (itemMeta) data.itemMeta = itemMeta;
  return data;
}

export type { MetaEntry };

/**
 * Metadata for every dense item. Items the metadata file does not mention get a placeholder title and no categories,
 * so consumers can index itemMeta by dense id without holes.
 */
export function itemMetaFor(itemIds: readonly string[], byExternalId: ReadonlyMap<string, MetaEntry>): ItemMeta[] {
  return itemIds.map((externalId) => {
    const m = byExternalId.get(externalId);
    return m ? { externalId, title: m.title, categories: m.categories } : { externalId, title: `Item ${externalId}`, categories: [] };
  });
}
