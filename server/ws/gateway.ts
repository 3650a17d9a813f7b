// The WebSocket gateway on the HTTP server (path /v1/ws): upgrades, connection caps (in all and per client address),
// heartbeat, one live connection per device, batched last-seen writes.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ProtocolError, REFUSALS } from '../../shared/protocol/errors';
import type { ServerWireMessage } from '../../shared/protocol/messages';
import type { Sodium } from '../../shared/secagg/sodium';
import type { Logger } from '../log/logger';
import type { RoundHost } from '../rounds/host';
import type { ServerIdentity, Store } from '../store/store';
import { addressKey } from './client-address';
import { Connection, type ConnectionContext } from './connection';
import { LastSeenBatcher } from './last-seen';
import { maskedFrameBytes, maxPayloadBytes, textMessageBytes, type GatewayLimits } from './limits';
import { AddressCounter } from './per-address';
import type { EnrollmentPolicy } from '../enrollment/policy';
import { createRegistrar } from './registration';

export const WS_PATH = '/v1/ws';
/** How long close() waits for peers to answer the closing handshake before dropping them. */
const CLOSE_GRACE_MS = 1_000;
/** Unread outgoing bytes allowed per peer, in multiples of the largest message. */
const SEND_BUFFER_MESSAGES = 4;

/** What the gateway needs. */
export interface GatewayOptions {
  server: Server;
  store: Store;
  host: RoundHost;
  sodium: Sodium;
  identity: ServerIdentity;
  logger: Logger;
  limits: GatewayLimits;
  now?: () => number;
  /** Called with the code of every refusal sent (for metrics). */
  onRefusal?: (code: string) => void;
  /** Who may register a device (default open). */
  enrollment?: EnrollmentPolicy;
  /** Express's `trust proxy`, so per-address limits count the address the HTTP rate limit counts (default false). */
  trustProxy?: false | number;
  /** Milliseconds between last-seen writes (default server/ws/last-seen.ts's). */
  lastSeenFlushMs?: number;
}

/** A running gateway. */
export interface Gateway {
  /** ws's maxPayload as computed from the limits. */
  readonly maxPayload: number;
  /** Open connections (authenticated or not). */
  connectionCount(): number;
  /** Close every connection (1001), stop accepting upgrades, and write the pending last-seen times. */
  close(): Promise<void>;
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.on('error', () => {}); // the peer may already be gone; nothing to do about it
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Answer an accepted socket with a refusal and close it, before any challenge (a limit refused it). */
function refuseSocket(ws: WebSocket, err: ProtocolError): void {
  ws.on('error', () => {}); // the peer may already be gone
  const refused: ServerWireMessage = { type: 'refused', code: err.code, message: err.message };
  ws.send(JSON.stringify(refused));
  ws.close(REFUSALS[err.code].ws, err.code);
}

/** Attach the gateway to `server`'s upgrade event. */
export function createGateway(options: GatewayOptions): Gateway {
  const { server, limits, logger } = options;
  const log = logger.child({ component: 'ws' });
  const maxPayload = maxPayloadBytes(limits);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    maxFragments: limits.maxFragments,
    perMessageDeflate: false, // compression bombs and CPU for no gain: masked vectors are incompressible
    clientTracking: false,
  });
  wss.on('error', (err) => log.error({ err }, 'ws server error'));

  const connections = new Set<Connection>();
  const live = new Map<string, Connection>();
  const perAddress = new AddressCounter(limits.maxConnectionsPerAddress);
  const now = options.now ?? Date.now;
  const onRefusal = options.onRefusal ?? (() => {});
  const trustProxy = options.trustProxy ?? false;
  const lastSeen = new LastSeenBatcher(options.store, log, options.lastSeenFlushMs);
  let nextId = 1;

  const ctx: ConnectionContext = {
    sodium: options.sodium,
    store: options.store,
    host: options.host,
    logger: log,
    limits,
    serverKey: options.identity.publicKey,
    registrar: createRegistrar({ store: options.store, policy: options.enrollment ?? 'open', registrationsPerAddressPerHour: limits.registrationsPerAddressPerHour, now }),
    lastSeen,
    now,
    maxTextBytes: textMessageBytes(limits.maxCohort),
    maxBinaryBytes: maskedFrameBytes(limits.vectorLength),
    maxSendBufferBytes: SEND_BUFFER_MESSAGES * maxPayload,
    onRefusal,
    attach(conn) {
      const deviceId = conn.deviceId!;
      // A newer connection replaces the older one (a device reconnecting after a network change);
      // closing the old one first lets detach() tell the coordinator it is gone.
      live.get(deviceId)?.close(1000, 'replaced by a newer connection');
      live.set(deviceId, conn);
    },
    detach(conn) {
      const deviceId = conn.deviceId;
      if (deviceId === undefined || live.get(deviceId) !== conn) return;
      live.delete(deviceId);
      try {
        options.host.disconnected(deviceId);
      } catch (err) {
        log.error({ err }, 'host.disconnected failed');
      }
    },
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let path = '';
    try {
      path = new URL(req.url ?? '', 'http://localhost').pathname;
    } catch {
      // an unparseable target is simply not our path
    }
    if (path !== WS_PATH) return rejectUpgrade(socket, 404, 'Not Found');
    if (connections.size >= limits.maxConnections) {
      // Refused before the handshake (no message can be sent yet): the cheapest answer when the server is full.
      log.warn({ open: connections.size }, 'connection cap reached');
      onRefusal('limit.connections');
      return rejectUpgrade(socket, 503, 'Service Unavailable');
    }
    const address = addressKey(req, trustProxy);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Counted here, where the connection exists: an upgrade that fails its handshake never reaches this callback.
      if (!perAddress.tryAdd(address)) {
        onRefusal('limit.connections_per_address');
        log.info({ code: 'limit.connections_per_address' }, 'refused');
        return refuseSocket(ws, new ProtocolError('limit.connections_per_address', `more than ${limits.maxConnectionsPerAddress} open connections from your address; close one or try again later`));
      }
      const conn = new Connection(ws, ctx, nextId++, address);
      connections.add(conn);
      ws.once('close', () => {
        connections.delete(conn);
        perAddress.remove(address);
      });
    });
  };
  server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (!conn.alive) {
        conn.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, limits.heartbeatMs);
  heartbeat.unref();

  return {
    maxPayload,
    connectionCount: () => connections.size,
    async close() {
      server.off('upgrade', onUpgrade);
      clearInterval(heartbeat);
      const closing = [...connections].map((conn) => new Promise<void>((resolve) => {
        if (conn.ws.readyState === conn.ws.CLOSED) return resolve();
        conn.ws.once('close', () => resolve());
        conn.close(1001, 'server shutting down');
      }));
      const grace = setTimeout(() => {
        for (const conn of connections) conn.ws.terminate();
      }, CLOSE_GRACE_MS);
      await Promise.all(closing);
      clearTimeout(grace);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await lastSeen.close();
    },
  };
}
