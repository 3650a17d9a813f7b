// Per-address limits on anonymous HTTP routes (express-rate-limit), refused as problem+json with Retry-After.
// Behind a TLS-terminating proxy, `--trust-proxy` makes req.ip the client's address rather than the proxy's.
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Metrics } from '../metrics';
import { problem, sendProblem } from './problems';

/** A rate: `limit` requests per `windowMs` (the CLI's --rate-limit N is N per 1000 ms). */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** A limiter of `limit` requests per window per client address (IPv6 grouped by /56); undefined when the limit is 0 (off). */
export function perAddressLimit({ limit, windowMs }: RateLimit, metrics?: Metrics): RequestHandler | undefined {
  if (limit === 0) return undefined;
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  const seconds = Math.ceil(windowMs / 1000);
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Any client can send X-Forwarded-For: without --trust-proxy it is ignored, which is right, not a misconfiguration.
    validate: { xForwardedForHeader: false },
    handler: (_req, res) => {
      metrics?.rateLimited.inc();
      sendProblem(res, problem('rate.limited', `more than ${limit} requests in ${seconds} s from your address; try again in ${seconds} s`), { 'Retry-After': String(seconds) });
    },
  });
}
