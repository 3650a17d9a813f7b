// Configuration: flags over environment over defaults, and every bad value named in one line.
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_DATA_DIR, parseConfig } from '../../server/config';

describe('parseConfig', () => {
  it('defaults to 127.0.0.1:8080 and the project .data/', () => {
    expect(parseConfig([], {})).toEqual({ port: 8080, hostname: '127.0.0.1', dataDir: DEFAULT_DATA_DIR, logLevel: 'info', maxVectorLength: undefined, maxCohort: undefined });
    expect(DEFAULT_DATA_DIR).toBe(join(import.meta.dirname, '..', '..', '.data') + sep);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', CONFIDANT_DATA_DIR: 'state', CONFIDANT_LOG_LEVEL: 'warn', CONFIDANT_MAX_COHORT: '50' };
    expect(parseConfig([], env, '/srv')).toMatchObject({ port: 9000, hostname: '0.0.0.0', dataDir: '/srv/state', logLevel: 'warn', maxCohort: 50 });
    expect(parseConfig(['--port', '0', '--data-dir=/tmp/x', '--max-vector-length', '1000'], env, '/srv')).toMatchObject({ port: 0, dataDir: '/tmp/x', maxVectorLength: 1000 });
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
    [['extra'], {}, 'positional'],
  ])('refuses %j %j', (argv, env, message) => {
    expect(() => parseConfig(argv, env)).toThrow(ConfigError);
    expect(() => parseConfig(argv, env)).toThrow(message);
  });
});
