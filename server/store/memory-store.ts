// The Store in memory: same contract and refusals as SQLite, nothing durable (tests, simulations, demos).
//
// Records are copied in and out, so a caller that mutates what it passed or got back cannot change
// the stored state, just as with a database.
import { StoreError } from './errors';
import type { DeviceRecord, ModelVersion, ModelVersionInfo, NewModelVersion, NewRound, RoundEnd, RoundRecord, ServerIdentity, Store } from './store';
import { checkDeviceId, checkIdentity, checkLimit, checkNewModel, checkNewRound, checkRoundEnd, checkTime, sha256Hex } from './validate';

const copyModel = (m: ModelVersion): ModelVersion => ({ ...m, provenance: { ...m.provenance }, data: m.data.slice() });
const infoOf = ({ data: _data, ...info }: ModelVersion): ModelVersionInfo => ({ ...info, provenance: { ...info.provenance } });

/** A Store held in Maps (see the file comment). */
export class MemoryStore implements Store {
  private readonly devices = new Map<string, DeviceRecord>();
  /** Ascending by version (putModelVersion only appends higher versions). */
  private readonly models: ModelVersion[] = [];
  /** Ascending by id. */
  private readonly rounds: RoundRecord[] = [];
  private identity: ServerIdentity | undefined;

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

  async putModelVersion(model: NewModelVersion): Promise<ModelVersionInfo> {
    const provenance = checkNewModel(model);
    const latest = this.models.at(-1);
    if (latest && model.version <= latest.version) throw new StoreError('store.conflict', `model version ${model.version} is not above the latest (${latest.version})`);
    if (provenance.round !== null && !this.rounds.some((r) => r.id === provenance.round)) {
      throw new StoreError('store.not_found', `provenance.round ${provenance.round} is not a stored round`);
    }
    const stored: ModelVersion = { version: model.version, createdAt: model.createdAt, sha256: sha256Hex(model.data), sizeBytes: model.data.length, provenance, data: model.data.slice() };
    this.models.push(stored);
    return infoOf(stored);
  }

  async latestModel(): Promise<ModelVersion | undefined> {
    const m = this.models.at(-1);
    return m && copyModel(m);
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
    if (this.rounds.some((r) => r.sessionId === round.sessionId && r.round === round.round)) {
      throw new StoreError('store.conflict', `round ${round.round} of that session was already started`);
    }
    const record: RoundRecord = {
      id: (this.rounds.at(-1)?.id ?? 0) + 1,
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

  async roundEnded(id: number, end: RoundEnd): Promise<RoundRecord> {
    checkRoundEnd(end);
    const r = this.rounds.find((x) => x.id === id);
    if (!r) throw new StoreError('store.not_found', `no round with id ${id}`);
    if (r.status !== 'started') throw new StoreError('store.conflict', `round ${id} already ended (${r.status})`);
    if (end.endedAt < r.startedAt) throw new StoreError('store.invalid', 'endedAt is before the round started');
    Object.assign(r, { status: end.status, reason: end.reason, endedAt: end.endedAt, survivors: end.survivors });
    return { ...r };
  }

  async listRounds(limit: number): Promise<RoundRecord[]> {
    checkLimit(limit);
    return this.rounds.slice(-limit).reverse().map((r) => ({ ...r }));
  }

  async serverIdentity(generate: () => ServerIdentity, at: number): Promise<ServerIdentity> {
    checkTime(at, 'at');
    if (!this.identity) {
      const fresh = generate();
      checkIdentity(fresh);
      this.identity = { publicKey: fresh.publicKey.slice(), privateKey: fresh.privateKey.slice() };
    }
    return { publicKey: this.identity.publicKey.slice(), privateKey: this.identity.privateKey.slice() };
  }

  async close(): Promise<void> {}
}
