// The Store on SQLite (better-sqlite3): WAL with full fsync on commit, secure delete, foreign keys, migrations.
//
// Model files are BLOBs in their rows rather than files in the data directory: a checkpoint, the version
// built from it and the round that made them commit in one transaction (no write → fsync → rename →
// fsync(dir) sequence to get right, no orphan or missing file after a crash), integrity_check covers them,
// and secure_delete scrubs them. Models here are megabytes (10k items × 32 dims ≈ 1.3 MB); files would win
// only for models near SQLite's 1 GB blob limit.
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { StoreError } from './errors';
import { migrate } from './migrations';
import type { Checkpoint, CheckpointInfo, DeviceRecord, Initialisation, ModelVersion, ModelVersionInfo, NewRound, RoundAbort, RoundCommit, RoundCounts, RoundRecord, ServerIdentity, ShardRecord, Store, StoredIdentity } from './store';
import { modelProvenanceSchema, privacyAccountSchema } from './store';
import { checkDeviceId, checkIdentity, checkInitialisation, checkLimit, checkNewRound, checkReason, checkRoundAbort, checkRoundCommit, checkShard, checkTime, sha256Hex } from './validate';

/** WAL bytes kept after a checkpoint; without a limit the file stays at its high-water mark. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
const BUSY_TIMEOUT_MS = 5_000;

/** How the store makes a commit durable; FULL is the only setting the server uses (tests may weaken it to show why). */
export type Synchronous = 'FULL' | 'NORMAL' | 'OFF';

interface DeviceRow {
  device_id: string;
  registered_at: number;
  last_seen: number;
  consent_training: number;
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
const toDevice = (r: DeviceRow): DeviceRecord => ({ deviceId: r.device_id, registeredAt: r.registered_at, lastSeen: r.last_seen, consentTraining: r.consent_training === 1 });
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
const MODEL_INFO = 'version, created_at, sha256, size_bytes, provenance';

/** A SQLite-backed Store (see the file comment). Also exposes `db` for tests and maintenance. */
export class SqliteStore implements Store {
  readonly db: Db;
  /** Prepared statements by their SQL: preparing is most of the cost of a small query. */
  private readonly statements = new Map<string, Statement>();

  private constructor(path: string, synchronous: Synchronous) {
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      // FULL: a commit is on disk before it returns (NORMAL can lose the last commits on power loss).
      this.db.pragma(`synchronous = ${synchronous}`);
      this.db.pragma('secure_delete = ON');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
      migrate(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Open (creating if needed) the database file at `path` and bring its schema up to date. */
  static open(path: string, options: { synchronous?: Synchronous } = {}): SqliteStore {
    return new SqliteStore(path, options.synchronous ?? 'FULL');
  }

  private q(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** PRAGMA integrity_check: 'ok', or the first problems SQLite reports. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check(20)') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  async registerDevice(deviceId: string, at: number): Promise<{ device: DeviceRecord; created: boolean }> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    const info = this.q('INSERT INTO devices (device_id, registered_at, last_seen) VALUES (?, ?, ?) ON CONFLICT (device_id) DO NOTHING').run(deviceId, at, at);
    const row = this.q('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as DeviceRow;
    return { device: toDevice(row), created: info.changes === 1 };
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const row = this.q('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as DeviceRow | undefined;
    return row && toDevice(row);
  }

  async touchDevice(deviceId: string, at: number): Promise<void> {
    checkTime(at, 'at');
    const info = this.q('UPDATE devices SET last_seen = max(last_seen, ?) WHERE device_id = ?').run(at, deviceId);
    if (info.changes === 0) throw new StoreError('store.not_found', 'no device with that id');
  }

  async setConsent(deviceId: string, training: boolean): Promise<DeviceRecord> {
    if (typeof training !== 'boolean') throw new StoreError('store.invalid', 'training must be a boolean');
    const row = this.q('UPDATE devices SET consent_training = ? WHERE device_id = ? RETURNING *').get(training ? 1 : 0, deviceId) as DeviceRow | undefined;
    if (!row) throw new StoreError('store.not_found', 'no device with that id');
    return toDevice(row);
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return (this.q('SELECT * FROM devices ORDER BY registered_at, device_id').all() as DeviceRow[]).map(toDevice);
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

  private latestCheckpointRow(shard: number): CheckpointRow | undefined {
    return this.db
      .prepare(`SELECT ${CHECKPOINT_INFO} FROM checkpoints WHERE shard = ? AND lineage = (SELECT lineage FROM shards WHERE shard = ?) ORDER BY step DESC LIMIT 1`)
      .get(shard, shard) as CheckpointRow | undefined;
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
      if (current.lineage !== c.lineage || current.step !== c.fromStep) {
        throw new StoreError('store.conflict', `shard ${c.shard} is at lineage ${current.lineage} step ${current.step}; the round trained from lineage ${c.lineage} step ${c.fromStep}`);
      }
      const shards = (this.q('SELECT count(*) AS n FROM shards').get() as { n: number }).n;
      if (c.basis.length !== shards) throw new StoreError('store.invalid', `basis must name one checkpoint per shard (${shards}), got ${c.basis.length}`);
      const composition = c.basis.map((id, shard) => {
        if (shard === c.shard) return -1;
        const latest = this.latestCheckpointRow(shard);
        if (latest?.id !== id) throw new StoreError('store.conflict', `shard ${shard} has moved on from checkpoint ${id}: rebuild the served file`);
        return id;
      });
      this.q("UPDATE rounds SET status = 'completed', reason = NULL, ended_at = ?, survivors = ? WHERE id = ?").run(c.endedAt, c.survivors, c.roundId);
      this.q('UPDATE shards SET account = ? WHERE shard = ?').run(JSON.stringify(account), c.shard);
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
    const row = this.q('SELECT * FROM model_versions WHERE version = ?').get(version) as ModelRow | undefined;
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
          .prepare("INSERT INTO rounds (shard, session_id, round, status, started_at, cohort_size) VALUES (?, ?, ?, 'started', ?, ?) RETURNING *")
          .get(round.shard, round.sessionId, round.round, round.startedAt, round.cohortSize) as RoundRow;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new StoreError('store.conflict', `round ${round.round} of that session was already started`);
        throw err;
      }
    });
    return toRound(start.immediate());
  }

  async roundAborted(id: number, end: RoundAbort): Promise<RoundRecord> {
    checkRoundAbort(end);
    const finish = this.db.transaction(() => {
      const row = this.q('SELECT * FROM rounds WHERE id = ?').get(id) as RoundRow | undefined;
      if (!row) throw new StoreError('store.not_found', `no round with id ${id}`);
      if (row.status !== 'started') throw new StoreError('store.conflict', `round ${id} already ended (${row.status})`);
      if (end.endedAt < row.started_at) throw new StoreError('store.invalid', 'endedAt is before the round started');
      return this.q("UPDATE rounds SET status = 'aborted', reason = ?, ended_at = ?, survivors = ? WHERE id = ? RETURNING *").get(end.reason, end.endedAt, end.survivors, id) as RoundRow;
    });
    return toRound(finish.immediate());
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

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
