// The HTTP API (Express 5): health and readiness, the model files, the recommender, the model card, keys, operator
// metrics and status; every error as problem+json, every body within a size limit, anonymous routes rate limited.
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics';
import type { Store } from '../store/store';
import type { CatalogueIndex } from '../serving/catalogue-index';
import type { ServedModelCache } from '../serving/served-model';
import type { PublicKey } from '../../shared/protocol/http';
import { MAX_HISTORY } from '../../shared/protocol/http';
import { modelRoutes } from './model-routes';
import { HttpProblem, problem, sendProblem, toProblem } from './problems';
import { perAddressLimit, type RateLimit } from './rate-limit';
import { servingRoutes } from './serving-routes';
import { appRoutes } from './static-app';
import { deletionRoutes } from './deletion-routes';
import type { DeletionService } from '../forgetting/deletion-service';
import { transparencyRoutes, type DeploymentFacts } from './transparency-routes';

/** Bodies no route needs are refused above this. */
const DEFAULT_BODY_LIMIT = '16kb';
/** Routes that take a larger body: a recommendation request carries up to MAX_HISTORY entries (~40 bytes each). */
const BODY_LIMITS: Record<string, string> = { '/v1/recommendations': `${Math.ceil((MAX_HISTORY * 64) / 1024) + 16}kb` };
const ROUNDS_DEFAULT = 20;
const ROUNDS_MAX = 100;
/** Routes without a rate limit: probes and the operator's scrape. */
const UNLIMITED = new Set(['/v1/health', '/v1/ready', '/v1/metrics']);

/** What the app needs; the serving parts are optional so that a bare store can still be served (tests). */
export interface AppOptions {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** Anonymous requests per window per client address (limit 0 = off). */
  rateLimit: RateLimit;
  /** Express's `trust proxy` (false, or how many proxy hops to believe). */
  trustProxy: false | number;
  serving?: { catalogue: CatalogueIndex; served: ServedModelCache; facts: DeploymentFacts; serverKey: PublicKey };
  /** The web app's build directory, served at / (absent: no app). */
  appDir?: string;
  /** The deletion service (absent: no deletion routes). */
  deletions?: DeletionService;
}

function parseLimit(raw: unknown): number {
  if (raw === undefined) return ROUNDS_DEFAULT;
  const n = typeof raw === 'string' && /^[0-9]{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= ROUNDS_MAX)) throw new HttpProblem('query.invalid', `limit must be an integer in 1..${ROUNDS_MAX}`);
  return n;
}

/** Every router is mounted here; app-level routes spell the prefix out. */
const API_PREFIX = '/v1';

/**
 * The matched route's pattern (never the path: it can carry ids), or a fixed word. Read after the response, when
 * Express has already reset req.baseUrl, so a router's pattern gets the one prefix routers are mounted at.
 */
function routeOf(req: express.Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== 'string') return '(no route)';
  return pattern.startsWith(`${API_PREFIX}/`) ? pattern : `${API_PREFIX}${pattern}`;
}

/** One line per request (method, route pattern, status, duration) and its latency metric. Never paths, queries or bodies. */
function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = routeOf(req);
      metrics.requestSeconds.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      logger.info({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'http');
    });
    next();
  };
}

/** A JSON body parser whose limit depends on the route. */
function bodyParsers(): RequestHandler {
  const small = express.json({ limit: DEFAULT_BODY_LIMIT, strict: true });
  const large = new Map(Object.entries(BODY_LIMITS).map(([path, limit]) => [path, express.json({ limit, strict: true })]));
  return (req, res, next) => (large.get(req.path) ?? small)(req, res, next);
}

/** Build the Express app. */
export function createApp(o: AppOptions): express.Express {
  const { store, logger, metrics } = o;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // model files set their own (the SHA-256); nothing else is worth hashing
  app.set('query parser', 'simple'); // flat key=value only: no nested objects to pollute
  app.set('trust proxy', o.trustProxy);
  app.use(requestLog(logger, metrics));
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  const limit = perAddressLimit(o.rateLimit, metrics);
  if (limit) app.use(API_PREFIX, (req, res, next) => (UNLIMITED.has(req.originalUrl.split('?')[0]!) ? next() : limit(req, res, next)));
  app.use(bodyParsers());

  app.get('/v1/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  app.get('/v1/metrics', async (_req, res) => {
    res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(API_PREFIX, modelRoutes(store));
  if (o.serving) {
    app.use(API_PREFIX, servingRoutes(o.serving));
    app.use(API_PREFIX, transparencyRoutes({ store, ...o.serving }));
  }
  if (o.deletions) app.use(API_PREFIX, deletionRoutes({ store, service: o.deletions }));
  app.get('/v1/rounds', async (req, res) => {
    const limit = parseLimit(req.query.limit);
    const [rounds, models] = await Promise.all([store.listRounds(limit), store.listModelVersions(limit)]);
    res.set('Cache-Control', 'no-store').json({ rounds, models });
  });
  if (o.appDir) app.use(appRoutes(o.appDir));

  app.use((req, res) => {
    const allowed = allowedMethods(app, req.path);
    if (allowed.length > 0) sendProblem(res, problem('route.method_not_allowed', `${req.method} is not supported here; use ${allowed.join(' or ')}`), { Allow: allowed.join(', ') });
    else sendProblem(res, problem('route.not_found', 'no such resource'));
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const { problem: p, headers, internal } = toProblem(err);
    if (internal) logger.error({ err, method: req.method, route: routeOf(req) }, 'http handler failed');
    metrics.refusals.inc({ code: p.code, transport: 'http' });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, p, headers);
  };
  app.use(onError);
  return app;
}

/** The methods the app's routes answer on `path` (for 405 and Allow), HEAD with GET. */
function allowedMethods(app: express.Express, path: string): string[] {
  const methods = new Set<string>();
  const visit = (stack: unknown[], prefix: string): void => {
    for (const layer of stack as { route?: { path: string; methods: Record<string, boolean> }; name?: string; handle?: { stack?: unknown[] }; matchers?: ((p: string) => unknown)[] }[]) {
      if (layer.route) {
        if (matches(prefix + layer.route.path, path)) for (const m of Object.keys(layer.route.methods)) methods.add(m.toUpperCase());
      } else if (layer.name === 'router' && layer.handle?.stack) visit(layer.handle.stack, API_PREFIX);
    }
  };
  visit((app as unknown as { router: { stack: unknown[] } }).router.stack, '');
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort((a, b) => (a === 'GET' ? -1 : b === 'GET' ? 1 : a.localeCompare(b)));
}

/** Whether an Express path pattern (literal segments and :params) matches a request path. */
function matches(pattern: string, path: string): boolean {
  const p = pattern.split('/');
  const q = path.split('/');
  return p.length === q.length && p.every((seg, n) => seg.startsWith(':') ? q[n] !== '' : seg === q[n]);
}
