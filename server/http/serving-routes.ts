// The recommender's routes: the catalogue, similar items, popular items and server-assisted recommendations.
//
// POST /v1/recommendations needs no device identity (so it cannot be tied to a training device), and nothing of
// it is stored or logged: the history lives in this handler's locals and is gone when it returns.
import { Router, type Request } from 'express';
import type { z } from 'zod';
import {
  catalogueQuerySchema,
  catalogueResponseSchema,
  describeIssue,
  popularQuerySchema,
  popularResponseSchema,
  recommendationRequestSchema,
  recommendationResponseSchema,
  similarQuerySchema,
  similarResponseSchema,
} from '../../shared/protocol/http';
import { recommend } from '../../shared/recommend/recommend';
import { describeNeighbour, similarItems } from '../../shared/recommend/similar';
import { POPULARITY_BASIS, popularItems } from '../../shared/recommend/popular';
import type { CatalogueIndex } from '../serving/catalogue-index';
import type { ServedModel, ServedModelCache } from '../serving/served-model';
import { HttpProblem } from './problems';
import { sendJson } from './respond';

const RETRY_AFTER_S = 30;

/** Parse a query string with its schema, or a 400 naming the parameter. */
function query<T>(schema: z.ZodType<T>, req: Request): T {
  const parsed = schema.safeParse({ ...req.query });
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error);
    throw new HttpProblem('query.invalid', path ? `query parameter ${path}: ${message}` : message);
  }
  return parsed.data;
}

async function servedOrUnavailable(cache: ServedModelCache): Promise<ServedModel> {
  const served = await cache.current();
  if (!served) throw new HttpProblem('model.unavailable', 'no model has been published yet', { 'Retry-After': String(RETRY_AFTER_S) });
  return served;
}

/** A category filter's row test, refusing a category the catalogue does not have. */
function categoryRows(catalogue: CatalogueIndex, categories: readonly string[], field: string): (row: number) => boolean {
  categories.forEach((c, n) => {
    if (!catalogue.categories.includes(c)) throw new HttpProblem(field.startsWith('query') ? 'query.invalid' : 'message.invalid', `${field}${categories.length > 1 ? `.${n}` : ''}: the catalogue has no category "${c.slice(0, 64)}"`);
  });
  return (row) => categories.some((c) => catalogue.hasCategory(row, c));
}

/** GET /catalogue, GET /items/:id/similar, GET /popular, POST /recommendations (mounted under /v1). */
export function servingRoutes(o: { catalogue: CatalogueIndex; served: ServedModelCache }): Router {
  const { catalogue } = o;
  const router = Router();

  router.get('/catalogue', (req, res) => {
    const q = query(catalogueQuerySchema, req);
    if (q.category !== undefined) categoryRows(catalogue, [q.category], 'query parameter category');
    const { items, total } = catalogue.search(q);
    sendJson(res, catalogueResponseSchema, { items, total, offset: q.offset, limit: q.limit, categories: [...catalogue.categories] }, 'public, max-age=60');
  });

  router.get('/items/:id/similar', async (req, res) => {
    const raw = req.params.id ?? '';
    const row = /^[0-9]{1,16}$/.test(raw) ? catalogue.rowOf(Number(raw)) : undefined;
    if (row === undefined) throw new HttpProblem('item.not_found', `the catalogue has no item ${raw.slice(0, 24)}`);
    const { k } = query(similarQuerySchema, req);
    const served = await servedOrUnavailable(o.served);
    const of = catalogue.item(row);
    const similar = similarItems(served.tables, served.similarity, row, k).map((n) => {
      const item = catalogue.item(n.item);
      const sharedCategories = item.categories.filter((c) => of.categories.includes(c));
      return { item, reason: { similarity: n.similarity, share: n.share, sharedCategories, text: describeNeighbour({ of: of.title, item: item.title }, n, sharedCategories) } };
    });
    sendJson(res, similarResponseSchema, { item: of, similar, model: served.ref }, 'no-cache');
  });

  router.get('/popular', async (req, res) => {
    const q = query(popularQuerySchema, req);
    const keep = q.category !== undefined ? categoryRows(catalogue, [q.category], 'query parameter category') : () => true;
    const served = await servedOrUnavailable(o.served);
    const items = popularItems(served.biases, q.k, keep).map((p) => ({ item: catalogue.item(p.item), score: p.score }));
    sendJson(res, popularResponseSchema, { items, basis: `${POPULARITY_BASIS} (model version ${served.ref.version})`, model: served.ref }, 'no-cache');
  });

  router.post('/recommendations', async (req, res) => {
    if (!req.is('application/json')) throw new HttpProblem('message.malformed', 'send the request as application/json');
    const parsed = recommendationRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const { path, message } = describeIssue(parsed.error);
      throw new HttpProblem('message.invalid', path ? `${path}: ${message}` : message);
    }
    const { history, excludeCategories = [], k = 10 } = parsed.data;
    const rows = history.map((h, n) => {
      const row = catalogue.rowOf(h.item);
      if (row === undefined) throw new HttpProblem('message.invalid', `history.${n}.item: the catalogue has no item ${h.item}`);
      return row;
    });
    const excluded = excludeCategories.length > 0 ? categoryRows(catalogue, excludeCategories, 'excludeCategories') : undefined;
    const served = await servedOrUnavailable(o.served);
    // Shares in the history's order (sorting thousands of them per item is the caller's business, if it wants).
    const items = recommend(served.tables, { history: { items: rows, values: history.map((h) => h.value) }, k, sortShares: false, ...(excluded && { excluded }) }).map((r) => ({
      id: catalogue.idOf(r.item),
      score: r.score,
      bias: r.bias,
      shares: r.shares.map((s) => ({ item: catalogue.idOf(s.item), share: s.share })),
    }));
    // private: the answer is about one person's history, so no shared cache may keep it.
    sendJson(res, recommendationResponseSchema, { items, model: served.ref }, 'private, no-store');
  });

  return router;
}
