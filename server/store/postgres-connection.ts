// The connection pool every PostgresStore uses: 64-bit integers read as numbers, a bounded connect time, idle errors heard.
import pg from 'pg';
import type { PoolConfig } from 'pg';

const { Pool, types } = pg;

/** bigint (int8) columns hold epoch milliseconds, ids and counts: all safe integers, read as numbers. */
function readInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`an int8 value ${text} is not a safe integer`);
  return n;
}

/** Type parsers for this pool only (pg's global parsers stay as they are for other users of pg). */
const poolTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === types.builtins.INT8 && format !== 'binary') return readInt8;
    return types.getTypeParser(oid, format);
  },
} as PoolConfig['types'];

/** How long the first connection of a pool may take before the attempt counts as failed. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** A pool on `url`, `size` connections at most; `onIdleError` hears errors of idle connections (the pool drops them). */
export function createPool(url: string, size: number, onIdleError: (err: Error) => void): pg.Pool {
  const pool = new Pool({ connectionString: url, max: size, types: poolTypes, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: 'confidant' });
  // Without a listener an idle connection's error (the server restarted) would be an uncaught exception.
  pool.on('error', onIdleError);
  return pool;
}
