// One device taking part in rounds: its identity, a WebSocket connection, the secure-aggregation participant and
// the local update over the history its store allows. The browser's trainer worker and the Node demo fleet both
// run this; the round log it keeps is what "My data" shows as sent (sizes and settings, never the update).
import type { Sodium } from '../../shared/secagg/sodium';
import type { SigningKeyPair } from '../../shared/secagg/sign';
import type { ServerMessage } from '../../shared/protocol/messages';
import { createParticipant, type SentLogEntry } from '../rounds/participant';
import { connectDevice, type DeviceConnection, type SocketLike } from '../rounds/connection';
import { createUpdateComputer } from '../rounds/model-update';
import type { TrainingModels } from '../rounds/training-models';
import type { DeviceStore, RoundRecord } from '../store/store';
import type { SpentModels } from '../rounds/spent-models';
import { trainingHistory } from './training-history';

/** Options of a device. */
export interface DeviceRuntimeOptions {
  /** HTTP base (http://host:port) and the WebSocket URL (ws://host:port/v1/ws). */
  baseUrl: string;
  wsUrl: string;
  fetch: typeof globalThis.fetch;
  createSocket(url: string): SocketLike;
  sodium: Sodium;
  identity: SigningKeyPair;
  store: DeviceStore;
  /** The durable record of models this device contributed to (IndexedDB in the browser, a file on Node). */
  spent: SpentModels;
  /** Catalogue id → model row. */
  rowOf(id: number): number | undefined;
  /** Training models shared between devices of one process (the fleet). */
  models?: TrainingModels;
  /** Each round record as it changes. */
  onRound?(record: RoundRecord): void;
  onError?(error: Error): void;
}

/** A connected device. */
export interface DeviceRuntime {
  deviceId: string;
  connection: DeviceConnection;
  close(): void;
}

/** Connect a device (registering its key if new) with its store's current consent to training. */
export async function startDeviceRuntime(o: DeviceRuntimeOptions): Promise<DeviceRuntime> {
  const rounds = new Map<string, { shard: number; cohortSize: number; survivors?: number; amongSurvivors?: boolean }>();
  const computeUpdate = createUpdateComputer({
    baseUrl: o.baseUrl,
    fetch: o.fetch,
    ...(o.models && { models: o.models }),
    history: async () => {
      // Checked again at the moment of use: a person who just withdrew consent contributes nothing.
      if (!(await o.store.permissions()).uses.contribute) throw new Error('contributing to training is switched off on this device');
      return trainingHistory(o.store, o.rowOf);
    },
  });
  const record = (entry: SentLogEntry): RoundRecord => {
    const seen = rounds.get(entry.sessionId);
    return {
      kind: 'round',
      sessionId: entry.sessionId,
      round: entry.round,
      shard: seen?.shard ?? 0,
      modelVersion: entry.modelVersion,
      startedAt: entry.startedAt,
      bytesSent: { ...entry.bytesSent },
      clipNorm: entry.clipNorm,
      clipped: entry.clipped,
      scale: entry.scale,
      deviceNoiseStd: entry.deviceNoiseStd,
      cohortSize: seen?.cohortSize ?? 0,
      ...(seen?.survivors !== undefined && { survivors: seen.survivors, amongSurvivors: seen.amongSurvivors! }),
      ...(entry.outcome && { outcome: { ...entry.outcome } }),
    };
  };
  const participant = createParticipant({
    sodium: o.sodium,
    identity: o.identity,
    spent: o.spent,
    computeUpdate,
    onLog: (entry) => {
      const r = record(entry);
      rounds.delete(entry.sessionId);
      o.store.putSent(r).then(
        () => o.onRound?.(r),
        (err: unknown) => o.onError?.(err as Error),
      );
    },
  });
  const deviceId = participant.deviceId;
  const onMessage = (m: ServerMessage): void => {
    if (m.type === 'invite') rounds.set(m.sessionId, { shard: m.shard, cohortSize: m.cohort.length });
    if (m.type === 'survivors') {
      const r = rounds.get(m.sessionId);
      if (r) Object.assign(r, { survivors: m.survivors.length, amongSurvivors: m.survivors.includes(deviceId) });
    }
  };
  const training = (await o.store.permissions()).uses.contribute;
  const connection = await connectDevice({
    url: o.wsUrl,
    createSocket: o.createSocket,
    sodium: o.sodium,
    identity: o.identity,
    register: true,
    training,
    participant,
    onMessage,
    ...(o.onError && { onError: o.onError }),
  });
  return { deviceId: connection.deviceId, connection, close: () => connection.close() };
}
