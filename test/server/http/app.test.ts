// The HTTP API over a real loopback server: status codes, problem+json, the model's ETag and 304s.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../../server/server';
import { MemoryStore } from '../../../server/store/memory-store';
import { initialiseWith } from '../../../server/training/initial-model';
import { provenanceOf } from '../store/store.conformance';
import { capturedLogger, HostDouble, newDevice, sodium, tinyTable } from '../helpers';

/** Initialise a store with a tiny one-shard model; returns the served file's bytes. */
async function publishTiny(store: MemoryStore, items = 3, dim = 2): Promise<Uint8Array> {
  await initialiseWith(store, [tinyTable(items, dim)], 1);
  return (await store.latestModel())!.data;
}

/** Complete a round on shard 0 that stores `model` as the next version's file. */
async function commitTiny(store: MemoryStore, model: Uint8Array, over: Partial<ReturnType<typeof provenanceOf>> = {}): Promise<number> {
  const c = await store.currentCheckpoint(0);
  const r = await store.roundStarted({ shard: 0, lineage: 0, step: c.step, sessionId: `s${c.step}`, round: 1, cohortSize: 5, startedAt: 10 });
  const { version } = await store.commitRound({ roundId: r.id, endedAt: 20, survivors: 4, shard: 0, lineage: 0, fromStep: c.step, training: c.training, served: c.served, iterates: 1, account: { history: [], unbounded: true }, model, basis: [c.id], provenance: provenanceOf({ cause: 'round', shard: 0, round: r.id, ...over }), contributors: [] });
  return version.version;
}

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
    await publishTiny(store);
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
    let bytes: Uint8Array = new Uint8Array();
    const { url } = await start(async (s) => {
      bytes = await publishTiny(s, 4, 3);
    });
    const res = await fetch(`${url}/v1/model`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    expect(res.headers.get('x-model-version')).toBe('1');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it('answers 304 with no body when If-None-Match names the current tag, and 200 once a new version exists', async () => {
    let first: Uint8Array = new Uint8Array();
    const { store, url } = await start(async (s) => {
      first = await publishTiny(s);
    });
    const etag = (await fetch(`${url}/v1/model`)).headers.get('etag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await fetch(`${url}/v1/model`, { headers: { 'If-None-Match': header } });
      expect(res.status, header).toBe(304);
      expect(res.headers.get('etag')).toBe(etag);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
    expect((await fetch(`${url}/v1/model`, { headers: { 'If-None-Match': '"stale"' } })).status).toBe(200);
    await commitTiny(store, first.map((b, n) => (n === first.length - 1 ? b ^ 1 : b)));
    const fresh = await fetch(`${url}/v1/model`, { headers: { 'If-None-Match': etag } });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-model-version')).toBe('2');
    expect(fresh.headers.get('etag')).not.toBe(etag);
  });
});

describe('GET /v1/model/info', () => {
  it('describes the latest model from its header and stored provenance', async () => {
    let bytes: Uint8Array = new Uint8Array();
    const { store, url } = await start(async (s) => {
      bytes = await publishTiny(s, 6, 4);
    });
    await commitTiny(store, bytes, { cohortSize: 10, survivors: 9, epsilon: 1.5 });
    const res = await fetch(`${url}/v1/model/info`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ version: 2, sha256: createHash('sha256').update(bytes).digest('hex'), items: 6, dim: 4, shards: 1, bytes: bytes.length, provenance: provenanceOf({ cause: 'round', shard: 0, round: 1, cohortSize: 10, survivors: 9, epsilon: 1.5 }) });
  });

  it('a stored file that does not decode is a 500 problem with no internals, and is logged', async () => {
    // Stored after start: createServer itself refuses to start on an undecodable latest model.
    const { store, url, lines } = await start();
    await publishTiny(store);
    await commitTiny(store, new TextEncoder().encode('not a model'));
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
      await commitTiny(s, await publishTiny(s));
      await s.roundStarted({ shard: 0, lineage: 0, step: 1, sessionId: 'sess', round: 2, cohortSize: 6, startedAt: 30 });
    });
    const res = await fetch(`${url}/v1/rounds`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(device.deviceId);
    const body = JSON.parse(text) as { rounds: { round: number; status: string }[]; models: Record<string, unknown>[] };
    expect(body.rounds.map((r) => [r.round, r.status])).toEqual([[2, 'started'], [1, 'completed']]);
    expect(body.models).toHaveLength(2);
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
    const shard = await fetch(`${url}/v1/shards/0/model`, { method: 'PUT' });
    await expectProblem(shard, 405, 'route.method_not_allowed');
    expect(shard.headers.get('allow')).toBe('GET, HEAD');
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

  it('logs one line per request with method, route pattern and status: never the path, its ids, or the query string', async () => {
    const { store, url, lines } = await start();
    await publishTiny(store);
    await fetch(`${url}/v1/health?secret=1`);
    await fetch(`${url}/v1/shards/0/model?x=secret2`);
    await fetch(`${url}/v1/no/such/8675309`);
    const http = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'http');
    expect(http).toEqual([
      expect.objectContaining({ method: 'GET', route: '/v1/health', status: 200 }),
      expect.objectContaining({ method: 'GET', route: '/v1/shards/:shard/model', status: 200 }),
      expect.objectContaining({ method: 'GET', route: '(no route)', status: 404 }),
    ]);
    const text = lines.join('');
    for (const leak of ['secret', '8675309', '/v1/shards/0/']) expect(text).not.toContain(leak);
  });
});

describe('the web app', () => {
  it('serves the build at /, index.html for the app\'s own pages, long-lived assets, and never shadows /v1', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'confidant-app-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Confidant</title>');
    writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
    const store = new MemoryStore();
    const { logger } = capturedLogger();
    running = await createServer({ store, host: new HostDouble(), port: 0, logger, sodium, appDir: dir });
    const url = running.url;
    const root = await fetch(`${url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<title>Confidant</title>');
    expect(root.headers.get('content-security-policy')).toContain("default-src 'self'");
    const page = await fetch(`${url}/for-you`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Confidant</title>');
    const asset = await fetch(`${url}/assets/app-1234.js`);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    await expectProblem(await fetch(`${url}/assets/missing.js`), 404, 'route.not_found');
    await expectProblem(await fetch(`${url}/v1/nothing`), 404, 'route.not_found');
    expect((await fetch(`${url}/v1/health`)).status).toBe(200);
  });
});
