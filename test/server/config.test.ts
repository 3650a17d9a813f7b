// Configuration: flags over environment over defaults, and every bad value named in one line.
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_DATA_DIR, OPTIONS, parseConfig, parseInvocation, usage } from '../../server/config';
import { END_OF_ROUND_DEFAULTS } from '../../models/federated/end-of-round';
import { CHECKPOINT_DEFAULTS, DEFAULT_SHARDS } from '../../server/training/defaults';

describe('parseConfig', () => {
  it('defaults to 127.0.0.1:8080 and the project .data/', () => {
    expect(parseConfig([], {})).toEqual({
      port: 8080,
      hostname: '127.0.0.1',
      dataDir: DEFAULT_DATA_DIR,
      logLevel: 'info',
      maxVectorLength: undefined,
      maxCohort: undefined,
      catalogue: undefined,
      appDir: undefined,
      roundIntervalSeconds: 30,
      rateLimit: 50,
      trustProxy: false,
      enrollment: 'open',
      wsLimits: { maxConnectionsPerAddress: 256, registrationsPerAddressPerHour: 20, maxConcurrentRounds: 8, maxRoundBytes: 256 * 2 ** 20 },
      shards: DEFAULT_SHARDS,
      checkpoints: CHECKPOINT_DEFAULTS,
      training: { samplingRate: 1, graph: 'sparse', clipNorm: 250, minCohort: 10, stageTimeoutMs: 30_000, serverLearningRate: 0.5, averaging: 0.9, privacy: { mode: 'off', noiseMultiplier: 1, epsilonBudget: 8, delta: 1e-6 }, safety: { corruptFraction: 0.1, expectedDropout: 0.1 } },
    });
    // The end of round's defaults are the benchmarks' (one place: models/federated/end-of-round.ts).
    expect(parseConfig([], {}).training).toMatchObject(END_OF_ROUND_DEFAULTS);
    expect(DEFAULT_DATA_DIR).toBe(join(import.meta.dirname, '..', '..', '.data') + sep);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', CONFIDANT_DATA_DIR: 'state', CONFIDANT_LOG_LEVEL: 'warn', CONFIDANT_MAX_COHORT: '50' };
    expect(parseConfig([], env, '/srv')).toMatchObject({ port: 9000, hostname: '0.0.0.0', dataDir: '/srv/state', logLevel: 'warn', maxCohort: 50 });
    expect(parseConfig(['--port', '0', '--data-dir=/tmp/x', '--max-vector-length', '1000'], env, '/srv')).toMatchObject({ port: 0, dataDir: '/tmp/x', maxVectorLength: 1000 });
    expect(parseConfig(['--sampling-rate', '0.25', '--graph', 'complete', '--clip-norm', '1e2', '--catalogue', 'm.csv', '--round-interval', '0'], { CONFIDANT_MIN_COHORT: '10', CONFIDANT_STAGE_TIMEOUT: '5' }, '/srv')).toMatchObject({
      catalogue: '/srv/m.csv',
      roundIntervalSeconds: 0,
      training: { samplingRate: 0.25, graph: 'complete', clipNorm: 100, minCohort: 10, stageTimeoutMs: 5000 },
    });
    expect(parseConfig(['--rate-limit', '0', '--trust-proxy', '2', '--server-lr', '0.3', '--averaging', '0'], {})).toMatchObject({ rateLimit: 0, trustProxy: 2, training: { serverLearningRate: 0.3, averaging: 0 } });
    expect(parseConfig([], { CONFIDANT_TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(parseConfig([], { CONFIDANT_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(parseConfig(['--enrollment', 'token', '--max-connections-per-address', '0', '--registrations-per-hour', '5', '--max-concurrent-rounds', '2', '--round-memory-mib', '64'], {})).toMatchObject({
      enrollment: 'token',
      wsLimits: { maxConnectionsPerAddress: 0, registrationsPerAddressPerHour: 5, maxConcurrentRounds: 2, maxRoundBytes: 64 * 2 ** 20 },
    });
    expect(parseConfig([], { CONFIDANT_ENROLLMENT: 'token', CONFIDANT_ROUND_MEMORY_MIB: '1' })).toMatchObject({ enrollment: 'token', wsLimits: { maxRoundBytes: 2 ** 20 } });
    expect(parseConfig(['--dp', 'distributed', '--noise-multiplier', '1.2', '--epsilon-budget', '4', '--delta', '1e-5'], {}).training.privacy).toEqual({ mode: 'distributed', noiseMultiplier: 1.2, epsilonBudget: 4, delta: 1e-5 });
  });

  it.each([
    [['--port', 'abc'], {}, '--port must be an integer in 0..65535, got "abc"'],
    [['--port', '65536'], {}, '--port'],
    [['--port', '-1'], {}, '--port'],
    [['--port', '80.5'], {}, '--port'],
    [[], { PORT: '1e3' }, 'PORT must be an integer'],
    [['--host', 'a b'], {}, '--host'],
    [['--log-level', 'loud'], {}, '--log-level must be one of'],
    [['--max-cohort', '1'], {}, '--max-cohort'],
    [['--max-vector-length', '0'], {}, '--max-vector-length'],
    [['--bogus'], {}, "Unknown option '--bogus'"],
    [['--sampling-rate', '0'], {}, '--sampling-rate must be a number in (0, 1], got "0"'],
    [['--sampling-rate', '1.5'], {}, '--sampling-rate'],
    [[], { CONFIDANT_SAMPLING_RATE: 'half' }, 'CONFIDANT_SAMPLING_RATE'],
    [['--graph', 'star'], {}, '--graph must be complete or sparse, got "star"'],
    [['--clip-norm', '-1'], {}, '--clip-norm'],
    [['--clip-norm', 'NaN'], {}, '--clip-norm'],
    [['--min-cohort', '2'], {}, '--min-cohort must be an integer in 3..10000'],
    [['--round-interval', '-5'], {}, '--round-interval'],
    [['--stage-timeout', '0'], {}, '--stage-timeout'],
    [['--dp', 'local'], {}, '--dp must be off, central or distributed, got "local"'],
    [['--noise-multiplier', '0'], {}, '--noise-multiplier must be a number in (0, 1000]'],
    [['--epsilon-budget', '-1'], {}, '--epsilon-budget'],
    [['--delta', '1'], {}, '--delta must be a number in (0, 0.5]'],
    [[], { CONFIDANT_DELTA: 'tiny' }, 'CONFIDANT_DELTA'],
    [['extra'], {}, 'positional'],
    [['--rate-limit=-1'], {}, '--rate-limit must be an integer'],
    [['--trust-proxy', 'yes'], {}, '--trust-proxy must be an integer in 1..10'],
    [['--server-lr', '3'], {}, '--server-lr must be a number in (0, 2]'],
    [['--averaging', '1'], {}, '--averaging must be a number in [0, 0.999]'],
    [['--help=yes'], {}, '--help'],
    [['--shards', '0'], {}, '--shards must be an integer in 1..256'],
    [['--shards', '257'], {}, '--shards'],
    [['--checkpoints', '1'], {}, '--checkpoints must be an integer in 2..1000'],
    [['--checkpoint-spacing', 'random'], {}, '--checkpoint-spacing must be uniform or exponential'],
    [['--enrollment', 'invite'], {}, '--enrollment must be open or token, got "invite"'],
    [[], { CONFIDANT_ENROLLMENT: 'closed' }, 'CONFIDANT_ENROLLMENT must be open or token'],
    [['--max-connections-per-address=-1'], {}, '--max-connections-per-address must be an integer in 0..1000000'],
    [['--registrations-per-hour', '2.5'], {}, '--registrations-per-hour must be an integer in 0..1000000, got "2.5"'],
    [['--max-concurrent-rounds', '0'], {}, '--max-concurrent-rounds must be an integer in 1..1024'],
    [['--round-memory-mib', '0'], {}, '--round-memory-mib must be an integer in 1..65536'],
    [['--round-memory-mib', '65537'], {}, '--round-memory-mib'],
  ])('refuses %j %j', (argv, env, message) => {
    expect(() => parseConfig(argv, env)).toThrow(ConfigError);
    expect(() => parseConfig(argv, env)).toThrow(message);
  });
});

describe('--help', () => {
  it('asks for the usage, which lists every option with its variable and default', () => {
    expect(parseInvocation(['--help'], {})).toEqual({ help: true });
    expect(parseInvocation(['--port', '1', '--help'], {})).toEqual({ help: true });
    const text = usage();
    for (const [flag, o] of Object.entries(OPTIONS)) {
      const line = text.split('\n').find((l) => l.startsWith(`  --${flag} `));
      expect(line, flag).toContain(o.env);
    }
    expect(text).toContain('(default 8080)');
    expect(text).toContain('--help');
  });
});
