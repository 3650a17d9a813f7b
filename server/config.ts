// Server configuration from CLI flags and environment variables, checked where it enters (flags win over env).
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** The project's own `.data/` (ignored by git), used when no data directory is given. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.data/', import.meta.url));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything `npm start` can be told. */
export interface Config {
  port: number;
  hostname: string;
  dataDir: string;
  logLevel: LogLevel;
  /** Words of the largest masked vector accepted (default: from the latest model). */
  maxVectorLength: number | undefined;
  /** Largest cohort (bounds list messages). */
  maxCohort: number | undefined;
}

/** A configuration value that cannot be used; the message names the flag and the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const USAGE = `usage: npm start -- [--port N] [--host ADDR] [--data-dir DIR] [--log-level LEVEL] [--max-vector-length N] [--max-cohort N]
  env: PORT, HOST, CONFIDANT_DATA_DIR, CONFIDANT_LOG_LEVEL, CONFIDANT_MAX_VECTOR_LENGTH, CONFIDANT_MAX_COHORT`;

function integer(raw: string, name: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return Number(raw);
}

/** Read the configuration; throws a ConfigError naming the bad parameter. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Config {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        'max-vector-length': { type: 'string' },
        'max-cohort': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.split('\n')[0]}\n${USAGE}`);
  }
  const pick = (flag: string, variable: string): { raw: string; name: string } | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return { raw: v, name: `--${flag}` };
    const e = env[variable];
    return e !== undefined && e !== '' ? { raw: e, name: variable } : undefined;
  };

  const port = pick('port', 'PORT');
  const host = pick('host', 'HOST');
  const dataDir = pick('data-dir', 'CONFIDANT_DATA_DIR');
  const level = pick('log-level', 'CONFIDANT_LOG_LEVEL');
  const vector = pick('max-vector-length', 'CONFIDANT_MAX_VECTOR_LENGTH');
  const cohort = pick('max-cohort', 'CONFIDANT_MAX_COHORT');

  if (host && !/^[A-Za-z0-9.:-]{1,253}$/.test(host.raw)) throw new ConfigError(`${host.name} must be a host name or IP address, got "${host.raw}"`);
  if (level && !(LOG_LEVELS as readonly string[]).includes(level.raw)) throw new ConfigError(`${level.name} must be one of ${LOG_LEVELS.join(', ')}, got "${level.raw}"`);
  return {
    port: port ? integer(port.raw, port.name, 0, 65535) : 8080,
    hostname: host?.raw ?? '127.0.0.1',
    dataDir: dataDir ? resolve(cwd, dataDir.raw) : DEFAULT_DATA_DIR,
    logLevel: (level?.raw as LogLevel | undefined) ?? 'info',
    maxVectorLength: vector ? integer(vector.raw, vector.name, 1, 50_000_000) : undefined,
    maxCohort: cohort ? integer(cohort.raw, cohort.name, 2, 10_000) : undefined,
  };
}
