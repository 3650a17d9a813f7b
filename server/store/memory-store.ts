// The Store in memory: same contract and refusals as SQLite, nothing durable (tests, simulations, benchmarks).
//
// Records are copied in and out, so a caller that mutates what it passed or got back cannot change
// the stored state, just as with a database.
import { StoreError } from './errors';
import type { Checkpoint, CheckpointInfo, DeviceRecord, Initialisation, ModelVersion, ModelVersionInfo, NewRound, PrivacyAccount, RoundAbort, RoundCommit, RoundCounts, RoundRecord, ServerIdentity, ShardRecord, Store, StoredIdentity } from './store';
import { checkDeviceId, checkIdentity, checkInitialisation, checkLimit, checkNewRound, checkReason, checkRoundAbort, checkRoundCommit, checkShard, checkTime, sha256Hex } from './validate';

const copyModel = (m: ModelVersion): ModelVersion => ({ ...structuredClone({ ...m, data: undefined }), data: m.data.slice() });
const infoOf = ({ data: _data, ...info }: ModelVersion): ModelVersionInfo => structuredClone(info);
const checkpointInfo = ({ training: _t, served: _s, ...info }: Checkpoint): CheckpointInfo => ({ ...info });

/** A Store held in arrays and Maps (see the file comment). */
export class MemoryStore implements Store {
  private readonly devices = new Map<string, DeviceRecord>();
  /** Ascending by version. */
  private readonly models: ModelVersion[] = [];
  /** Ascending by id. */
  private readonly rounds: RoundRecord[] = [];
  private readonly shards: { lineage: number; account: PrivacyAccount }[] = [];
  /** Ascending by id. */
  private readonly checkpoints: Checkpoint[] = [];
  private identity: StoredIdentity | undefined;

  async registerDevice(deviceId: string, at: number): Promise<{ device: DeviceRecord; created: boolean }> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    const existing = this.devices.get(deviceId);
    if (existing) return { device: { ...existing }, created: false };
    const device: DeviceRecord = { deviceId, registeredAt: at, lastSeen: at, consentTraining: false };
    this.devices.set(deviceId, device);
    return { device: { ...device }, created: true };
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    const d = this.devices.get(deviceId);
    return d && { ...d };
  }

  async touchDevice(deviceId: string, at: number): Promise<void> {
    checkTime(at, 'at');
    const d = this.devices.get(deviceId);
    if (!d) throw new StoreError('store.not_found', 'no device with that id');
    d.lastSeen = Math.max(d.lastSeen, at);
  }

  async setConsent(deviceId: string, training: boolean): Promise<DeviceRecord> {
    if (typeof training !== 'boolean') throw new StoreError('store.invalid', 'training must be a boolean');
    const d = this.devices.get(deviceId);
    if (!d) throw new StoreError('store.not_found', 'no device with that id');
    d.consentTraining = training;
    return { ...d };
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return [...this.devices.values()]
      .sort((a, b) => a.registeredAt - b.registeredAt || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0))
      .map((d) => ({ ...d }));
  }

  private latestCheckpoint(shard: number): Checkpoint | undefined {
    const lineage = this.shards[shard]?.lineage;
    return this.checkpoints.findLast((c) => c.shard === shard && c.lineage === lineage);
  }

  private addCheckpoint(c: Omit<Checkpoint, 'id' | 'trainingSha256'>): Checkpoint {
    const stored: Checkpoint = { ...c, id: (this.checkpoints.at(-1)?.id ?? 0) + 1, trainingSha256: sha256Hex(c.training), training: c.training.slice(), served: c.served.slice() };
    this.checkpoints.push(stored);
    return stored;
  }

  private addVersion(m: { data: Uint8Array; createdAt: number; provenance: ModelVersionInfo['provenance'] }): ModelVersionInfo {
    const stored: ModelVersion = { version: (this.models.at(-1)?.version ?? 0) + 1, createdAt: m.createdAt, sha256: sha256Hex(m.data), sizeBytes: m.data.length, provenance: structuredClone(m.provenance), data: m.data.slice() };
    this.models.push(stored);
    return infoOf(stored);
  }

  async initialise(init: Initialisation): Promise<{ version: ModelVersionInfo; created: boolean }> {
    const provenance = checkInitialisation(init);
    if (this.shards.length > 0) {
      if (this.shards.length !== init.shards.length) throw new StoreError('store.conflict', `the store has ${this.shards.length} shards, not ${init.shards.length}: changing the number of shards needs a fresh data directory`);
      return { version: infoOf(this.models.at(-1)!), created: false };
    }
    init.shards.forEach((s, shard) => {
      this.shards.push({ lineage: 0, account: { history: [], unbounded: false } });
      this.addCheckpoint({ shard, lineage: 0, step: 0, createdAt: init.createdAt, round: null, iterates: 0, training: s.training, served: s.served });
    });
    return { version: this.addVersion({ data: init.model, createdAt: init.createdAt, provenance }), created: true };
  }

  async listShards(): Promise<ShardRecord[]> {
    return this.shards.map((s, shard) => ({ shard, lineage: s.lineage, account: structuredClone(s.account) }));
  }

  async currentCheckpoint(shard: number): Promise<Checkpoint> {
    checkShard(shard);
    const c = this.latestCheckpoint(shard);
    if (!c) throw new StoreError('store.not_found', `no shard ${shard}`);
    return { ...c, training: c.training.slice(), served: c.served.slice() };
  }

  async commitRound(c: RoundCommit): Promise<{ version: ModelVersionInfo; checkpoint: CheckpointInfo }> {
    const { provenance, account } = checkRoundCommit(c);
    const round = this.rounds.find((r) => r.id === c.roundId);
    if (!round) throw new StoreError('store.not_found', `no round with id ${c.roundId}`);
    if (round.status !== 'started') throw new StoreError('store.conflict', `round ${c.roundId} already ended (${round.status})`);
    if (round.shard !== c.shard) throw new StoreError('store.conflict', `round ${c.roundId} belongs to shard ${round.shard}, not ${c.shard}`);
    if (c.endedAt < round.startedAt) throw new StoreError('store.invalid', 'endedAt is before the round started');
    const current = this.latestCheckpoint(c.shard);
    if (!current) throw new StoreError('store.not_found', `no shard ${c.shard}`);
    if (current.lineage !== c.lineage || current.step !== c.fromStep) {
      throw new StoreError('store.conflict', `shard ${c.shard} is at lineage ${current.lineage} step ${current.step}; the round trained from lineage ${c.lineage} step ${c.fromStep}`);
    }
    if (c.basis.length !== this.shards.length) throw new StoreError('store.invalid', `basis must name one checkpoint per shard (${this.shards.length}), got ${c.basis.length}`);
    c.basis.forEach((id, shard) => {
      if (shard !== c.shard && this.latestCheckpoint(shard)?.id !== id) throw new StoreError('store.conflict', `shard ${shard} has moved on from checkpoint ${id}: rebuild the served file`);
    });
    Object.assign(round, { status: 'completed', reason: null, endedAt: c.endedAt, survivors: c.survivors });
    this.shards[c.shard]!.account = structuredClone(account);
    const checkpoint = this.addCheckpoint({ shard: c.shard, lineage: c.lineage, step: c.fromStep + 1, createdAt: c.endedAt, round: c.roundId, iterates: c.iterates, training: c.training, served: c.served });
    return { version: this.addVersion({ data: c.model, createdAt: c.endedAt, provenance }), checkpoint: checkpointInfo(checkpoint) };
  }

  async latestModel(): Promise<ModelVersion | undefined> {
    const m = this.models.at(-1);
    return m && copyModel(m);
  }

  async latestModelInfo(): Promise<ModelVersionInfo | undefined> {
    const m = this.models.at(-1);
    return m && infoOf(m);
  }

  async getModel(version: number): Promise<ModelVersion | undefined> {
    const m = this.models.find((x) => x.version === version);
    return m && copyModel(m);
  }

  async listModelVersions(limit: number): Promise<ModelVersionInfo[]> {
    checkLimit(limit);
    return this.models.slice(-limit).reverse().map(infoOf);
  }

  async roundStarted(round: NewRound): Promise<RoundRecord> {
    checkNewRound(round);
    if (!this.shards[round.shard]) throw new StoreError('store.not_found', `no shard ${round.shard}`);
    if (this.rounds.some((r) => r.sessionId === round.sessionId && r.round === round.round)) {
      throw new StoreError('store.conflict', `round ${round.round} of that session was already started`);
    }
    const record: RoundRecord = {
      id: (this.rounds.at(-1)?.id ?? 0) + 1,
      shard: round.shard,
      sessionId: round.sessionId,
      round: round.round,
      status: 'started',
      reason: null,
      startedAt: round.startedAt,
      endedAt: null,
      cohortSize: round.cohortSize,
      survivors: null,
    };
    this.rounds.push(record);
    return { ...record };
  }

  async roundAborted(id: number, end: RoundAbort): Promise<RoundRecord> {
    checkRoundAbort(end);
    const r = this.rounds.find((x) => x.id === id);
    if (!r) throw new StoreError('store.not_found', `no round with id ${id}`);
    if (r.status !== 'started') throw new StoreError('store.conflict', `round ${id} already ended (${r.status})`);
    if (end.endedAt < r.startedAt) throw new StoreError('store.invalid', 'endedAt is before the round started');
    Object.assign(r, { status: 'aborted', reason: end.reason, endedAt: end.endedAt, survivors: end.survivors });
    return { ...r };
  }

  async abortOpenRounds(reason: string, at: number): Promise<number> {
    checkReason(reason);
    checkTime(at, 'at');
    const open = this.rounds.filter((r) => r.status === 'started');
    for (const r of open) Object.assign(r, { status: 'aborted', reason, endedAt: Math.max(r.startedAt, at), survivors: 0 });
    return open.length;
  }

  async listRounds(limit: number): Promise<RoundRecord[]> {
    checkLimit(limit);
    return this.rounds.slice(-limit).reverse().map((r) => ({ ...r }));
  }

  async countRounds(): Promise<RoundCounts[]> {
    return this.shards.map((_, shard) => {
      const mine = this.rounds.filter((r) => r.shard === shard);
      return { shard, completed: mine.filter((r) => r.status === 'completed').length, aborted: mine.filter((r) => r.status === 'aborted').length };
    });
  }

  async serverIdentity(generate: () => ServerIdentity, at: number): Promise<StoredIdentity> {
    checkTime(at, 'at');
    if (!this.identity) {
      const fresh = generate();
      checkIdentity(fresh);
      this.identity = { publicKey: fresh.publicKey.slice(), privateKey: fresh.privateKey.slice(), createdAt: at };
    }
    return { publicKey: this.identity.publicKey.slice(), privateKey: this.identity.privateKey.slice(), createdAt: this.identity.createdAt };
  }

  async close(): Promise<void> {}
}
