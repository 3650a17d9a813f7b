// The HTTP API (Express 5): health, readiness, the model, operator status; every error as problem+json.
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '../log/logger';
import type { Store } from '../store/store';
import { modelRoutes } from './model-routes';
import { HttpProblem, problem, sendProblem, toProblem } from './problems';

/** Request bodies are small: no route takes one yet, and none will need more than this. */
const JSON_BODY_LIMIT = '16kb';
const ROUNDS_DEFAULT = 20;
const ROUNDS_MAX = 100;
/** Paths we serve, for telling 405 from 404. */
const GET_PATHS = new Set(['/v1/health', '/v1/ready', '/v1/model', '/v1/model/info', '/v1/rounds']);

/** What the app needs. */
export interface AppOptions {
  store: Store;
  logger: Logger;
}

function parseLimit(raw: unknown): number {
  if (raw === undefined) return ROUNDS_DEFAULT;
  const n = typeof raw === 'string' && /^[0-9]{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= ROUNDS_MAX)) throw new HttpProblem('query.invalid', `limit must be an integer in 1..${ROUNDS_MAX}`);
  return n;
}

/** Log one line per request: method, path (no query string), status, duration. Never bodies. */
function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      logger.info({ method: req.method, path: req.path.slice(0, 200), status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'http');
    });
    next();
  };
}

/** Build the Express app. */
export function createApp({ store, logger }: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // /v1/model sets its own (the file's SHA-256); nothing else is worth hashing
  app.set('query parser', 'simple'); // flat key=value only: no nested objects to pollute
  app.use(requestLog(logger));
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(express.json({ limit: JSON_BODY_LIMIT, strict: true }));

  app.get('/v1/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  app.use('/v1', modelRoutes(store));
  app.get('/v1/rounds', async (req, res) => {
    const limit = parseLimit(req.query.limit);
    const [rounds, models] = await Promise.all([store.listRounds(limit), store.listModelVersions(limit)]);
    res.set('Cache-Control', 'no-store').json({ rounds, models });
  });

  app.use((req, res) => {
    if (GET_PATHS.has(req.path)) {
      sendProblem(res, problem('route.method_not_allowed', `${req.method} is not supported here; use GET`), { Allow: 'GET, HEAD' });
    } else {
      sendProblem(res, problem('route.not_found', 'no such resource'));
    }
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const { problem: p, headers, internal } = toProblem(err);
    if (internal) logger.error({ err, method: req.method, path: req.path.slice(0, 200) }, 'http handler failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, p, headers);
  };
  app.use(onError);
  return app;
}
