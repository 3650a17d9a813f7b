// Per-address limits on anonymous HTTP routes (express-rate-limit), refused as problem+json with Retry-After.
// Behind a TLS-terminating proxy, `--trust-proxy` makes req.ip the client's address rather than the proxy's.
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Metrics } from '../metrics';
import { problem, sendProblem } from './problems';

/** A limiter of `perSecond` requests per second per client address (IPv6 grouped by /56); undefined when 0 (off). */
export function perAddressLimit(perSecond: number, metrics?: Metrics): RequestHandler | undefined {
  if (perSecond === 0) return undefined;
  if (!Number.isInteger(perSecond) || perSecond < 0) throw new RangeError(`perSecond must be a non-negative integer, got ${perSecond}`);
  return rateLimit({
    windowMs: 1000,
    limit: perSecond,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      metrics?.rateLimited.inc();
      sendProblem(res, problem('rate.limited', `more than ${perSecond} requests per second from your address; try again in a second`), { 'Retry-After': '1' });
    },
  });
}
