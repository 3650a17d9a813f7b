// Server-assisted recommendations (only when the person allows that use): the allowed history goes to
// POST /v1/recommendations, and the device logs exactly what the request carried before it is sent.
import { recommendationResponseSchema, MAX_HISTORY, MAX_K } from '../../shared/protocol/http';
import type { Recommendation } from '../../shared/recommend/recommend';
import type { DeviceStore } from '../store/store';
import type { Api } from './api';
import type { Catalogue } from './catalogue';
import { FEED_SIZE, VARIETY_POOL, withVariety, type Feed } from './feed';
import type { IdHistory } from './history';
import type { Permissions } from './permissions';

/** Ask the server for recommendations from the allowed history; logs the request in the sent log first. */
export async function assistedFeed(o: { api: Api; store: DeviceStore; catalogue: Catalogue; history: IdHistory; permissions: Permissions; variety: number; now: number; k?: number }): Promise<Feed> {
  const k = o.k ?? FEED_SIZE;
  const items = o.history.items.slice(-MAX_HISTORY);
  const values = o.history.values.slice(-MAX_HISTORY);
  const excludeCategories = o.permissions.excludedCategories.filter((c) => o.catalogue.categories.includes(c));
  const pool = Math.min(MAX_K, Math.max(k, VARIETY_POOL));
  await o.store.putSent({ kind: 'assisted', time: o.now, items, values, excludeCategories, k: pool });
  const body = JSON.stringify({ history: items.map((item, n) => ({ item, value: values[n]! })), excludeCategories, k: pool });
  const answer = await o.api.json('/v1/recommendations', recommendationResponseSchema, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const rowOf = (id: number) => o.catalogue.rowOf(id);
  const recommendations: Recommendation[] = answer.items
    .filter((r) => rowOf(r.id) !== undefined)
    .map((r) => ({ item: rowOf(r.id)!, score: r.score, bias: r.bias, shares: r.shares.filter((s) => rowOf(s.item) !== undefined).map((s) => ({ item: rowOf(s.item)!, share: s.share })) }));
  const rows = { items: [] as number[], values: [] as number[] };
  items.forEach((id, n) => {
    const row = rowOf(id);
    if (row !== undefined) {
      rows.items.push(row);
      rows.values.push(values[n]!);
    }
  });
  return { kind: 'personal', source: 'server', items: withVariety(recommendations, o.catalogue, rows, o.variety, k) };
}
