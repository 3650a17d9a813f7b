// Server-assisted recommendations leave nothing behind: after requests carrying item ids that cannot occur by
// chance (random 12-digit catalogue ids), neither the database, its WAL, nor the logs hold any of them.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../../server/catalogue/catalogue';
import { createServer } from '../../../server/server';
import { SqliteStore } from '../../../server/store/sqlite-store';
import { initialiseWith } from '../../../server/training/initial-model';
import { recommendationResponseSchema } from '../../../shared/protocol/http';
import { createRng } from '../../../shared/math/random';
import { capturedLogger, HostDouble, sodium } from '../helpers';

const dir = mkdtempSync(join(tmpdir(), 'confidant-rec-privacy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Every way an id could sit in a file: its decimal text, SQLite's record encoding of an integer below 2^47 (6 bytes,
 * big-endian), and 8-byte integer and float encodings.
 */
function encodings(id: number): Buffer[] {
  const sqlite = Buffer.alloc(6);
  sqlite.writeUIntBE(id, 0, 6);
  const out = [Buffer.from(String(id)), sqlite];
  for (const write of ['writeBigInt64LE', 'writeBigInt64BE'] as const) {
    const b = Buffer.alloc(8);
    b[write](BigInt(id));
    out.push(b);
  }
  for (const write of ['writeDoubleLE', 'writeDoubleBE'] as const) {
    const b = Buffer.alloc(8);
    b[write](id);
    out.push(b);
  }
  return out;
}

describe('POST /v1/recommendations stores and logs nothing of a request', () => {
  it('no id sent is found in the database, its WAL, or the logs', async () => {
    const rng = createRng(20261202);
    const items = 300;
    const ids = new Set<number>();
    while (ids.size < items) ids.add(100_000_000_000 + rng.int(899_999_999_999));
    const catalogueFile = join(dir, 'movies.csv');
    writeFileSync(catalogueFile, ['movieId,title,genres', ...[...ids].map((id, n) => `${id},Film ${n},${n % 2 ? 'Drama' : 'Comedy'}`)].join('\n') + '\n');
    const catalogue = await loadCatalogue(catalogueFile);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const store = SqliteStore.open(join(dataDir, 'confidant.sqlite'));
    await initialiseWith(store, [{ params: { kind: 'implicit', lambda: 2, alpha: 5, valueScale: 5 }, table: { items, dim: 8, vectors: Float32Array.from({ length: items * 8 }, () => rng.normal() * 0.3), biases: new Float32Array(items) } }], Date.now());
    const { logger, lines } = capturedLogger();
    const server = await createServer({ store, host: new HostDouble(), port: 0, logger, sodium, serving: { catalogue, facts: { samplingRate: 1, clipNorm: 1, graph: 'complete', minCohort: 3, serverLearningRate: 0.5, averaging: 0.9, privacy: { mode: 'off', noiseMultiplier: 1, delta: 1e-6, epsilonBudget: 8 } } } });
    const sent = new Set<number>();
    const all = [...ids];
    try {
      for (let r = 0; r < 20; r++) {
        const history = Array.from({ length: 10 }, () => all[rng.int(all.length)]!).map((item) => ({ item, value: 1 + rng.int(5) }));
        history.forEach((h) => sent.add(h.item));
        const res = await fetch(`${server.url}/v1/recommendations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history, k: 5 }) });
        expect(res.status).toBe(200);
        recommendationResponseSchema.parse(await res.json());
      }
      // A refused request is handled (and logged) on another path: it must not leak its ids either.
      const bad = [...sent][0]!;
      const refused = await fetch(`${server.url}/v1/recommendations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ history: [{ item: bad, value: -1 }] }) });
      expect(refused.status).toBe(400);
    } finally {
      await server.close();
      await store.close();
    }
    expect(sent.size).toBeGreaterThan(100);
    const files = readdirSync(dataDir).map((f) => ({ name: f, bytes: readFileSync(join(dataDir, f)) }));
    expect(files.map((f) => f.name)).toContain('confidant.sqlite');
    const logs = Buffer.from(lines.join('\n'));
    expect(lines.filter((l) => l.includes('"msg":"http"'))).toHaveLength(21);
    const found = (id: number, bytes: Buffer) => encodings(id).some((needle) => bytes.includes(needle));
    for (const id of sent) {
      for (const f of files) expect(found(id, f.bytes), `${id} in ${f.name}`).toBe(false);
      expect(found(id, logs), `${id} in the logs`).toBe(false);
    }

    // The search has teeth: an id the database does hold (planted in a scratch table) is found in its files.
    const planted = [...sent][1]!;
    const raw = new Database(join(dataDir, 'confidant.sqlite'));
    raw.exec('CREATE TABLE scratch (x INTEGER) STRICT');
    raw.prepare('INSERT INTO scratch VALUES (?)').run(planted);
    const afterPlant = readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f)));
    raw.close();
    expect(afterPlant.some((bytes) => found(planted, bytes))).toBe(true);
  });
});
