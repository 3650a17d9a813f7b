// The Store in memory: same contract and refusals as SQLite, nothing durable (tests, simulations, benchmarks).
//
// Records are copied in and out, so a caller that mutates what it passed or got back cannot change
// the stored state, just as with a database.
import { GENESIS_HASH, receiptHash } from '../../shared/protocol/deletion';
import { keyId } from '../../shared/protocol/key-id';
import { StoreError } from './errors';
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
  PrivacyAccount,
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
import { checkDeletionCompletion, checkDeviceId, checkEnrollmentBatch, checkIdentity, checkInitialisation, checkLimit, checkNewDeletion, checkNewRound, checkReason, checkRevocation, checkRoundAbort, checkRoundCommit, checkSkippedRound, checkSeen, checkShard, checkTime, checkTokenHash, sha256Hex } from './validate';

const copyModel = (m: ModelVersion): ModelVersion => ({ ...structuredClone({ ...m, data: undefined }), data: m.data.slice() });
const copyDeletion = (d: DeletionRecord): DeletionRecord => structuredClone(d);
const infoOf = ({ data: _data, pruned: _pruned, ...info }: ModelVersion & { pruned?: boolean }): ModelVersionInfo => structuredClone(info);
const checkpointInfo = ({ training: _t, served: _s, ...info }: Checkpoint): CheckpointInfo => ({ ...info });
const copyKey = (k: ReceiptKey): ReceiptKey => ({ ...k, publicKey: k.publicKey.slice(), privateKey: k.privateKey.slice() });

/** A Store held in arrays and Maps (see the file comment). */
export class MemoryStore implements Store {
  private readonly devices = new Map<string, DeviceRecord>();
  /** Who trained on which model: `${shard}/${step}` → device ids. */
  private readonly contributions = new Map<string, Set<string>>();
  /** Ascending by version; a pruned version keeps its entry with an empty file. */
  private readonly models: (ModelVersion & { pruned?: boolean })[] = [];
  private readonly deletions: DeletionRecord[] = [];
  /** The device each pending deletion names (the durable stores keep its lookup hash instead). */
  private readonly deletionDevice = new Map<string, string>();
  private readonly receiptKeys: ReceiptKey[] = [];
  /** Ascending by id. */
  private readonly rounds: RoundRecord[] = [];
  private readonly shards: { lineage: number; account: PrivacyAccount }[] = [];
  /** Ascending by id. */
  private readonly checkpoints: Checkpoint[] = [];
  private identity: StoredIdentity | undefined;
  /** Enrollment tokens by the hex of their SHA-256, in issue order. */
  private readonly tokens = new Map<string, { batchId: string; issuedAt: number; status: 'unused' | 'used' | 'revoked' }>();

  async registerDevice(deviceId: string, at: number): Promise<{ device: DeviceRecord; created: boolean }> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    const existing = this.devices.get(deviceId);
    if (existing) return { device: { ...existing }, created: false };
    const device: DeviceRecord = { deviceId, registeredAt: at, lastSeen: at, consentTraining: false, deleting: false };
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

  async touchDevices(seen: readonly DeviceSeen[]): Promise<number> {
    checkSeen(seen);
    let moved = 0;
    for (const { deviceId, at } of seen) {
      const d = this.devices.get(deviceId);
      if (!d || at <= d.lastSeen) continue; // gone since it was seen (deleted), or an older time
      d.lastSeen = at;
      moved++;
    }
    return moved;
  }

  async registerDeviceWithToken(deviceId: string, at: number, tokenHash: Uint8Array): Promise<TokenRegistration> {
    checkDeviceId(deviceId);
    checkTime(at, 'at');
    checkTokenHash(tokenHash);
    const existing = this.devices.get(deviceId);
    if (existing) return { outcome: 'existing', device: { ...existing } };
    const token = this.tokens.get(Buffer.from(tokenHash).toString('hex'));
    if (!token) return { outcome: 'token_unknown' };
    if (token.status !== 'unused') return { outcome: token.status === 'used' ? 'token_used' : 'token_revoked' };
    // No await between the checks and these writes, so nothing interleaves (the durable stores use a transaction).
    const device: DeviceRecord = { deviceId, registeredAt: at, lastSeen: at, consentTraining: false, deleting: false };
    this.devices.set(deviceId, device);
    token.status = 'used';
    return { outcome: 'registered', device: { ...device } };
  }

  async issueEnrollmentTokens(batch: EnrollmentBatch): Promise<void> {
    checkEnrollmentBatch(batch);
    const hexes = batch.hashes.map((h) => Buffer.from(h).toString('hex'));
    if ([...this.tokens.values()].some((t) => t.batchId === batch.batchId)) throw new StoreError('store.conflict', `batch ${batch.batchId} was already issued`);
    if (hexes.some((h) => this.tokens.has(h))) throw new StoreError('store.conflict', 'a token with that hash was already issued');
    for (const h of hexes) this.tokens.set(h, { batchId: batch.batchId, issuedAt: batch.issuedAt, status: 'unused' });
  }

  async revokeEnrollmentTokens(which: TokenRevocation): Promise<number> {
    checkRevocation(which);
    const named = 'hashes' in which ? new Set(which.hashes.map((h) => Buffer.from(h).toString('hex'))) : undefined;
    let revoked = 0;
    for (const [hex, t] of this.tokens) {
      const chosen = named ? named.has(hex) : 'batchId' in which ? t.batchId === which.batchId : true;
      if (chosen && t.status === 'unused') {
        t.status = 'revoked';
        revoked++;
      }
    }
    return revoked;
  }

  async listEnrollmentBatches(): Promise<EnrollmentBatchCounts[]> {
    const batches = new Map<string, EnrollmentBatchCounts>();
    for (const t of this.tokens.values()) {
      const b = batches.get(t.batchId) ?? { batchId: t.batchId, issuedAt: t.issuedAt, issued: 0, used: 0, revoked: 0 };
      b.issued++;
      if (t.status === 'used') b.used++;
      if (t.status === 'revoked') b.revoked++;
      batches.set(t.batchId, b);
    }
    return [...batches.values()].sort((a, b) => a.issuedAt - b.issuedAt || (a.batchId < b.batchId ? -1 : a.batchId > b.batchId ? 1 : 0));
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

  async contributedAt(shard: number, step: number, deviceIds: readonly string[]): Promise<Set<string>> {
    checkShard(shard);
    const set = this.contributions.get(`${shard}/${step}`);
    return new Set(deviceIds.filter((id) => set?.has(id)));
  }

  async deletionFirstContribution(deletionId: string): Promise<number | undefined> {
    const deviceId = this.deletionDevice.get(deletionId);
    const deletion = this.deletions.find((d) => d.id === deletionId);
    return deviceId && deletion ? this.firstContribution(deviceId, deletion.shard) : undefined;
  }

  async firstContribution(deviceId: string, shard: number): Promise<number | undefined> {
    checkShard(shard);
    let first: number | undefined;
    for (const [key, set] of this.contributions) {
      const [s, step] = key.split('/').map(Number) as [number, number];
      if (s === shard && set.has(deviceId) && (first === undefined || step < first)) first = step;
    }
    return first;
  }

  /** The head: a rollback drops the checkpoints after its target, so the shard's latest step is its current model. */
  private latestCheckpoint(shard: number): Checkpoint | undefined {
    let head: Checkpoint | undefined;
    for (const c of this.checkpoints) if (c.shard === shard && (!head || c.step > head.step)) head = c;
    return head;
  }

  private checkBasis(basis: readonly number[], except: number): number[] {
    if (basis.length !== this.shards.length) throw new StoreError('store.invalid', `basis must name one checkpoint per shard (${this.shards.length}), got ${basis.length}`);
    return basis.map((id, shard) => {
      if (shard === except) return -1;
      if (this.latestCheckpoint(shard)?.id !== id) throw new StoreError('store.conflict', `shard ${shard} has moved on from checkpoint ${id}: rebuild the served file`);
      return id;
    });
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
    const lineage = this.shards[c.shard]!.lineage;
    if (lineage !== c.lineage || current.step !== c.fromStep) {
      throw new StoreError('store.conflict', `shard ${c.shard} is at lineage ${lineage} step ${current.step}; the round trained from lineage ${c.lineage} step ${c.fromStep}`);
    }
    if (round.lineage !== c.lineage || round.step !== c.fromStep) throw new StoreError('store.conflict', `round ${c.roundId} trained at lineage ${round.lineage} step ${round.step}, not ${c.lineage}/${c.fromStep}`);
    this.checkBasis(c.basis, c.shard);
    for (const id of c.contributors) {
      const d = this.devices.get(id);
      if (!d || d.deleting) throw new StoreError('store.conflict', 'a contributor of this round is no longer a registered device (deleted or being deleted)');
    }
    const key = `${c.shard}/${c.fromStep}`;
    const set = this.contributions.get(key) ?? new Set<string>();
    for (const id of c.contributors) set.add(id);
    this.contributions.set(key, set);
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
    const m = this.models.find((x) => x.version === version && !x.pruned);
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
      lineage: round.lineage,
      step: round.step,
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
    const account = checkRoundAbort(end);
    const r = this.rounds.find((x) => x.id === id);
    if (!r) throw new StoreError('store.not_found', `no round with id ${id}`);
    if (r.status !== 'started') throw new StoreError('store.conflict', `round ${id} already ended (${r.status})`);
    if (end.endedAt < r.startedAt) throw new StoreError('store.invalid', 'endedAt is before the round started');
    if (account) this.shards[r.shard]!.account = structuredClone(account);
    Object.assign(r, { status: 'aborted', reason: end.reason, endedAt: end.endedAt, survivors: end.survivors });
    return { ...r };
  }

  async roundSkipped(skip: SkippedRound): Promise<RoundRecord> {
    const account = checkSkippedRound(skip);
    const shard = this.shards[skip.shard];
    if (!shard) throw new StoreError('store.not_found', `no shard ${skip.shard}`);
    const step = this.latestCheckpoint(skip.shard)!.step;
    if (shard.lineage !== skip.lineage || step !== skip.step) throw new StoreError('store.conflict', `shard ${skip.shard} is at lineage ${shard.lineage} step ${step}, not ${skip.lineage}/${skip.step}`);
    if (this.rounds.some((r) => r.sessionId === skip.sessionId && r.round === 1)) throw new StoreError('store.conflict', 'round 1 of that session was already started');
    const record: RoundRecord = { id: (this.rounds.at(-1)?.id ?? 0) + 1, shard: skip.shard, lineage: skip.lineage, step: skip.step, sessionId: skip.sessionId, round: 1, status: 'aborted', reason: skip.reason, startedAt: skip.at, endedAt: skip.at, cohortSize: skip.cohortSize, survivors: 0 };
    this.rounds.push(record);
    if (account) shard.account = structuredClone(account);
    return { ...record };
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

  async listCheckpoints(shard: number): Promise<CheckpointInfo[]> {
    checkShard(shard);
    return this.checkpoints.filter((c) => c.shard === shard).sort((a, b) => a.step - b.step).map(checkpointInfo);
  }

  async getCheckpoint(shard: number, step: number): Promise<Checkpoint | undefined> {
    checkShard(shard);
    const c = this.checkpoints.find((x) => x.shard === shard && x.step === step);
    return c && { ...c, training: c.training.slice(), served: c.served.slice() };
  }

  async roundsAt(shard: number, lineage: number, step: number): Promise<number> {
    return this.rounds.filter((r) => r.shard === shard && r.lineage === lineage && r.step === step).length;
  }

  async findDeletions(keyHash: string): Promise<DeletionRecord[]> {
    return this.deletions.filter((d) => d.keyHash === keyHash).map(copyDeletion);
  }

  async pruneCheckpoints(shard: number, keep: readonly number[]): Promise<number> {
    checkShard(shard);
    const mine = this.checkpoints.filter((c) => c.shard === shard).sort((a, b) => a.step - b.step);
    if (mine.length === 0) throw new StoreError('store.not_found', `no shard ${shard}`);
    const kept = new Set([...keep, mine[0]!.id, mine.at(-1)!.id]);
    const drop = new Set(mine.filter((c) => !kept.has(c.id)).map((c) => c.id));
    this.removeCheckpoints((c) => drop.has(c.id));
    return drop.size;
  }

  private removeCheckpoints(drop: (c: Checkpoint) => boolean): void {
    for (let n = this.checkpoints.length - 1; n >= 0; n--) if (drop(this.checkpoints[n]!)) this.checkpoints.splice(n, 1);
  }

  async pruneModelFiles(keep: number): Promise<number> {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new StoreError('store.invalid', `keep must be a positive integer, got ${keep}`);
    let pruned = 0;
    for (const m of this.models.slice(0, Math.max(0, this.models.length - keep))) {
      if (m.pruned) continue;
      m.pruned = true;
      m.data = new Uint8Array(0);
      pruned++;
    }
    return pruned;
  }

  async requestDeletion(d: NewDeletion): Promise<{ deletion: DeletionRecord; created: boolean }> {
    checkNewDeletion(d);
    const same = this.deletions.find((x) => x.keyHash === d.keyHash && x.nonce.length === d.nonce.length && x.nonce.every((b, n) => b === d.nonce[n]));
    if (same) return { deletion: copyDeletion(same), created: false };
    const done = this.deletions.find((x) => x.keyHash === d.keyHash && x.status === 'done');
    if (done) return { deletion: copyDeletion(done), created: false };
    const device = this.devices.get(d.deviceId);
    if (!device) throw new StoreError('store.not_found', 'no device is registered with that key');
    device.deleting = true;
    this.deletionDevice.set(d.id, d.deviceId);
    const record: DeletionRecord = { id: d.id, keyHash: d.keyHash, nonce: d.nonce.slice(), requestedAt: d.requestedAt, receivedAt: d.receivedAt, shard: d.shard, status: 'pending', completedAt: null, receipt: null };
    this.deletions.push(record);
    return { deletion: copyDeletion(record), created: true };
  }

  async getDeletion(id: string): Promise<DeletionRecord | undefined> {
    const d = this.deletions.find((x) => x.id === id);
    return d && copyDeletion(d);
  }

  async pendingDeletions(): Promise<DeletionRecord[]> {
    return this.deletions.filter((d) => d.status === 'pending').map(copyDeletion);
  }

  async completeDeletion(c: DeletionCompletion): Promise<DeletionRecord> {
    checkDeletionCompletion(c);
    const deletion = this.deletions.find((x) => x.id === c.deletionId);
    if (!deletion) throw new StoreError('store.not_found', `no deletion ${c.deletionId}`);
    if (deletion.status !== 'pending') throw new StoreError('store.conflict', `deletion ${c.deletionId} is already done`);
    const deviceId = this.deletionDevice.get(c.deletionId);
    const device = deviceId === undefined ? undefined : this.devices.get(deviceId);
    if (!deviceId || !device?.deleting) throw new StoreError('store.conflict', 'the device this deletion names is not awaiting it');
    let servedVersion: { version: number; sha256: string };
    let checkpoint: Checkpoint;
    if (c.rollback) {
      if (c.rollback.shard !== deletion.shard) throw new StoreError('store.conflict', `deletion ${c.deletionId} is of shard ${deletion.shard}, not ${c.rollback.shard}`);
      ({ servedVersion, checkpoint } = this.rollback(c.rollback, c.completedAt));
    } else {
      const latest = this.models.at(-1)!;
      servedVersion = { version: latest.version, sha256: latest.sha256 };
      checkpoint = this.latestCheckpoint(deletion.shard)!;
    }
    this.devices.delete(deviceId);
    this.deletionDevice.delete(c.deletionId);
    for (const set of this.contributions.values()) set.delete(deviceId);
    const last = this.deletions.filter((x) => x.status === 'done').sort((a, b) => a.receipt!.index - b.receipt!.index).at(-1);
    const receipt = c.makeReceipt({ index: last ? last.receipt!.index + 1 : 0, previousHash: last ? receiptHash(last.receipt!) : GENESIS_HASH, servedVersion, checkpoint: checkpointInfo(checkpoint) });
    Object.assign(deletion, { status: 'done', completedAt: c.completedAt, receipt: structuredClone(receipt) });
    return copyDeletion(deletion);
  }

  /** Discard what was trained after the target, keep who trained on the target's model, start a new lineage. */
  private rollback(r: NonNullable<DeletionCompletion['rollback']>, at: number): { servedVersion: { version: number; sha256: string }; checkpoint: Checkpoint } {
    const target = this.checkpoints.find((x) => x.shard === r.shard && x.step === r.toStep);
    if (!target) throw new StoreError('store.not_found', `shard ${r.shard} keeps no checkpoint at step ${r.toStep}`);
    this.checkBasis(r.basis, r.shard);
    this.removeCheckpoints((x) => x.shard === r.shard && x.step > r.toStep);
    for (const key of [...this.contributions.keys()]) {
      const [s, step] = key.split('/').map(Number) as [number, number];
      if (s === r.shard && step > r.toStep) this.contributions.delete(key);
    }
    this.shards[r.shard]!.lineage++;
    const version = this.addVersion({ data: r.model, createdAt: at, provenance: r.provenance });
    return { servedVersion: { version: version.version, sha256: version.sha256 }, checkpoint: target };
  }

  async rollbackShard(r: NonNullable<DeletionCompletion['rollback']> & { at: number }): Promise<ModelVersionInfo> {
    checkShard(r.shard);
    checkTime(r.at, 'at');
    this.rollback(r, r.at);
    return infoOf(this.models.at(-1)!);
  }

  async receiptChain(): Promise<ChainEntry[]> {
    return this.deletions
      .filter((d) => d.status === 'done')
      .sort((a, b) => a.receipt!.index - b.receipt!.index)
      .map((d) => ({ index: d.receipt!.index, hash: receiptHash(d.receipt!), previousHash: d.receipt!.previousHash, completedAt: d.completedAt!, shard: d.shard }));
  }

  async receiptKey(generate: () => ServerIdentity, at: number): Promise<ReceiptKey> {
    checkTime(at, 'at');
    const active = this.receiptKeys.find((k) => k.retiredAt === null);
    return copyKey(active ?? this.addReceiptKey(generate(), at));
  }

  private addReceiptKey(fresh: ServerIdentity, at: number): ReceiptKey {
    checkIdentity(fresh);
    const key: ReceiptKey = { id: keyId(fresh.publicKey), publicKey: fresh.publicKey.slice(), privateKey: fresh.privateKey.slice(), createdAt: at, retiredAt: null };
    this.receiptKeys.push(key);
    return key;
  }

  async listReceiptKeys(): Promise<ReceiptKey[]> {
    const active = this.receiptKeys.filter((k) => k.retiredAt === null);
    const retired = this.receiptKeys.filter((k) => k.retiredAt !== null).sort((a, b) => b.retiredAt! - a.retiredAt! || b.createdAt - a.createdAt);
    return [...active, ...retired].map(copyKey);
  }

  async rotateReceiptKey(generate: () => ServerIdentity, at: number): Promise<ReceiptKey> {
    checkTime(at, 'at');
    for (const k of this.receiptKeys) if (k.retiredAt === null) k.retiredAt = at;
    return copyKey(this.addReceiptKey(generate(), at));
  }

  async close(): Promise<void> {}
}
