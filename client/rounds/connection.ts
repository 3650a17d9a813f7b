// A device's connection to the server: authenticates with its identity key, states its consent, and feeds
// round messages to the participant. Works with the browser's WebSocket and with the `ws` package in Node.
import type { Sodium } from '../../shared/secagg/sodium';
import { sign, type SigningKeyPair } from '../../shared/secagg/sign';
import { authPayload } from '../../shared/protocol/auth';
import { parseServerMessage } from '../../shared/protocol/parse';
import { PROTOCOL_VERSION, type ClientWireMessage, type ServerMessage } from '../../shared/protocol/messages';
import type { Participant } from './participant';

/** The part of the WebSocket API the connection uses (browser WebSocket and `ws` both have it). */
export interface SocketLike {
  binaryType: string;
  readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Options of a device connection. */
export interface ConnectionOptions {
  url: string;
  createSocket(url: string): SocketLike;
  sodium: Sodium;
  identity: SigningKeyPair;
  /** Register the identity key if the server does not know it yet. */
  register: boolean;
  /** Whether the owner allows this device's data to be used for training. */
  training: boolean;
  participant: Participant;
  /** Every server message after parsing (for logs and tests). */
  onMessage?(message: ServerMessage): void;
  /** A message that could not be handled (bad server message, participant failure). */
  onError?(error: Error): void;
}

/** An open, authenticated connection. */
export interface DeviceConnection {
  deviceId: string;
  setTraining(training: boolean): void;
  close(): void;
  /** Resolves when the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
}

const MAX_SERVER_TEXT = 64 * 1024 * 1024;

/** Connect and authenticate; resolves after the server's `welcome`, rejects on refusal or close. */
export function connectDevice(o: ConnectionOptions): Promise<DeviceConnection> {
  const { sodium } = o;
  const deviceId = sodium.to_base64(o.identity.publicKey, sodium.base64_variants.URLSAFE_NO_PADDING);
  const socket = o.createSocket(o.url);
  socket.binaryType = 'arraybuffer';
  const sendJson = (m: ClientWireMessage) => socket.send(JSON.stringify(m));
  let chain: Promise<void> = Promise.resolve(); // handle messages one at a time, in order
  let closeResolve: (v: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (closeResolve = resolve));
  return new Promise<DeviceConnection>((resolve, reject) => {
    let welcomed = false;
    const connection: DeviceConnection = {
      deviceId,
      setTraining: (training) => sendJson({ type: 'consent', training }),
      close: () => socket.close(1000, 'device leaves'),
      closed,
    };
    socket.onclose = (ev) => {
      closeResolve({ code: ev.code, reason: ev.reason });
      if (!welcomed) reject(new Error(`connection closed before authentication (${ev.code} ${ev.reason})`));
    };
    socket.onerror = () => {
      if (!welcomed) reject(new Error(`cannot connect to ${o.url}`));
    };
    socket.onmessage = (ev) => {
      chain = chain.then(async () => {
        if (typeof ev.data !== 'string') throw new Error('the server sent a binary frame; only text is expected');
        const message = parseServerMessage(ev.data, { maxTextBytes: MAX_SERVER_TEXT });
        o.onMessage?.(message);
        switch (message.type) {
          case 'challenge': {
            const signature = sign(sodium, o.identity.privateKey, authPayload(message.serverKey, message.nonce, deviceId));
            sendJson({ type: 'auth', v: PROTOCOL_VERSION, deviceId, register: o.register, signature: sodium.to_base64(signature, sodium.base64_variants.URLSAFE_NO_PADDING) });
            return;
          }
          case 'welcome':
            welcomed = true;
            sendJson({ type: 'consent', training: o.training });
            resolve(connection);
            return;
          case 'refused':
            if (!welcomed) reject(new Error(`refused: ${message.code}: ${message.message}`));
            return;
          default: {
            for (const out of await o.participant.handle(message)) {
              if (out.kind === 'binary') socket.send(out.bytes);
              else sendJson(out.message);
            }
          }
        }
      }).catch((err: unknown) => o.onError?.(err instanceof Error ? err : new Error(String(err))));
    };
  });
}
