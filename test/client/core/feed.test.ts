// The For you feed: exact shares, categories kept out having no influence, "not interested" removing an item and
// its influence, and popular items when there is no history.
import { describe, expect, it } from 'vitest';
import { deviceFeed, type Feed } from '../../../client/core/feed';
import { historyOf } from '../../../client/core/history';
import { loadModel } from '../../../client/core/model';
import { applyChange, defaultPermissions } from '../../../client/core/permissions';
import type { ShopEvent } from '../../../client/core/events';
import { catalogue, event, ITEMS, model, servedFile } from '../fixtures';

const loaded = loadModel({ version: 2, sha256: 'x', bytes: servedFile([model(11), model(12)]), savedAt: 0 });
const events: ShopEvent[] = [event('rating', 0, 1, 5), event('rating', 3, 2, 4), event('rating', 31, 3, 5), event('purchase', 12, 4), event('view', 22, 5), event('rating', 25, 6, 4.5)];

function feed(o: { events?: ShopEvent[]; permissions?: ReturnType<typeof defaultPermissions>; notInterested?: number[]; variety?: number } = {}): Feed {
  const permissions = o.permissions ?? defaultPermissions();
  const notInterested = new Set(o.notInterested ?? []);
  return deviceFeed({ model: loaded, catalogue, history: historyOf(o.events ?? events, permissions, notInterested), permissions, notInterested, variety: o.variety ?? 0.5 });
}

describe('deviceFeed', () => {
  it('every item\'s bias and shares add up to its score', () => {
    const f = feed();
    expect(f.kind).toBe('personal');
    if (f.kind !== 'personal') return;
    expect(f.items).toHaveLength(10);
    for (const r of f.items) {
      const sum = r.bias + r.shares.reduce((a, s) => a + s.share, 0);
      expect(Math.abs(sum - r.score)).toBeLessThan(1e-9 * Math.max(1, Math.abs(r.score)));
    }
  });

  it('with Sci-Fi kept out, no Sci-Fi film is recommended or named in any share, and the rest is as if they never happened', () => {
    const off = applyChange(defaultPermissions(), { kind: 'category', category: 'Sci-Fi', on: false });
    const f = feed({ permissions: off });
    const without = feed({ events: events.filter((e) => !e.categories.includes('Sci-Fi')), permissions: off });
    if (f.kind !== 'personal') throw new Error('expected a personal feed');
    for (const r of f.items) {
      expect(r.item.categories).not.toContain('Sci-Fi');
      for (const s of r.shares) expect(s.item.categories).not.toContain('Sci-Fi');
    }
    expect(f).toEqual(without);
  });

  it('"not interested" removes the item and its influence: the feed equals one computed without its events', () => {
    const target = ITEMS[25]!.id;
    const f = feed({ notInterested: [target] });
    const without = feed({ events: events.filter((e) => e.item !== target), notInterested: [target] });
    expect(f).toEqual(without);
    if (f.kind === 'personal') expect(f.items.some((r) => r.item.id === target || r.shares.some((s) => s.item.id === target))).toBe(false);
  });

  it('with no usable history, the popular items: highest bias first, labelled as not personal', () => {
    const f = feed({ events: [] });
    expect(f.kind).toBe('popular');
    if (f.kind !== 'popular') return;
    expect(f.reason).toBe('no-history');
    const biases = [...loaded.biases].map((b, row) => ({ b, row })).sort((x, y) => y.b - x.b || x.row - y.row);
    expect(f.items.map((i) => i.item.id)).toEqual(biases.slice(0, 10).map((x) => ITEMS[x.row]!.id));
  });

  it('items the person has already used are not recommended again', () => {
    const f = feed();
    if (f.kind !== 'personal') throw new Error('expected a personal feed');
    const used = new Set(events.map((e) => e.item));
    expect(f.items.some((r) => used.has(r.item.id))).toBe(false);
  });
});
