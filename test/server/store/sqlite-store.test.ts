// The SQLite Store: the conformance suite, plus what only a database file can show (durability settings, reopening).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../server/store/migrations';
import { SqliteStore } from '../../../server/store/sqlite-store';
import { deviceIdOf, initOf, provenanceOf, runStoreConformance } from './store.conformance';
import { runForgettingConformance } from './forgetting.conformance';
import { runEnrollmentConformance } from './enrollment.conformance';

const dir = mkdtempSync(join(tmpdir(), 'confidant-store-'));
let counter = 0;
/** A fresh database file in a directory of its own (its device key store sits beside it). */
const freshPath = () => {
  const d = join(dir, `db-${counter++}`);
  mkdirSync(d);
  return join(d, 'confidant.sqlite');
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreConformance('sqlite', () => SqliteStore.open(freshPath()));
runForgettingConformance('sqlite', () => SqliteStore.open(freshPath()));
runEnrollmentConformance('sqlite', () => SqliteStore.open(freshPath()));

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
    const init = await first.initialise(initOf(1));
    const round = await first.roundStarted({ shard: 0, lineage: 0, step: 0, sessionId: 's', round: 1, cohortSize: 2, startedAt: 20 });
    const model = Uint8Array.from({ length: 4096 }, (_, n) => n % 251);
    const { version } = await first.commitRound({
      roundId: round.id,
      endedAt: 30,
      survivors: 2,
      shard: 0,
      lineage: 0,
      fromStep: 0,
      training: model.subarray(0, 100),
      served: model.subarray(100, 200),
      iterates: 1,
      account: { history: [], unbounded: true },
      model,
      basis: [1],
      provenance: provenanceOf({ cause: 'round', shard: 0, round: round.id, cohortSize: 2, survivors: 2 }),
      contributors: [deviceIdOf(1)],
    });
    const identity = await first.serverIdentity(() => ({ publicKey: new Uint8Array(32).fill(3), privateKey: new Uint8Array(64).fill(4) }), 50);
    await first.close();

    const second = SqliteStore.open(path);
    try {
      expect(await second.getDevice(deviceIdOf(1))).toMatchObject({ consentTraining: true, registeredAt: 10 });
      expect((await second.listRounds(10))[0]).toMatchObject({ status: 'completed', survivors: 2 });
      expect(await second.latestModel()).toEqual({ ...version, data: model });
      expect((await second.getModel(init.version.version))?.version).toBe(1);
      expect(await second.currentCheckpoint(0)).toMatchObject({ step: 1, training: model.subarray(0, 100), served: model.subarray(100, 200) });
      expect((await second.listShards())[0]!.account).toEqual({ history: [], unbounded: true });
      expect(await second.serverIdentity(() => { throw new Error('must not generate again'); }, 60)).toEqual(identity);
      expect(second.integrityCheck()).toBe('ok');
      expect(second.db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('keeps the single-table versions of schema 1, and numbers new versions after them', async () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.exec(MIGRATIONS[0]!.sql);
    raw.prepare("INSERT INTO model_versions (version, created_at, sha256, size_bytes, model, round_id, provenance) VALUES (7, 1, ?, 4, x'01020304', NULL, '{}')").run('a'.repeat(64));
    raw.pragma('user_version = 1');
    raw.close();
    const store = SqliteStore.open(path);
    try {
      expect(await store.latestModel()).toBeUndefined();
      expect((await store.initialise(initOf(1))).version.version).toBe(8);
      expect(store.db.prepare('SELECT version FROM legacy_model_versions').all()).toEqual([{ version: 7 }]);
    } finally {
      await store.close();
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

describe('devices at rest', () => {
  it('never stores a device key: rows hold a keyed hash and a sealed blob, and the key store file is separate', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const id = deviceIdOf(42);
    await store.registerDevice(id, 7);
    await store.setConsent(id, true);
    expect(await store.getDevice(id)).toEqual({ deviceId: id, registeredAt: 7, lastSeen: 7, consentTraining: true, deleting: false });
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    await store.close();
    const { readFileSync, readdirSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    const key = Buffer.from(id, 'base64url');
    for (const f of readdirSync(dirname(path))) {
      const text = readFileSync(join(dirname(path), f));
      for (const needle of [Buffer.from(id), key, Buffer.from(key.toString('hex')), Buffer.from(key.toString('base64'))]) expect(text.includes(needle), `${f}`).toBe(false);
    }
    // Without its key store the database cannot say whose rows it holds.
    const reopened = SqliteStore.open(path, { keysPath: join(dir, 'other.keys.sqlite') });
    try {
      expect(await reopened.getDevice(id)).toBeUndefined();
      expect(await reopened.listDevices()).toEqual([]);
    } finally {
      await reopened.close();
    }
  });

  it('seals schema-2 devices (keys in the clear) when it opens, erasing the old rows', async () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.exec(MIGRATIONS[0]!.sql);
    raw.exec(MIGRATIONS[1]!.sql);
    raw.prepare('INSERT INTO devices (device_id, registered_at, last_seen, consent_training) VALUES (?, 5, 6, 1)').run(deviceIdOf(7));
    raw.pragma('user_version = 2');
    raw.close();
    const store = SqliteStore.open(path);
    try {
      expect(await store.getDevice(deviceIdOf(7))).toEqual({ deviceId: deviceIdOf(7), registeredAt: 5, lastSeen: 6, consentTraining: true, deleting: false });
      expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'legacy_devices'").get()).toBeUndefined();
    } finally {
      await store.close();
    }
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path).includes(Buffer.from(deviceIdOf(7)))).toBe(false);
  });
});

describe('enrollment tokens on disk', () => {
  const batch = { batchId: '00000000000000e1', issuedAt: 1, hashes: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)] };

  it('a used token stays used after the store is reopened, and the device it admitted stays registered', async () => {
    const path = freshPath();
    const first = SqliteStore.open(path);
    await first.issueEnrollmentTokens(batch);
    await first.registerDeviceWithToken(deviceIdOf(1), 10, batch.hashes[0]!);
    await first.close();
    const second = SqliteStore.open(path);
    try {
      expect(await second.registerDeviceWithToken(deviceIdOf(2), 20, batch.hashes[0]!)).toEqual({ outcome: 'token_used' });
      expect(await second.getDevice(deviceIdOf(1))).toMatchObject({ registeredAt: 10 });
    } finally {
      await second.close();
    }
  });

  // A failure anywhere in the transaction (here forced by a trigger) must leave both halves undone: no device without
  // its token spent, no token spent without its device, and no device key left behind.
  it.each([
    ['the device insert', 'BEFORE INSERT ON devices'],
    ["the token's used mark", 'BEFORE UPDATE ON enrollment_tokens'],
  ])('when %s fails, nothing of the registration is kept', async (_label, when) => {
    const store = SqliteStore.open(freshPath());
    try {
      await store.issueEnrollmentTokens(batch);
      const keysBefore = store.keys.refs().length;
      store.db.exec(`CREATE TRIGGER fail_once ${when} BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`);
      await expect(store.registerDeviceWithToken(deviceIdOf(1), 10, batch.hashes[0]!)).rejects.toThrow('simulated failure');
      expect(await store.getDevice(deviceIdOf(1))).toBeUndefined();
      expect((await store.listEnrollmentBatches())[0]).toMatchObject({ used: 0 });
      expect(store.keys.refs()).toHaveLength(keysBefore);
      store.db.exec('DROP TRIGGER fail_once');
      expect((await store.registerDeviceWithToken(deviceIdOf(1), 10, batch.hashes[0]!)).outcome).toBe('registered');
    } finally {
      await store.close();
    }
  });

  it('a refused token makes no device key (no write, no fsync)', async () => {
    const store = SqliteStore.open(freshPath());
    try {
      await store.issueEnrollmentTokens(batch);
      await store.revokeEnrollmentTokens({ hashes: [batch.hashes[1]!] });
      const keysBefore = store.keys.refs().length;
      expect((await store.registerDeviceWithToken(deviceIdOf(1), 10, new Uint8Array(32).fill(9))).outcome).toBe('token_unknown');
      expect((await store.registerDeviceWithToken(deviceIdOf(1), 10, batch.hashes[1]!)).outcome).toBe('token_revoked');
      expect(store.keys.refs()).toHaveLength(keysBefore);
    } finally {
      await store.close();
    }
  });
});
