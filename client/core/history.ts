// From the stored events to the model's history: the events the permissions allow, one entry per item.
//
// An item's value is its latest rating when it has one (a rating says how much the person liked it), else the
// strongest of its purchase and view weights. Items the person marked "not interested" are left out, and so is
// anything whose category is kept out: what is switched off takes no part in recommendation or training.
import { eventValue, type ShopEvent } from './events';
import { eventAllowed, type Permissions } from './permissions';

/** A history in catalogue ids, in first-seen order. */
export interface IdHistory {
  items: number[];
  values: number[];
}

/** The events these permissions let the device use (searches included: they are used by nothing else). */
export function usableEvents(events: readonly ShopEvent[], p: Permissions, notInterested: ReadonlySet<number> = new Set()): ShopEvent[] {
  return events.filter((e) => eventAllowed(p, e) && (e.item === undefined || !notInterested.has(e.item)));
}

/** The model history of the usable item events: one entry per item (see the file comment), in first-seen order. */
export function historyOf(events: readonly ShopEvent[], p: Permissions, notInterested: ReadonlySet<number> = new Set()): IdHistory {
  const byItem = new Map<number, { rating?: { time: number; stars: number }; other: number }>();
  for (const e of usableEvents(events, p, notInterested)) {
    if (e.item === undefined) continue;
    let entry = byItem.get(e.item);
    if (!entry) byItem.set(e.item, (entry = { other: 0 }));
    if (e.type === 'rating') {
      if (!entry.rating || e.time >= entry.rating.time) entry.rating = { time: e.time, stars: e.stars! };
    } else entry.other = Math.max(entry.other, eventValue(e));
  }
  const items: number[] = [];
  const values: number[] = [];
  for (const [item, entry] of byItem) {
    items.push(item);
    values.push(entry.rating ? entry.rating.stars : entry.other);
  }
  return { items, values };
}

/** The history in model rows: catalogue ids mapped by `rowOf`; an id the catalogue lacks is dropped. */
export function toRows(history: IdHistory, rowOf: (id: number) => number | undefined): { items: number[]; values: number[] } {
  const items: number[] = [];
  const values: number[] = [];
  history.items.forEach((id, n) => {
    const row = rowOf(id);
    if (row === undefined) return;
    items.push(row);
    values.push(history.values[n]!);
  });
  return { items, values };
}
