// Server-assisted recommendations send only the allowed history (no kept-out category is named or implied), log
// exactly what was sent, and drop from the answer the items of categories the person keeps out.
import { describe, expect, it } from 'vitest';
import { assistedFeed } from '../../../client/core/assisted';
import { createApi } from '../../../client/core/api';
import { historyOf } from '../../../client/core/history';
import { applyChange, defaultPermissions } from '../../../client/core/permissions';
import { createMemoryStore } from '../../../client/store/memory-store';
import { catalogue, event, ITEMS } from '../fixtures';

describe('assistedFeed', () => {
  it('sends the allowed history only, logs it, and keeps kept-out categories out of the answer', async () => {
    const permissions = applyChange(applyChange(defaultPermissions(), { kind: 'use', use: 'serverAssisted', on: true }), { kind: 'category', category: 'Sci-Fi', on: false });
    const events = [event('rating', 0, 1, 5), event('rating', 12, 2, 4), event('view', 25, 3)];
    const history = historyOf(events, permissions);
    const bodies: unknown[] = [];
    const fetch = (async (_url: string, init?: RequestInit) => {
      bodies.push(JSON.parse(String(init?.body)));
      // The server answers with a Sci-Fi item first (it was not told), then a Comedy and a Drama item.
      const shares = [{ item: ITEMS[12]!.id, share: 0.2 }, { item: ITEMS[25]!.id, share: 0.05 }];
      return Response.json({ items: [ITEMS[3]!, ITEMS[14]!, ITEMS[27]!].map((i, n) => ({ id: i.id, score: 1 - n / 10 + 0.25, bias: 1 - n / 10, shares })), model: { version: 4, sha256: 'a'.repeat(64) } });
    }) as typeof globalThis.fetch;
    const store = createMemoryStore();
    const feed = await assistedFeed({ api: createApi({ baseUrl: 'http://server', fetch }), store, catalogue, history, permissions, variety: 0, now: 9 });
    expect(bodies).toEqual([{ history: [{ item: ITEMS[12]!.id, value: 4 }, { item: ITEMS[25]!.id, value: 1 }], k: 100 }]);
    expect(await store.sent()).toEqual([{ id: 1, kind: 'assisted', time: 9, items: [ITEMS[12]!.id, ITEMS[25]!.id], values: [4, 1], k: 100 }]);
    expect(feed.kind === 'personal' && feed.source).toBe('server');
    if (feed.kind === 'personal') expect(feed.items.map((i) => i.item.id)).toEqual([ITEMS[14]!.id, ITEMS[27]!.id]);
  });
});
