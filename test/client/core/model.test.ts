// The served model download: a body whose SHA-256 is not the one stated for its version is refused, and a device
// that has it already downloads nothing. A fake fetch plays the server, so the tampering is exact.
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createApi, OfflineError } from '../../../client/core/api';
import { fetchLatestModel, loadModel, ModelRefusedError } from '../../../client/core/model';
import { model, servedFile } from '../fixtures';

const good = servedFile([model(1), model(2)]);
const goodSha = bytesToHex(sha256(good));

/** A server whose /v1/model sends `body` (and states `version` for it). */
function server(body: Uint8Array, opts: { version?: number; statedSha?: string } = {}) {
  const calls: string[] = [];
  const fetch = (async (url: string) => {
    calls.push(url);
    if (url.endsWith('/v1/model/info')) return Response.json({ version: 3, sha256: opts.statedSha ?? goodSha, items: 40, dim: 6, shards: 2 });
    if (url.endsWith('/v1/model')) return new Response(body.slice(), { headers: { 'X-Model-Version': String(opts.version ?? 3), ETag: `"${goodSha}"` } });
    return new Response('{}', { status: 404 });
  }) as typeof globalThis.fetch;
  return { api: createApi({ baseUrl: 'http://server', fetch }), calls };
}

describe('fetchLatestModel', () => {
  it('accepts the stated model and loads it with both shards', async () => {
    const stored = await fetchLatestModel(server(good).api, undefined, () => 5);
    expect(stored).toMatchObject({ version: 3, sha256: goodSha, savedAt: 5 });
    const loaded = loadModel(stored!);
    expect(loaded.tables.shards).toHaveLength(2);
    expect(loaded.biases).toHaveLength(40);
  });

  it('downloads nothing when the device has that version', async () => {
    const s = server(good);
    expect(await fetchLatestModel(s.api, { sha256: goodSha })).toBeUndefined();
    expect(s.calls.map((u) => u.replace('http://server', ''))).toEqual(['/v1/model/info']);
  });

  it.each([
    ['one flipped bit', (b: Uint8Array) => b.map((x, n) => (n === b.length - 3 ? x ^ 1 : x))],
    ['a truncated body', (b: Uint8Array) => b.subarray(0, b.length - 100)],
    ['an empty body', () => new Uint8Array(0)],
  ])('refuses %s', async (_name, tamper) => {
    const err = await fetchLatestModel(server(tamper(good)).api, undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelRefusedError);
    expect((err as Error).message).toMatch(/does not match the SHA-256 the server states for version 3/);
  });

  it('a stored file that does not decode is refused when loaded', () => {
    expect(() => loadModel({ version: 1, sha256: 'x', bytes: Uint8Array.of(1, 2, 3), savedAt: 0 })).toThrow(ModelRefusedError);
  });

  it('a server that cannot be reached is an OfflineError', async () => {
    const api = createApi({ baseUrl: 'http://server', fetch: (async () => { throw new TypeError('fetch failed'); }) as typeof globalThis.fetch });
    await expect(fetchLatestModel(api, undefined)).rejects.toBeInstanceOf(OfflineError);
  });
});

describe('the API client waits out a rate limit as the server says', () => {
  it('retries a 429 after its Retry-After, then returns the answer', async () => {
    const waits: number[] = [];
    let n = 0;
    const fetch = (async () => (n++ === 0 ? new Response('{}', { status: 429, headers: { 'Retry-After': '2' } }) : Response.json({ version: 1, sha256: goodSha }))) as unknown as typeof globalThis.fetch;
    const api = createApi({ baseUrl: '', fetch, wait: async (ms) => void waits.push(ms) });
    const response = await api.request('/v1/model/info');
    expect(response.status).toBe(200);
    expect(waits).toEqual([2000]);
  });
});
