// The Store on SQLite (better-sqlite3): WAL with full fsync on commit, secure delete, foreign keys, migrations.
//
// Model files are BLOBs in model_versions rather than files in the data directory: the version row and
// its bytes then commit in one transaction (no write → fsync → rename → fsync(dir) sequence to get
// right, no orphan or missing file after a crash), integrity_check covers them, and secure_delete
// scrubs them. Models here are megabytes (10k items × 32 dims ≈ 1.3 MB); files would win only for
// models near SQLite's 1 GB blob limit.
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { StoreError } from './errors';
import { migrate } from './migrations';
import type { DeviceRecord, ModelVersion, ModelVersionInfo, NewModelVersion, NewRound, RoundEnd, RoundRecord, ServerIdentity, Store } from './store';
import { modelProvenanceSchema } from './store';
import { checkDeviceId, checkIdentity, checkLimit, checkNewModel, checkNewRound, checkRoundEnd, checkTime, sha256Hex } from './validate';

/** WAL bytes kept after a checkpoint; without a limit the file stays at its high-water mark. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
const BUSY_TIMEOUT_MS = 5_000;

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
interface RoundRow {
  id: number;
  session_id: string;
  round: number;
  status: RoundRecord['status'];
  reason: string | null;
  started_at: number;
  ended_at: number | null;
  cohort_size: number;
  survivors: number | null;
}

const toDevice = (r: DeviceRow): DeviceRecord => ({ deviceId: r.device_id, registeredAt: r.registered_at, lastSeen: r.last_seen, consentTraining: r.consent_training === 1 });
const toModelInfo = (r: ModelRow): ModelVersionInfo => ({
  version: r.version,
  createdAt: r.created_at,
  sha256: r.sha256,
  sizeBytes: r.size_bytes,
  provenance: modelProvenanceSchema.parse(JSON.parse(r.provenance)),
});
const toModel = (r: ModelRow): ModelVersion => ({ ...toModelInfo(r), data: new Uint8Array(r.model!) });
const toRound = (r: RoundRow): RoundRecord => ({
  id: r.id,
  sessionId: r.session_id,
  round: r.round,
  status: r.status,
  reason: r.reason,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  cohortSize: r.cohort_size,
  survivors: r.survivors,
});

/** A SQLite-backed Store (see the file comment). Also exposes `db` for tests and maintenance. */
export class SqliteStore implements Store {
  readonly db: Db;

  private constructor(path: string) {
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      // FULL: a commit is on disk before it returns (NORMAL can lose the last commits on power loss).
      this.db.pragma('synchronous = FULL');
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
  static open(path: string): SqliteStore {
    return new SqliteStore(path);
  }

  async registerDevice(deviceId: string, at: number): Promise<{ device: DeviceRecord; created: boolean }> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    const info = this.db.prepare('INSERT INTO devices (device_id, registered_at, last_seen) VALUES (?, ?, ?) ON CONFLICT (device_id) DO NOTHING').run(deviceId, at, at);
    const row = this.db.prepare('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as DeviceRow;
    return { device: toDevice(row), created: info.changes === 1 };
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as DeviceRow | undefined;
    return row && toDevice(row);
  }

  async touchDevice(deviceId: string, at: number): Promise<void> {
    checkTime(at, 'at');
    const info = this.db.prepare('UPDATE devices SET last_seen = max(last_seen, ?) WHERE device_id = ?').run(at, deviceId);
    if (info.changes === 0) throw new StoreError('store.not_found', 'no device with that id');
  }

  async setConsent(deviceId: string, training: boolean): Promise<DeviceRecord> {
    if (typeof training !== 'boolean') throw new StoreError('store.invalid', 'training must be a boolean');
    const row = this.db.prepare('UPDATE devices SET consent_training = ? WHERE device_id = ? RETURNING *').get(training ? 1 : 0, deviceId) as DeviceRow | undefined;
    if (!row) throw new StoreError('store.not_found', 'no device with that id');
    return toDevice(row);
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return (this.db.prepare('SELECT * FROM devices ORDER BY registered_at, device_id').all() as DeviceRow[]).map(toDevice);
  }

  async putModelVersion(model: NewModelVersion): Promise<ModelVersionInfo> {
    const provenance = checkNewModel(model);
    const sha256 = sha256Hex(model.data);
    const insert = this.db.transaction(() => {
      const latest = this.db.prepare('SELECT max(version) AS v FROM model_versions').get() as { v: number | null };
      if (latest.v !== null && model.version <= latest.v) throw new StoreError('store.conflict', `model version ${model.version} is not above the latest (${latest.v})`);
      if (provenance.round !== null && !this.db.prepare('SELECT 1 FROM rounds WHERE id = ?').get(provenance.round)) {
        throw new StoreError('store.not_found', `provenance.round ${provenance.round} is not a stored round`);
      }
      this.db
        .prepare('INSERT INTO model_versions (version, created_at, sha256, size_bytes, model, round_id, provenance) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(model.version, model.createdAt, sha256, model.data.length, Buffer.from(model.data.buffer, model.data.byteOffset, model.data.byteLength), provenance.round, JSON.stringify(provenance));
    });
    insert.immediate();
    return { version: model.version, createdAt: model.createdAt, sha256, sizeBytes: model.data.length, provenance };
  }

  async latestModel(): Promise<ModelVersion | undefined> {
    const row = this.db.prepare('SELECT * FROM model_versions ORDER BY version DESC LIMIT 1').get() as ModelRow | undefined;
    return row && toModel(row);
  }

  async getModel(version: number): Promise<ModelVersion | undefined> {
    const row = this.db.prepare('SELECT * FROM model_versions WHERE version = ?').get(version) as ModelRow | undefined;
    return row && toModel(row);
  }

  async listModelVersions(limit: number): Promise<ModelVersionInfo[]> {
    checkLimit(limit);
    const rows = this.db.prepare('SELECT version, created_at, sha256, size_bytes, provenance FROM model_versions ORDER BY version DESC LIMIT ?').all(limit) as ModelRow[];
    return rows.map(toModelInfo);
  }

  async roundStarted(round: NewRound): Promise<RoundRecord> {
    checkNewRound(round);
    try {
      const row = this.db
        .prepare("INSERT INTO rounds (session_id, round, status, started_at, cohort_size) VALUES (?, ?, 'started', ?, ?) RETURNING *")
        .get(round.sessionId, round.round, round.startedAt, round.cohortSize) as RoundRow;
      return toRound(row);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new StoreError('store.conflict', `round ${round.round} of that session was already started`);
      throw err;
    }
  }

  async roundEnded(id: number, end: RoundEnd): Promise<RoundRecord> {
    checkRoundEnd(end);
    const finish = this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM rounds WHERE id = ?').get(id) as RoundRow | undefined;
      if (!row) throw new StoreError('store.not_found', `no round with id ${id}`);
      if (row.status !== 'started') throw new StoreError('store.conflict', `round ${id} already ended (${row.status})`);
      if (end.endedAt < row.started_at) throw new StoreError('store.invalid', 'endedAt is before the round started');
      return this.db
        .prepare('UPDATE rounds SET status = ?, reason = ?, ended_at = ?, survivors = ? WHERE id = ? RETURNING *')
        .get(end.status, end.reason, end.endedAt, end.survivors, id) as RoundRow;
    });
    return toRound(finish.immediate());
  }

  async listRounds(limit: number): Promise<RoundRecord[]> {
    checkLimit(limit);
    return (this.db.prepare('SELECT * FROM rounds ORDER BY id DESC LIMIT ?').all(limit) as RoundRow[]).map(toRound);
  }

  async serverIdentity(generate: () => ServerIdentity, at: number): Promise<ServerIdentity> {
    checkTime(at, 'at');
    const read = () => this.db.prepare('SELECT public_key, private_key FROM server_identity WHERE id = 1').get() as { public_key: Buffer; private_key: Buffer } | undefined;
    const getOrCreate = this.db.transaction(() => {
      const existing = read();
      if (existing) return existing;
      const fresh = generate();
      checkIdentity(fresh);
      this.db.prepare('INSERT INTO server_identity (id, public_key, private_key, created_at) VALUES (1, ?, ?, ?)').run(Buffer.from(fresh.publicKey), Buffer.from(fresh.privateKey), at);
      return read()!;
    });
    const row = getOrCreate.immediate();
    return { publicKey: new Uint8Array(row.public_key), privateKey: new Uint8Array(row.private_key) };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
