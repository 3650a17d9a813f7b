// Server configuration from CLI flags and environment variables, checked where it enters (flags win over env).
//
// Every option is one row of OPTIONS: its flag, its variable, how its value is read and checked, its default and
// its help line. Parsing, the environment and `--help` all come from that table, so they cannot disagree.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { PrivacySettings } from '../shared/dp/mechanism';
import { secureSettingsFor, type SafetySettings } from '../shared/secagg/round-settings';
import { DEFAULT_CLIP_NORM, END_OF_ROUND_DEFAULTS } from '../models/federated/end-of-round';
import { MAX_SHARDS } from '../models/served-file';
import { CHECKPOINT_SPACINGS, type CheckpointSpacing } from './training/checkpoint-policy';
import { CHECKPOINT_DEFAULTS, DEFAULT_SHARDS, SAFETY_DEFAULTS } from './training/defaults';
import { ENROLLMENT_POLICIES, type EnrollmentPolicy } from './enrollment/policy';
import { DEFAULT_LIMITS, MIB, type GatewayLimits } from './ws/limits';
import { isDatabaseUrl, redactDatabaseUrl } from './store/postgres-url';

/** The project's own `.data/` (ignored by git), used when no data directory is given. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.data/', import.meta.url));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything `npm start` can be told. */
export interface Config {
  port: number;
  hostname: string;
  dataDir: string;
  /** The PostgreSQL URL of the store (undefined: SQLite in dataDir). Device keys stay in dataDir either way. */
  database: string | undefined;
  logLevel: LogLevel;
  /** Words of the largest masked vector accepted (default: from the latest model). */
  maxVectorLength: number | undefined;
  /** Largest cohort (bounds list messages). */
  maxCohort: number | undefined;
  /** movies.csv of the item catalogue (default: the vendored MovieLens latest-small). */
  catalogue: string | undefined;
  /** The web app's build directory, served at / (undefined: no app). */
  appDir: string | undefined;
  /** Seconds between the end of one round and the start of the next; 0 runs no rounds. */
  roundIntervalSeconds: number;
  /** Anonymous HTTP requests per second and client address (0 = no limit). */
  rateLimit: number;
  /** Express's `trust proxy`: false, or the number of proxy hops whose X-Forwarded-For is believed. */
  trustProxy: false | number;
  /** Who may register a device (server/enrollment/policy.ts says what each promises). */
  enrollment: EnrollmentPolicy;
  /** The WebSocket side's resource limits (server/ws/limits.ts). */
  wsLimits: Pick<GatewayLimits, 'maxConnectionsPerAddress' | 'registrationsPerAddressPerHour' | 'maxConcurrentRounds' | 'maxRoundBytes'>;
  /** Shards (SISA): fixed when the data directory is created. */
  shards: number;
  /** Checkpoints kept per shard, and how they are spaced. */
  checkpoints: { keep: number; spacing: CheckpointSpacing };
  training: {
    samplingRate: number;
    graph: 'complete' | 'sparse';
    clipNorm: number;
    minCohort: number;
    stageTimeoutMs: number;
    serverLearningRate: number;
    averaging: number;
    privacy: PrivacySettings;
    safety: SafetySettings;
  };
}

/** A configuration value that cannot be used; the message names the flag or the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** How one option's text becomes a value; throws a ConfigError naming `name`. */
type Reader<T> = (raw: string, name: string, cwd: string) => T;

const integer =
  (min: number, max: number): Reader<number> =>
  (raw, name) => {
    if (!/^[0-9]+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
    return Number(raw);
  };

const decimal =
  (min: number, max: number, { minExclusive = false, maxExclusive = false } = {}): Reader<number> =>
  (raw, name) => {
    const v = /^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isFinite(v) || v > max || v < min || (minExclusive && v === min) || (maxExclusive && v === max)) throw new ConfigError(`${name} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}, got "${raw}"`);
    return v;
  };

const oneOf =
  <T extends string>(choices: readonly T[], text = choices.join(', ')): Reader<T> =>
  (raw, name) => {
    if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be ${text}, got "${raw}"`);
    return raw as T;
  };

const path: Reader<string> = (raw, _name, cwd) => resolve(cwd, raw);

const hostName: Reader<string> = (raw, name) => {
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(raw)) throw new ConfigError(`${name} must be a host name or IP address, got "${raw}"`);
  return raw;
};

/** A postgres:// URL; a bad one is named without its password. */
const databaseUrl: Reader<string> = (raw, name) => {
  if (!isDatabaseUrl(raw)) throw new ConfigError(`${name} must be a postgres:// or postgresql:// URL, got ${/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? `"${redactDatabaseUrl(raw)}"` : 'something else'}`);
  return raw;
};

const proxyHops: Reader<false | number> = (raw, name) => {
  if (raw === 'false' || raw === '0') return false;
  if (raw === 'true') return 1;
  return integer(1, 10)(raw, name, '');
};

interface OptionSpec<T> {
  env: string;
  /** The value's name in the usage line, e.g. N or SECONDS. */
  value: string;
  help: string;
  read: Reader<T>;
  default: T;
}

const option = <T>(spec: OptionSpec<T>): OptionSpec<T> => spec;

/** Every option of `npm start`, in the order `--help` lists them. */
export const OPTIONS = {
  port: option({ env: 'PORT', value: 'N', help: 'TCP port to listen on (0 picks a free one)', read: integer(0, 65535), default: 8080 }),
  host: option({ env: 'HOST', value: 'ADDR', help: 'address to listen on', read: hostName, default: '127.0.0.1' }),
  'data-dir': option({ env: 'CONFIDANT_DATA_DIR', value: 'DIR', help: 'where the database lives (created 0700 on first run)', read: path, default: DEFAULT_DATA_DIR }),
  database: option<string | undefined>({ env: 'CONFIDANT_DATABASE_URL', value: 'URL', help: 'keep the state in PostgreSQL (postgres://USER:PASSWORD@HOST:PORT/DB) instead of SQLite in the data directory; device keys stay in the data directory', read: databaseUrl, default: undefined }),
  'log-level': option({ env: 'CONFIDANT_LOG_LEVEL', value: 'LEVEL', help: `one of ${LOG_LEVELS.join(', ')}`, read: oneOf(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`), default: 'info' as LogLevel }),
  catalogue: option<string | undefined>({ env: 'CONFIDANT_CATALOGUE', value: 'FILE', help: 'movies.csv of the item catalogue (default: the vendored MovieLens latest-small)', read: path, default: undefined }),
  'app-dir': option<string | undefined>({ env: 'CONFIDANT_APP_DIR', value: 'DIR', help: 'serve the web app built in DIR at / (npm start passes its build)', read: path, default: undefined }),
  'rate-limit': option({ env: 'CONFIDANT_RATE_LIMIT', value: 'N', help: 'anonymous HTTP requests per second per client address (0 = no limit)', read: integer(0, 1_000_000), default: 50 }),
  'trust-proxy': option<false | number>({ env: 'CONFIDANT_TRUST_PROXY', value: 'HOPS', help: 'believe X-Forwarded-For from this many reverse proxies (false = none)', read: proxyHops, default: false }),
  enrollment: option({ env: 'CONFIDANT_ENROLLMENT', value: 'POLICY', help: 'who may register a device: open (anyone, any number of keys; demo and tests) or token (one single-use token per device, from npm run tokens -- issue N)', read: oneOf(ENROLLMENT_POLICIES, 'open or token'), default: 'open' as EnrollmentPolicy }),
  // Per address: generous enough for a household or an office behind one NAT; a carrier-grade NAT may need more.
  'max-connections-per-address': option({ env: 'CONFIDANT_MAX_CONNECTIONS_PER_ADDRESS', value: 'N', help: 'open WebSocket connections from one client address (0 = no limit)', read: integer(0, 1_000_000), default: 256 }),
  'registrations-per-hour': option({ env: 'CONFIDANT_REGISTRATIONS_PER_HOUR', value: 'N', help: 'new devices one client address may register per hour: a burst of N, refilled at N per hour (0 = no limit)', read: integer(0, 1_000_000), default: 20 }),
  'max-concurrent-rounds': option({ env: 'CONFIDANT_MAX_CONCURRENT_ROUNDS', value: 'N', help: 'rounds running at once (with --round-memory-mib, bounds the memory rounds take)', read: integer(1, 1024), default: DEFAULT_LIMITS.maxConcurrentRounds }),
  'round-memory-mib': option({ env: 'CONFIDANT_ROUND_MEMORY_MIB', value: 'MIB', help: 'memory one round may hold for masked vectors and share ciphertexts, in MiB', read: integer(1, 65_536), default: DEFAULT_LIMITS.maxRoundBytes / MIB }),
  shards: option({ env: 'CONFIDANT_SHARDS', value: 'S', help: 'independent parts the model is trained in; deleting a device retrains one (fixed when the data directory is made)', read: integer(1, MAX_SHARDS), default: DEFAULT_SHARDS }),
  checkpoints: option({ env: 'CONFIDANT_CHECKPOINTS', value: 'K', help: 'checkpoints kept per shard (a deletion rolls back to one)', read: integer(2, 1000), default: CHECKPOINT_DEFAULTS.keep }),
  'checkpoint-spacing': option({ env: 'CONFIDANT_CHECKPOINT_SPACING', value: 'HOW', help: 'where kept checkpoints sit: uniform or exponential (dense near the latest)', read: oneOf(CHECKPOINT_SPACINGS, 'uniform or exponential'), default: CHECKPOINT_DEFAULTS.spacing }),
  'max-vector-length': option<number | undefined>({ env: 'CONFIDANT_MAX_VECTOR_LENGTH', value: 'N', help: 'largest masked vector accepted (default: from the model)', read: integer(1, 50_000_000), default: undefined }),
  'max-cohort': option<number | undefined>({ env: 'CONFIDANT_MAX_COHORT', value: 'N', help: 'largest cohort (bounds list messages)', read: integer(2, 10_000), default: undefined }),
  'round-interval': option({ env: 'CONFIDANT_ROUND_INTERVAL', value: 'SECONDS', help: 'pause between the end of a round and the next (0 = no rounds)', read: integer(0, 86_400), default: 30 }),
  'sampling-rate': option({ env: 'CONFIDANT_SAMPLING_RATE', value: 'Q', help: 'Poisson sampling rate of a round', read: decimal(0, 1, { minExclusive: true }), default: 1 }),
  graph: option({ env: 'CONFIDANT_GRAPH', value: 'KIND', help: 'secure-aggregation graph: complete (Bonawitz) or sparse (SecAgg+)', read: oneOf(['complete', 'sparse'] as const, 'complete or sparse'), default: 'sparse' as 'complete' | 'sparse' }),
  'clip-norm': option({ env: 'CONFIDANT_CLIP_NORM', value: 'C', help: 'L2 bound of each update', read: decimal(0, 1e6, { minExclusive: true }), default: DEFAULT_CLIP_NORM }),
  'min-cohort': option({ env: 'CONFIDANT_MIN_COHORT', value: 'N', help: 'fewest sampled devices a round runs with (devices refuse fewer than 10 by default)', read: integer(3, 10_000), default: 10 }),
  'corrupt-fraction': option({ env: 'CONFIDANT_CORRUPT_FRACTION', value: 'GAMMA', help: 'fraction of a shard\'s cohort a lying server may control; thresholds are safe against it', read: decimal(0, 0.5, { maxExclusive: true }), default: SAFETY_DEFAULTS.corruptFraction }),
  'expected-dropout': option({ env: 'CONFIDANT_EXPECTED_DROPOUT', value: 'P', help: 'fraction of a cohort expected to drop during a round; thresholds must stay reachable', read: decimal(0, 1, { maxExclusive: true }), default: SAFETY_DEFAULTS.expectedDropout }),
  'stage-timeout': option({ env: 'CONFIDANT_STAGE_TIMEOUT', value: 'SECONDS', help: 'how long each stage of a round stays open', read: integer(1, 3600), default: 30 }),
  'server-lr': option({ env: 'CONFIDANT_SERVER_LR', value: 'X', help: 'step size of the server step', read: decimal(0, 2, { minExclusive: true }), default: END_OF_ROUND_DEFAULTS.serverLearningRate }),
  averaging: option({ env: 'CONFIDANT_AVERAGING', value: 'X', help: 'EMA decay of the served table (0 = serve the latest iterate)', read: decimal(0, 0.999), default: END_OF_ROUND_DEFAULTS.averaging }),
  dp: option({ env: 'CONFIDANT_DP', value: 'MODE', help: 'differential privacy: off, central or distributed', read: oneOf(['off', 'central', 'distributed'] as const, 'off, central or distributed'), default: 'off' as PrivacySettings['mode'] }),
  'noise-multiplier': option({ env: 'CONFIDANT_NOISE_MULTIPLIER', value: 'SIGMA', help: 'σ: noise std as a multiple of the clip norm', read: decimal(0, 1000, { minExclusive: true }), default: 1 }),
  'epsilon-budget': option({ env: 'CONFIDANT_EPSILON_BUDGET', value: 'E', help: 'training stops before ε would exceed this', read: decimal(0, 1000, { minExclusive: true }), default: 8 }),
  delta: option({ env: 'CONFIDANT_DELTA', value: 'D', help: 'δ of the (ε, δ) guarantee', read: decimal(0, 0.5, { minExclusive: true }), default: 1e-6 }),
} as const;

type Values = { -readonly [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K]['default'] };

/** The usage text, generated from OPTIONS. */
export function usage(): string {
  const rows = Object.entries(OPTIONS).map(([flag, o]) => [`  --${flag} ${o.value}`, `${o.help}${o.default === undefined ? '' : ` (default ${o.default === DEFAULT_DATA_DIR ? '.data/' : String(o.default)})`}; env ${o.env}`]);
  const width = Math.max(...rows.map(([f]) => f!.length)) + 2;
  return ['usage: npm start -- [options]', '', ...rows.map(([f, h]) => f!.padEnd(width) + h), `  --help${' '.repeat(width - 8)}print this and exit`].join('\n');
}

/** What the command line asks for: run with a configuration, or print the usage. */
export type Invocation = { help: true } | { help: false; config: Config };

/** Read the command line; throws a ConfigError naming the bad parameter. */
export function parseInvocation(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Invocation {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { help: { type: 'boolean' }, ...Object.fromEntries(Object.keys(OPTIONS).map((flag) => [flag, { type: 'string' as const }])) },
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.split('\n')[0]} (npm start -- --help lists the options)`);
  }
  if (values.help === true) return { help: true };
  const read = {} as Record<string, unknown>;
  for (const [flag, o] of Object.entries(OPTIONS) as [string, OptionSpec<unknown>][]) {
    const v = values[flag];
    const e = env[o.env];
    read[flag] = typeof v === 'string' ? o.read(v, `--${flag}`, cwd) : e !== undefined && e !== '' ? o.read(e, o.env, cwd) : o.default;
  }
  const v = read as Values;
  return {
    help: false,
    config: {
      port: v.port,
      hostname: v.host,
      dataDir: v['data-dir'],
      database: v.database,
      logLevel: v['log-level'],
      maxVectorLength: v['max-vector-length'],
      maxCohort: v['max-cohort'],
      catalogue: v.catalogue,
      appDir: v['app-dir'],
      roundIntervalSeconds: v['round-interval'],
      rateLimit: v['rate-limit'],
      trustProxy: v['trust-proxy'],
      enrollment: v.enrollment,
      wsLimits: {
        maxConnectionsPerAddress: v['max-connections-per-address'],
        registrationsPerAddressPerHour: v['registrations-per-hour'],
        maxConcurrentRounds: v['max-concurrent-rounds'],
        maxRoundBytes: v['round-memory-mib'] * MIB,
      },
      shards: v.shards,
      checkpoints: { keep: v.checkpoints, spacing: v['checkpoint-spacing'] },
      training: {
        samplingRate: v['sampling-rate'],
        graph: v.graph,
        clipNorm: v['clip-norm'],
        minCohort: v['min-cohort'],
        stageTimeoutMs: 1000 * v['stage-timeout'],
        serverLearningRate: v['server-lr'],
        averaging: v.averaging,
        privacy: { mode: v.dp, noiseMultiplier: v['noise-multiplier'], epsilonBudget: v['epsilon-budget'], delta: v.delta },
        safety: checkSafetyAtMinCohort(v['min-cohort'], v.graph, { corruptFraction: v['corrupt-fraction'], expectedDropout: v['expected-dropout'] }),
      },
    },
  };
}

/** Refuse settings under which even the smallest cohort allowed has no threshold both safe and live. */
function checkSafetyAtMinCohort(minCohort: number, graph: 'complete' | 'sparse', safety: SafetySettings): SafetySettings {
  try {
    secureSettingsFor(minCohort, graph, 1, undefined, safety);
  } catch (err) {
    throw new ConfigError(`--min-cohort ${minCohort} with --corrupt-fraction ${safety.corruptFraction} and --expected-dropout ${safety.expectedDropout}: ${(err as Error).message}; raise --min-cohort, or lower --corrupt-fraction or --expected-dropout`);
  }
  return safety;
}

/** Read the configuration (no --help); throws a ConfigError naming the bad parameter. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Config {
  const invocation = parseInvocation(argv, env, cwd);
  if (invocation.help) throw new ConfigError('--help is not a configuration');
  return invocation.config;
}
