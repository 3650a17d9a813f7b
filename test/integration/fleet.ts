// Device clients for integration tests: a real participant over a real WebSocket, optionally dropping out at a stage.
import WebSocket from 'ws';
import type { RunningServer } from '../../server/server';
import { createParticipant, type Participant, type ParticipantOptions } from '../../client/rounds/participant';
import { connectDevice, type DeviceConnection, type SocketLike } from '../../client/rounds/connection';
import { createUpdateComputer } from '../../client/rounds/model-update';
import { memorySpentModels } from '../../client/rounds/spent-models';
import { TEST_FLOORS } from '../conformance/harness';
import { generateSigningKeyPair, type SigningKeyPair } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import type { ServerMessage } from '../../shared/protocol/messages';
import type { History } from '../../shared/model/reconstruct';

/** A participant that closes its connection when it receives `stage` (a device dropping out mid-round). */
export function dropping(inner: Participant, stage: ServerMessage['type'], close: () => void): Participant {
  return {
    get deviceId() {
      return inner.deviceId;
    },
    get lastAbort() {
      return inner.lastAbort;
    },
    async handle(message) {
      if (message.type === stage) {
        close();
        return [];
      }
      return inner.handle(message);
    },
  };
}

/** A connected device. */
export interface Device {
  id: string;
  identity: SigningKeyPair;
  connection: DeviceConnection;
  participant: Participant;
}

/** Register and connect one device that trains on `history` and allows training. */
export async function startDevice(o: {
  server: RunningServer;
  sodium: Sodium;
  history: History;
  dropAt?: ServerMessage['type'];
  participant?: Partial<Pick<ParticipantOptions, 'onLog' | 'floors' | 'computeUpdate'>>;
}): Promise<Device> {
  const { sodium, server } = o;
  const identity = generateSigningKeyPair(sodium);
  const computeUpdate = createUpdateComputer({ baseUrl: server.url, fetch, history: () => o.history });
  const holder: { connection?: DeviceConnection } = {}; // the drop hook needs the connection it is part of
  const base = createParticipant({ sodium, identity, computeUpdate, spent: memorySpentModels(), floors: TEST_FLOORS, ...o.participant });
  const participant = o.dropAt ? dropping(base, o.dropAt, () => holder.connection?.close()) : base;
  const connection = await connectDevice({
    url: server.wsUrl,
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    sodium,
    identity,
    register: true,
    training: true,
    participant,
  });
  holder.connection = connection;
  return { id: connection.deviceId, identity, connection, participant };
}
