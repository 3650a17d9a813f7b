// The Store on SQLite (better-sqlite3): WAL with full fsync on commit, secure delete, foreign keys, migrations.
//
// Model files are BLOBs in their rows rather than files in the data directory: a checkpoint, the version
// built from it and the round that made them commit in one transaction (no write → fsync → rename →
// fsync(dir) sequence to get right, no orphan or missing file after a crash), integrity_check covers them,
// and secure_delete scrubs them. Models here are megabytes (10k items × 32 dims ≈ 1.3 MB); files would win
// only for models near SQLite's 1 GB blob limit.
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { basename, dirname, extname, join } from 'node:path';
import { receiptHash, receiptSchema, GENESIS_HASH } from '../../shared/protocol/deletion';
import { keyId } from '../../shared/protocol/key-id';
import { sqliteDeviceKeys, type DeviceKeyStore } from './device-keys';
import { deviceLookup, newDeviceRef, openDevice, sealDevice, type DeviceSecrets } from './device-sealing';
import { StoreError } from './errors';
import { migrate } from './migrations';
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
import { checkDeletionCompletion, checkDeviceId, checkEnrollmentBatch, checkIdentity, checkInitialisation, checkLimit, checkNewDeletion, checkNewRound, checkReason, checkRevocation, checkRoundAbort, checkRoundCommit, checkSkippedRound, checkSeen, checkShard, checkTime, checkTokenHash, sha256Hex } from './validate';

/** WAL bytes kept after a checkpoint; without a limit the file stays at its high-water mark. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
const BUSY_TIMEOUT_MS = 5_000;

/** How the store makes a commit durable; FULL is the only setting the server uses (tests may weaken it to show why). */
export type Synchronous = 'FULL' | 'NORMAL' | 'OFF';

interface DeviceRow {
  ref: string;
  lookup: Buffer;
  deleting: number;
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
  receipt: string | null;
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
  provenance: string;
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

const bytesOf = (b: Buffer): Uint8Array => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const blob = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const toDeletion = (r: DeletionRow): DeletionRecord => ({
  id: r.id,
  keyHash: r.key_hash,
  nonce: new Uint8Array(r.nonce),
  requestedAt: r.requested_at,
  receivedAt: r.received_at,
  shard: r.shard,
  status: r.status,
  completedAt: r.completed_at,
  receipt: r.receipt === null ? null : receiptSchema.parse(JSON.parse(r.receipt)),
});
const toReceiptKey = (r: ReceiptKeyRow): ReceiptKey => ({ id: r.id, publicKey: new Uint8Array(r.public_key), privateKey: new Uint8Array(r.private_key), createdAt: r.created_at, retiredAt: r.retired_at });
const toModelInfo = (r: ModelRow): ModelVersionInfo => ({
  version: r.version,
  createdAt: r.created_at,
  sha256: r.sha256,
  sizeBytes: r.size_bytes,
  provenance: modelProvenanceSchema.parse(JSON.parse(r.provenance)),
});
const toModel = (r: ModelRow): ModelVersion => ({ ...toModelInfo(r), data: bytesOf(r.model!) });
const toCheckpointInfo = (r: CheckpointRow): CheckpointInfo => ({
  id: r.id,
  shard: r.shard,
  lineage: r.lineage,
  step: r.step,
  createdAt: r.created_at,
  round: r.round_id,
  trainingSha256: r.training_sha256,
  iterates: r.iterates,
});
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

const CHECKPOINT_INFO = 'id, shard, lineage, step, created_at, round_id, training_sha256, iterates';

/** The device key store's file for a database file: NAME.keys.sqlite beside NAME.sqlite. */
export function keysPathFor(path: string): string {
  return join(dirname(path), `${basename(path, extname(path))}.keys.sqlite`);
}

/** A device as callers see it (the store's reference and key stay inside). */
const publicDevice = (d: DeviceRecord): DeviceRecord => ({ deviceId: d.deviceId, registeredAt: d.registeredAt, lastSeen: d.lastSeen, consentTraining: d.consentTraining, deleting: d.deleting });
const MODEL_INFO = 'version, created_at, sha256, size_bytes, provenance';

/** A SQLite-backed Store (see the file comment). Also exposes `db` for tests and maintenance. */
export class SqliteStore implements Store {
  readonly db: Db;
  /** Prepared statements by their SQL: preparing is most of the cost of a small query. */
  private readonly statements = new Map<string, Statement>();
  /** Each device's data key and the lookup secret, in their own file (device-keys.ts). */
  readonly keys: DeviceKeyStore;

  private constructor(path: string, synchronous: Synchronous, keysPath: string, sweepKeys: boolean) {
    this.db = new Database(path);
    this.keys = sqliteDeviceKeys(keysPath, synchronous);
    try {
      this.db.pragma('journal_mode = WAL');
      // FULL: a commit is on disk before it returns (NORMAL can lose the last commits on power loss).
      this.db.pragma(`synchronous = ${synchronous}`);
      this.db.pragma('secure_delete = ON');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
      migrate(this.db);
      this.sealLegacyDevices();
      if (sweepKeys) this.sweepKeys();
    } catch (err) {
      this.db.close();
      this.keys.close();
      throw err;
    }
  }

  /**
   * Open (creating if needed) the database file at `path` and its device key store (default: NAME.keys.sqlite beside
   * NAME.sqlite), and bring the schema up to date. `sweepKeys: false` is for tools that open the store while the
   * server may be running: a key made for a registration whose row is not committed yet would look orphaned to them.
   */
  static open(path: string, options: { synchronous?: Synchronous; keysPath?: string; sweepKeys?: boolean } = {}): SqliteStore {
    return new SqliteStore(path, options.synchronous ?? 'FULL', options.keysPath ?? keysPathFor(path), options.sweepKeys ?? true);
  }

  /** Schema-2 devices (public keys in the clear) are sealed under fresh device keys, then their rows are erased. */
  private sealLegacyDevices(): void {
    const legacy = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'legacy_devices'").get();
    if (!legacy) return;
    const rows = this.db.prepare('SELECT device_id, registered_at, last_seen, consent_training FROM legacy_devices').all() as { device_id: string; registered_at: number; last_seen: number; consent_training: number }[];
    const sealed = rows.map((r) => this.sealNew({ deviceId: r.device_id, registeredAt: r.registered_at, lastSeen: r.last_seen, consentTraining: r.consent_training === 1 }));
    this.db.transaction(() => {
      for (const d of sealed) this.q('INSERT INTO devices (ref, lookup, sealed) VALUES (?, ?, ?)').run(d.ref, d.lookup, d.sealed);
      this.db.exec('DELETE FROM legacy_devices; DROP TABLE legacy_devices;');
    }).immediate();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Destroy keys whose device row is gone (a crash between a deletion's commit and the key's destruction). */
  private sweepKeys(): void {
    const live = new Set((this.q('SELECT ref FROM devices').all() as { ref: string }[]).map((r) => r.ref));
    for (const ref of this.keys.refs()) if (!live.has(ref)) this.keys.destroy(ref);
  }

  /** A new device row's parts: a fresh reference and key (durable in the key store first), the sealed data. */
  private sealNew(secrets: DeviceSecrets): { ref: string; lookup: Buffer; sealed: Buffer } {
    const ref = newDeviceRef();
    const key = this.keys.create(ref);
    return { ref, lookup: deviceLookup(this.keys.lookupSecret(), secrets.deviceId), sealed: sealDevice(key, ref, secrets) };
  }

  private deviceRow(deviceId: string): DeviceRow | undefined {
    return this.q('SELECT * FROM devices WHERE lookup = ?').get(deviceLookup(this.keys.lookupSecret(), deviceId)) as DeviceRow | undefined;
  }

  /** A device row opened with its key (undefined when its key is gone: a deleted device). */
  private openRow(row: DeviceRow): (DeviceRecord & { ref: string; key: Uint8Array }) | undefined {
    const key = this.keys.get(row.ref);
    if (!key) return undefined;
    const secrets = openDevice(key, row.ref, row.sealed);
    return { ...secrets, deleting: row.deleting === 1, ref: row.ref, key };
  }

  private reseal(device: DeviceRecord & { ref: string; key: Uint8Array }): void {
    const { deviceId, registeredAt, lastSeen, consentTraining } = device;
    this.q('UPDATE devices SET sealed = ? WHERE ref = ?').run(sealDevice(device.key, device.ref, { deviceId, registeredAt, lastSeen, consentTraining }), device.ref);
  }

  private q(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** PRAGMA integrity_check: 'ok', or the first problems SQLite reports. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check(20)') as { integrity_check: string }[];
    const main = rows.map((r) => r.integrity_check).join('; ');
    return main;
  }

  async registerDevice(deviceId: string, at: number): Promise<{ device: DeviceRecord; created: boolean }> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    const existing = this.deviceRow(deviceId);
    const opened = existing && this.openRow(existing);
    if (opened) return { device: publicDevice(opened), created: false };
    const fresh = this.sealNew({ deviceId, registeredAt: at, lastSeen: at, consentTraining: false });
    this.q('INSERT INTO devices (ref, lookup, sealed) VALUES (?, ?, ?)').run(fresh.ref, fresh.lookup, fresh.sealed);
    return { device: { deviceId, registeredAt: at, lastSeen: at, consentTraining: false, deleting: false }, created: true };
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const row = this.deviceRow(deviceId);
    const opened = row && this.openRow(row);
    return opened && publicDevice(opened);
  }

  async touchDevice(deviceId: string, at: number): Promise<void> {
    checkTime(at, 'at');
    const row = this.deviceRow(deviceId);
    const device = row && this.openRow(row);
    if (!device) throw new StoreError('store.not_found', 'no device with that id');
    if (at > device.lastSeen) this.reseal({ ...device, lastSeen: at });
  }

  async touchDevices(seen: readonly DeviceSeen[]): Promise<number> {
    checkSeen(seen);
    const run = this.db.transaction(() => {
      let moved = 0;
      for (const { deviceId, at } of seen) {
        const row = this.deviceRow(deviceId);
        const device = row && this.openRow(row);
        if (!device || at <= device.lastSeen) continue; // gone since it was seen (deleted), or an older time
        this.reseal({ ...device, lastSeen: at });
        moved++;
      }
      return moved;
    });
    return run.immediate();
  }

  private tokenStatus(hash: Buffer): 'unused' | 'used' | 'revoked' | undefined {
    return (this.q('SELECT status FROM enrollment_tokens WHERE hash = ?').get(hash) as { status: 'unused' | 'used' | 'revoked' } | undefined)?.status;
  }

  async registerDeviceWithToken(deviceId: string, at: number, tokenHash: Uint8Array): Promise<TokenRegistration> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    checkTokenHash(tokenHash);
    const hash = Buffer.from(tokenHash);
    const refusal = (status: 'used' | 'revoked' | undefined): TokenRegistration => ({ outcome: status === undefined ? 'token_unknown' : status === 'used' ? 'token_used' : 'token_revoked' });
    const existing = (): DeviceRecord | undefined => {
      const row = this.deviceRow(deviceId);
      const opened = row && this.openRow(row);
      return opened && publicDevice(opened);
    };
    // Read before writing: a bad token costs no device key and no fsync.
    const known = existing();
    if (known) return { outcome: 'existing', device: known };
    const before = this.tokenStatus(hash);
    if (before !== 'unused') return refusal(before);
    // The key goes to the key store first (durable), as in registerDevice; the row and the token's mark then commit together.
    const fresh = this.sealNew({ deviceId, registeredAt: at, lastSeen: at, consentTraining: false });
    let result: TokenRegistration;
    try {
      result = this.db.transaction((): TokenRegistration => {
        // Again inside the transaction: another connection or process may have used the token or registered the key.
        const again = existing();
        if (again) return { outcome: 'existing', device: again };
        const status = this.tokenStatus(hash);
        if (status !== 'unused') return refusal(status);
        this.q('INSERT INTO devices (ref, lookup, sealed) VALUES (?, ?, ?)').run(fresh.ref, fresh.lookup, fresh.sealed);
        this.q("UPDATE enrollment_tokens SET status = 'used' WHERE hash = ? AND status = 'unused'").run(hash);
        return { outcome: 'registered', device: { deviceId, registeredAt: at, lastSeen: at, consentTraining: false, deleting: false } };
      }).immediate();
    } catch (err) {
      this.keys.destroy(fresh.ref);
      throw err;
    }
    if (result.outcome !== 'registered') this.keys.destroy(fresh.ref);
    return result;
  }

  async issueEnrollmentTokens(batch: EnrollmentBatch): Promise<void> {
    checkEnrollmentBatch(batch);
    const run = this.db.transaction(() => {
      if (this.q('SELECT 1 FROM enrollment_tokens WHERE batch = ? LIMIT 1').get(batch.batchId)) throw new StoreError('store.conflict', `batch ${batch.batchId} was already issued`);
      const insert = this.q("INSERT INTO enrollment_tokens (hash, batch, issued_at, status) VALUES (?, ?, ?, 'unused')");
      for (const h of batch.hashes) {
        try {
          insert.run(Buffer.from(h), batch.batchId, batch.issuedAt);
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new StoreError('store.conflict', 'a token with that hash was already issued');
          throw err;
        }
      }
    });
    run.immediate();
  }

  async revokeEnrollmentTokens(which: TokenRevocation): Promise<number> {
    checkRevocation(which);
    const run = this.db.transaction(() => {
      if ('hashes' in which) {
        const revoke = this.q("UPDATE enrollment_tokens SET status = 'revoked' WHERE hash = ? AND status = 'unused'");
        return which.hashes.reduce((n, h) => n + revoke.run(Buffer.from(h)).changes, 0);
      }
      if ('batchId' in which) return this.q("UPDATE enrollment_tokens SET status = 'revoked' WHERE batch = ? AND status = 'unused'").run(which.batchId).changes;
      return this.q("UPDATE enrollment_tokens SET status = 'revoked' WHERE status = 'unused'").run().changes;
    });
    return run.immediate();
  }

  async listEnrollmentBatches(): Promise<EnrollmentBatchCounts[]> {
    const rows = this.q(
      "SELECT batch, min(issued_at) AS issued_at, count(*) AS issued, count(*) FILTER (WHERE status = 'used') AS used, count(*) FILTER (WHERE status = 'revoked') AS revoked FROM enrollment_tokens GROUP BY batch ORDER BY min(issued_at), batch",
    ).all() as { batch: string; issued_at: number; issued: number; used: number; revoked: number }[];
    return rows.map((r) => ({ batchId: r.batch, issuedAt: r.issued_at, issued: r.issued, used: r.used, revoked: r.revoked }));
  }

  async setConsent(deviceId: string, training: boolean): Promise<DeviceRecord> {
    if (typeof training !== 'boolean') throw new StoreError('store.invalid', 'training must be a boolean');
    const row = this.deviceRow(deviceId);
    const device = row && this.openRow(row);
    if (!device) throw new StoreError('store.not_found', 'no device with that id');
    this.reseal({ ...device, consentTraining: training });
    return publicDevice({ ...device, consentTraining: training });
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const rows = this.q('SELECT * FROM devices').all() as DeviceRow[];
    return rows
      .map((r) => this.openRow(r))
      .filter((d): d is NonNullable<typeof d> => d !== undefined)
      .map(publicDevice)
      .sort((a, b) => a.registeredAt - b.registeredAt || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  }

  async contributedAt(shard: number, step: number, deviceIds: readonly string[]): Promise<Set<string>> {
    checkShard(shard);
    const rows = this.q('SELECT d.lookup AS lookup FROM contributions c JOIN devices d ON d.ref = c.ref WHERE c.shard = ? AND c.step = ?').all(shard, step) as { lookup: Buffer }[];
    const lookups = new Set(rows.map((r) => r.lookup.toString('hex')));
    const secret = this.keys.lookupSecret();
    return new Set(deviceIds.filter((id) => lookups.has(deviceLookup(secret, id).toString('hex'))));
  }

  async deletionFirstContribution(deletionId: string): Promise<number | undefined> {
    const row = this.q('SELECT min(c.step) AS step FROM deletions x JOIN devices d ON d.lookup = x.lookup JOIN contributions c ON c.ref = d.ref AND c.shard = x.shard WHERE x.id = ?').get(deletionId) as { step: number | null };
    return row.step ?? undefined;
  }

  async firstContribution(deviceId: string, shard: number): Promise<number | undefined> {
    checkShard(shard);
    const row = this.q('SELECT min(c.step) AS step FROM contributions c JOIN devices d ON d.ref = c.ref WHERE d.lookup = ? AND c.shard = ?').get(deviceLookup(this.keys.lookupSecret(), deviceId), shard) as { step: number | null };
    return row.step ?? undefined;
  }

  private nextVersion(): number {
    const row = this.q('SELECT max(v) AS v FROM (SELECT max(version) AS v FROM model_versions UNION ALL SELECT max(version) FROM legacy_model_versions)').get() as { v: number | null };
    return (row.v ?? 0) + 1;
  }

  private insertCheckpoint(c: { shard: number; lineage: number; step: number; createdAt: number; roundId: number | null; training: Uint8Array; served: Uint8Array; iterates: number }): number {
    const row = this.db
      .prepare('INSERT INTO checkpoints (shard, lineage, step, created_at, round_id, training, training_sha256, served, iterates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id')
      .get(c.shard, c.lineage, c.step, c.createdAt, c.roundId, blob(c.training), sha256Hex(c.training), blob(c.served), c.iterates) as { id: number };
    return row.id;
  }

  private insertVersion(m: { data: Uint8Array; createdAt: number; roundId: number | null; composition: number[]; provenance: ModelVersionInfo['provenance'] }): ModelVersionInfo {
    const version = this.nextVersion();
    const sha256 = sha256Hex(m.data);
    this.db
      .prepare('INSERT INTO model_versions (version, created_at, sha256, size_bytes, model, round_id, composition, provenance) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(version, m.createdAt, sha256, m.data.length, blob(m.data), m.roundId, JSON.stringify(m.composition), JSON.stringify(m.provenance));
    return { version, createdAt: m.createdAt, sha256, sizeBytes: m.data.length, provenance: m.provenance };
  }

  /** The head: a rollback deletes the checkpoints after its target, so the shard's latest step is its current model. */
  private latestCheckpointRow(shard: number): CheckpointRow | undefined {
    return this.q(`SELECT ${CHECKPOINT_INFO} FROM checkpoints WHERE shard = ? ORDER BY step DESC LIMIT 1`).get(shard) as CheckpointRow | undefined;
  }

  private shardLineage(shard: number): number | undefined {
    return (this.q('SELECT lineage FROM shards WHERE shard = ?').get(shard) as { lineage: number } | undefined)?.lineage;
  }

  /** The composition of a new version: the basis checkpoints, each still its shard's head, this shard's slot left for the caller. */
  private checkBasis(basis: readonly number[], except: number): number[] {
    const shards = (this.q('SELECT count(*) AS n FROM shards').get() as { n: number }).n;
    if (basis.length !== shards) throw new StoreError('store.invalid', `basis must name one checkpoint per shard (${shards}), got ${basis.length}`);
    return basis.map((id, shard) => {
      if (shard === except) return -1;
      if (this.latestCheckpointRow(shard)?.id !== id) throw new StoreError('store.conflict', `shard ${shard} has moved on from checkpoint ${id}: rebuild the served file`);
      return id;
    });
  }

  async initialise(init: Initialisation): Promise<{ version: ModelVersionInfo; created: boolean }> {
    const provenance = checkInitialisation(init);
    const run = this.db.transaction(() => {
      const count = (this.q('SELECT count(*) AS n FROM shards').get() as { n: number }).n;
      if (count > 0) {
        if (count !== init.shards.length) throw new StoreError('store.conflict', `the store has ${count} shards, not ${init.shards.length}: changing the number of shards needs a fresh data directory`);
        const latest = this.q(`SELECT ${MODEL_INFO} FROM model_versions ORDER BY version DESC LIMIT 1`).get() as ModelRow;
        return { version: toModelInfo(latest), created: false };
      }
      const account = JSON.stringify({ history: [], unbounded: false });
      const composition = init.shards.map((s, shard) => {
        this.q('INSERT INTO shards (shard, lineage, account) VALUES (?, 0, ?)').run(shard, account);
        return this.insertCheckpoint({ shard, lineage: 0, step: 0, createdAt: init.createdAt, roundId: null, training: s.training, served: s.served, iterates: 0 });
      });
      return { version: this.insertVersion({ data: init.model, createdAt: init.createdAt, roundId: null, composition, provenance }), created: true };
    });
    return run.immediate();
  }

  async listShards(): Promise<ShardRecord[]> {
    const rows = this.q('SELECT shard, lineage, account FROM shards ORDER BY shard').all() as { shard: number; lineage: number; account: string }[];
    return rows.map((r) => ({ shard: r.shard, lineage: r.lineage, account: privacyAccountSchema.parse(JSON.parse(r.account)) }));
  }

  async currentCheckpoint(shard: number): Promise<Checkpoint> {
    checkShard(shard);
    const info = this.latestCheckpointRow(shard);
    if (!info) throw new StoreError('store.not_found', `no shard ${shard}`);
    const files = this.q('SELECT training, served FROM checkpoints WHERE id = ?').get(info.id) as { training: Buffer; served: Buffer };
    return { ...toCheckpointInfo(info), training: bytesOf(files.training), served: bytesOf(files.served) };
  }

  async commitRound(c: RoundCommit): Promise<{ version: ModelVersionInfo; checkpoint: CheckpointInfo }> {
    const { provenance, account } = checkRoundCommit(c);
    const run = this.db.transaction(() => {
      const round = this.q('SELECT * FROM rounds WHERE id = ?').get(c.roundId) as RoundRow | undefined;
      if (!round) throw new StoreError('store.not_found', `no round with id ${c.roundId}`);
      if (round.status !== 'started') throw new StoreError('store.conflict', `round ${c.roundId} already ended (${round.status})`);
      if (round.shard !== c.shard) throw new StoreError('store.conflict', `round ${c.roundId} belongs to shard ${round.shard}, not ${c.shard}`);
      if (c.endedAt < round.started_at) throw new StoreError('store.invalid', 'endedAt is before the round started');
      const current = this.latestCheckpointRow(c.shard);
      if (!current) throw new StoreError('store.not_found', `no shard ${c.shard}`);
      const lineage = this.shardLineage(c.shard)!;
      if (lineage !== c.lineage || current.step !== c.fromStep) {
        throw new StoreError('store.conflict', `shard ${c.shard} is at lineage ${lineage} step ${current.step}; the round trained from lineage ${c.lineage} step ${c.fromStep}`);
      }
      const composition = this.checkBasis(c.basis, c.shard);
      // Every contributor must still be a device in good standing: a deleted one's update must never be stored.
      const refs = c.contributors.map((id) => {
        const row = this.deviceRow(id);
        if (!row || row.deleting === 1) throw new StoreError('store.conflict', 'a contributor of this round is no longer a registered device (deleted or being deleted)');
        return row.ref;
      });
      for (const ref of refs) this.q('INSERT INTO contributions (ref, shard, step) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(ref, c.shard, c.fromStep);
      this.q("UPDATE rounds SET status = 'completed', reason = NULL, ended_at = ?, survivors = ? WHERE id = ?").run(c.endedAt, c.survivors, c.roundId);
      this.q('UPDATE shards SET account = ? WHERE shard = ?').run(JSON.stringify(account), c.shard);
      if (round.lineage !== c.lineage || round.step !== c.fromStep) throw new StoreError('store.conflict', `round ${c.roundId} trained at lineage ${round.lineage} step ${round.step}, not ${c.lineage}/${c.fromStep}`);
      const id = this.insertCheckpoint({ shard: c.shard, lineage: c.lineage, step: c.fromStep + 1, createdAt: c.endedAt, roundId: c.roundId, training: c.training, served: c.served, iterates: c.iterates });
      composition[c.shard] = id;
      const version = this.insertVersion({ data: c.model, createdAt: c.endedAt, roundId: c.roundId, composition, provenance });
      const checkpoint = toCheckpointInfo(this.q(`SELECT ${CHECKPOINT_INFO} FROM checkpoints WHERE id = ?`).get(id) as CheckpointRow);
      return { version, checkpoint };
    });
    return run.immediate();
  }

  async latestModel(): Promise<ModelVersion | undefined> {
    const row = this.q('SELECT * FROM model_versions ORDER BY version DESC LIMIT 1').get() as ModelRow | undefined;
    return row && toModel(row);
  }

  async latestModelInfo(): Promise<ModelVersionInfo | undefined> {
    const row = this.q(`SELECT ${MODEL_INFO} FROM model_versions ORDER BY version DESC LIMIT 1`).get() as ModelRow | undefined;
    return row && toModelInfo(row);
  }

  async getModel(version: number): Promise<ModelVersion | undefined> {
    const row = this.q('SELECT * FROM model_versions WHERE version = ? AND model IS NOT NULL').get(version) as ModelRow | undefined;
    return row && toModel(row);
  }

  async listModelVersions(limit: number): Promise<ModelVersionInfo[]> {
    checkLimit(limit);
    const rows = this.q(`SELECT ${MODEL_INFO} FROM model_versions ORDER BY version DESC LIMIT ?`).all(limit) as ModelRow[];
    return rows.map(toModelInfo);
  }

  async roundStarted(round: NewRound): Promise<RoundRecord> {
    checkNewRound(round);
    const start = this.db.transaction(() => {
      if (!this.q('SELECT 1 FROM shards WHERE shard = ?').get(round.shard)) throw new StoreError('store.not_found', `no shard ${round.shard}`);
      try {
        return this.db
          .prepare("INSERT INTO rounds (shard, lineage, step, session_id, round, status, started_at, cohort_size) VALUES (?, ?, ?, ?, ?, 'started', ?, ?) RETURNING *")
          .get(round.shard, round.lineage, round.step, round.sessionId, round.round, round.startedAt, round.cohortSize) as RoundRow;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new StoreError('store.conflict', `round ${round.round} of that session was already started`);
        throw err;
      }
    });
    return toRound(start.immediate());
  }

  async roundAborted(id: number, end: RoundAbort): Promise<RoundRecord> {
    const account = checkRoundAbort(end);
    const finish = this.db.transaction(() => {
      const row = this.q('SELECT * FROM rounds WHERE id = ?').get(id) as RoundRow | undefined;
      if (!row) throw new StoreError('store.not_found', `no round with id ${id}`);
      if (row.status !== 'started') throw new StoreError('store.conflict', `round ${id} already ended (${row.status})`);
      if (end.endedAt < row.started_at) throw new StoreError('store.invalid', 'endedAt is before the round started');
      if (account) this.q('UPDATE shards SET account = ? WHERE shard = ?').run(JSON.stringify(account), row.shard);
      return this.q("UPDATE rounds SET status = 'aborted', reason = ?, ended_at = ?, survivors = ? WHERE id = ? RETURNING *").get(end.reason, end.endedAt, end.survivors, id) as RoundRow;
    });
    return toRound(finish.immediate());
  }

  async roundSkipped(skip: SkippedRound): Promise<RoundRecord> {
    const account = checkSkippedRound(skip);
    const record = this.db.transaction(() => {
      const lineage = this.shardLineage(skip.shard);
      if (lineage === undefined) throw new StoreError('store.not_found', `no shard ${skip.shard}`);
      const step = this.latestCheckpointRow(skip.shard)!.step;
      if (lineage !== skip.lineage || step !== skip.step) throw new StoreError('store.conflict', `shard ${skip.shard} is at lineage ${lineage} step ${step}, not ${skip.lineage}/${skip.step}`);
      let row: RoundRow;
      try {
        row = this.db
          .prepare("INSERT INTO rounds (shard, lineage, step, session_id, round, status, reason, started_at, ended_at, cohort_size, survivors) VALUES (?, ?, ?, ?, 1, 'aborted', ?, ?, ?, ?, 0) RETURNING *")
          .get(skip.shard, skip.lineage, skip.step, skip.sessionId, skip.reason, skip.at, skip.at, skip.cohortSize) as RoundRow;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new StoreError('store.conflict', 'round 1 of that session was already started');
        throw err;
      }
      if (account) this.q('UPDATE shards SET account = ? WHERE shard = ?').run(JSON.stringify(account), skip.shard);
      return row;
    });
    return toRound(record.immediate());
  }

  async abortOpenRounds(reason: string, at: number): Promise<number> {
    checkReason(reason);
    checkTime(at, 'at');
    return this.q("UPDATE rounds SET status = 'aborted', reason = ?, ended_at = max(started_at, ?), survivors = 0 WHERE status = 'started'").run(reason, at).changes;
  }

  async listRounds(limit: number): Promise<RoundRecord[]> {
    checkLimit(limit);
    return (this.q('SELECT * FROM rounds ORDER BY id DESC LIMIT ?').all(limit) as RoundRow[]).map(toRound);
  }

  async countRounds(): Promise<RoundCounts[]> {
    const rows = this.db
      .prepare("SELECT s.shard AS shard, count(r.id) FILTER (WHERE r.status = 'completed') AS completed, count(r.id) FILTER (WHERE r.status = 'aborted') AS aborted FROM shards s LEFT JOIN rounds r ON r.shard = s.shard GROUP BY s.shard ORDER BY s.shard")
      .all() as RoundCounts[];
    return rows.map((r) => ({ shard: r.shard, completed: r.completed, aborted: r.aborted }));
  }

  async serverIdentity(generate: () => ServerIdentity, at: number): Promise<StoredIdentity> {
    checkTime(at, 'at');
    const read = () => this.q('SELECT public_key, private_key, created_at FROM server_identity WHERE id = 1').get() as { public_key: Buffer; private_key: Buffer; created_at: number } | undefined;
    const getOrCreate = this.db.transaction(() => {
      const existing = read();
      if (existing) return existing;
      const fresh = generate();
      checkIdentity(fresh);
      this.q('INSERT INTO server_identity (id, public_key, private_key, created_at) VALUES (1, ?, ?, ?)').run(Buffer.from(fresh.publicKey), Buffer.from(fresh.privateKey), at);
      return read()!;
    });
    const row = getOrCreate.immediate();
    return { publicKey: new Uint8Array(row.public_key), privateKey: new Uint8Array(row.private_key), createdAt: row.created_at };
  }

  async listCheckpoints(shard: number): Promise<CheckpointInfo[]> {
    checkShard(shard);
    return (this.q(`SELECT ${CHECKPOINT_INFO} FROM checkpoints WHERE shard = ? ORDER BY step`).all(shard) as CheckpointRow[]).map(toCheckpointInfo);
  }

  async getCheckpoint(shard: number, step: number): Promise<Checkpoint | undefined> {
    checkShard(shard);
    const row = this.q(`SELECT ${CHECKPOINT_INFO}, training, served FROM checkpoints WHERE shard = ? AND step = ?`).get(shard, step) as CheckpointRow | undefined;
    return row && { ...toCheckpointInfo(row), training: bytesOf(row.training!), served: bytesOf(row.served!) };
  }

  async roundsAt(shard: number, lineage: number, step: number): Promise<number> {
    return (this.q('SELECT count(*) AS n FROM rounds WHERE shard = ? AND lineage = ? AND step = ?').get(shard, lineage, step) as { n: number }).n;
  }

  async findDeletions(keyHash: string): Promise<DeletionRecord[]> {
    return (this.q('SELECT * FROM deletions WHERE key_hash = ? ORDER BY received_at, id').all(keyHash) as DeletionRow[]).map(toDeletion);
  }

  async pruneCheckpoints(shard: number, keep: readonly number[]): Promise<number> {
    checkShard(shard);
    const run = this.db.transaction(() => {
      const all = this.q(`SELECT ${CHECKPOINT_INFO} FROM checkpoints WHERE shard = ? ORDER BY step`).all(shard) as CheckpointRow[];
      if (all.length === 0) throw new StoreError('store.not_found', `no shard ${shard}`);
      // The first (a rollback's last resort) and the head (the current model) are never dropped.
      const kept = new Set([...keep, all[0]!.id, all.at(-1)!.id]);
      let dropped = 0;
      for (const c of all) if (!kept.has(c.id)) dropped += this.q('DELETE FROM checkpoints WHERE id = ?').run(c.id).changes;
      return dropped;
    });
    return run.immediate();
  }

  async pruneModelFiles(keep: number): Promise<number> {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new StoreError('store.invalid', `keep must be a positive integer, got ${keep}`);
    return this.q('UPDATE model_versions SET model = NULL WHERE model IS NOT NULL AND version NOT IN (SELECT version FROM model_versions ORDER BY version DESC LIMIT ?)').run(keep).changes;
  }

  async requestDeletion(d: NewDeletion): Promise<{ deletion: DeletionRecord; created: boolean }> {
    checkNewDeletion(d);
    const run = this.db.transaction(() => {
      const same = this.q('SELECT * FROM deletions WHERE key_hash = ? AND nonce = ?').get(d.keyHash, Buffer.from(d.nonce)) as DeletionRow | undefined;
      if (same) return { deletion: toDeletion(same), created: false };
      const done = this.q("SELECT * FROM deletions WHERE key_hash = ? AND status = 'done' ORDER BY chain_index LIMIT 1").get(d.keyHash) as DeletionRow | undefined;
      if (done) return { deletion: toDeletion(done), created: false };
      const row = this.deviceRow(d.deviceId);
      if (!row || !this.keys.get(row.ref)) throw new StoreError('store.not_found', 'no device is registered with that key');
      this.q('UPDATE devices SET deleting = 1 WHERE ref = ?').run(row.ref);
      this.q("INSERT INTO deletions (id, key_hash, nonce, requested_at, received_at, shard, lookup, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')").run(d.id, d.keyHash, Buffer.from(d.nonce), d.requestedAt, d.receivedAt, d.shard, row.lookup);
      return { deletion: toDeletion(this.q('SELECT * FROM deletions WHERE id = ?').get(d.id) as DeletionRow), created: true };
    });
    return run.immediate();
  }

  async getDeletion(id: string): Promise<DeletionRecord | undefined> {
    const row = this.q('SELECT * FROM deletions WHERE id = ?').get(id) as DeletionRow | undefined;
    return row && toDeletion(row);
  }

  async pendingDeletions(): Promise<DeletionRecord[]> {
    return (this.q("SELECT * FROM deletions WHERE status = 'pending' ORDER BY received_at, id").all() as DeletionRow[]).map(toDeletion);
  }

  async completeDeletion(c: DeletionCompletion): Promise<DeletionRecord> {
    checkDeletionCompletion(c);
    let ref: string | undefined;
    const run = this.db.transaction(() => {
      const deletion = this.q('SELECT * FROM deletions WHERE id = ?').get(c.deletionId) as DeletionRow | undefined;
      if (!deletion) throw new StoreError('store.not_found', `no deletion ${c.deletionId}`);
      if (deletion.status !== 'pending') throw new StoreError('store.conflict', `deletion ${c.deletionId} is already done`);
      const row = this.q('SELECT * FROM devices WHERE lookup = ?').get(deletion.lookup) as DeviceRow | undefined;
      if (!row || row.deleting !== 1) throw new StoreError('store.conflict', 'the device this deletion names is not awaiting it');
      ref = row.ref;
      let servedVersion: { version: number; sha256: string };
      let checkpoint: CheckpointInfo;
      if (c.rollback) {
        if (c.rollback.shard !== deletion.shard) throw new StoreError('store.conflict', `deletion ${c.deletionId} is of shard ${deletion.shard}, not ${c.rollback.shard}`);
        ({ servedVersion, checkpoint } = this.rollbackWithin(c.rollback, c.completedAt));
      } else {
        const latest = this.q('SELECT version, sha256 FROM model_versions ORDER BY version DESC LIMIT 1').get() as { version: number; sha256: string };
        servedVersion = latest;
        checkpoint = toCheckpointInfo(this.latestCheckpointRow(deletion.shard)!);
      }
      // Erase the device: its row (the contributions go with it, ON DELETE CASCADE), then its key below.
      this.q('DELETE FROM devices WHERE ref = ?').run(row.ref);
      const last = this.q("SELECT chain_index, receipt_hash FROM deletions WHERE status = 'done' ORDER BY chain_index DESC LIMIT 1").get() as { chain_index: number; receipt_hash: string } | undefined;
      const receipt = c.makeReceipt({ index: last ? last.chain_index + 1 : 0, previousHash: last?.receipt_hash ?? GENESIS_HASH, servedVersion, checkpoint });
      this.q("UPDATE deletions SET status = 'done', lookup = NULL, completed_at = ?, chain_index = ?, receipt_hash = ?, receipt = ? WHERE id = ?").run(c.completedAt, receipt.index, receiptHash(receipt), JSON.stringify(receipt), c.deletionId);
      return toDeletion(this.q('SELECT * FROM deletions WHERE id = ?').get(c.deletionId) as DeletionRow);
    });
    const done = run.immediate();
    // Committed: destroy the key (every copy of the sealed row becomes unreadable) and scrub the WAL.
    this.keys.destroy(ref!);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return done;
  }

  /**
   * Inside a transaction: everything trained after the target is discarded (its checkpoints, and who trained on
   * them); who trained on the target's own model stays recorded (they may not train on it again); a new lineage.
   */
  private rollbackWithin(r: NonNullable<DeletionCompletion['rollback']>, at: number): { servedVersion: { version: number; sha256: string }; checkpoint: CheckpointInfo } {
    const target = this.q(`SELECT ${CHECKPOINT_INFO} FROM checkpoints WHERE shard = ? AND step = ?`).get(r.shard, r.toStep) as CheckpointRow | undefined;
    if (!target) throw new StoreError('store.not_found', `shard ${r.shard} keeps no checkpoint at step ${r.toStep}`);
    const composition = this.checkBasis(r.basis, r.shard);
    composition[r.shard] = target.id;
    this.q('DELETE FROM checkpoints WHERE shard = ? AND step > ?').run(r.shard, r.toStep);
    this.q('DELETE FROM contributions WHERE shard = ? AND step > ?').run(r.shard, r.toStep);
    this.q('UPDATE shards SET lineage = lineage + 1 WHERE shard = ?').run(r.shard);
    const version = this.insertVersion({ data: r.model, createdAt: at, roundId: null, composition, provenance: r.provenance });
    return { servedVersion: { version: version.version, sha256: version.sha256 }, checkpoint: toCheckpointInfo(target) };
  }

  async rollbackShard(r: NonNullable<DeletionCompletion['rollback']> & { at: number }): Promise<ModelVersionInfo> {
    checkShard(r.shard);
    checkTime(r.at, 'at');
    const run = this.db.transaction(() => {
      this.rollbackWithin(r, r.at);
      return toModelInfo(this.q(`SELECT ${MODEL_INFO} FROM model_versions ORDER BY version DESC LIMIT 1`).get() as ModelRow);
    });
    return run.immediate();
  }

  async receiptChain(): Promise<ChainEntry[]> {
    const rows = this.q("SELECT chain_index, receipt_hash, completed_at, shard, receipt FROM deletions WHERE status = 'done' ORDER BY chain_index").all() as { chain_index: number; receipt_hash: string; completed_at: number; shard: number; receipt: string }[];
    return rows.map((r) => ({ index: r.chain_index, hash: r.receipt_hash, previousHash: (JSON.parse(r.receipt) as { previousHash: string }).previousHash, completedAt: r.completed_at, shard: r.shard }));
  }

  async receiptKey(generate: () => ServerIdentity, at: number): Promise<ReceiptKey> {
    checkTime(at, 'at');
    const run = this.db.transaction(() => {
      const active = this.q('SELECT * FROM receipt_keys WHERE retired_at IS NULL').get() as ReceiptKeyRow | undefined;
      if (active) return toReceiptKey(active);
      return this.insertReceiptKey(generate(), at);
    });
    return run.immediate();
  }

  private insertReceiptKey(fresh: ServerIdentity, at: number): ReceiptKey {
    checkIdentity(fresh);
    const id = keyId(fresh.publicKey);
    this.q('INSERT INTO receipt_keys (id, public_key, private_key, created_at) VALUES (?, ?, ?, ?)').run(id, Buffer.from(fresh.publicKey), Buffer.from(fresh.privateKey), at);
    return toReceiptKey(this.q('SELECT * FROM receipt_keys WHERE id = ?').get(id) as ReceiptKeyRow);
  }

  async listReceiptKeys(): Promise<ReceiptKey[]> {
    return (this.q('SELECT * FROM receipt_keys ORDER BY retired_at IS NOT NULL, coalesce(retired_at, 0) DESC, created_at DESC').all() as ReceiptKeyRow[]).map(toReceiptKey);
  }

  async rotateReceiptKey(generate: () => ServerIdentity, at: number): Promise<ReceiptKey> {
    checkTime(at, 'at');
    const run = this.db.transaction(() => {
      this.q('UPDATE receipt_keys SET retired_at = ? WHERE retired_at IS NULL').run(at);
      return this.insertReceiptKey(generate(), at);
    });
    return run.immediate();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    this.keys.close();
  }
}
