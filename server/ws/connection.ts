// One device connection: challenge, authentication, then parse and forward; every bad input answered as data.
//
// Messages of one connection are handled strictly in order through a promise chain (authentication
// waits on the store, and nothing may overtake it). Size and rate checks run as a message arrives,
// so a flood is refused without being queued. The gateway counts the refusals it makes itself
// (transport and authentication); a refusal from the coordinator is protocol business and does not
// count, since the coordinator can close the channel itself when it judges a device hostile.
import type { RawData, WebSocket } from 'ws';
import { NONCE_BYTES } from '../../shared/protocol/auth';
import { decodeMaskedFrame } from '../../shared/protocol/binary-frame';
import { toBase64Url } from '../../shared/protocol/encoding';
import { ProtocolError, REFUSALS, type RefusalCode } from '../../shared/protocol/errors';
import { PROTOCOL_VERSION, type ClientMessage, type ServerWireMessage } from '../../shared/protocol/messages';
import { parseClientMessage } from '../../shared/protocol/parse';
import type { Sodium } from '../../shared/secagg/sodium';
import { devicePublicKey } from '../device-id';
import type { Logger } from '../log/logger';
import type { DeviceChannel, RoundHost, RoundMessage } from '../rounds/host';
import type { Store } from '../store/store';
import { verifyAuth } from './auth';
import type { LastSeenBatcher } from './last-seen';
import type { GatewayLimits } from './limits';
import type { Registrar } from './registration';
import { TokenBucket } from './token-bucket';

/** What a connection needs from its gateway. */
export interface ConnectionContext {
  sodium: Sodium;
  store: Store;
  host: RoundHost;
  logger: Logger;
  limits: GatewayLimits;
  serverKey: Uint8Array;
  /** Admits new devices: enrollment policy and per-address registration rate. */
  registrar: Registrar;
  /** Where authentications note their time (written in batches). */
  lastSeen: LastSeenBatcher;
  now: () => number;
  maxTextBytes: number;
  maxBinaryBytes: number;
  /** A peer that leaves more than this unread is dropped (slow-reader defence). */
  maxSendBufferBytes: number;
  /** Count a refusal (metrics). */
  onRefusal(code: string): void;
  /** Make `conn` its device's live connection, closing any older one. */
  attach(conn: Connection): void;
  /** `conn` closed: forget it if it is still its device's live connection. */
  detach(conn: Connection): void;
}

type State = 'challenged' | 'authenticating' | 'authenticated' | 'closed';

const MAX_REFUSAL_TEXT = 500;
const MAX_PATH_PARTS = 32;
const MAX_CLOSE_REASON_BYTES = 123; // RFC 6455 §5.5: control frames carry ≤ 125 bytes, 2 of them the code

const asBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

/** One WebSocket connection of one (eventually authenticated) device. */
export class Connection {
  private state: State = 'challenged';
  private device: string | undefined;
  private nonce: Uint8Array;
  private violations = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly bucket: TokenBucket;
  private readonly handshakeTimer: NodeJS.Timeout;
  private log: Logger;
  /** Cleared at each heartbeat ping, set by the pong. */
  alive = true;

  constructor(
    readonly ws: WebSocket,
    private readonly ctx: ConnectionContext,
    id: number,
    /** The client address key per-address limits count under (server/ws/client-address.ts); never logged. */
    private readonly address: string,
  ) {
    this.log = ctx.logger.child({ conn: id });
    this.bucket = new TokenBucket(ctx.limits.rateBurst, ctx.limits.ratePerSecond, ctx.now);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    // ws closes the socket itself after a protocol error (bad UTF-8 → 1007, too large → 1009, ...).
    ws.on('error', (err) => this.log.info({ code: (err as { code?: string }).code ?? 'unknown' }, 'ws protocol error'));
    ws.on('pong', () => {
      this.alive = true;
    });
    this.handshakeTimer = setTimeout(() => this.handshakeExpired(), ctx.limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    this.nonce = ctx.sodium.randombytes_buf(NONCE_BYTES);
    this.send({ type: 'challenge', v: PROTOCOL_VERSION, nonce: toBase64Url(this.nonce), serverKey: toBase64Url(ctx.serverKey) });
  }

  /** The device this connection authenticated as (kept after close, for the gateway's bookkeeping). */
  get deviceId(): string | undefined {
    return this.device;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const bytes = asBuffer(data);
    let early: ProtocolError | undefined;
    if (!this.bucket.take()) {
      early = new ProtocolError('rate.limited', `more than ${this.ctx.limits.ratePerSecond} messages per second (burst ${this.ctx.limits.rateBurst})`);
    } else {
      const limit = isBinary ? this.ctx.maxBinaryBytes : this.ctx.maxTextBytes;
      if (bytes.length > limit) early = new ProtocolError('message.too_large', `${isBinary ? 'binary' : 'text'} message of ${bytes.length} bytes exceeds the limit of ${limit}`);
    }
    this.queue = this.queue
      .then(() => (early ? this.refuse(early, true) : this.handle(bytes, isBinary)))
      .catch((err: unknown) => this.internalError(err));
  }

  private async handle(bytes: Buffer, isBinary: boolean): Promise<void> {
    if (this.state === 'closed') return;
    try {
      if (isBinary) {
        // Decoding a frame is work: only for an authenticated device.
        if (this.state !== 'authenticated') throw new ProtocolError('auth.required', 'authenticate before sending binary frames');
        const { header, vector } = decodeMaskedFrame(bytes);
        this.forward({ type: 'masked', header, vector });
        return;
      }
      // ws has already refused invalid UTF-8 in text frames (close 1007), so this decoding is exact.
      const message = parseClientMessage(bytes.toString('utf8'), { maxTextBytes: this.ctx.maxTextBytes });
      if (message.type === 'auth') return await this.authenticate(message);
      if (this.state !== 'authenticated') throw new ProtocolError('auth.required', `'${message.type}' before authentication`);
      if (message.type === 'consent') return await this.consent(message.training);
      this.forward(message);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.refuse(err, true);
    }
  }

  private async authenticate(message: Extract<ClientMessage, { type: 'auth' }>): Promise<void> {
    // The nonce is single-use: whatever happens next, this connection cannot answer its challenge again.
    if (this.state !== 'challenged') throw new ProtocolError('auth.replayed', 'this connection has already used its challenge');
    this.state = 'authenticating';
    const nonce = this.nonce;
    this.nonce = new Uint8Array(0);
    const { deviceId } = message;
    if (!devicePublicKey(deviceId)) return this.refuseAndClose(new ProtocolError('message.invalid', 'deviceId is not the canonical base64url of a 32-byte key', ['deviceId']));
    if (!verifyAuth(this.ctx.sodium, this.ctx.serverKey, nonce, deviceId, message.signature)) {
      return this.refuseAndClose(new ProtocolError('auth.bad_signature', "the signature does not verify for this connection's challenge", ['signature']));
    }
    const at = this.ctx.now();
    // Registration is idempotent: registering a key that exists just authenticates it (no token, no rate taken). The
    // signature already proves possession of the key, and a device that lost the welcome must be able to retry.
    let registered = false;
    let device = await this.ctx.store.getDevice(deviceId);
    if (!device && message.register) {
      try {
        // Durable before `welcome`: the registrar awaits the store's commit.
        ({ device, created: registered } = await this.ctx.registrar.register(deviceId, at, this.address, message.token));
      } catch (err) {
        if (err instanceof ProtocolError) return this.refuseAndClose(err);
        throw err;
      }
    }
    if (!device) return this.refuseAndClose(new ProtocolError('auth.unknown_device', 'no device is registered with that key; send register: true'));
    // A device whose deletion was asked is gone for the server, even before the deletion completes.
    if (device.deleting) return this.refuseAndClose(new ProtocolError('auth.unknown_device', 'this device asked to be deleted: it can no longer connect'));
    this.ctx.lastSeen.note(deviceId, at); // written with others in one transaction later: no fsync per authentication
    if (this.state !== 'authenticating') return; // the socket closed while the store worked
    this.state = 'authenticated';
    this.device = deviceId;
    clearTimeout(this.handshakeTimer);
    this.log.info({ registered }, 'device authenticated');
    this.ctx.attach(this);
    this.send({ type: 'welcome', deviceId, registered });
    // What the coordinator gets: sends to this socket only, a no-op once it has closed or been replaced.
    const channel: DeviceChannel = { deviceId, send: (m) => this.send(m), close: (code, reason) => this.close(code, reason) };
    this.callHost(() => this.ctx.host.connected(channel, { training: device.consentTraining }));
  }

  private async consent(training: boolean): Promise<void> {
    const deviceId = this.device!;
    await this.ctx.store.setConsent(deviceId, training);
    this.callHost(() => this.ctx.host.consentChanged(deviceId, { training }));
  }

  private forward(message: RoundMessage): void {
    const deviceId = this.device!;
    this.callHost(() => this.ctx.host.receive(deviceId, message));
  }

  /** Call the coordinator: its ProtocolError is a refusal, anything else our bug (never the device's). */
  private callHost(call: () => void): void {
    try {
      call();
    } catch (err) {
      if (err instanceof ProtocolError) this.refuse(err, false);
      else this.internalError(err);
    }
  }

  private refuse(err: ProtocolError, counts: boolean): void {
    const r = err.toRefusal();
    this.ctx.onRefusal(r.code);
    this.log.info({ code: r.code, path: r.path?.slice(0, 4) }, 'refused');
    const path = r.path?.slice(0, MAX_PATH_PARTS).map((p) => (typeof p === 'string' ? p.slice(0, 64) : p));
    this.send({ type: 'refused', code: r.code, message: r.message.slice(0, MAX_REFUSAL_TEXT), ...(path ? { path } : {}) });
    if (counts && ++this.violations > this.ctx.limits.maxViolations) this.closeWith(r.code);
  }

  private refuseAndClose(err: ProtocolError): void {
    this.refuse(err, false);
    this.closeWith(err.code);
  }

  private internalError(err: unknown): void {
    this.log.error({ err }, 'gateway handler failed');
    if (this.state === 'closed') return;
    this.send({ type: 'refused', code: 'server.error', message: REFUSALS['server.error'].text });
    if (this.state !== 'authenticated') this.closeWith('server.error');
  }

  private handshakeExpired(): void {
    if (this.state === 'authenticated' || this.state === 'closed') return;
    this.refuse(new ProtocolError('auth.required', `no authentication within ${this.ctx.limits.handshakeTimeoutMs} ms`), false);
    this.closeWith('auth.required');
  }

  /** Send a message if the socket is open; drop a peer that is not reading. */
  send(message: ServerWireMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.ctx.maxSendBufferBytes) {
      this.log.warn({ bufferedBytes: this.ws.bufferedAmount }, 'peer is not reading: dropping it');
      this.terminate();
      return;
    }
    this.ws.send(JSON.stringify(message), (err) => {
      if (err) this.log.debug({ code: (err as { code?: string }).code }, 'send failed');
    });
  }

  private closeWith(code: RefusalCode): void {
    this.close(REFUSALS[code].ws, code);
  }

  /** Close with a code and reason; stops all handling at once (messages already queued are dropped). */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.markClosed();
    try {
      this.ws.close(code, Buffer.from(reason).subarray(0, MAX_CLOSE_REASON_BYTES).toString());
    } catch {
      this.ws.terminate(); // an invalid code from a caller: do not leave the socket open
    }
  }

  /** Drop the socket without a closing handshake. */
  terminate(): void {
    this.markClosed();
    this.ws.terminate();
  }

  private markClosed(): void {
    const wasLive = this.state === 'authenticated';
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    if (wasLive) this.ctx.detach(this);
  }

  private onClose(): void {
    if (this.state !== 'closed') this.markClosed();
  }
}
