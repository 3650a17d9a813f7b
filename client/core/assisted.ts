// Server-assisted recommendations (only when the person allows that use): the allowed history goes to
// POST /v1/recommendations, and the device logs exactly what the request carried before it is sent. Categories the
// person keeps out are not named to the server (that would tell it what they keep out): the history sent has none of
// their items, and the answer's items in them are dropped here.
import { recommendationResponseSchema, MAX_HISTORY, MAX_K } from '../../shared/protocol/http';
import type { Recommendation } from '../../shared/recommend/recommend';
import type { DeviceStore } from '../store/store';
import type { Api } from './api';
import type { Catalogue } from './catalogue';
import { FEED_SIZE, VARIETY_POOL, withVariety, type Feed } from './feed';
import type { IdHistory } from './history';
import { categoriesAllowed, type Permissions } from './permissions';

/** Ask the server for recommendations from the allowed history; logs the request in the sent log first. */
export async function assistedFeed(o: { api: Api; store: DeviceStore; catalogue: Catalogue; history: IdHistory; permissions: Permissions; variety: number; now: number; k?: number }): Promise<Feed> {
  const k = o.k ?? FEED_SIZE;
  const items = o.history.items.slice(-MAX_HISTORY);
  const values = o.history.values.slice(-MAX_HISTORY);
  // The largest answer, so that enough is left after the kept-out categories are dropped on the device.
  const pool = MAX_K;
  await o.store.putSent({ kind: 'assisted', time: o.now, items, values, k: pool });
  const body = JSON.stringify({ history: items.map((item, n) => ({ item, value: values[n]! })), k: pool });
  const answer = await o.api.json('/v1/recommendations', recommendationResponseSchema, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const rowOf = (id: number) => o.catalogue.rowOf(id);
  const allowed = (id: number) => {
    const item = o.catalogue.byId(id);
    return item !== undefined && categoriesAllowed(o.permissions, item.categories);
  };
  const recommendations: Recommendation[] = answer.items
    .filter((r) => rowOf(r.id) !== undefined && allowed(r.id))
    .slice(0, Math.max(k, VARIETY_POOL))
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
