// The app's controller without a browser (the memory store keeps the same contract as IndexedDB): a server that is
// down leaves the device working from its last good model, saying so; a tampered download is refused and the last
// good model stays; what is switched off is not recorded.
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createApi } from '../../../client/core/api';
import { createController, type Controller } from '../../../client/app/controller';
import { createMemoryStore } from '../../../client/store/memory-store';
import type { Trainer } from '../../../client/app/trainer';
import { event, ITEMS, model, servedFile } from '../fixtures';

const v1 = servedFile([model(1)]);
const v2 = servedFile([model(2)]);
const hex = (b: Uint8Array) => bytesToHex(sha256(b));
const noTrainer: Trainer = { running: () => false, start: () => {}, stop: () => {} };
const CATEGORIES = ['Comedy', 'Drama', 'Sci-Fi'];

/** A server whose model is `body`, stated as version 2 with the hash of `stated`; `down` refuses everything. */
function server(o: { down?: boolean; body?: Uint8Array; stated?: Uint8Array }) {
  return (async (url: string) => {
    if (o.down) throw new TypeError('fetch failed');
    const path = new URL(url).pathname;
    if (path === '/v1/catalogue') return Response.json({ items: ITEMS, total: ITEMS.length, offset: 0, limit: 200, categories: CATEGORIES });
    if (path === '/v1/model/info') return Response.json({ version: 2, sha256: hex(o.stated ?? o.body!) });
    if (path === '/v1/model') return new Response(o.body!.slice(), { headers: { 'X-Model-Version': '2' } });
    return new Response('{}', { status: 404 });
  }) as typeof globalThis.fetch;
}

/** A controller over a store that already has version 1 and the catalogue; resolves once start-up's network part is done. */
async function start(fetch: typeof globalThis.fetch): Promise<Controller> {
  const store = createMemoryStore();
  await store.putModel({ version: 1, sha256: hex(v1), bytes: v1, savedAt: 0 });
  await store.putCatalogue({ items: ITEMS, categories: CATEGORIES });
  const c = await createController({ store, api: createApi({ baseUrl: 'http://server', fetch }), origin: 'http://server', trainer: noTrainer });
  await c.started;
  return c;
}

describe('the app controller', () => {
  it('a server that is down: the device works from its last model and says it is offline', async () => {
    const c = await start(server({ down: true }));
    expect(c.state.online).toBe(false);
    expect(c.state.model?.version).toBe(1);
    expect(c.state.catalogue?.items).toHaveLength(ITEMS.length);
  });

  it('a tampered download is refused, naming why, and version 1 stays in use and in the store', async () => {
    const tampered = v2.map((x, n) => (n === v2.length - 1 ? x ^ 0xff : x));
    const c = await start(server({ body: tampered, stated: v2 }));
    expect(c.state.modelRefused).toMatch(/does not match the SHA-256/);
    expect(c.state.model?.version).toBe(1);
    expect((await c.store.model())?.version).toBe(1);
  });

  it('a good new version replaces the old one and is kept', async () => {
    const c = await start(server({ body: v2 }));
    expect(c.state.model?.version).toBe(2);
    expect((await c.store.model())?.sha256).toBe(hex(v2));
  });

  it('an event of a switched-off category is not recorded; the change is in the consent log', async () => {
    const c = await start(server({ down: true }));
    await c.changePermission({ kind: 'category', category: 'Sci-Fi', on: false });
    expect(await c.record(event('rating', 0, 5, 5))).toBe(false); // Sci-Fi
    expect(await c.record(event('rating', 12, 6, 4))).toBe(true); // Comedy
    expect((await c.store.events()).map((e) => e.item)).toEqual([ITEMS[12]!.id]);
    expect(c.state.consentChanges).toBe(1);
  });
});

describe('the catalogue at start-up', () => {
  it('a kept copy that matches the server\'s first page and size costs one request; a changed one is read again', async () => {
    const { fetchCatalogue, indexCatalogue } = await import('../../../client/core/catalogue');
    const requests: string[] = [];
    const serve = (items: typeof ITEMS) =>
      (async (url: string) => {
        const u = new URL(url);
        requests.push(u.search);
        const offset = Number(u.searchParams.get('offset'));
        return Response.json({ items: items.slice(offset, offset + 200), total: items.length, offset, limit: 200, categories: CATEGORIES });
      }) as typeof globalThis.fetch;
    const kept = indexCatalogue(ITEMS, CATEGORIES);
    expect(await fetchCatalogue(createApi({ baseUrl: 'http://server', fetch: serve(ITEMS) }), kept)).toBe(kept);
    expect(requests).toHaveLength(1);
    const renamed = ITEMS.map((i, n) => (n === 3 ? { ...i, title: 'Renamed' } : i));
    const fresh = await fetchCatalogue(createApi({ baseUrl: 'http://server', fetch: serve(renamed) }), kept);
    expect(fresh.items[3]!.title).toBe('Renamed');
  });
});
