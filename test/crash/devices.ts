// Real WebSocket devices for the crash suites: fixed identities that reconnect to each restarted server, and a
// record of every round outcome they were told ("completed", with its model version): the acknowledgements.
import WebSocket from 'ws';
import { memorySpentModels } from '../../client/rounds/spent-models';
import { createParticipant } from '../../client/rounds/participant';
import { connectDevice, type DeviceConnection, type SocketLike } from '../../client/rounds/connection';
import { createUpdateComputer } from '../../client/rounds/model-update';
import { generateSigningKeyPair, type SigningKeyPair } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import type { History } from '../../shared/model/reconstruct';

/** A completed round as one device heard of it. */
export interface Acknowledgement {
  modelVersion: number;
  sessionId: string;
  device: number;
}

/** The devices of a crash suite. */
export interface Fleet {
  /**
   * Connect every device to the server at `url` (a fresh participant each time, the same identity). Resolves when
   * each connection is settled; a connection or message that fails is passed to `failed` (the caller knows whether
   * it killed the server).
   */
  connect(url: string, failed: (err: Error) => void): Promise<void>;
  /** Resolves when every socket opened by the last `connect` has closed (after a kill, every frame received is recorded). */
  closed(): Promise<void>;
  /** Every acknowledgement received so far, in order of receipt. */
  readonly acknowledgements: readonly Acknowledgement[];
  /** The devices' identity keys, by index. */
  readonly identities: readonly SigningKeyPair[];
}

/** `count` devices, each training on a few items of a catalogue of `items`. */
export function createFleet(o: { sodium: Sodium; count: number; items: number }): Fleet {
  const { sodium } = o;
  const identities: SigningKeyPair[] = Array.from({ length: o.count }, () => generateSigningKeyPair(sodium));
  const histories: History[] = identities.map((_, k) => ({ items: Int32Array.from([k, k + 7, k + 19, k + 101].map((i) => i % o.items)), values: Float32Array.of(5, 4, 3, 4) }));
  const acknowledgements: Acknowledgement[] = [];
  let sockets: Promise<unknown>[] = [];

  const connectOne = (url: string, k: number, failed: (err: Error) => void): { connected: Promise<DeviceConnection>; closed: Promise<unknown> } => {
    const identity = identities[k]!;
    let socketClosed: Promise<unknown> = Promise.resolve();
    const connected = connectDevice({
      url: url.replace(/^http/, 'ws') + '/v1/ws',
      createSocket: (u) => {
        const ws = new WebSocket(u);
        socketClosed = new Promise((resolve) => ws.once('close', resolve));
        // Recorded on receipt, before the participant's queue: what reached the device is what was acknowledged.
        ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          const m = JSON.parse(String(data)) as { type?: string; status?: string; modelVersion?: number; sessionId?: string };
          if (m.type === 'result' && m.status === 'completed' && typeof m.modelVersion === 'number') acknowledgements.push({ modelVersion: m.modelVersion, sessionId: String(m.sessionId), device: k });
        });
        ws.on('error', () => {}); // a kill resets the socket; 'close' follows
        return ws as unknown as SocketLike;
      },
      sodium,
      identity,
      register: true,
      training: true,
      // A fresh record of spent models each connection: a kill after the masked uploads would otherwise leave all four
      // devices refusing that model for good (one contribution per model), and the shard could not train again — the
      // rule's liveness limit that README states. These suites test the server's durability, not that rule.
      participant: createParticipant({ sodium, identity, spent: memorySpentModels(), floors: { corruptFraction: 0, minCohort: 2 }, computeUpdate: createUpdateComputer({ baseUrl: url, fetch, history: () => histories[k]! }) }),
      onError: failed, // e.g. a model download cut by a kill (expected), or a bad server message (not)
    });
    return { connected, closed: connected.then(() => socketClosed, () => socketClosed) };
  };

  return {
    async connect(url, failed) {
      const all = identities.map((_, k) => connectOne(url, k, failed));
      sockets = all.map((c) => c.closed);
      await Promise.all(all.map((c) => c.connected.then(() => {}, (err: Error) => failed(err))));
    },
    async closed() {
      await Promise.all(sockets);
    },
    get acknowledgements() {
      return acknowledgements;
    },
    identities,
  };
}
