// Permissions and history: what is switched off is not in the history; one entry per item, a rating winning.
import { describe, expect, it } from 'vitest';
import { applyChange, defaultPermissions, eventAllowed } from '../../../client/core/permissions';
import { historyOf, toRows } from '../../../client/core/history';
import { checkEvent, EventError, PURCHASE_VALUE, VIEW_VALUE } from '../../../client/core/events';
import { catalogue, event, ITEMS } from '../fixtures';

describe('permissions', () => {
  it('a new device personalises on the device only: training, server help and measurement are off', () => {
    expect(defaultPermissions().uses).toEqual({ personalise: true, contribute: false, serverAssisted: false, measureQuality: false });
  });

  it('switching a category off keeps out every event with it, whatever other categories the item has', () => {
    const p = applyChange(defaultPermissions(), { kind: 'category', category: 'Sci-Fi', on: false });
    expect(eventAllowed(p, event('view', 0, 1))).toBe(false); // Sci-Fi
    expect(eventAllowed(p, event('view', 35, 1))).toBe(false); // Sci-Fi|Drama
    expect(eventAllowed(p, event('view', 25, 1))).toBe(true); // Drama
    expect(applyChange(p, { kind: 'category', category: 'Sci-Fi', on: true }).excludedCategories).toEqual([]);
  });

  it('a change returns new permissions and leaves the old ones as they were', () => {
    const before = defaultPermissions();
    const after = applyChange(before, { kind: 'use', use: 'contribute', on: true });
    expect(before.uses.contribute).toBe(false);
    expect(after.uses.contribute).toBe(true);
  });
});

describe('events are checked before they are stored', () => {
  it.each([
    [{ type: 'rating', item: 1, categories: [], time: 1, stars: 6 }, /stars/],
    [{ type: 'rating', item: 1, categories: [], time: 1, stars: 3.3 }, /stars/],
    [{ type: 'view', categories: [], time: 1 }, /item id/],
    [{ type: 'search', item: 3, categories: [], time: 1, query: 'x' }, /no item/],
    [{ type: 'view', item: 1, categories: [], time: -1 }, /time/],
    [{ type: 'like', item: 1, categories: [], time: 1 }, /type/],
  ])('%j is refused', (e, message) => {
    expect(() => checkEvent(e as never)).toThrow(EventError);
    expect(() => checkEvent(e as never)).toThrow(message);
  });
});

describe('historyOf', () => {
  const p = defaultPermissions();

  it('one entry per item: the latest rating when there is one, else the strongest of purchase and view', () => {
    const h = historyOf([event('view', 1, 1), event('rating', 1, 2, 2), event('rating', 1, 3, 4.5), event('purchase', 2, 4), event('view', 2, 5), event('view', 3, 6)], p);
    expect(h).toEqual({ items: [ITEMS[1]!.id, ITEMS[2]!.id, ITEMS[3]!.id], values: [4.5, PURCHASE_VALUE, VIEW_VALUE] });
  });

  it('leaves out switched-off types, kept-out categories and items marked not interested', () => {
    const events = [event('rating', 0, 1, 5), event('purchase', 12, 2), event('view', 22, 3), event('rating', 25, 4, 3)];
    const off = applyChange(applyChange(p, { kind: 'type', type: 'view', on: false }), { kind: 'category', category: 'Sci-Fi', on: false });
    expect(historyOf(events, off, new Set([ITEMS[25]!.id]))).toEqual({ items: [ITEMS[12]!.id], values: [PURCHASE_VALUE] });
  });

  it('toRows maps ids to model rows and drops ids the catalogue lacks', () => {
    expect(toRows({ items: [ITEMS[7]!.id, 99_999, ITEMS[0]!.id], values: [1, 2, 3] }, catalogue.rowOf)).toEqual({ items: [7, 0], values: [1, 3] });
  });
});
