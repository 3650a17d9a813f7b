// The HTTP API over a real loopback server: status codes, problem+json, the model's ETag and 304s.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../../server/server';
import { MemoryStore } from '../../../server/store/memory-store';
import type { ModelProvenance } from '../../../server/store/store';
import { capturedLogger, HostDouble, newDevice, sodium, tinyModel } from '../helpers';

const provenance: ModelProvenance = { round: null, cohortSize: 0, survivors: 0, clipNorm: 1, valuesClipped: 0, bytesIn: 0, bytesOut: 0, durationMs: 0, epsilon: null };

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(setup: (store: MemoryStore) => Promise<unknown> = async () => {}) {
  const store = new MemoryStore();
  await setup(store);
  const { logger, lines } = capturedLogger();
  running = await createServer({ store, host: new HostDouble(), port: 0, logger, sodium });
  return { store, lines, url: running.url };
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `urn:confidant:problem:${code}`, status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

describe('GET /v1/health and /v1/ready', () => {
  it('health is ok at once; ready is 503 until a model exists, then 200', async () => {
    const { store, url } = await start();
    const health = await fetch(`${url}/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const notReady = await fetch(`${url}/v1/ready`);
    await expectProblem(notReady, 503, 'model.unavailable');
    expect(notReady.headers.get('retry-after')).toBe('30');
    await store.putModelVersion({ version: 1, createdAt: 1, data: tinyModel(), provenance });
    const ready = await fetch(`${url}/v1/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', modelVersion: 1 });
  });
});

describe('GET /v1/model', () => {
  it('is 503 problem+json before any model', async () => {
    const { url } = await start();
    await expectProblem(await fetch(`${url}/v1/model`), 503, 'model.unavailable');
  });

  it('serves the latest file as octet-stream with its SHA-256 as the ETag and its version', async () => {
    const bytes = tinyModel(4, 3);
    const { url } = await start((s) => s.putModelVersion({ version: 7, createdAt: 1, data: bytes, provenance }));
    const res = await fetch(`${url}/v1/model`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    expect(res.headers.get('x-model-version')).toBe('7');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it('answers 304 with no body when If-None-Match names the current tag, and 200 once a new version exists', async () => {
    const { store, url } = await start((s) => s.putModelVersion({ version: 1, createdAt: 1, data: tinyModel(), provenance }));
    const etag = (await fetch(`${url}/v1/model`)).headers.get('etag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await fetch(`${url}/v1/model`, { headers: { 'If-None-Match': header } });
      expect(res.status, header).toBe(304);
      expect(res.headers.get('etag')).toBe(etag);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
    expect((await fetch(`${url}/v1/model`, { headers: { 'If-None-Match': '"stale"' } })).status).toBe(200);
    await store.putModelVersion({ version: 2, createdAt: 2, data: tinyModel(5, 2), provenance });
    const fresh = await fetch(`${url}/v1/model`, { headers: { 'If-None-Match': etag } });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-model-version')).toBe('2');
    expect(fresh.headers.get('etag')).not.toBe(etag);
  });
});

describe('GET /v1/model/info', () => {
  it('describes the latest model from its header and stored provenance', async () => {
    const bytes = tinyModel(6, 4);
    const prov = { ...provenance, cohortSize: 10, survivors: 9, epsilon: 1.5 };
    const { url } = await start((s) => s.putModelVersion({ version: 3, createdAt: 1, data: bytes, provenance: prov }));
    const res = await fetch(`${url}/v1/model/info`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ version: 3, sha256: createHash('sha256').update(bytes).digest('hex'), items: 6, dim: 4, bytes: bytes.length, provenance: prov });
  });

  it('a stored file that does not decode is a 500 problem with no internals, and is logged', async () => {
    // Stored after start: createServer itself refuses to start on an undecodable latest model.
    const { store, url, lines } = await start();
    await store.putModelVersion({ version: 1, createdAt: 1, data: new TextEncoder().encode('not a model'), provenance });
    const body = await expectProblem(await fetch(`${url}/v1/model/info`), 500, 'server.error');
    expect(body.detail).toBe('internal error');
    expect(lines.some((l) => l.includes('http handler failed'))).toBe(true);
  });
});

describe('GET /v1/rounds', () => {
  it('lists rounds and model versions newest first, with counts and no device ids or model bytes', async () => {
    const device = newDevice();
    const { url } = await start(async (s) => {
      await s.registerDevice(device.deviceId, 1);
      const r = await s.roundStarted({ sessionId: 'sess', round: 1, cohortSize: 5, startedAt: 10 });
      await s.roundEnded(r.id, { status: 'completed', reason: null, survivors: 4, endedAt: 20 });
      await s.roundStarted({ sessionId: 'sess', round: 2, cohortSize: 6, startedAt: 30 });
      await s.putModelVersion({ version: 1, createdAt: 25, data: tinyModel(), provenance: { ...provenance, round: r.id } });
    });
    const res = await fetch(`${url}/v1/rounds`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(device.deviceId);
    const body = JSON.parse(text) as { rounds: { round: number; status: string }[]; models: Record<string, unknown>[] };
    expect(body.rounds.map((r) => [r.round, r.status])).toEqual([[2, 'started'], [1, 'completed']]);
    expect(body.models).toHaveLength(1);
    expect(body.models[0]).not.toHaveProperty('data');
    const one = (await (await fetch(`${url}/v1/rounds?limit=1`)).json()) as { rounds: unknown[] };
    expect(one.rounds).toHaveLength(1);
  });

  it.each(['0', '101', 'abc', '1.5', '-1'])('refuses limit=%s as a 400 problem', async (limit) => {
    const { url } = await start();
    await expectProblem(await fetch(`${url}/v1/rounds?limit=${limit}`), 400, 'query.invalid');
  });
});

describe('errors', () => {
  it.each(['/', '/v1', '/v1/nothing', '/v2/model', '/v1/model/info/extra'])('GET %s is a 404 problem', async (path) => {
    const { url } = await start();
    await expectProblem(await fetch(`${url}${path}`), 404, 'route.not_found');
  });

  it('a known path with the wrong method is a 405 problem with Allow', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/v1/model`, { method: 'DELETE' });
    await expectProblem(res, 405, 'route.method_not_allowed');
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('a JSON body over 16 kB is a 413 problem; a malformed one a 400 problem', async () => {
    const { url } = await start();
    const big = JSON.stringify({ pad: 'x'.repeat(17 * 1024) });
    await expectProblem(await fetch(`${url}/v1/health`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }), 413, 'message.too_large');
    await expectProblem(await fetch(`${url}/v1/health`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' }), 400, 'message.malformed');
  });

  it('an undecodable path is a client error, not a 500', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/v1/%E0%A4%A`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('logs one line per request with method, path and status, without the query string', async () => {
    const { url, lines } = await start();
    await fetch(`${url}/v1/health?secret=1`);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'http');
    expect(line).toMatchObject({ method: 'GET', path: '/v1/health', status: 200 });
    expect(lines.join('')).not.toContain('secret');
  });
});
