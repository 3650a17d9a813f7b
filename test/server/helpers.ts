// Test helpers for the server: a ready libsodium, device identities, a ws client that awaits events, a recording host double, tiny models.
import { Writable } from 'node:stream';
import sodiumModule from 'libsodium-wrappers';
import WebSocket from 'ws';
import type { MfModel } from '../../models/mf/model';
import { toBase64Url, fromBase64Url } from '../../shared/protocol/encoding';
import { ProtocolError } from '../../shared/protocol/errors';
import { PROTOCOL_VERSION, type ClientWireMessage } from '../../shared/protocol/messages';
import { sign } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import { createLogger, type Logger } from '../../server/log/logger';
import type { DeviceChannel, RoundHost, RoundMessage } from '../../server/rounds/host';
import { authPayload } from '../../shared/protocol/auth';

await sodiumModule.ready;
/** libsodium, ready. */
export const sodium: Sodium = sodiumModule;

/** A device identity: Ed25519 key pair and its id. */
export interface TestDevice {
  deviceId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** A fresh device identity. */
export function newDevice(): TestDevice {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  return { deviceId: toBase64Url(publicKey), publicKey, privateKey };
}

/** The auth message answering a challenge. */
export function authMessage(device: TestDevice, challenge: { nonce: string; serverKey: string }, register = true): ClientWireMessage {
  const signature = sign(sodium, device.privateKey, authPayload(fromBase64Url(challenge.serverKey), fromBase64Url(challenge.nonce), device.deviceId));
  return { type: 'auth', v: PROTOCOL_VERSION, deviceId: device.deviceId, register, signature: toBase64Url(signature) };
}

/** A server message as the test sees it (untyped JSON). */
export type Received = { type: string; [key: string]: unknown };

/** A ws client whose messages and close are awaited as events, never polled. */
export class TestClient {
  private readonly inbox: Received[] = [];
  private waiter: { resolve: (m: Received) => void; reject: (e: Error) => void } | undefined;
  private closeInfo: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const m = JSON.parse(isBinary ? '{"type":"<binary>"}' : (data as Buffer).toString('utf8')) as Received;
      if (this.waiter) {
        this.waiter.resolve(m);
        this.waiter = undefined;
      } else this.inbox.push(m);
    });
    ws.on('error', () => {}); // surfaced through `closed`
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.waiter?.reject(new Error(`closed ${code} ${reason.toString()} while waiting for a message`));
        this.waiter = undefined;
        resolve(this.closeInfo);
      });
    });
  }

  /** Connect (with extra request headers, e.g. X-Forwarded-For); resolves once open (the challenge is then on its way). */
  static open(url: string, headers?: Record<string, string>): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...(headers && { headers }) });
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  /** The next message from the server (buffered ones first). */
  next(): Promise<Received> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closeInfo) return Promise.reject(new Error(`closed ${this.closeInfo.code} ${this.closeInfo.reason}`));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendBinary(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  /** Raw bytes in a text frame (the client does not check them: for invalid UTF-8). */
  sendRawText(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: false });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    return this.closed;
  }
}

/** Connect a device and complete authentication; returns the client and the welcome. */
export async function connectDevice(wsUrl: string, device: TestDevice, register = true): Promise<{ client: TestClient; welcome: Received }> {
  const client = await TestClient.open(wsUrl);
  const challenge = await client.next();
  client.send(authMessage(device, challenge as unknown as { nonce: string; serverKey: string }, register));
  const welcome = await client.next();
  if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  return { client, welcome };
}

/** One call the gateway made on the host. */
export type HostCall =
  | { kind: 'connected'; deviceId: string; training: boolean; channel: DeviceChannel }
  | { kind: 'consent'; deviceId: string; training: boolean }
  | { kind: 'receive'; deviceId: string; message: RoundMessage }
  | { kind: 'disconnected'; deviceId: string };

/** A RoundHost test double: records every call, lets tests await one, and can be told to throw. */
export class HostDouble implements RoundHost {
  readonly calls: HostCall[] = [];
  private waiters: { match: (c: HostCall) => boolean; resolve: (c: HostCall) => void }[] = [];
  /** Called by receive(); throw from it to simulate the coordinator refusing. */
  onReceive: (deviceId: string, message: RoundMessage) => void = () => {};

  private push(call: HostCall): void {
    this.calls.push(call);
    this.waiters = this.waiters.filter((w) => (w.match(call) ? (w.resolve(call), false) : true));
  }

  /** Resolves with the first call (already made or future) that matches. */
  waitFor<K extends HostCall['kind']>(kind: K, match: (c: Extract<HostCall, { kind: K }>) => boolean = () => true): Promise<Extract<HostCall, { kind: K }>> {
    const m = (c: HostCall) => c.kind === kind && match(c as Extract<HostCall, { kind: K }>);
    const done = this.calls.find(m);
    if (done) return Promise.resolve(done as Extract<HostCall, { kind: K }>);
    return new Promise((resolve) => this.waiters.push({ match: m, resolve: resolve as (c: HostCall) => void }));
  }

  connected(channel: DeviceChannel, consent: { training: boolean }): void {
    this.push({ kind: 'connected', deviceId: channel.deviceId, training: consent.training, channel });
  }
  consentChanged(deviceId: string, consent: { training: boolean }): void {
    this.push({ kind: 'consent', deviceId, training: consent.training });
  }
  receive(deviceId: string, message: RoundMessage): void {
    this.onReceive(deviceId, message);
    this.push({ kind: 'receive', deviceId, message });
  }
  disconnected(deviceId: string): void {
    this.push({ kind: 'disconnected', deviceId });
  }
}

/** Throws the given refusal from the host (for the "coordinator refuses" cases). */
export const refuseWith = (code: ProtocolError['code']) => () => {
  throw new ProtocolError(code, `refused by the test host: ${code}`);
};

/** A valid model file of `items` × `dim`. */
export function tinyTable(items = 3, dim = 2): MfModel {
  const vectors = Float32Array.from({ length: items * dim }, (_, n) => n / 10);
  return { params: { kind: 'implicit', lambda: 0.1, alpha: 10, valueScale: 5 }, table: { items, dim, vectors, biases: new Float32Array(items) } };
}

/** A logger whose lines are collected in `lines` (to check what logs contain). */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** A session id as the protocol wants it (16 bytes base64url). */
export const SESSION = toBase64Url(new Uint8Array(16).fill(7));
