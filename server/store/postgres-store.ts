// The Store on PostgreSQL (node-postgres, pooled): the same answers and refusals as the SQLite store, for several
// server processes sharing one database.
//
// Transactions. Every operation that is one transaction in SQLite is one here (BEGIN … COMMIT, READ COMMITTED), and
// a call resolves only after COMMIT returned: a write the server acknowledges is committed (the store refuses to open
// where fsync or synchronous_commit is off). Where two processes could race, rows are locked, always in one order so
// that two transactions cannot deadlock: a deletion's row → every shard row (FOR UPDATE, in shard order) → the
// round → device rows → the store_meta row (the lock of everything numbered store-wide). So two processes cannot
// both commit step n+1 of a shard: the second waits, then sees the shard moved on and gets 'store.conflict'. Model
// versions are numbered max + 1 under that lock, in the transaction, as SQLite does (no gaps from refused writes).
//
// Model files are bytea in their rows, not files in a shared directory: a checkpoint, the version built from it and
// the round that made them commit in one transaction (no write → fsync → rename → fsync(dir) sequence over a network
// file system, whose rename and fsync promises are weaker, no orphan or missing file after a crash, no second thing
// to back up at the same instant), every process reads them through the connection it already has, streaming
// replication carries them to a standby, and pg_dump holds the whole state. They are megabytes (a served table of 10k
// items × 32 dims ≈ 1.3 MB), far below bytea's 1 GB; the cost is WAL volume per version and dead tuples after
// pruning, which VACUUM reclaims.
//
// Devices are sealed exactly as in SQLite (device-sealing.ts) under per-device keys kept OUTSIDE the database, in a
// DeviceKeyStore paired with it (see PostgresStoreOptions.keys): PostgreSQL keeps dead tuples, WAL segments,
// archives and replicas that the server cannot scrub, so erasure is crypto-shredding, the key destroyed where
// destroying is real.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type pg from 'pg';
import { GENESIS_HASH, receiptHash, receiptSchema } from '../../shared/protocol/deletion';
import { keyId } from '../../shared/protocol/key-id';
import { sqliteDeviceKeys, type DeviceKeyStore } from './device-keys';
import { deviceLookup, newDeviceRef, openDevice, sealDevice } from './device-sealing';
import { StoreError } from './errors';
import { createPool } from './postgres-connection';
import { describeConnectionError } from './postgres-url';
import { KEY_SWEEP_LOCK, LOCK_SPACE, migratePostgres } from './postgres-migrations';
import type {
  ChainEntry,
  Checkpoint,
  CheckpointInfo,
  DeletionCompletion,
  DeletionRecord,
  DeviceRecord,
  DeviceSeen,
  EnrollmentBatch,
  EnrollmentBatchCounts,
  Initialisation,
  ModelProvenance,
  ModelVersion,
  ModelVersionInfo,
  NewDeletion,
  NewRound,
  ReceiptKey,
  RoundAbort,
  RoundCommit,
  RoundCounts,
  RoundRecord,
  ServerIdentity,
  ShardRecord,
  SkippedRound,
  Store,
  StoredIdentity,
  TokenRegistration,
  TokenRevocation,
} from './store';
import { modelProvenanceSchema, privacyAccountSchema } from './store';
import { checkDeletionCompletion, checkDeviceId, checkEnrollmentBatch, checkIdentity, checkInitialisation, checkLimit, checkNewDeletion, checkNewRound, checkReason, checkRevocation, checkRoundAbort, checkRoundCommit, checkSeen, checkSkippedRound, checkShard, checkTime, checkTokenHash, sha256Hex } from './validate';

const UNIQUE_VIOLATION = '23505';

type Client = pg.PoolClient;
type Row = Record<string, unknown>;

interface DeviceRow {
  ref: string;
  lookup: Buffer;
  deleting: boolean;
  sealed: Buffer;
}
interface DeletionRow {
  id: string;
  key_hash: string;
  lookup: Buffer | null;
  nonce: Buffer;
  requested_at: number;
  received_at: number;
  shard: number;
  status: 'pending' | 'done';
  completed_at: number | null;
  chain_index: number | null;
  receipt_hash: string | null;
  receipt: unknown;
}
interface ReceiptKeyRow {
  id: string;
  public_key: Buffer;
  private_key: Buffer;
  created_at: number;
  retired_at: number | null;
}
interface ModelRow {
  version: number;
  created_at: number;
  sha256: string;
  size_bytes: number;
  provenance: unknown;
  model?: Buffer;
}
interface CheckpointRow {
  id: number;
  shard: number;
  lineage: number;
  step: number;
  created_at: number;
  round_id: number | null;
  training_sha256: string;
  iterates: number;
  training?: Buffer;
  served?: Buffer;
}
interface RoundRow {
  id: number;
  shard: number;
  lineage: number;
  step: number;
  session_id: string;
  round: number;
  status: RoundRecord['status'];
  reason: string | null;
  started_at: number;
  ended_at: number | null;
  cohort_size: number;
  survivors: number | null;
}

/** A copy the caller owns (pg may hand out Buffers that share a pooled slab). */
const bytesOf = (b: Buffer): Uint8Array => new Uint8Array(b);
const param = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const toDeletion = (r: DeletionRow): DeletionRecord => ({
  id: r.id,
  keyHash: r.key_hash,
  nonce: bytesOf(r.nonce),
  requestedAt: r.requested_at,
  receivedAt: r.received_at,
  shard: r.shard,
  status: r.status,
  completedAt: r.completed_at,
  receipt: r.receipt === null ? null : receiptSchema.parse(r.receipt),
});
const toReceiptKey = (r: ReceiptKeyRow): ReceiptKey => ({ id: r.id, publicKey: bytesOf(r.public_key), privateKey: bytesOf(r.private_key), createdAt: r.created_at, retiredAt: r.retired_at });
const toModelInfo = (r: ModelRow): ModelVersionInfo => ({ version: r.version, createdAt: r.created_at, sha256: r.sha256, sizeBytes: r.size_bytes, provenance: modelProvenanceSchema.parse(r.provenance) });
const toModel = (r: ModelRow): ModelVersion => ({ ...toModelInfo(r), data: bytesOf(r.model!) });
const toCheckpointInfo = (r: CheckpointRow): CheckpointInfo => ({ id: r.id, shard: r.shard, lineage: r.lineage, step: r.step, createdAt: r.created_at, round: r.round_id, trainingSha256: r.training_sha256, iterates: r.iterates });
const toCheckpoint = (r: CheckpointRow): Checkpoint => ({ ...toCheckpointInfo(r), training: bytesOf(r.training!), served: bytesOf(r.served!) });
const toRound = (r: RoundRow): RoundRecord => ({
  id: r.id,
  shard: r.shard,
  lineage: r.lineage,
  step: r.step,
  sessionId: r.session_id,
  round: r.round,
  status: r.status,
  reason: r.reason,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  cohortSize: r.cohort_size,
  survivors: r.survivors,
});
const publicDevice = (d: DeviceRecord): DeviceRecord => ({ deviceId: d.deviceId, registeredAt: d.registeredAt, lastSeen: d.lastSeen, consentTraining: d.consentTraining, deleting: d.deleting });
const byRegistration = (a: DeviceRecord, b: DeviceRecord) => a.registeredAt - b.registeredAt || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0);

const CHECKPOINT_INFO = 'id, shard, lineage, step, created_at, round_id, training_sha256, iterates';
const MODEL_INFO = 'version, created_at, sha256, size_bytes, provenance';

/** The device key store file for a database, in `dir` (the data directory): named by the database's store id. */
export function postgresKeysPath(dir: string, storeId: string): string {
  return join(dir, `postgres-${storeId}.keys.sqlite`);
}

/** The fingerprint of a key store recorded in its database: an HMAC under the lookup secret (it reveals nothing of it). */
function keyStoreFingerprint(secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update('confidant/key-store-fingerprint/v1').digest();
}

/** How to open a PostgresStore. */
export interface PostgresStoreOptions {
  /**
   * The device key store paired with this database, given the database's store id (e.g. a SQLite key file named by
   * it in the data directory, which the processes of one machine share). Never inside PostgreSQL.
   */
  keys: (storeId: string) => DeviceKeyStore;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Errors of idle connections (the pool drops the connection; the next query opens another). */
  onIdleError?: (err: Error) => void;
}

/** The first connection failed (the database is down, unreachable, or refuses us): its cause in one line. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/** A PostgreSQL-backed Store (see the file comment). */
export class PostgresStore implements Store {
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    /** Each device's data key and the lookup secret, outside the database. */
    readonly keys: DeviceKeyStore,
    /** The database's id (store_meta), which names its key store. */
    readonly storeId: string,
  ) {}

  /**
   * Connect to `url`, check that commits are durable, bring the schema up to date (refusing a newer one), open the
   * key store paired with the database (refusing another database's), and destroy keys whose device row is gone.
   */
  static async open(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = createPool(url, options.poolSize ?? 10, options.onIdleError ?? (() => undefined));
    let keys: DeviceKeyStore | undefined;
    try {
      let client: Client;
      try {
        client = await pool.connect();
      } catch (err) {
        throw new DatabaseUnavailableError(describeConnectionError(err));
      }
      let storeId: string;
      try {
        await checkDurability(client);
        await migratePostgres(client);
        storeId = (await client.query<{ store_id: string }>('SELECT store_id FROM store_meta WHERE id = 1')).rows[0]!.store_id;
      } finally {
        client.release();
      }
      keys = options.keys(storeId);
      const store = new PostgresStore(pool, keys, storeId);
      await store.pairKeyStore();
      await store.sweepKeys();
      return store;
    } catch (err) {
      keys?.close();
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  /** Record the key store's fingerprint on first use; refuse a key store that is not the one the database was written with. */
  private async pairKeyStore(): Promise<void> {
    const fingerprint = keyStoreFingerprint(this.keys.lookupSecret());
    const { rows } = await this.pool.query<{ key_fingerprint: Buffer }>(
      'UPDATE store_meta SET key_fingerprint = coalesce(key_fingerprint, $1) WHERE id = 1 RETURNING key_fingerprint',
      [fingerprint],
    );
    if (!rows[0]!.key_fingerprint.equals(fingerprint)) {
      throw new StoreError('store.conflict', `the device key store given is not the one database ${this.storeId} was written with (restore that key store; a fresh one cannot read its devices)`);
    }
  }

  /** Destroy keys whose device row is gone (a crash between a deletion's commit and the key's destruction). */
  private async sweepKeys(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, KEY_SWEEP_LOCK]);
      const live = new Set((await c.query<{ ref: string }>('SELECT ref FROM devices')).rows.map((r) => r.ref));
      for (const ref of this.keys.refs()) if (!live.has(ref)) this.keys.destroy(ref);
    });
  }

  /** Run `fn` in one transaction; resolves only after COMMIT succeeded, rolls back on any error. */
  private async transaction<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      // COMMIT of a transaction that failed inside answers ROLLBACK without an error: never report that as written.
      const commit = await client.query('COMMIT');
      if (commit.command !== 'COMMIT') throw new Error(`the transaction was rolled back (${commit.command})`);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async one<T extends Row>(c: Client | pg.Pool, sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await c.query<T>(sql, params)).rows[0];
  }

  private lookup(deviceId: string): Buffer {
    return deviceLookup(this.keys.lookupSecret(), deviceId);
  }

  private async deviceRow(c: Client | pg.Pool, deviceId: string, lock = ''): Promise<DeviceRow | undefined> {
    return this.one<DeviceRow & Row>(c, `SELECT ref, lookup, deleting, sealed FROM devices WHERE lookup = $1 ${lock}`, [this.lookup(deviceId)]);
  }

  /** A device row opened with its key (undefined when its key is gone: a deleted device). */
  private openRow(row: DeviceRow): (DeviceRecord & { ref: string; key: Uint8Array }) | undefined {
    const key = this.keys.get(row.ref);
    if (!key) return undefined;
    return { ...openDevice(key, row.ref, row.sealed), deleting: row.deleting, ref: row.ref, key };
  }

  private async reseal(c: Client, device: DeviceRecord & { ref: string; key: Uint8Array }): Promise<void> {
    const { deviceId, registeredAt, lastSeen, consentTraining } = device;
    await c.query('UPDATE devices SET sealed = $1 WHERE ref = $2', [sealDevice(device.key, device.ref, { deviceId, registeredAt, lastSeen, consentTraining }), device.ref]);
  }

  async registerDevice(deviceId: string, at: number): Promise<{ device: DeviceRecord; created: boolean }> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    return this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [LOCK_SPACE, KEY_SWEEP_LOCK]);
      const existing = await this.deviceRow(c, deviceId);
      const opened = existing && this.openRow(existing);
      if (opened) return { device: publicDevice(opened), created: false };
      const ref = newDeviceRef();
      const key = this.keys.create(ref);
      const secrets = { deviceId, registeredAt: at, lastSeen: at, consentTraining: false };
      let inserted;
      try {
        inserted = await c.query('INSERT INTO devices (ref, lookup, sealed) VALUES ($1, $2, $3) ON CONFLICT (lookup) DO NOTHING', [ref, this.lookup(deviceId), sealDevice(key, ref, secrets)]);
      } catch (err) {
        this.keys.destroy(ref); // the transaction rolls back: the key is nobody's
        throw err;
      }
      // A failed COMMIT after this may still have committed: the key stays, and the next open's sweep settles it.
      if (inserted.rowCount === 1) return { device: { ...secrets, deleting: false }, created: true };
      // Another process registered the same device meanwhile: this key is not needed, that row is the device.
      this.keys.destroy(ref);
      const theirs = await this.deviceRow(c, deviceId);
      const device = theirs && this.openRow(theirs);
      if (!device) throw new StoreError('store.conflict', 'a row for that device exists but its key is gone');
      return { device: publicDevice(device), created: false };
    });
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const row = await this.deviceRow(this.pool, deviceId);
    const opened = row && this.openRow(row);
    return opened && publicDevice(opened);
  }

  async touchDevice(deviceId: string, at: number): Promise<void> {
    checkTime(at, 'at');
    await this.transaction(async (c) => {
      // FOR UPDATE: a concurrent setConsent must not be overwritten by a reseal of the row as it was before it.
      const row = await this.deviceRow(c, deviceId, 'FOR UPDATE');
      const device = row && this.openRow(row);
      if (!device) throw new StoreError('store.not_found', 'no device with that id');
      if (at > device.lastSeen) await this.reseal(c, { ...device, lastSeen: at });
    });
  }

  async touchDevices(seen: readonly DeviceSeen[]): Promise<number> {
    checkSeen(seen);
    if (seen.length === 0) return 0;
    return this.transaction(async (c) => {
      const lookups = seen.map((s) => this.lookup(s.deviceId));
      // One statement locks every row, in ref order: two batches from two processes cannot deadlock.
      const rows = (await c.query<DeviceRow & Row>('SELECT ref, lookup, deleting, sealed FROM devices WHERE lookup = ANY($1::bytea[]) ORDER BY ref FOR UPDATE', [[...new Set(lookups.map((l) => l.toString('hex')))].map((h) => Buffer.from(h, 'hex'))])).rows;
      const byLookup = new Map(rows.map((r) => [r.lookup.toString('hex'), r]));
      const opened = new Map<string, NonNullable<ReturnType<PostgresStore['openRow']>>>();
      const dirty = new Set<string>();
      let moved = 0;
      // In the order given, as SQLite applies them: an entry counts when it moves the device's lastSeen forward.
      seen.forEach(({ at }, n) => {
        const hex = lookups[n]!.toString('hex');
        const row = byLookup.get(hex);
        if (!row) return; // gone since it was seen (deleted)
        if (!opened.has(hex)) {
          const device = this.openRow(row);
          if (!device) return;
          opened.set(hex, device);
        }
        const device = opened.get(hex)!;
        if (at <= device.lastSeen) return;
        device.lastSeen = at;
        dirty.add(hex);
        moved++;
      });
      for (const hex of dirty) await this.reseal(c, opened.get(hex)!);
      return moved;
    });
  }

  async registerDeviceWithToken(deviceId: string, at: number, tokenHash: Uint8Array): Promise<TokenRegistration> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    checkTokenHash(tokenHash);
    const hash = param(tokenHash);
    const refusal = (status: string | undefined): TokenRegistration => ({ outcome: status === undefined ? 'token_unknown' : status === 'used' ? 'token_used' : 'token_revoked' });
    const tokenStatus = async (c: Client | pg.Pool, lock = '') => (await this.one<{ status: string }>(c, `SELECT status FROM enrollment_tokens WHERE hash = $1 ${lock}`, [hash]))?.status;
    const existing = async (c: Client | pg.Pool): Promise<DeviceRecord | undefined> => {
      const row = await this.deviceRow(c, deviceId);
      const opened = row && this.openRow(row);
      return opened && publicDevice(opened);
    };
    // Read before writing: a bad token costs no device key and no transaction.
    const known = await existing(this.pool);
    if (known) return { outcome: 'existing', device: known };
    const before = await tokenStatus(this.pool);
    if (before !== 'unused') return refusal(before);
    let ref: string | undefined;
    let sentCommit = false;
    let result: TokenRegistration;
    try {
      result = await this.transaction(async (c): Promise<TokenRegistration> => {
        await c.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [LOCK_SPACE, KEY_SWEEP_LOCK]);
        // Again inside the transaction, the token's row locked: another process may have used it or registered the key.
        const again = await existing(c);
        if (again) return { outcome: 'existing', device: again };
        const status = await tokenStatus(c, 'FOR UPDATE');
        if (status !== 'unused') return refusal(status);
        // The key goes to the key store first (durable), as in registerDevice; the row and the token's mark then commit together.
        ref = newDeviceRef();
        const key = this.keys.create(ref);
        const secrets = { deviceId, registeredAt: at, lastSeen: at, consentTraining: false };
        const inserted = await c.query('INSERT INTO devices (ref, lookup, sealed) VALUES ($1, $2, $3) ON CONFLICT (lookup) DO NOTHING', [ref, this.lookup(deviceId), sealDevice(key, ref, secrets)]);
        if (inserted.rowCount !== 1) {
          const theirs = await existing(c);
          if (!theirs) throw new StoreError('store.conflict', 'a row for that device exists but its key is gone');
          return { outcome: 'existing', device: theirs };
        }
        await c.query("UPDATE enrollment_tokens SET status = 'used' WHERE hash = $1 AND status = 'unused'", [hash]);
        sentCommit = true;
        return { outcome: 'registered', device: { ...secrets, deleting: false } };
      });
    } catch (err) {
      // Rolled back before COMMIT: the key is nobody's. A failed COMMIT may still have committed (the connection broke
      // before the answer): the key stays, and the sweep at the next open destroys it if its row is not there.
      if (ref && !sentCommit) this.keys.destroy(ref);
      throw err;
    }
    if (ref && result.outcome !== 'registered') this.keys.destroy(ref);
    return result;
  }

  async issueEnrollmentTokens(batch: EnrollmentBatch): Promise<void> {
    checkEnrollmentBatch(batch);
    await this.transaction(async (c) => {
      // The store_meta lock: two processes issuing one batch id take turns, and the second is refused.
      await this.lockMeta(c);
      if (await this.one(c, 'SELECT 1 FROM enrollment_tokens WHERE batch = $1 LIMIT 1', [batch.batchId])) throw new StoreError('store.conflict', `batch ${batch.batchId} was already issued`);
      try {
        await c.query("INSERT INTO enrollment_tokens (hash, batch, issued_at, status) SELECT unnest($1::bytea[]), $2::text, $3::bigint, 'unused'", [batch.hashes.map(param), batch.batchId, batch.issuedAt]);
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new StoreError('store.conflict', 'a token with that hash was already issued');
        throw err;
      }
    });
  }

  async revokeEnrollmentTokens(which: TokenRevocation): Promise<number> {
    checkRevocation(which);
    const result =
      'hashes' in which
        ? await this.pool.query("UPDATE enrollment_tokens SET status = 'revoked' WHERE hash = ANY($1::bytea[]) AND status = 'unused'", [which.hashes.map(param)])
        : 'batchId' in which
          ? await this.pool.query("UPDATE enrollment_tokens SET status = 'revoked' WHERE batch = $1 AND status = 'unused'", [which.batchId])
          : await this.pool.query("UPDATE enrollment_tokens SET status = 'revoked' WHERE status = 'unused'");
    return result.rowCount ?? 0;
  }

  async listEnrollmentBatches(): Promise<EnrollmentBatchCounts[]> {
    const { rows } = await this.pool.query<{ batch: string; issued_at: number; issued: number; used: number; revoked: number }>(
      "SELECT batch, min(issued_at) AS issued_at, count(*) AS issued, count(*) FILTER (WHERE status = 'used') AS used, count(*) FILTER (WHERE status = 'revoked') AS revoked FROM enrollment_tokens GROUP BY batch ORDER BY min(issued_at), batch COLLATE \"C\"",
    );
    return rows.map((r) => ({ batchId: r.batch, issuedAt: r.issued_at, issued: r.issued, used: r.used, revoked: r.revoked }));
  }

  async setConsent(deviceId: string, training: boolean): Promise<DeviceRecord> {
    if (typeof training !== 'boolean') throw new StoreError('store.invalid', 'training must be a boolean');
    return this.transaction(async (c) => {
      const row = await this.deviceRow(c, deviceId, 'FOR UPDATE');
      const device = row && this.openRow(row);
      if (!device) throw new StoreError('store.not_found', 'no device with that id');
      await this.reseal(c, { ...device, consentTraining: training });
      return publicDevice({ ...device, consentTraining: training });
    });
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const { rows } = await this.pool.query<DeviceRow & Row>('SELECT ref, lookup, deleting, sealed FROM devices');
    return rows
      .map((r) => this.openRow(r))
      .filter((d): d is NonNullable<typeof d> => d !== undefined)
      .map(publicDevice)
      .sort(byRegistration);
  }

  async contributedAt(shard: number, step: number, deviceIds: readonly string[]): Promise<Set<string>> {
    checkShard(shard);
    if (!Number.isSafeInteger(step)) return new Set();
    const { rows } = await this.pool.query<{ lookup: Buffer }>('SELECT d.lookup FROM contributions c JOIN devices d ON d.ref = c.ref WHERE c.shard = $1 AND c.step = $2', [shard, step]);
    const lookups = new Set(rows.map((r) => r.lookup.toString('hex')));
    return new Set(deviceIds.filter((id) => lookups.has(this.lookup(id).toString('hex'))));
  }

  async deletionFirstContribution(deletionId: string): Promise<number | undefined> {
    const row = await this.one<{ step: number | null }>(this.pool, 'SELECT min(c.step) AS step FROM deletions x JOIN devices d ON d.lookup = x.lookup JOIN contributions c ON c.ref = d.ref AND c.shard = x.shard WHERE x.id = $1', [deletionId]);
    return row?.step ?? undefined;
  }

  async firstContribution(deviceId: string, shard: number): Promise<number | undefined> {
    checkShard(shard);
    const row = await this.one<{ step: number | null }>(this.pool, 'SELECT min(c.step) AS step FROM contributions c JOIN devices d ON d.ref = c.ref WHERE d.lookup = $1 AND c.shard = $2', [this.lookup(deviceId), shard]);
    return row?.step ?? undefined;
  }

  /** Lock every shard row, in shard order (the one order every transaction uses); returns them. */
  private async lockShards(c: Client): Promise<{ shard: number; lineage: number }[]> {
    return (await c.query<{ shard: number; lineage: number }>('SELECT shard, lineage FROM shards ORDER BY shard FOR UPDATE')).rows;
  }

  /** Lock the store_meta row: held by every write that numbers something store-wide, until it commits. */
  private async lockMeta(c: Client): Promise<void> {
    await c.query('SELECT 1 FROM store_meta WHERE id = 1 FOR UPDATE');
  }

  private async insertCheckpoint(c: Client, k: { shard: number; lineage: number; step: number; createdAt: number; roundId: number | null; training: Uint8Array; served: Uint8Array; iterates: number }): Promise<CheckpointRow> {
    const row = await this.one<CheckpointRow & Row>(
      c,
      `INSERT INTO checkpoints (shard, lineage, step, created_at, round_id, training, training_sha256, served, iterates) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${CHECKPOINT_INFO}`,
      [k.shard, k.lineage, k.step, k.createdAt, k.roundId, param(k.training), sha256Hex(k.training), param(k.served), k.iterates],
    );
    return row!;
  }

  /** Insert the next model version (max + 1, under the store_meta lock taken here). */
  private async insertVersion(c: Client, m: { data: Uint8Array; createdAt: number; roundId: number | null; composition: number[]; provenance: ModelProvenance }): Promise<ModelVersionInfo> {
    await this.lockMeta(c);
    const version = (await this.one<{ v: number }>(c, 'SELECT coalesce(max(version), 0) + 1 AS v FROM model_versions'))!.v;
    const sha256 = sha256Hex(m.data);
    await c.query('INSERT INTO model_versions (version, created_at, sha256, size_bytes, model, round_id, composition, provenance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      version,
      m.createdAt,
      sha256,
      m.data.length,
      param(m.data),
      m.roundId,
      JSON.stringify(m.composition),
      JSON.stringify(m.provenance),
    ]);
    return { version, createdAt: m.createdAt, sha256, sizeBytes: m.data.length, provenance: m.provenance };
  }

  /** The head: a rollback deletes the checkpoints after its target, so the shard's latest step is its current model. */
  private async headRow(c: Client | pg.Pool, shard: number, files = false): Promise<CheckpointRow | undefined> {
    return this.one<CheckpointRow & Row>(c, `SELECT ${CHECKPOINT_INFO}${files ? ', training, served' : ''} FROM checkpoints WHERE shard = $1 ORDER BY step DESC LIMIT 1`, [shard]);
  }

  /** The composition of a new version: the basis checkpoints, each still its shard's head, this shard's slot left for the caller. */
  private async checkBasis(c: Client, basis: readonly number[], except: number, shards: number): Promise<number[]> {
    if (basis.length !== shards) throw new StoreError('store.invalid', `basis must name one checkpoint per shard (${shards}), got ${basis.length}`);
    const heads = new Map((await c.query<{ shard: number; id: number }>('SELECT DISTINCT ON (shard) shard, id FROM checkpoints ORDER BY shard, step DESC')).rows.map((r) => [r.shard, r.id]));
    return basis.map((id, shard) => {
      if (shard === except) return -1;
      if (heads.get(shard) !== id) throw new StoreError('store.conflict', `shard ${shard} has moved on from checkpoint ${id}: rebuild the served file`);
      return id;
    });
  }

  async initialise(init: Initialisation): Promise<{ version: ModelVersionInfo; created: boolean }> {
    const provenance = checkInitialisation(init);
    return this.transaction(async (c) => {
      // The store_meta lock first: two processes initialising an empty database create the shards once.
      await this.lockMeta(c);
      const count = (await this.one<{ n: number }>(c, 'SELECT count(*) AS n FROM shards'))!.n;
      if (count > 0) {
        if (count !== init.shards.length) throw new StoreError('store.conflict', `the store has ${count} shards, not ${init.shards.length}: changing the number of shards needs a fresh database`);
        const latest = await this.one<ModelRow & Row>(c, `SELECT ${MODEL_INFO} FROM model_versions ORDER BY version DESC LIMIT 1`);
        return { version: toModelInfo(latest!), created: false };
      }
      const account = JSON.stringify({ history: [], unbounded: false });
      const composition: number[] = [];
      for (const [shard, s] of init.shards.entries()) {
        await c.query('INSERT INTO shards (shard, lineage, account) VALUES ($1, 0, $2)', [shard, account]);
        composition.push((await this.insertCheckpoint(c, { shard, lineage: 0, step: 0, createdAt: init.createdAt, roundId: null, training: s.training, served: s.served, iterates: 0 })).id);
      }
      return { version: await this.insertVersion(c, { data: init.model, createdAt: init.createdAt, roundId: null, composition, provenance }), created: true };
    });
  }

  async listShards(): Promise<ShardRecord[]> {
    const { rows } = await this.pool.query<{ shard: number; lineage: number; account: unknown }>('SELECT shard, lineage, account FROM shards ORDER BY shard');
    return rows.map((r) => ({ shard: r.shard, lineage: r.lineage, account: privacyAccountSchema.parse(r.account) }));
  }

  async currentCheckpoint(shard: number): Promise<Checkpoint> {
    checkShard(shard);
    // One statement: the head's description and its files from the same snapshot.
    const row = await this.headRow(this.pool, shard, true);
    if (!row) throw new StoreError('store.not_found', `no shard ${shard}`);
    return toCheckpoint(row);
  }

  async commitRound(k: RoundCommit): Promise<{ version: ModelVersionInfo; checkpoint: CheckpointInfo }> {
    const { provenance, account } = checkRoundCommit(k);
    return this.transaction(async (c) => {
      const shards = await this.lockShards(c);
      const round = await this.one<RoundRow & Row>(c, 'SELECT * FROM rounds WHERE id = $1 FOR UPDATE', [k.roundId]);
      if (!round) throw new StoreError('store.not_found', `no round with id ${k.roundId}`);
      if (round.status !== 'started') throw new StoreError('store.conflict', `round ${k.roundId} already ended (${round.status})`);
      if (round.shard !== k.shard) throw new StoreError('store.conflict', `round ${k.roundId} belongs to shard ${round.shard}, not ${k.shard}`);
      if (k.endedAt < round.started_at) throw new StoreError('store.invalid', 'endedAt is before the round started');
      const current = await this.headRow(c, k.shard);
      if (!current) throw new StoreError('store.not_found', `no shard ${k.shard}`);
      const lineage = shards.find((s) => s.shard === k.shard)!.lineage;
      if (lineage !== k.lineage || current.step !== k.fromStep) {
        throw new StoreError('store.conflict', `shard ${k.shard} is at lineage ${lineage} step ${current.step}; the round trained from lineage ${k.lineage} step ${k.fromStep}`);
      }
      const composition = await this.checkBasis(c, k.basis, k.shard, shards.length);
      // Every contributor must still be a device in good standing: a deleted one's update must never be stored.
      // FOR SHARE: a deletion asked meanwhile waits for this commit, and then rolls back what it recorded.
      const lookups = [...new Set(k.contributors)].map((id) => this.lookup(id));
      const found = (await c.query<{ ref: string; deleting: boolean }>('SELECT ref, deleting FROM devices WHERE lookup = ANY($1::bytea[]) ORDER BY ref FOR SHARE', [lookups])).rows;
      if (found.length !== lookups.length || found.some((d) => d.deleting)) throw new StoreError('store.conflict', 'a contributor of this round is no longer a registered device (deleted or being deleted)');
      if (round.lineage !== k.lineage || round.step !== k.fromStep) throw new StoreError('store.conflict', `round ${k.roundId} trained at lineage ${round.lineage} step ${round.step}, not ${k.lineage}/${k.fromStep}`);
      await c.query('INSERT INTO contributions (ref, shard, step) SELECT unnest($1::text[]), $2::integer, $3::bigint ON CONFLICT DO NOTHING', [found.map((d) => d.ref), k.shard, k.fromStep]);
      await c.query("UPDATE rounds SET status = 'completed', reason = NULL, ended_at = $1, survivors = $2 WHERE id = $3", [k.endedAt, k.survivors, k.roundId]);
      await c.query('UPDATE shards SET account = $1 WHERE shard = $2', [JSON.stringify(account), k.shard]);
      const checkpoint = await this.insertCheckpoint(c, { shard: k.shard, lineage: k.lineage, step: k.fromStep + 1, createdAt: k.endedAt, roundId: k.roundId, training: k.training, served: k.served, iterates: k.iterates });
      composition[k.shard] = checkpoint.id;
      const version = await this.insertVersion(c, { data: k.model, createdAt: k.endedAt, roundId: k.roundId, composition, provenance });
      return { version, checkpoint: toCheckpointInfo(checkpoint) };
    });
  }

  async latestModel(): Promise<ModelVersion | undefined> {
    const row = await this.one<ModelRow & Row>(this.pool, `SELECT ${MODEL_INFO}, model FROM model_versions ORDER BY version DESC LIMIT 1`);
    return row && toModel(row);
  }

  async latestModelInfo(): Promise<ModelVersionInfo | undefined> {
    const row = await this.one<ModelRow & Row>(this.pool, `SELECT ${MODEL_INFO} FROM model_versions ORDER BY version DESC LIMIT 1`);
    return row && toModelInfo(row);
  }

  async getModel(version: number): Promise<ModelVersion | undefined> {
    if (!Number.isSafeInteger(version)) return undefined;
    const row = await this.one<ModelRow & Row>(this.pool, `SELECT ${MODEL_INFO}, model FROM model_versions WHERE version = $1 AND model IS NOT NULL`, [version]);
    return row && toModel(row);
  }

  async listModelVersions(limit: number): Promise<ModelVersionInfo[]> {
    checkLimit(limit);
    const { rows } = await this.pool.query<ModelRow & Row>(`SELECT ${MODEL_INFO} FROM model_versions ORDER BY version DESC LIMIT $1`, [limit]);
    return rows.map(toModelInfo);
  }

  async roundStarted(round: NewRound): Promise<RoundRecord> {
    checkNewRound(round);
    return this.transaction(async (c) => {
      if (!(await this.one(c, 'SELECT 1 FROM shards WHERE shard = $1', [round.shard]))) throw new StoreError('store.not_found', `no shard ${round.shard}`);
      const conflict = () => new StoreError('store.conflict', `round ${round.round} of that session was already started`);
      // Checked before the insert so that a refused start takes no id (ids stay gapless, as in SQLite).
      if (await this.one(c, 'SELECT 1 FROM rounds WHERE session_id = $1 AND round = $2', [round.sessionId, round.round])) throw conflict();
      try {
        const row = await this.one<RoundRow & Row>(
          c,
          "INSERT INTO rounds (shard, lineage, step, session_id, round, status, started_at, cohort_size) VALUES ($1, $2, $3, $4, $5, 'started', $6, $7) RETURNING *",
          [round.shard, round.lineage, round.step, round.sessionId, round.round, round.startedAt, round.cohortSize],
        );
        return toRound(row!);
      } catch (err) {
        // Another process started the same round between the check and the insert.
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw conflict();
        throw err;
      }
    });
  }

  async roundAborted(id: number, end: RoundAbort): Promise<RoundRecord> {
    const account = checkRoundAbort(end);
    if (!Number.isSafeInteger(id)) throw new StoreError('store.not_found', `no round with id ${id}`);
    return this.transaction(async (c) => {
      // Locks in the store's order: the shard's row first (its account may change), then the round's.
      const shardOfRound = await this.one<{ shard: number }>(c, 'SELECT shard FROM rounds WHERE id = $1', [id]);
      if (shardOfRound && account) await c.query('SELECT 1 FROM shards WHERE shard = $1 FOR UPDATE', [shardOfRound.shard]);
      const row = await this.one<RoundRow & Row>(c, 'SELECT * FROM rounds WHERE id = $1 FOR UPDATE', [id]);
      if (!row) throw new StoreError('store.not_found', `no round with id ${id}`);
      if (row.status !== 'started') throw new StoreError('store.conflict', `round ${id} already ended (${row.status})`);
      if (end.endedAt < row.started_at) throw new StoreError('store.invalid', 'endedAt is before the round started');
      if (account) await c.query('UPDATE shards SET account = $1 WHERE shard = $2', [JSON.stringify(account), row.shard]);
      const updated = await this.one<RoundRow & Row>(c, "UPDATE rounds SET status = 'aborted', reason = $1, ended_at = $2, survivors = $3 WHERE id = $4 RETURNING *", [end.reason, end.endedAt, end.survivors, id]);
      return toRound(updated!);
    });
  }

  async roundSkipped(skip: SkippedRound): Promise<RoundRecord> {
    const account = checkSkippedRound(skip);
    return this.transaction(async (c) => {
      // The shard's row locked: its position cannot move, nor its account change, before this commits.
      const shard = await this.one<{ lineage: number }>(c, 'SELECT lineage FROM shards WHERE shard = $1 FOR UPDATE', [skip.shard]);
      if (!shard) throw new StoreError('store.not_found', `no shard ${skip.shard}`);
      const step = (await this.headRow(c, skip.shard))!.step;
      if (shard.lineage !== skip.lineage || step !== skip.step) throw new StoreError('store.conflict', `shard ${skip.shard} is at lineage ${shard.lineage} step ${step}, not ${skip.lineage}/${skip.step}`);
      const conflict = () => new StoreError('store.conflict', 'round 1 of that session was already started');
      if (await this.one(c, 'SELECT 1 FROM rounds WHERE session_id = $1 AND round = 1', [skip.sessionId])) throw conflict();
      let row: RoundRow | undefined;
      try {
        row = await this.one<RoundRow & Row>(
          c,
          "INSERT INTO rounds (shard, lineage, step, session_id, round, status, reason, started_at, ended_at, cohort_size, survivors) VALUES ($1, $2, $3, $4, 1, 'aborted', $5, $6, $6, $7, 0) RETURNING *",
          [skip.shard, skip.lineage, skip.step, skip.sessionId, skip.reason, skip.at, skip.cohortSize],
        );
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw conflict();
        throw err;
      }
      if (account) await c.query('UPDATE shards SET account = $1 WHERE shard = $2', [JSON.stringify(account), skip.shard]);
      return toRound(row!);
    });
  }

  async abortOpenRounds(reason: string, at: number): Promise<number> {
    checkReason(reason);
    checkTime(at, 'at');
    const result = await this.pool.query("UPDATE rounds SET status = 'aborted', reason = $1, ended_at = greatest(started_at, $2::bigint), survivors = 0 WHERE status = 'started'", [reason, at]);
    return result.rowCount ?? 0;
  }

  async listRounds(limit: number): Promise<RoundRecord[]> {
    checkLimit(limit);
    return (await this.pool.query<RoundRow & Row>('SELECT * FROM rounds ORDER BY id DESC LIMIT $1', [limit])).rows.map(toRound);
  }

  async countRounds(): Promise<RoundCounts[]> {
    const { rows } = await this.pool.query<RoundCounts & Row>(
      "SELECT s.shard AS shard, count(r.id) FILTER (WHERE r.status = 'completed') AS completed, count(r.id) FILTER (WHERE r.status = 'aborted') AS aborted FROM shards s LEFT JOIN rounds r ON r.shard = s.shard GROUP BY s.shard ORDER BY s.shard",
    );
    return rows.map((r) => ({ shard: r.shard, completed: r.completed, aborted: r.aborted }));
  }

  async serverIdentity(generate: () => ServerIdentity, at: number): Promise<StoredIdentity> {
    checkTime(at, 'at');
    const row = await this.transaction(async (c) => {
      await this.lockMeta(c);
      const read = () => this.one<{ public_key: Buffer; private_key: Buffer; created_at: number }>(c, 'SELECT public_key, private_key, created_at FROM server_identity WHERE id = 1');
      const existing = await read();
      if (existing) return existing;
      const fresh = generate();
      checkIdentity(fresh);
      await c.query('INSERT INTO server_identity (id, public_key, private_key, created_at) VALUES (1, $1, $2, $3)', [param(fresh.publicKey), param(fresh.privateKey), at]);
      return (await read())!;
    });
    return { publicKey: bytesOf(row.public_key), privateKey: bytesOf(row.private_key), createdAt: row.created_at };
  }

  async listCheckpoints(shard: number): Promise<CheckpointInfo[]> {
    checkShard(shard);
    return (await this.pool.query<CheckpointRow & Row>(`SELECT ${CHECKPOINT_INFO} FROM checkpoints WHERE shard = $1 ORDER BY step`, [shard])).rows.map(toCheckpointInfo);
  }

  async getCheckpoint(shard: number, step: number): Promise<Checkpoint | undefined> {
    checkShard(shard);
    if (!Number.isSafeInteger(step)) return undefined;
    const row = await this.one<CheckpointRow & Row>(this.pool, `SELECT ${CHECKPOINT_INFO}, training, served FROM checkpoints WHERE shard = $1 AND step = $2`, [shard, step]);
    return row && toCheckpoint(row);
  }

  async roundsAt(shard: number, lineage: number, step: number): Promise<number> {
    if (![shard, lineage, step].every(Number.isSafeInteger)) return 0;
    return (await this.one<{ n: number }>(this.pool, 'SELECT count(*) AS n FROM rounds WHERE shard = $1 AND lineage = $2 AND step = $3', [shard, lineage, step]))!.n;
  }

  async findDeletions(keyHash: string): Promise<DeletionRecord[]> {
    // COLLATE "C": ids ordered byte by byte, as SQLite orders text, whatever the database's locale.
    return (await this.pool.query<DeletionRow & Row>('SELECT * FROM deletions WHERE key_hash = $1 ORDER BY received_at, id COLLATE "C"', [String(keyHash)])).rows.map(toDeletion);
  }

  async pruneCheckpoints(shard: number, keep: readonly number[]): Promise<number> {
    checkShard(shard);
    return this.transaction(async (c) => {
      // The shard's row locked: no commit or rollback of this shard changes its head while it is pruned.
      await c.query('SELECT 1 FROM shards WHERE shard = $1 FOR UPDATE', [shard]);
      const all = (await c.query<{ id: number }>('SELECT id FROM checkpoints WHERE shard = $1 ORDER BY step', [shard])).rows;
      if (all.length === 0) throw new StoreError('store.not_found', `no shard ${shard}`);
      // The first (a rollback's last resort) and the head (the current model) are never dropped.
      const kept = new Set([...keep, all[0]!.id, all.at(-1)!.id]);
      const drop = all.filter((k) => !kept.has(k.id)).map((k) => k.id);
      if (drop.length === 0) return 0;
      return (await c.query('DELETE FROM checkpoints WHERE id = ANY($1::bigint[])', [drop])).rowCount ?? 0;
    });
  }

  async pruneModelFiles(keep: number): Promise<number> {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new StoreError('store.invalid', `keep must be a positive integer, got ${keep}`);
    const result = await this.pool.query('UPDATE model_versions SET model = NULL WHERE model IS NOT NULL AND version NOT IN (SELECT version FROM model_versions ORDER BY version DESC LIMIT $1)', [keep]);
    return result.rowCount ?? 0;
  }

  async requestDeletion(d: NewDeletion): Promise<{ deletion: DeletionRecord; created: boolean }> {
    checkNewDeletion(d);
    return this.transaction(async (c) => {
      // The device's row first (FOR UPDATE): two requests for one device, or a request and a commit naming it, take turns.
      const row = await this.deviceRow(c, d.deviceId, 'FOR UPDATE');
      const same = await this.one<DeletionRow & Row>(c, 'SELECT * FROM deletions WHERE key_hash = $1 AND nonce = $2', [d.keyHash, param(d.nonce)]);
      if (same) return { deletion: toDeletion(same), created: false };
      const done = await this.one<DeletionRow & Row>(c, "SELECT * FROM deletions WHERE key_hash = $1 AND status = 'done' ORDER BY chain_index LIMIT 1", [d.keyHash]);
      if (done) return { deletion: toDeletion(done), created: false };
      if (!row || !this.keys.get(row.ref)) throw new StoreError('store.not_found', 'no device is registered with that key');
      await c.query('UPDATE devices SET deleting = true WHERE ref = $1', [row.ref]);
      const inserted = await this.one<DeletionRow & Row>(
        c,
        "INSERT INTO deletions (id, key_hash, nonce, requested_at, received_at, shard, lookup, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING *",
        [d.id, d.keyHash, param(d.nonce), d.requestedAt, d.receivedAt, d.shard, row.lookup],
      );
      return { deletion: toDeletion(inserted!), created: true };
    });
  }

  async getDeletion(id: string): Promise<DeletionRecord | undefined> {
    const row = await this.one<DeletionRow & Row>(this.pool, 'SELECT * FROM deletions WHERE id = $1', [String(id)]);
    return row && toDeletion(row);
  }

  async pendingDeletions(): Promise<DeletionRecord[]> {
    return (await this.pool.query<DeletionRow & Row>("SELECT * FROM deletions WHERE status = 'pending' ORDER BY received_at, id COLLATE \"C\"")).rows.map(toDeletion);
  }

  async completeDeletion(k: DeletionCompletion): Promise<DeletionRecord> {
    checkDeletionCompletion(k);
    let ref: string | undefined;
    const done = await this.transaction(async (c) => {
      // The deletion's row first: two processes finishing the same pending deletion take turns; the second is refused.
      const deletion = await this.one<DeletionRow & Row>(c, 'SELECT * FROM deletions WHERE id = $1 FOR UPDATE', [String(k.deletionId)]);
      if (!deletion) throw new StoreError('store.not_found', `no deletion ${k.deletionId}`);
      if (deletion.status !== 'pending') throw new StoreError('store.conflict', `deletion ${k.deletionId} is already done`);
      // Every shard locked: the checkpoint and version the receipt names cannot move before this commits.
      const shards = await this.lockShards(c);
      const row = await this.one<DeviceRow & Row>(c, 'SELECT ref, lookup, deleting, sealed FROM devices WHERE lookup = $1 FOR UPDATE', [deletion.lookup]);
      if (!row || !row.deleting) throw new StoreError('store.conflict', 'the device this deletion names is not awaiting it');
      ref = row.ref;
      let servedVersion: { version: number; sha256: string };
      let checkpoint: CheckpointInfo;
      if (k.rollback) {
        if (k.rollback.shard !== deletion.shard) throw new StoreError('store.conflict', `deletion ${k.deletionId} is of shard ${deletion.shard}, not ${k.rollback.shard}`);
        ({ servedVersion, checkpoint } = await this.rollbackWithin(c, k.rollback, k.completedAt, shards.length));
      } else {
        await this.lockMeta(c);
        const latest = await this.one<{ version: number; sha256: string }>(c, 'SELECT version, sha256 FROM model_versions ORDER BY version DESC LIMIT 1');
        servedVersion = { version: latest!.version, sha256: latest!.sha256 };
        checkpoint = toCheckpointInfo((await this.headRow(c, deletion.shard))!);
      }
      // Erase the device: its row (the contributions go with it, ON DELETE CASCADE), then its key below.
      await c.query('DELETE FROM devices WHERE ref = $1', [row.ref]);
      await this.lockMeta(c);
      const last = await this.one<{ chain_index: number; receipt_hash: string }>(c, "SELECT chain_index, receipt_hash FROM deletions WHERE status = 'done' ORDER BY chain_index DESC LIMIT 1");
      const receipt = k.makeReceipt({ index: last ? last.chain_index + 1 : 0, previousHash: last?.receipt_hash ?? GENESIS_HASH, servedVersion, checkpoint });
      const updated = await this.one<DeletionRow & Row>(
        c,
        "UPDATE deletions SET status = 'done', lookup = NULL, completed_at = $1, chain_index = $2, receipt_hash = $3, receipt = $4 WHERE id = $5 RETURNING *",
        [k.completedAt, receipt.index, receiptHash(receipt), JSON.stringify(receipt), k.deletionId],
      );
      return toDeletion(updated!);
    });
    // Committed: destroy the key. Every copy of the sealed row (dead tuples, WAL, backups, replicas) becomes unreadable.
    this.keys.destroy(ref!);
    return done;
  }

  /**
   * Inside a transaction holding every shard's lock: everything trained after the target is discarded (its
   * checkpoints, and who trained on them); who trained on the target's own model stays recorded; a new lineage.
   */
  private async rollbackWithin(c: Client, r: NonNullable<DeletionCompletion['rollback']>, at: number, shards: number): Promise<{ servedVersion: { version: number; sha256: string }; checkpoint: CheckpointInfo }> {
    const target = await this.one<CheckpointRow & Row>(c, `SELECT ${CHECKPOINT_INFO} FROM checkpoints WHERE shard = $1 AND step = $2`, [r.shard, r.toStep]);
    if (!target) throw new StoreError('store.not_found', `shard ${r.shard} keeps no checkpoint at step ${r.toStep}`);
    const composition = await this.checkBasis(c, r.basis, r.shard, shards);
    composition[r.shard] = target.id;
    await c.query('DELETE FROM checkpoints WHERE shard = $1 AND step > $2', [r.shard, r.toStep]);
    await c.query('DELETE FROM contributions WHERE shard = $1 AND step > $2', [r.shard, r.toStep]);
    await c.query('UPDATE shards SET lineage = lineage + 1 WHERE shard = $1', [r.shard]);
    const version = await this.insertVersion(c, { data: r.model, createdAt: at, roundId: null, composition, provenance: r.provenance });
    return { servedVersion: { version: version.version, sha256: version.sha256 }, checkpoint: toCheckpointInfo(target) };
  }

  async rollbackShard(r: NonNullable<DeletionCompletion['rollback']> & { at: number }): Promise<ModelVersionInfo> {
    checkShard(r.shard);
    checkTime(r.at, 'at');
    return this.transaction(async (c) => {
      const shards = await this.lockShards(c);
      await this.rollbackWithin(c, r, r.at, shards.length);
      return toModelInfo((await this.one<ModelRow & Row>(c, `SELECT ${MODEL_INFO} FROM model_versions ORDER BY version DESC LIMIT 1`))!);
    });
  }

  async receiptChain(): Promise<ChainEntry[]> {
    const { rows } = await this.pool.query<{ chain_index: number; receipt_hash: string; completed_at: number; shard: number; receipt: { previousHash: string } }>(
      "SELECT chain_index, receipt_hash, completed_at, shard, receipt FROM deletions WHERE status = 'done' ORDER BY chain_index",
    );
    return rows.map((r) => ({ index: r.chain_index, hash: r.receipt_hash, previousHash: r.receipt.previousHash, completedAt: r.completed_at, shard: r.shard }));
  }

  async receiptKey(generate: () => ServerIdentity, at: number): Promise<ReceiptKey> {
    checkTime(at, 'at');
    return this.transaction(async (c) => {
      await this.lockMeta(c);
      const active = await this.one<ReceiptKeyRow & Row>(c, 'SELECT * FROM receipt_keys WHERE retired_at IS NULL');
      if (active) return toReceiptKey(active);
      return this.insertReceiptKey(c, generate(), at);
    });
  }

  private async insertReceiptKey(c: Client, fresh: ServerIdentity, at: number): Promise<ReceiptKey> {
    checkIdentity(fresh);
    const row = await this.one<ReceiptKeyRow & Row>(c, 'INSERT INTO receipt_keys (id, public_key, private_key, created_at) VALUES ($1, $2, $3, $4) RETURNING *', [keyId(fresh.publicKey), param(fresh.publicKey), param(fresh.privateKey), at]);
    return toReceiptKey(row!);
  }

  async listReceiptKeys(): Promise<ReceiptKey[]> {
    return (await this.pool.query<ReceiptKeyRow & Row>('SELECT * FROM receipt_keys ORDER BY retired_at IS NOT NULL, coalesce(retired_at, 0) DESC, created_at DESC')).rows.map(toReceiptKey);
  }

  async rotateReceiptKey(generate: () => ServerIdentity, at: number): Promise<ReceiptKey> {
    checkTime(at, 'at');
    return this.transaction(async (c) => {
      await this.lockMeta(c);
      await c.query('UPDATE receipt_keys SET retired_at = $1 WHERE retired_at IS NULL', [at]);
      return this.insertReceiptKey(c, generate(), at);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
    this.keys.close();
  }
}

/**
 * The server's PostgreSQL store: the database at `url`, its device keys in a SQLite key file in `dataDir` named by the
 * database's store id (processes on one machine share it; see README, PostgreSQL, for several machines).
 */
export function openPostgresStore(url: string, dataDir: string, onIdleError?: (err: Error) => void): Promise<PostgresStore> {
  return PostgresStore.open(url, { keys: (storeId) => sqliteDeviceKeys(postgresKeysPath(dataDir, storeId)), ...(onIdleError && { onIdleError }) });
}

/** Refuse a server whose commits are not durable when they return (the server acknowledges rounds after commit). */
async function checkDurability(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ fsync: string; synchronous_commit: string }>("SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit");
  const { fsync, synchronous_commit } = rows[0]!;
  if (fsync !== 'on') throw new Error('the PostgreSQL server runs with fsync off: a commit it reports may be lost on a crash');
  if (synchronous_commit === 'off') throw new Error('synchronous_commit is off for this connection: a commit would be reported before it is durable');
}
