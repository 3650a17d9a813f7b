// The recommender's routes over a real loopback server: every answer checked against its shared schema and
// against an independent plain-loop computation of the model (ridge re-solve, cosine), and every bad input
// refused as problem+json naming what was wrong.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../../server/server';
import { MemoryStore } from '../../../server/store/memory-store';
import { initialiseWith } from '../../../server/training/initial-model';
import type { DeploymentFacts } from '../../../server/http/transparency-routes';
import type { ItemMeta } from '../../../shared/data/interactions';
import type { MfModel } from '../../../models/mf/model';
import { createRng } from '../../../shared/math/random';
import {
  catalogueResponseSchema,
  keysResponseSchema,
  popularResponseSchema,
  recommendationResponseSchema,
  similarResponseSchema,
  transparencyResponseSchema,
} from '../../../shared/protocol/http';
import { fromBase64Url } from '../../../shared/protocol/encoding';
import { capturedLogger, HostDouble, sodium } from '../helpers';

const CATEGORIES = ['Drama', 'Comedy', 'Sci-Fi', 'Horror'];
/** Catalogue ids that are not row numbers, so a route that confused the two would show it. */
const idOf = (row: number) => 1000 + 7 * row;
const catalogue = (items: number): ItemMeta[] =>
  Array.from({ length: items }, (_, row) => ({ externalId: String(idOf(row)), title: row % 5 === 0 ? `Star Voyage ${row}` : `Movie ${row}`, categories: [CATEGORIES[row % 4]!, ...(row % 3 === 0 ? [CATEGORIES[(row + 1) % 4]!] : [])] }));
const FACTS: DeploymentFacts = { samplingRate: 0.5, clipNorm: 10, graph: 'complete', minCohort: 3, safety: { corruptFraction: 0.15, expectedDropout: 0.2 }, serverLearningRate: 0.5, averaging: 0.9, privacy: { mode: 'off', noiseMultiplier: 1, delta: 1e-6, epsilonBudget: 8 } };
const PARAMS = { kind: 'implicit' as const, lambda: 2, alpha: 5, valueScale: 5 };

/** A random model with nonzero biases: every score has a bias part and history parts. */
function randomModel(items: number, dim: number, seed: number): MfModel {
  const rng = createRng(seed);
  return { params: PARAMS, table: { items, dim, vectors: Float32Array.from({ length: items * dim }, () => rng.normal() * 0.5), biases: Float32Array.from({ length: items }, () => rng.normal() * 0.2) } };
}

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(o: { items?: number; shards?: number; rateLimit?: { limit: number; windowMs: number }; trustProxy?: false | number } = {}) {
  const items = o.items ?? 60;
  const store = new MemoryStore();
  const models = Array.from({ length: o.shards ?? 1 }, (_, s) => randomModel(items, 4, 10 + s));
  await initialiseWith(store, models, 1);
  const { logger, lines } = capturedLogger();
  running = await createServer({ store, host: new HostDouble(), port: 0, logger, sodium, serving: { catalogue: catalogue(items), facts: FACTS }, ...(o.rateLimit && { rateLimit: o.rateLimit }), ...(o.trustProxy !== undefined && { trustProxy: o.trustProxy }) });
  return { url: running.url, store, models, lines };
}

async function expectProblem(res: Response, status: number, code: string, detail?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as { code: string; detail: string };
  expect(body).toMatchObject({ status, code });
  if (detail) expect(body.detail).toMatch(detail);
  return body;
}

const post = (url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) => fetch(`${url}/v1/recommendations`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

// ---- an independent reference: dense ridge re-solve with plain loops (Gauss–Jordan), no project code ----

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** Score of every item for a history in one shard: b_i + v_iᵀ (VᵀV + Σ(c−1)v_j v_jᵀ + λI)⁻¹ Σ c v_j. */
function referenceScores(model: MfModel, history: { row: number; value: number }[]): number[] {
  const { items, dim, vectors, biases } = model.table;
  const v = (i: number) => Array.from({ length: dim }, (_, a) => vectors[i * dim + a]!);
  const A = Array.from({ length: dim }, (_, p) => Array.from({ length: dim }, (_, q) => (p === q ? model.params.lambda : 0)));
  for (let i = 0; i < items; i++) for (let p = 0; p < dim; p++) for (let q = 0; q < dim; q++) A[p]![q]! += v(i)[p]! * v(i)[q]!;
  const rhs = new Array<number>(dim).fill(0);
  for (const h of history) {
    const c = 1 + (PARAMS.alpha * h.value) / PARAMS.valueScale;
    const x = v(h.row);
    for (let p = 0; p < dim; p++) {
      rhs[p]! += c * x[p]!;
      for (let q = 0; q < dim; q++) A[p]![q]! += (c - 1) * x[p]! * x[q]!;
    }
  }
  const u = solve(A, rhs);
  return Array.from({ length: items }, (_, i) => biases[i]! + v(i).reduce((s, x, a) => s + x * u[a]!, 0));
}

describe('GET /v1/catalogue', () => {
  it('pages through the catalogue with its ids, searches titles, filters by category, and lists the categories', async () => {
    const { url } = await start();
    const page = catalogueResponseSchema.parse(await (await fetch(`${url}/v1/catalogue?offset=5&limit=3`)).json());
    expect(page).toEqual({ items: [5, 6, 7].map((r) => catalogue(60)[r]).map((m) => ({ id: Number(m!.externalId), title: m!.title, categories: m!.categories })), total: 60, offset: 5, limit: 3, categories: [...CATEGORIES].sort() });
    const search = catalogueResponseSchema.parse(await (await fetch(`${url}/v1/catalogue?q=star%20VOYAGE&limit=200`)).json());
    expect(search.total).toBe(12);
    expect(search.items.every((i) => i.title.startsWith('Star Voyage'))).toBe(true);
    const scifi = catalogueResponseSchema.parse(await (await fetch(`${url}/v1/catalogue?category=Sci-Fi&limit=200`)).json());
    expect(scifi.total).toBe(catalogue(60).filter((m) => m.categories.includes('Sci-Fi')).length);
    expect(scifi.items.every((i) => i.categories.includes('Sci-Fi'))).toBe(true);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=1.5', 'offset'],
    ['category=Western', 'category'],
    ['colour=red', 'colour'],
    ['q=a&q=b', 'q'],
  ])('refuses ?%s naming the parameter', async (qs, name) => {
    const { url } = await start();
    await expectProblem(await fetch(`${url}/v1/catalogue?${qs}`), 400, 'query.invalid', new RegExp(name));
  });
});

describe('GET /v1/items/:id/similar', () => {
  it('ranks neighbours by the cosine of their vectors, each with its exact one-item share and its reason', async () => {
    const { url, models } = await start();
    const row = 7;
    const body = similarResponseSchema.parse(await (await fetch(`${url}/v1/items/${idOf(row)}/similar?k=5`)).json());
    expect(body.item.id).toBe(idOf(row));
    expect(body.similar).toHaveLength(5);
    const { vectors, dim, items } = models[0]!.table;
    const cos = (a: number, b: number) => {
      let d = 0, na = 0, nb = 0;
      for (let k = 0; k < dim; k++) {
        d += vectors[a * dim + k]! * vectors[b * dim + k]!;
        na += vectors[a * dim + k]! ** 2;
        nb += vectors[b * dim + k]! ** 2;
      }
      return d / Math.sqrt(na * nb);
    };
    const expected = Array.from({ length: items }, (_, i) => i).filter((i) => i !== row).sort((a, b) => cos(row, b) - cos(row, a)).slice(0, 5);
    expect(body.similar.map((s) => s.item.id)).toEqual(expected.map(idOf));
    const alone = referenceScores(models[0]!, [{ row, value: PARAMS.valueScale }]);
    for (const [n, s] of body.similar.entries()) {
      expect(s.reason.similarity).toBeCloseTo(cos(row, expected[n]!), 10);
      // The share of a one-item history is that history's whole part of the score: score − bias.
      expect(s.reason.share).toBeCloseTo(alone[expected[n]!]! - models[0]!.table.biases[expected[n]!]!, 9);
      expect(s.reason.sharedCategories).toEqual(s.item.categories.filter((c) => body.item.categories.includes(c)));
      expect(s.reason.text).toContain(body.item.title);
      expect(s.reason.text).toContain(s.item.title);
    }
  });

  it.each([
    ['/v1/items/999999/similar', 404, 'item.not_found'],
    ['/v1/items/abc/similar', 404, 'item.not_found'],
    ['/v1/items/1001/similar', 404, 'item.not_found'],
    ['/v1/items/1000/similar?k=0', 400, 'query.invalid'],
    ['/v1/items/1000/similar?k=101', 400, 'query.invalid'],
  ])('%s is %i %s', async (path, status, code) => {
    const { url } = await start();
    await expectProblem(await fetch(`${url}${path}`), status, code);
  });
});

describe('GET /v1/popular', () => {
  it('ranks by the served item biases (nothing else), says so, and filters by category', async () => {
    const { url, models } = await start();
    const body = popularResponseSchema.parse(await (await fetch(`${url}/v1/popular?k=4`)).json());
    const biases = models[0]!.table.biases;
    const order = Array.from(biases.keys()).sort((a, b) => biases[b]! - biases[a]!);
    expect(body.items.map((i) => i.item.id)).toEqual(order.slice(0, 4).map(idOf));
    expect(body.items.map((i) => i.score)).toEqual(order.slice(0, 4).map((r) => biases[r]!));
    expect(body.basis).toMatch(/item biases of the aggregated model/);
    expect(body.basis).toMatch(/never from individual uploads or requests/);
    const horror = popularResponseSchema.parse(await (await fetch(`${url}/v1/popular?k=3&category=Horror`)).json());
    expect(horror.items.map((i) => i.item.id)).toEqual(order.filter((r) => catalogue(60)[r]!.categories.includes('Horror')).slice(0, 3).map(idOf));
    await expectProblem(await fetch(`${url}/v1/popular?category=Western`), 400, 'query.invalid', /category/);
  });
});

describe('POST /v1/recommendations', () => {
  const history = [
    { item: idOf(3), value: 5 },
    { item: idOf(11), value: 4 },
    { item: idOf(20), value: 1 },
    { item: idOf(3), value: 2 },
  ];

  it.each([1, 3])('with %i shard(s): scores are the mean of the shards\' re-solved scores, and bias + Σ shares = score on unrounded values', async (shards) => {
    const { url, models } = await start({ shards });
    const res = await post(url, { history, k: 8 });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const body = recommendationResponseSchema.parse(await res.json());
    expect(body.items).toHaveLength(8);
    const rows = history.map((h) => ({ row: (h.item - 1000) / 7, value: h.value }));
    const perShard = models.map((m) => referenceScores(m, rows));
    const mean = (i: number) => perShard.reduce((a, s) => a + s[i]!, 0) / shards;
    const seen = new Set(rows.map((r) => r.row));
    const ranked = Array.from({ length: 60 }, (_, i) => i).filter((i) => !seen.has(i)).sort((a, b) => mean(b) - mean(a));
    expect(body.items.map((i) => i.id)).toEqual(ranked.slice(0, 8).map(idOf));
    for (const item of body.items) {
      const row = (item.id - 1000) / 7;
      expect(item.score).toBeCloseTo(mean(row), 9);
      expect(item.bias).toBeCloseTo(models.reduce((a, m) => a + m.table.biases[row]!, 0) / shards, 12);
      const sum = item.bias + item.shares.reduce((a, s) => a + s.share, 0);
      expect(Math.abs(sum - item.score)).toBeLessThan(1e-12 * Math.max(1, Math.abs(item.score)));
      // One share per distinct history item (the repeated item's two entries are merged).
      expect(item.shares.map((s) => s.item).sort()).toEqual([idOf(3), idOf(11), idOf(20)]);
    }
  });

  it('keeps excluded categories out of both the history used and the candidates', async () => {
    const { url, models } = await start();
    // idOf(3) and idOf(11) are Horror; idOf(20) is Drama.
    const body = recommendationResponseSchema.parse(await (await post(url, { history, excludeCategories: ['Horror'], k: 10 })).json());
    const horror = (id: number) => catalogue(60)[(id - 1000) / 7]!.categories.includes('Horror');
    expect(body.items.some((i) => horror(i.id))).toBe(false);
    for (const i of body.items) expect(i.shares.map((s) => s.item)).toEqual([idOf(20)]);
    const kept = referenceScores(models[0]!, [{ row: 20, value: 1 }]);
    for (const i of body.items) expect(i.score).toBeCloseTo(kept[(i.id - 1000) / 7]!, 9);
  });

  it.each([
    ['an unknown item', { history: [{ item: idOf(1), value: 1 }, { item: 5, value: 1 }] }, 400, 'message.invalid', /history\.1\.item/],
    ['a negative value', { history: [{ item: idOf(1), value: -1 }] }, 400, 'message.invalid', /history\.0\.value/],
    ['a string value', { history: [{ item: idOf(1), value: '5' }] }, 400, 'message.invalid', /history\.0\.value/],
    ['a fractional id', { history: [{ item: 1000.5, value: 1 }] }, 400, 'message.invalid', /history\.0\.item/],
    ['2,001 history entries', { history: Array.from({ length: 2001 }, () => ({ item: idOf(1), value: 1 })) }, 400, 'message.invalid', /history/],
    ['k = 0', { history: [], k: 0 }, 400, 'message.invalid', /k/],
    ['k = 101', { history: [], k: 101 }, 400, 'message.invalid', /k/],
    ['an unknown category', { history: [], excludeCategories: ['Western'] }, 400, 'message.invalid', /excludeCategories/],
    ['an unknown field', { history: [], device: 'abc' }, 400, 'message.invalid', /device/],
    ['a prototype key', JSON.parse('{"history":[],"__proto__":{"polluted":true}}'), 400, 'message.invalid', /__proto__/],
    ['no history at all', {}, 400, 'message.invalid', /history/],
  ])('refuses %s', async (_name, body, status, code, detail) => {
    const { url } = await start();
    await expectProblem(await post(url, body), status, code, detail);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a body that is not JSON, not an object, or over the size limit', async () => {
    const { url } = await start();
    await expectProblem(await post(url, '{"history":', { 'content-type': 'application/json' }), 400, 'message.malformed');
    await expectProblem(await post(url, 'history=1', { 'content-type': 'text/plain' }), 400, 'message.malformed', /application\/json/);
    await expectProblem(await post(url, '[1,2]'), 400, 'message.invalid');
    const huge = JSON.stringify({ history: Array.from({ length: 2000 }, () => ({ item: idOf(1), value: 1 })), pad: 'x'.repeat(200_000) });
    await expectProblem(await post(url, huge), 413, 'message.too_large');
  });

  it('an empty history is answered with the highest biases (nothing personal to explain)', async () => {
    const { url, models } = await start();
    const body = recommendationResponseSchema.parse(await (await post(url, { history: [], k: 3 })).json());
    const biases = models[0]!.table.biases;
    expect(body.items.map((i) => i.id)).toEqual(Array.from(biases.keys()).sort((a, b) => biases[b]! - biases[a]!).slice(0, 3).map(idOf));
    for (const i of body.items) expect(i.shares).toEqual([]);
  });
});

describe('GET /v1/keys and /v1/transparency', () => {
  it('publish the server key with its fingerprint, and a model card that states versions, rounds and ε per shard', async () => {
    const { url } = await start({ shards: 2 });
    const keys = keysResponseSchema.parse(await (await fetch(`${url}/v1/keys`)).json());
    const key = keys.keys[0]!;
    expect(key.fingerprint).toBe(createHash('sha256').update(fromBase64Url(key.publicKey)).digest('hex'));
    expect(key.id).toBe(key.fingerprint.slice(0, 16));
    expect(fromBase64Url(key.publicKey)).toEqual(running!.serverKey);
    const card = transparencyResponseSchema.parse(await (await fetch(`${url}/v1/transparency`)).json());
    expect(card.receiptKey).toEqual(key);
    expect(card.model).toMatchObject({ version: 1, items: 60, dim: 4, shards: 2 });
    expect(card.versions).toEqual([expect.objectContaining({ version: 1, cause: 'initial', round: null, cohortSize: 0 })]);
    expect(card.privacy).toMatchObject({ mode: 'off', shards: [{ shard: 0, epsilon: 0, rounds: 0 }, { shard: 1, epsilon: 0, rounds: 0 }] });
    expect(card.model.howScoresWork).toMatch(/bias plus one share per item in your history/);
    // The adversary the secure aggregation is sized for, in numbers and in words.
    expect(card.training).toMatchObject({ corruptFraction: 0.15, expectedDropout: 0.2 });
    expect(card.training.description).toMatch(/even if the server controlled 15% of a round's devices/);
  });
});

describe('limits and metrics', () => {
  it('limits anonymous routes per client address with a 429 problem and Retry-After, never the probes, and counts it', async () => {
    const { url } = await start({ rateLimit: { limit: 3, windowMs: 60_000 } });
    for (let n = 0; n < 3; n++) expect((await fetch(`${url}/v1/catalogue`)).status).toBe(200);
    const limited = await fetch(`${url}/v1/popular`);
    await expectProblem(limited, 429, 'rate.limited', /more than 3 requests in 60 s/);
    expect(limited.headers.get('retry-after')).toBe('60');
    for (let n = 0; n < 5; n++) expect((await fetch(`${url}/v1/health`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/v1/metrics`)).text();
    expect(metrics).toMatch(/^confidant_http_rate_limited_total 1$/m);
  });

  it('behind a trusted proxy, each forwarded client address has its own budget; without trust, the proxy\'s address counts', async () => {
    const trusting = await start({ rateLimit: { limit: 1, windowMs: 60_000 }, trustProxy: 1 });
    const as = (ip: string) => fetch(`${trusting.url}/v1/keys`, { headers: { 'X-Forwarded-For': ip } });
    expect((await as('203.0.113.1')).status).toBe(200);
    expect((await as('203.0.113.2')).status).toBe(200);
    expect((await as('203.0.113.1')).status).toBe(429);
    await running!.close();
    const plain = await start({ rateLimit: { limit: 1, windowMs: 60_000 } });
    const as2 = (ip: string) => fetch(`${plain.url}/v1/keys`, { headers: { 'X-Forwarded-For': ip } });
    expect((await as2('203.0.113.1')).status).toBe(200);
    expect((await as2('203.0.113.2')).status).toBe(429);
  });

  it('exposes Prometheus text with refusals by code and latency by route pattern', async () => {
    const { url } = await start();
    await fetch(`${url}/v1/catalogue?limit=0`);
    await fetch(`${url}/v1/items/1000/similar`);
    const res = await fetch(`${url}/v1/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^confidant_refusals_total\{code="query.invalid",transport="http"\} 1$/m);
    expect(text).toMatch(/^confidant_http_request_duration_seconds_count\{method="GET",route="\/v1\/items\/:id\/similar",status="200"\} 1$/m);
    expect(text).toMatch(/^# TYPE confidant_rounds_total counter$/m);
    expect(text).not.toMatch(/1000\/similar/);
  });
});
