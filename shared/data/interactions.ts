// The in-memory form of a rating/interaction dataset: dense 0-based ids, columnar arrays.

/** Item metadata used by the shop, explanations and diversity metrics. */
export interface ItemMeta {
  /** The dataset's own id for the item (e.g. MovieLens movieId). */
  externalId: string;
  title: string;
  /** Categories (MovieLens genres). */
  categories: string[];
}

/** A dataset with users and items renumbered 0..users-1 and 0..items-1. */
export interface InteractionData {
  name: string;
  users: number;
  items: number;
  /** Columnar interactions, all of the same length. */
  user: Int32Array;
  item: Int32Array;
  /** Rating or event strength. */
  value: Float32Array;
  /** Seconds since the epoch (0 when the source has none). */
  timestamp: Float64Array;
  /** External ids, indexed by dense id. */
  userIds: string[];
  itemIds: string[];
  /** Metadata per dense item id, when the source has it. */
  itemMeta?: ItemMeta[];
}

/** Number of interactions in a dataset. */
export function interactionCount(data: InteractionData): number {
  return data.user.length;
}

/** One user's interactions as parallel arrays. */
export interface UserHistory {
  items: Int32Array;
  values: Float32Array;
  timestamps: Float64Array;
}

/** Group interactions by user (order within a user: by timestamp, then item id). */
export function groupByUser(data: InteractionData): UserHistory[] {
  const counts = new Int32Array(data.users);
  for (let n = 0; n < data.user.length; n++) counts[data.user[n]!]!++;
  const order = Array.from({ length: data.user.length }, (_, n) => n);
  order.sort((a, b) => data.user[a]! - data.user[b]! || data.timestamp[a]! - data.timestamp[b]! || data.item[a]! - data.item[b]!);
  const out: UserHistory[] = [];
  let pos = 0;
  for (let u = 0; u < data.users; u++) {
    const c = counts[u]!;
    const h: UserHistory = { items: new Int32Array(c), values: new Float32Array(c), timestamps: new Float64Array(c) };
    for (let j = 0; j < c; j++) {
      const n = order[pos + j]!;
      h.items[j] = data.item[n]!;
      h.values[j] = data.value[n]!;
      h.timestamps[j] = data.timestamp[n]!;
    }
    pos += c;
    out.push(h);
  }
  return out;
}
