// The server as one object: HTTP API and WebSocket gateway on one port, around a Store and a RoundHost.
//
// The gateway authenticates devices and hands the host (the round coordinator, server/rounds/coordinator.ts)
// their channels and parsed messages.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sodiumModule from 'libsodium-wrappers';
import { decodeModelHeader } from '../models/serialize';
import { splitServedFile } from '../models/served-file';
import { updateLength } from '../models/federated/update-vector';
import type { Sodium } from '../shared/secagg/sodium';
import { generateSigningKeyPair } from '../shared/secagg/sign';
import { createApp } from './http/app';
import type { RateLimit } from './http/rate-limit';
import { describeKey, type DeploymentFacts } from './http/transparency-routes';
import { createLogger, type Logger } from './log/logger';
import { createMetrics, type Metrics } from './metrics';
import { indexCatalogue } from './serving/catalogue-index';
import { createServedModelCache } from './serving/served-model';
import type { DeletionService } from './forgetting/deletion-service';
import type { ItemMeta } from '../shared/data/interactions';
import type { RoundHost } from './rounds/host';
import type { Store } from './store/store';
import { createGateway, WS_PATH } from './ws/gateway';
import { resolveLimits, type GatewayLimits } from './ws/limits';
import type { EnrollmentPolicy } from './enrollment/policy';

/** Vector length when neither the options nor a stored model give one: 2^20 words (4 MiB frames). */
export const FALLBACK_VECTOR_LENGTH = 1 << 20;
/** Slow-request defences: a client gets this long to send its headers, and its whole request. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** What createServer needs; only store and host are required. */
export interface ServerOptions {
  store: Store;
  host: RoundHost;
  /** 0 picks a free port (tests). Default 8080. */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  logger?: Logger;
  /** A ready libsodium; default: the module's, awaited here. */
  sodium?: Sodium;
  /** Gateway limits; vectorLength defaults to the latest model's update length. */
  limits?: Partial<GatewayLimits>;
  now?: () => number;
  metrics?: Metrics;
  /** Anonymous HTTP requests per window per client address (default: off). */
  rateLimit?: RateLimit;
  /** Express's `trust proxy` (default false); the WebSocket per-address limits count the same address. */
  trustProxy?: false | number;
  /** Who may register a device over the WebSocket (default open). */
  enrollment?: EnrollmentPolicy;
  /** The recommender's routes and the model card need the catalogue (in model row order) and the deployment's settings. */
  serving?: { catalogue: readonly ItemMeta[]; facts: DeploymentFacts };
  /** The deletion routes need the service (server/forgetting/deletion-service.ts). */
  deletions?: DeletionService;
  /** The web app's build directory, served at / (absent: no app). */
  appDir?: string;
}

/** A listening server. */
export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  /** The server's Ed25519 public key (what devices see in `challenge`). */
  serverKey: Uint8Array;
  limits: GatewayLimits;
  maxPayload: number;
  metrics: Metrics;
  /** Stop listening, close every WebSocket (1001) and HTTP connection. The store stays open. */
  close(): Promise<void>;
}

/** The update-vector length for the latest stored model, if there is one. */
export async function modelVectorLength(store: Store): Promise<number | undefined> {
  const model = await store.latestModel();
  if (!model) return undefined;
  const { header } = decodeModelHeader(splitServedFile(model.data)[0]!);
  return updateLength({ items: header.items, dim: header.dim });
}

/** Start the HTTP API and the WebSocket gateway on one port. */
export async function createServer(options: ServerOptions): Promise<RunningServer> {
  const port = options.port ?? 8080;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer in 0..65535, got ${port}`);
  const hostname = options.hostname ?? '127.0.0.1';
  const logger = options.logger ?? createLogger();
  const now = options.now ?? Date.now;
  let sodium = options.sodium;
  if (!sodium) {
    await sodiumModule.ready;
    sodium = sodiumModule;
  }
  const readySodium = sodium;
  const vectorLength = options.limits?.vectorLength ?? (await modelVectorLength(options.store)) ?? FALLBACK_VECTOR_LENGTH;
  const limits = resolveLimits({ ...options.limits, vectorLength });
  const identity = await options.store.serverIdentity(() => generateSigningKeyPair(readySodium), now());
  const metrics = options.metrics ?? createMetrics();
  const serving = options.serving && {
    catalogue: indexCatalogue(options.serving.catalogue),
    served: createServedModelCache(options.store),
    facts: options.serving.facts,
    serverKey: describeKey(identity.publicKey, identity.createdAt, ['device-authentication']),
  };

  const server = createHttpServer(createApp({ store: options.store, logger, metrics, rateLimit: options.rateLimit ?? { limit: 0, windowMs: 1000 }, trustProxy: options.trustProxy ?? false, ...(serving && { serving }), ...(options.appDir && { appDir: options.appDir }), ...(options.deletions && { deletions: options.deletions }) }));
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  const gateway = createGateway({
    server,
    store: options.store,
    host: options.host,
    sodium,
    identity,
    logger,
    limits,
    now,
    onRefusal: (code) => metrics.refusals.inc({ code, transport: 'ws' }),
    enrollment: options.enrollment ?? 'open',
    trustProxy: options.trustProxy ?? false,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const authority = `${hostname.includes(':') ? `[${hostname}]` : hostname}:${bound}`;
  logger.info({ url: `http://${authority}`, maxPayload: gateway.maxPayload, vectorLength: limits.vectorLength, maxCohort: limits.maxCohort, enrollment: options.enrollment ?? 'open' }, 'listening');

  return {
    url: `http://${authority}`,
    wsUrl: `ws://${authority}${WS_PATH}`,
    port: bound,
    serverKey: identity.publicKey,
    limits,
    maxPayload: gateway.maxPayload,
    metrics,
    async close() {
      await gateway.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
