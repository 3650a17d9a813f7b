// What a shopper does in the shop, as events kept only on the device: type, item, categories and time.
//
// An event's strength for the model (its history value, on the model's 0–5 scale) comes from its type: a rating
// is its stars, a purchase (adding to the cart) is strong, a view is weak. Searches carry their words, not an item.

/** The kinds of events, each a data type the person can switch off. */
export const EVENT_TYPES = ['view', 'purchase', 'rating', 'search'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One event as the device stores it (the id is the store's). */
export interface ShopEvent {
  id?: number;
  type: EventType;
  /** The catalogue id of the item (absent for a search). */
  item?: number;
  /** The item's categories at the time (a search's category filter, if any). */
  categories: string[];
  /** Milliseconds since the epoch. */
  time: number;
  /** Stars for a rating (0.5–5, in halves). */
  stars?: number;
  /** The words of a search. */
  query?: string;
}

/** History value of a purchase (add to cart) and of a view, on the 0–5 scale of ratings. */
export const PURCHASE_VALUE = 4;
export const VIEW_VALUE = 1;
/** The longest search text kept. */
export const MAX_QUERY_LENGTH = 200;

/** A problem with an event: it is refused before it is stored. */
export class EventError extends Error {
  override name = 'EventError';
}

/** Check an event's fields, naming the one that is wrong. */
export function checkEvent(e: ShopEvent): ShopEvent {
  if (!(EVENT_TYPES as readonly string[]).includes(e.type)) throw new EventError(`type must be one of ${EVENT_TYPES.join(', ')}, got ${String(e.type)}`);
  if (!Number.isSafeInteger(e.time) || e.time < 0) throw new EventError(`time must be a non-negative integer (ms), got ${e.time}`);
  if (!Array.isArray(e.categories) || e.categories.some((c) => typeof c !== 'string' || c === '' || c.length > 64)) throw new EventError('categories must be a list of category names');
  if (e.type === 'search') {
    if (typeof e.query !== 'string' || e.query.length > MAX_QUERY_LENGTH) throw new EventError(`a search needs its words (at most ${MAX_QUERY_LENGTH} characters)`);
    if (e.item !== undefined) throw new EventError('a search has no item');
  } else if (!Number.isSafeInteger(e.item) || e.item! < 0) throw new EventError(`a ${e.type} needs an item id, got ${String(e.item)}`);
  if (e.type === 'rating') {
    if (typeof e.stars !== 'number' || !(e.stars >= 0.5 && e.stars <= 5) || Math.round(e.stars * 2) !== e.stars * 2) throw new EventError(`stars must be 0.5–5 in halves, got ${String(e.stars)}`);
  } else if (e.stars !== undefined) throw new EventError(`a ${e.type} has no stars`);
  return e;
}

/** The history value of an item event: a rating's stars, else the type's weight. */
export function eventValue(e: ShopEvent): number {
  if (e.type === 'rating') return e.stars!;
  if (e.type === 'purchase') return PURCHASE_VALUE;
  if (e.type === 'view') return VIEW_VALUE;
  throw new EventError('a search has no value for the model');
}
