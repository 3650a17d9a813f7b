// The SQLite Store: the conformance suite, plus what only a database file can show (durability settings, reopening).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../server/store/migrations';
import { SqliteStore } from '../../../server/store/sqlite-store';
import { deviceIdOf, runStoreConformance } from './store.conformance';

const dir = mkdtempSync(join(tmpdir(), 'confidant-store-'));
let counter = 0;
const freshPath = () => join(dir, `db-${counter++}.sqlite`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreConformance('sqlite', () => SqliteStore.open(freshPath()));

describe('SqliteStore on disk', () => {
  it('runs in WAL mode with synchronous=FULL, secure_delete and foreign keys on', async () => {
    const store = SqliteStore.open(freshPath());
    try {
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(store.db.pragma('secure_delete', { simple: true })).toBe(1);
      expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      await store.close();
    }
  });

  it('keeps every write across close and reopen, and passes integrity_check', async () => {
    const path = freshPath();
    const first = SqliteStore.open(path);
    await first.registerDevice(deviceIdOf(1), 10);
    await first.setConsent(deviceIdOf(1), true);
    const round = await first.roundStarted({ sessionId: 's', round: 1, cohortSize: 2, startedAt: 20 });
    await first.roundEnded(round.id, { status: 'completed', reason: null, survivors: 2, endedAt: 30 });
    const model = Uint8Array.from({ length: 4096 }, (_, n) => n % 251);
    const info = await first.putModelVersion({
      version: 1,
      createdAt: 40,
      data: model,
      provenance: { round: round.id, cohortSize: 2, survivors: 2, clipNorm: 1, valuesClipped: 0, bytesIn: 10, bytesOut: 20, durationMs: 5, epsilon: null },
    });
    const identity = await first.serverIdentity(() => ({ publicKey: new Uint8Array(32).fill(3), privateKey: new Uint8Array(64).fill(4) }), 50);
    await first.close();

    const second = SqliteStore.open(path);
    try {
      expect(await second.getDevice(deviceIdOf(1))).toMatchObject({ consentTraining: true, registeredAt: 10 });
      expect((await second.listRounds(10))[0]).toMatchObject({ status: 'completed', survivors: 2 });
      const latest = await second.latestModel();
      expect(latest).toEqual({ ...info, data: model });
      expect(await second.serverIdentity(() => { throw new Error('must not generate again'); }, 60)).toEqual(identity);
      expect(second.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(second.db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('migrating twice is a no-op, and a database from a newer server is refused', async () => {
    const path = freshPath();
    await SqliteStore.open(path).close();
    await SqliteStore.open(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => SqliteStore.open(path)).toThrow(expect.objectContaining({ code: 'store.schema_too_new' }));
  });
});
