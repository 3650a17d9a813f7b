// The PostgreSQL Store: the conformance suites (the same tests as memory and SQLite), plus what only a database
// server shows: erasure by crypto-shredding against pg_dump, migrations, durability settings, several processes on
// one database (exactly one commit of step n+1 wins), and `npm start` on PostgreSQL, up or unreachable.
//
// Runs against $CONFIDANT_TEST_DATABASE_URL (.ci/run starts a throwaway cluster for it) or a throwaway cluster
// started here; without PostgreSQL it fails, saying how to run it (test/support/postgres-database.ts).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import _sodium from 'libsodium-wrappers';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../../client/core/api';
import { deletionStatus, receiptKey, sendDeletion, verifyReceipt } from '../../../client/deletion/deletion';
import { connectDevice, type SocketLike } from '../../../client/rounds/connection';
import { createUpdateComputer } from '../../../client/rounds/model-update';
import { memorySpentModels } from '../../../client/rounds/spent-models';
import { createParticipant } from '../../../client/rounds/participant';
import { initBackend } from '../../../models/backend';
import { ConfigError, parseConfig } from '../../../server/config';
import { sqliteDeviceKeys } from '../../../server/store/device-keys';
import { deviceLookup, openDevice } from '../../../server/store/device-sealing';
import { KEY_SWEEP_LOCK, LOCK_SPACE, migratePostgres, POSTGRES_MIGRATIONS } from '../../../server/store/postgres-migrations';
import { PostgresStore, postgresKeysPath } from '../../../server/store/postgres-store';
import type { Receipt } from '../../../shared/protocol/deletion';
import type { UserHistory } from '../../../shared/data/interactions';
import { generateSigningKeyPair } from '../../../shared/secagg/sign';
import { startupProblems } from '../../../server/store/startup-check';
import type { ReceiptContext, RoundCommit, Store } from '../../../server/store/store';
import { ensureInitialModel } from '../../../server/training/initial-model';
import { execute, freshDatabase, freshSchema, pgDump, testServer } from '../../support/postgres-database';
import { deviceIdOf, initOf, provenanceOf, runStoreConformance } from './store.conformance';
import { runForgettingConformance } from './forgetting.conformance';
import { runEnrollmentConformance } from './enrollment.conformance';

const root = join(import.meta.dirname, '..', '..', '..');
const server = await testServer();
const database = await freshDatabase(server.url);
const dir = mkdtempSync(join(tmpdir(), 'confidant-pg-test-'));
afterAll(async () => {
  await database.drop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

let keyFiles = 0;
/** A fresh key store file's path (each store of the conformance suites has its own, as each has its own schema). */
const freshKeysPath = () => join(dir, `keys-${keyFiles++}.sqlite`);
/** A store on `url` whose device keys are in the SQLite file at `keysPath`. */
const openAt = (url: string, keysPath: string) => PostgresStore.open(url, { keys: () => sqliteDeviceKeys(keysPath), poolSize: 4 });
const freshStore = async () => openAt(await freshSchema(database.url), freshKeysPath());

runStoreConformance('postgres', freshStore);
runForgettingConformance('postgres', freshStore);
runEnrollmentConformance('postgres', freshStore);

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A well-formed receipt for what the store tells its maker (the store checks its shape, not its signature). */
const receiptOf = (ctx: ReceiptContext): Receipt => ({
  format: 'confidant-receipt',
  version: 1,
  index: ctx.index,
  previousHash: ctx.previousHash,
  deviceKeyHash: 'b'.repeat(64),
  nonce: 'B'.repeat(22),
  requestedAt: 1,
  completedAt: 2,
  shard: ctx.checkpoint.shard,
  checkpoint: { lineage: ctx.checkpoint.lineage, step: ctx.checkpoint.step, sha256: ctx.checkpoint.trainingSha256 },
  servedVersion: ctx.servedVersion,
  epsilon: null,
  delta: null,
  keyId: '0123456789abcdef',
  manifest: Array.from({ length: 14 }, (_, n) => n.toString(16).padStart(64, '0')),
  signature: 'B'.repeat(86),
});

/** The commit of a round opened now on shard 0 of `store`, trained from its head, its files filled with `fill`. */
async function commitOf(store: Store, sessionId: string, fill: number, contributors: string[]): Promise<RoundCommit> {
  const head = await store.currentCheckpoint(0);
  const shards = await store.listShards();
  const basis = await Promise.all(shards.map(async (s) => (await store.currentCheckpoint(s.shard)).id));
  const round = await store.roundStarted({ shard: 0, lineage: shards[0]!.lineage, step: head.step, sessionId, round: 1, cohortSize: 3, startedAt: 10 });
  return {
    roundId: round.id,
    endedAt: 20,
    survivors: contributors.length,
    shard: 0,
    lineage: shards[0]!.lineage,
    fromStep: head.step,
    training: bytes(32, fill),
    served: bytes(32, fill + 1),
    iterates: head.iterates + 1,
    account: { history: [{ samplingRate: 1, noiseMultiplier: 1, steps: head.step + 1 }], unbounded: false },
    model: bytes(64, fill + 2),
    basis,
    provenance: provenanceOf({ cause: 'round', shard: 0, round: round.id, cohortSize: 3, survivors: contributors.length }),
    contributors,
  };
}

/** The device row's `sealed` bytes for `ref` in a plain pg_dump (COPY text: bytea as \\x and hex). */
function sealedInDump(dump: string, ref: string): Buffer {
  const header = /^COPY [^ ]*\.?devices \(([^)]*)\) FROM stdin;$/m;
  const lines = dump.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const m = header.exec(lines[n]!);
    if (!m) continue;
    const columns = m[1]!.split(', ');
    for (let k = n + 1; lines[k] !== '\\.'; k++) {
      const fields = lines[k]!.split('\t');
      if (fields[columns.indexOf('ref')] === ref) return Buffer.from(fields[columns.indexOf('sealed')]!.replace(/^\\\\x/, ''), 'hex');
    }
  }
  throw new Error(`no devices row ${ref} in the dump`);
}

/** Every spelling of `key` a file could hold it in: raw, hex, base64 and base64url. */
const spellings = (key: Uint8Array): Buffer[] => {
  const b = Buffer.from(key);
  return [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('base64')), Buffer.from(b.toString('base64url'))];
};

/** The key store file and its WAL, as bytes on disk. */
const keyStoreBytes = (path: string): Buffer => Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));

/**
 * Resolve once `n` backends of the database at `url` wait for a lock (the transactions under test are inside,
 * blocked), or once `settled` has (they took no lock at all: the assertions that follow say what went wrong).
 */
async function lockWaiters(url: string, n: number, settled: Promise<unknown>): Promise<void> {
  let done = false;
  void settled.finally(() => (done = true));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    while (!done) {
      const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      if (rows[0]!.n >= n) return;
    }
  } finally {
    await client.end();
  }
}

/** A connection of its own on `url`, in a transaction (a third process holding a lock). */
async function holder(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  return client;
}

describe('erasure on PostgreSQL: crypto-shredding', () => {
  it('after a deletion the device key is nowhere in a pg_dump nor in the key store, and its row in a dump taken before cannot be opened', async () => {
    const url = await freshSchema(database.url);
    const keysPath = freshKeysPath();
    const store = await openAt(url, keysPath);
    // Random keys: the fill patterns of deviceIdOf also fill other tests' files, which are in the same dump.
    const gone = randomBytes(32).toString('base64url');
    const stays = randomBytes(32).toString('base64url');
    let ref: string;
    let dataKey: Uint8Array;
    let before: string;
    try {
      await store.initialise(initOf(1));
      await store.registerDevice(gone, 7);
      await store.registerDevice(stays, 8);
      await store.setConsent(gone, true);
      await store.commitRound(await commitOf(store, 'erasure', 30, [gone, stays]));
      ref = (await execute(url, 'SELECT ref FROM devices WHERE lookup = $1', [deviceLookup(store.keys.lookupSecret(), gone)])).rows[0].ref as string;
      dataKey = store.keys.get(ref)!;
      before = await pgDump(database.url, server.binDir);
      // The controls: the dump holds the device's sealed row, which its key opens; the key store holds the key.
      expect(openDevice(dataKey, ref, sealedInDump(before, ref))).toMatchObject({ deviceId: gone, consentTraining: true });
      expect(keyStoreBytes(keysPath).includes(Buffer.from(dataKey))).toBe(true);

      const { deletion } = await store.requestDeletion({ id: Buffer.alloc(16, 9).toString('base64url'), deviceId: gone, keyHash: sha256(Buffer.from(gone, 'base64url')), nonce: bytes(16, 9), requestedAt: 100, receivedAt: 101, shard: 0 });
      const basis = [(await store.currentCheckpoint(0)).id];
      await store.completeDeletion({ deletionId: deletion.id, completedAt: 200, rollback: { shard: 0, toStep: 0, model: bytes(64, 99), basis, provenance: provenanceOf({ cause: 'rollback', shard: 0 }) }, makeReceipt: receiptOf });
      expect(await store.getDevice(gone)).toBeUndefined();
      expect((await store.getDevice(stays))?.deviceId).toBe(stays);
    } finally {
      await store.close();
    }
    const after = await pgDump(database.url, server.binDir);
    // The device's public key was never in the database; after the deletion its data key is in no file either.
    for (const [name, content] of [['dump before', Buffer.from(before)], ['dump after', Buffer.from(after)], ['key store', keyStoreBytes(keysPath)]] as const) {
      for (const needle of spellings(Buffer.from(gone, 'base64url'))) expect(content.includes(needle), `${name} holds the device key`).toBe(false);
    }
    for (const [name, content] of [['dump before', Buffer.from(before)], ['dump after', Buffer.from(after)], ['key store', keyStoreBytes(keysPath)]] as const) {
      for (const needle of spellings(dataKey)) expect(content.includes(needle), `${name} holds the device's data key`).toBe(false);
    }
    expect(() => sealedInDump(after, ref)).toThrow('no devices row');
    // The row dumped before the deletion: its key is gone from the key store, and no key left there opens it.
    const sealed = sealedInDump(before, ref);
    const keys = sqliteDeviceKeys(keysPath);
    try {
      expect(keys.get(ref)).toBeUndefined();
      expect(keys.refs()).toHaveLength(1);
      for (const other of keys.refs()) expect(() => openDevice(keys.get(other)!, ref, sealed)).toThrow();
    } finally {
      keys.close();
    }
  });
});

describe('migrations', () => {
  it('migrating twice is a no-op: nothing applied, the same schema, the data kept', async () => {
    const url = await freshSchema(database.url);
    const keysPath = freshKeysPath();
    const first = await openAt(url, keysPath);
    await first.registerDevice(deviceIdOf(1), 5);
    await first.close();
    const catalogue = "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, column_name";
    const shape = (await execute(url, catalogue)).rows;
    expect(shape.length).toBeGreaterThan(40);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect(await migratePostgres(client)).toEqual([]);
      expect(await migratePostgres(client)).toEqual([]);
    } finally {
      await client.end();
    }
    expect((await execute(url, catalogue)).rows).toEqual(shape);
    expect((await execute(url, 'SELECT version FROM schema_migrations ORDER BY version')).rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version })));
    const again = await openAt(url, keysPath);
    try {
      expect(await again.getDevice(deviceIdOf(1))).toMatchObject({ registeredAt: 5 });
    } finally {
      await again.close();
    }
  });

  it('refuses a database written by a newer server (store.schema_too_new), changing nothing', async () => {
    const url = await freshSchema(database.url);
    await (await openAt(url, freshKeysPath())).close();
    const newer = POSTGRES_MIGRATIONS.length + 1;
    await execute(url, 'INSERT INTO schema_migrations (version) VALUES ($1)', [newer]);
    await expect(openAt(url, freshKeysPath())).rejects.toMatchObject({ code: 'store.schema_too_new', message: expect.stringContaining(`${newer}`) });
    expect((await execute(url, 'SELECT max(version) AS v FROM schema_migrations')).rows[0].v).toBe(newer);
  });

  it('an empty schema gets every migration, applied in one transaction', async () => {
    const url = await freshSchema(database.url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect(await migratePostgres(client)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    } finally {
      await client.end();
    }
  });
});

describe('opening', () => {
  it('refuses a connection whose commits would be acknowledged before they are durable (synchronous_commit=off)', async () => {
    const url = new URL(await freshSchema(database.url));
    url.searchParams.set('options', `${url.searchParams.get('options')} -c synchronous_commit=off`);
    await expect(openAt(url.toString(), freshKeysPath())).rejects.toThrow('synchronous_commit is off');
  });

  it('refuses a device key store that is not the one the database was written with, destroying none of its keys', async () => {
    const url = await freshSchema(database.url);
    const keysPath = freshKeysPath();
    const store = await openAt(url, keysPath);
    await store.registerDevice(deviceIdOf(3), 1);
    await store.close();
    const otherPath = freshKeysPath();
    const other = sqliteDeviceKeys(otherPath);
    other.create('A'.repeat(22));
    other.close();
    await expect(openAt(url, otherPath)).rejects.toMatchObject({ code: 'store.conflict', message: expect.stringContaining('key store') });
    const kept = sqliteDeviceKeys(otherPath);
    try {
      expect(kept.refs()).toEqual(['A'.repeat(22)]);
    } finally {
      kept.close();
    }
    const reopened = await openAt(url, keysPath);
    try {
      expect((await reopened.getDevice(deviceIdOf(3)))?.registeredAt).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it('destroys at open the keys whose device row is gone (a crash between a deletion commit and the key destruction)', async () => {
    const url = await freshSchema(database.url);
    const keysPath = freshKeysPath();
    const first = await openAt(url, keysPath);
    await first.registerDevice(deviceIdOf(4), 1);
    await first.close();
    const keys = sqliteDeviceKeys(keysPath);
    const orphan = 'O'.repeat(22);
    keys.create(orphan);
    const live = keys.refs().filter((r) => r !== orphan);
    keys.close();
    const store = await openAt(url, keysPath);
    try {
      expect((await store.getDevice(deviceIdOf(4)))?.registeredAt).toBe(1);
      expect(store.keys.refs()).toEqual(live);
    } finally {
      await store.close();
    }
  });
});

describe('the start-up check on PostgreSQL (no integrity_check pragma: the files\' checksums still apply)', () => {
  it('passes a store as written, and reports a checkpoint whose bytes were changed in the database', async () => {
    const url = await freshSchema(database.url);
    const store = await openAt(url, freshKeysPath());
    try {
      await ensureInitialModel(store, { items: 20, shards: 1, now: () => 1_000 });
      expect(await startupProblems(store)).toEqual([]);
      // One bit of the training table flipped in place, as a bad disk or a stray UPDATE would.
      await execute(url, 'UPDATE checkpoints SET training = set_byte(training, 40, get_byte(training, 40) # 1)');
      expect(await startupProblems(store)).toEqual([expect.stringContaining('does not match its recorded SHA-256')]);
    } finally {
      await store.close();
    }
  });
});

describe('two processes on one database', () => {
  let url: string;
  let keysPath: string;
  let a: PostgresStore;
  let b: PostgresStore;
  beforeAll(async () => {
    url = await freshSchema(database.url);
    keysPath = freshKeysPath();
    // Two pools on one schema, sharing the key store file as the processes of one machine do.
    a = await openAt(url, keysPath);
    b = await openAt(url, keysPath);
    await a.initialise(initOf(2));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('both commit step n+1 of one shard at once: exactly one wins, the other gets store.conflict', async () => {
    const [ca, cb] = [await commitOf(a, 'race-a', 40, []), await commitOf(b, 'race-b', 50, [])];
    // A third connection holds shard 0's row, so that both commits are inside their transactions before either goes on.
    const hold = await holder(url);
    await hold.query('SELECT 1 FROM shards WHERE shard = 0 FOR UPDATE');
    const results = Promise.allSettled([a.commitRound(ca), b.commitRound(cb)]);
    await lockWaiters(url, 2, results);
    await hold.query('COMMIT');
    await hold.end();
    const [ra, rb] = await results;
    expect([ra.status, rb.status].sort()).toEqual(['fulfilled', 'rejected']);
    const winner = ra.status === 'fulfilled' ? ca : cb;
    const loser = [ra, rb].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toMatchObject({ code: 'store.conflict' });
    expect((await b.currentCheckpoint(0))).toMatchObject({ step: 1, training: winner.training });
    expect((await a.latestModel())).toMatchObject({ version: 2, data: winner.model });
    expect((await a.listModelVersions(10)).map((v) => v.version)).toEqual([2, 1]);
    const rounds = await b.listRounds(10);
    expect(rounds.find((r) => r.id === winner.roundId)?.status).toBe('completed');
    expect(rounds.filter((r) => r.status === 'started')).toHaveLength(1);
  });

  it('both register one device at once: one row, one key, the same record for both', async () => {
    const id = deviceIdOf(60);
    const hold = await holder(url);
    await hold.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, KEY_SWEEP_LOCK]);
    const both = Promise.all([a.registerDevice(id, 70), b.registerDevice(id, 71)]);
    await lockWaiters(url, 2, both);
    await hold.query('COMMIT');
    await hold.end();
    const [ra, rb] = await both;
    expect([ra.created, rb.created].sort()).toEqual([false, true]);
    expect(ra.device).toEqual(rb.device);
    expect((await a.listDevices()).filter((d) => d.deviceId === id)).toHaveLength(1);
    expect(a.keys.refs()).toHaveLength((await execute(url, 'SELECT count(*)::int AS n FROM devices')).rows[0].n);
  });

  it('both finish one pending deletion at once: one receipt, the other gets store.conflict', async () => {
    const id = deviceIdOf(61);
    await a.registerDevice(id, 80);
    const { deletion } = await a.requestDeletion({ id: Buffer.alloc(16, 61).toString('base64url'), deviceId: id, keyHash: sha256(Buffer.from(id, 'base64url')), nonce: bytes(16, 61), requestedAt: 90, receivedAt: 91, shard: 0 });
    const hold = await holder(url);
    await hold.query('SELECT 1 FROM deletions WHERE id = $1 FOR UPDATE', [deletion.id]);
    const results = Promise.allSettled([a, b].map((s) => s.completeDeletion({ deletionId: deletion.id, completedAt: 95, rollback: null, makeReceipt: receiptOf })));
    await lockWaiters(url, 2, results);
    await hold.query('COMMIT');
    await hold.end();
    const settled = await results;
    expect(settled.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((settled.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'store.conflict' });
    expect(await b.receiptChain()).toEqual([expect.objectContaining({ index: 0 })]);
    expect(await a.getDevice(id)).toBeUndefined();
  });
});

describe('--database and CONFIDANT_DATABASE_URL', () => {
  it('reads the URL from the flag or the variable, and names a bad one without its password', () => {
    const url = 'postgres://confidant:pw@db.example:5432/confidant';
    expect(parseConfig(['--database', url], {}).database).toBe(url);
    expect(parseConfig([], { CONFIDANT_DATABASE_URL: url }).database).toBe(url);
    expect(parseConfig([], {}).database).toBeUndefined();
    expect(() => parseConfig(['--database', 'mysql://root:hunter2@db/x'], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--database', 'mysql://root:hunter2@db/x'], {})).toThrow('--database must be a postgres:// or postgresql:// URL, got "mysql://root@db/x"');
    expect(() => parseConfig([], { CONFIDANT_DATABASE_URL: 'db.example' })).toThrow('CONFIDANT_DATABASE_URL must be a postgres:// or postgresql:// URL, got something else');
  });
});

/** server/main.ts (what npm start runs, without the web app build and the demo fleet) with `args` and `env`. */
function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], { cwd: root, env: { ...process.env, PORT: '', CONFIDANT_DATA_DIR: '', CONFIDANT_DATABASE_URL: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** Resolve once stdout has a line matching `pattern` (reject if the process exits first). */
  const logged = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        for (const line of stdout.split('\n')) {
          const m = line.match(pattern);
          if (m) return resolve(m);
        }
      };
      child.stdout.on('data', check);
      check();
      void exited.then((code) => reject(new Error(`exited ${code} before ${pattern}: ${stderr}`)));
    });
  return { child, exited, err: () => stderr, logged, url: async () => (await logged(/"url":"(http:\/\/[^"]+)"/))[1]! };
}

/** A loopback port nothing listens on. */
const closedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('npm start on PostgreSQL', () => {
  it('a database that is down at start-up is one line naming the URL without its password and the cause, and exit 1', async () => {
    const port = await closedPort();
    const p = start(['--port', '0', '--data-dir', join(dir, 'down')], { CONFIDANT_DATABASE_URL: `postgres://confidant:s3cret-pw@127.0.0.1:${port}/confidant` });
    expect(await p.exited).toBe(1);
    expect(p.err().trim().split('\n')).toEqual([`confidant: cannot open the database postgres://confidant@127.0.0.1:${port}/confidant: connect ECONNREFUSED 127.0.0.1:${port}`]);
  });

  it('serves from PostgreSQL, runs a round, and a deletion sent to a second process rolls back, erases the device and answers a verified receipt', async () => {
    await initBackend();
    await _sodium.ready;
    const url = await freshSchema(database.url);
    const dataDir = join(dir, 'served');
    const items = 30;
    const catalogue = join(dir, 'movies.csv');
    writeFileSync(catalogue, ['movieId,title,genres', ...Array.from({ length: items }, (_, i) => `${i + 1},Movie ${i + 1} (2000),Drama|Comedy`)].join('\n') + '\n');
    const common = ['--port', '0', '--data-dir', dataDir, '--catalogue', catalogue, '--shards', '1', '--database', url];
    const first = start([...common, '--round-interval', '1', '--graph', 'complete', '--min-cohort', '3', '--corrupt-fraction', '0', '--expected-dropout', '0', '--stage-timeout', '10']);
    let second: ReturnType<typeof start> | undefined;
    const identities = Array.from({ length: 4 }, () => generateSigningKeyPair(_sodium));
    const connections = [];
    try {
      const firstUrl = await first.url();
      expect(await (await fetch(`${firstUrl}/v1/model/info`)).json()).toMatchObject({ version: 1, items, shards: 1 });
      // The state is in PostgreSQL; the data directory holds only the device key store named by the database's id.
      const storeId = (await execute(url, 'SELECT store_id FROM store_meta')).rows[0].store_id as string;
      expect(readdirSync(dataDir).filter((f) => f.endsWith('.sqlite'))).toEqual([`postgres-${storeId}.keys.sqlite`]);
      for (const [k, identity] of identities.entries()) {
        const history: UserHistory = { items: Int32Array.of(k, k + 5, k + 10), values: Float32Array.of(5, 4, 3), timestamps: new Float64Array(3) };
        connections.push(
          await connectDevice({
            url: firstUrl.replace('http', 'ws') + '/v1/ws',
            createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
            sodium: _sodium,
            identity,
            register: true,
            training: true,
            participant: createParticipant({ sodium: _sodium, identity, spent: memorySpentModels(), floors: { corruptFraction: 0, minCohort: 2 }, computeUpdate: createUpdateComputer({ baseUrl: firstUrl, fetch, history: () => history }) }),
          }),
        );
      }
      await first.logged(/"msg":"round.completed"/);
      for (const c of connections) c.close();
      const trained = (await (await fetch(`${firstUrl}/v1/model/info`)).json()) as { version: number; provenance: { cohortSize: number } };
      expect(trained.version).toBeGreaterThanOrEqual(2);

      // A second process on the same database and data directory, running no rounds, receives the deletion.
      second = start([...common, '--round-interval', '0']);
      const api = createApi({ baseUrl: await second.url(), fetch });
      const contributor = identities[0]!;
      const { pending, response } = await sendDeletion(api, _sodium, contributor, Date.now());
      let answer = response;
      while (answer.status !== 'done') answer = await deletionStatus(api, pending);
      const check = verifyReceipt(_sodium, answer.receipt, await receiptKey(api, answer.receipt!.keyId), pending);
      expect(check.verified).toBe(true);
      const receipt = (check as { receipt: Receipt }).receipt;
      // Rolled back to the checkpoint before its first contribution; the first process serves it too.
      expect(receipt.checkpoint.step).toBe(0);
      expect(await (await fetch(`${firstUrl}/v1/model/info`)).json()).toMatchObject({ version: receipt.servedVersion.version, provenance: { cause: 'rollback' } });
      const deviceId = Buffer.from(contributor.publicKey).toString('base64url');
      const dump = Buffer.from(await pgDump(database.url, server.binDir));
      for (const needle of spellings(contributor.publicKey)) expect(dump.includes(needle)).toBe(false);
      const keysPath = postgresKeysPath(dataDir, storeId);
      for (const needle of spellings(contributor.publicKey)) expect(keyStoreBytes(keysPath).includes(needle)).toBe(false);
      const store = await openAt(url, keysPath);
      try {
        expect(await store.getDevice(deviceId)).toBeUndefined();
        expect((await store.listDevices()).map((d) => d.deviceId).sort()).toEqual(identities.slice(1).map((i) => Buffer.from(i.publicKey).toString('base64url')).sort());
        expect(await store.receiptChain()).toHaveLength(1);
      } finally {
        await store.close();
      }
    } finally {
      for (const c of connections) c.close();
      first.child.kill('SIGTERM');
      second?.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    expect(await second!.exited).toBe(0);
  });
});
