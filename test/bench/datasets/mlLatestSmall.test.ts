// Tests against the vendored MovieLens latest-small dataset: sizes, metadata, first-appearance ids and load time.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../bench/datasets/index';
import { interactionCount } from '../../../shared/data/interactions';

const DIR = fileURLToPath(new URL('../../../data/ml-latest-small', import.meta.url));

describe('data/ml-latest-small', () => {
  it('loads 610 users, 9724 items and 100836 ratings with titles and genres, quickly', async () => {
    const t0 = performance.now();
    const d = await loadDataset(DIR);
    const ms = performance.now() - t0;
    expect(d.name).toBe('ml-latest-small');
    expect([d.users, d.items, interactionCount(d)]).toEqual([610, 9724, 100836]);
    expect([d.userIds.length, d.itemIds.length, d.itemMeta?.length]).toEqual([610, 9724, 9724]);
    // The file starts "1,1,4.0,964982703" then "1,3,4.0,964981247".
    expect([d.userIds[0], d.itemIds[0], d.itemIds[1], d.value[0], d.timestamp[0]]).toEqual(['1', '1', '3', 4, 964982703]);
    expect(d.itemMeta?.[0]).toEqual({ externalId: '1', title: 'Toy Story (1995)', categories: ['Adventure', 'Animation', 'Children', 'Comedy', 'Fantasy'] });
    const byId = new Map(d.itemMeta?.map((m) => [m.externalId, m]));
    expect(byId.get('11')?.title).toBe('American President, The (1995)');
    expect(byId.get('7789')?.title).toBe('11\'09"01 - September 11 (2002)');
    expect(d.itemMeta?.every((m) => m.title !== '' && !m.title.startsWith('Item '))).toBe(true);
    expect(d.itemMeta?.filter((m) => m.categories.length === 0).length).toBeGreaterThan(0);
    let min = Infinity;
    let max = -Infinity;
    for (const v of d.value) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0.5, 5]);
    expect(d.user.every((u) => u >= 0 && u < d.users)).toBe(true);
    expect(d.item.every((i) => i >= 0 && i < d.items)).toBe(true);
    // Generous for a loaded CI box; locally it takes ~100-200 ms.
    expect(ms).toBeLessThan(1500);
  });
});
