// Server configuration from CLI flags and environment variables, checked where it enters (flags win over env).
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { PrivacySettings } from '../shared/dp/mechanism';

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
  /** movies.csv of the item catalogue (default: the vendored MovieLens latest-small). */
  catalogue: string | undefined;
  /** Seconds between the end of one round and the start of the next; 0 runs no rounds. */
  roundIntervalSeconds: number;
  training: {
    samplingRate: number;
    graph: 'complete' | 'sparse';
    clipNorm: number;
    minCohort: number;
    stageTimeoutMs: number;
    privacy: PrivacySettings;
  };
}

/** A configuration value that cannot be used; the message names the flag and the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const USAGE = `usage: npm start -- [--port N] [--host ADDR] [--data-dir DIR] [--log-level LEVEL] [--max-vector-length N] [--max-cohort N]
                    [--catalogue FILE] [--round-interval SECONDS] [--sampling-rate Q] [--graph complete|sparse]
                    [--clip-norm C] [--min-cohort N] [--stage-timeout SECONDS]
                    [--dp off|central|distributed] [--noise-multiplier SIGMA] [--epsilon-budget E] [--delta D]
  env: PORT, HOST, CONFIDANT_DATA_DIR, CONFIDANT_LOG_LEVEL, CONFIDANT_MAX_VECTOR_LENGTH, CONFIDANT_MAX_COHORT,
       CONFIDANT_CATALOGUE, CONFIDANT_ROUND_INTERVAL, CONFIDANT_SAMPLING_RATE, CONFIDANT_GRAPH, CONFIDANT_CLIP_NORM,
       CONFIDANT_MIN_COHORT, CONFIDANT_STAGE_TIMEOUT, CONFIDANT_DP, CONFIDANT_NOISE_MULTIPLIER, CONFIDANT_EPSILON_BUDGET,
       CONFIDANT_DELTA`;

function integer(raw: string, name: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return Number(raw);
}

function decimal(raw: string, name: string, min: number, max: number, { minExclusive = false } = {}): number {
  const v = /^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(v) || v > max || v < min || (minExclusive && v === min)) throw new ConfigError(`${name} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}], got "${raw}"`);
  return v;
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
        catalogue: { type: 'string' },
        'round-interval': { type: 'string' },
        'sampling-rate': { type: 'string' },
        graph: { type: 'string' },
        'clip-norm': { type: 'string' },
        'min-cohort': { type: 'string' },
        'stage-timeout': { type: 'string' },
        dp: { type: 'string' },
        'noise-multiplier': { type: 'string' },
        'epsilon-budget': { type: 'string' },
        delta: { type: 'string' },
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
  const catalogue = pick('catalogue', 'CONFIDANT_CATALOGUE');
  const interval = pick('round-interval', 'CONFIDANT_ROUND_INTERVAL');
  const rate = pick('sampling-rate', 'CONFIDANT_SAMPLING_RATE');
  const graph = pick('graph', 'CONFIDANT_GRAPH');
  const clip = pick('clip-norm', 'CONFIDANT_CLIP_NORM');
  const minCohort = pick('min-cohort', 'CONFIDANT_MIN_COHORT');
  const stageTimeout = pick('stage-timeout', 'CONFIDANT_STAGE_TIMEOUT');
  const dp = pick('dp', 'CONFIDANT_DP');
  const sigma = pick('noise-multiplier', 'CONFIDANT_NOISE_MULTIPLIER');
  const budget = pick('epsilon-budget', 'CONFIDANT_EPSILON_BUDGET');
  const delta = pick('delta', 'CONFIDANT_DELTA');
  if (dp && !['off', 'central', 'distributed'].includes(dp.raw)) throw new ConfigError(`${dp.name} must be off, central or distributed, got "${dp.raw}"`);
  if (graph && graph.raw !== 'complete' && graph.raw !== 'sparse') throw new ConfigError(`${graph.name} must be complete or sparse, got "${graph.raw}"`);

  if (host && !/^[A-Za-z0-9.:-]{1,253}$/.test(host.raw)) throw new ConfigError(`${host.name} must be a host name or IP address, got "${host.raw}"`);
  if (level && !(LOG_LEVELS as readonly string[]).includes(level.raw)) throw new ConfigError(`${level.name} must be one of ${LOG_LEVELS.join(', ')}, got "${level.raw}"`);
  return {
    port: port ? integer(port.raw, port.name, 0, 65535) : 8080,
    hostname: host?.raw ?? '127.0.0.1',
    dataDir: dataDir ? resolve(cwd, dataDir.raw) : DEFAULT_DATA_DIR,
    logLevel: (level?.raw as LogLevel | undefined) ?? 'info',
    maxVectorLength: vector ? integer(vector.raw, vector.name, 1, 50_000_000) : undefined,
    maxCohort: cohort ? integer(cohort.raw, cohort.name, 2, 10_000) : undefined,
    catalogue: catalogue ? resolve(cwd, catalogue.raw) : undefined,
    roundIntervalSeconds: interval ? integer(interval.raw, interval.name, 0, 86_400) : 30,
    training: {
      samplingRate: rate ? decimal(rate.raw, rate.name, 0, 1, { minExclusive: true }) : 1,
      graph: (graph?.raw as 'complete' | 'sparse' | undefined) ?? 'sparse',
      clipNorm: clip ? decimal(clip.raw, clip.name, 0, 1e6, { minExclusive: true }) : 250,
      minCohort: minCohort ? integer(minCohort.raw, minCohort.name, 3, 10_000) : 3,
      stageTimeoutMs: 1000 * (stageTimeout ? integer(stageTimeout.raw, stageTimeout.name, 1, 3600) : 30),
      privacy: {
        mode: (dp?.raw as PrivacySettings['mode'] | undefined) ?? 'off',
        noiseMultiplier: sigma ? decimal(sigma.raw, sigma.name, 0, 1000, { minExclusive: true }) : 1,
        epsilonBudget: budget ? decimal(budget.raw, budget.name, 0, 1000, { minExclusive: true }) : 8,
        delta: delta ? decimal(delta.raw, delta.name, 0, 0.5, { minExclusive: true }) : 1e-6,
      },
    },
  };
}
