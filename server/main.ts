// `npm start`: read the configuration, open and check the SQLite store in the data directory, make sure there is
// a model to train (version 1 over the catalogue), serve, and run secure rounds every interval until a signal.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sodiumModule from 'libsodium-wrappers';
import { DatasetError } from '../shared/data/dataset-error';
import { sodiumUniform01 } from '../shared/secagg/random';
import { DEFAULT_CATALOGUE, loadCatalogue } from './catalogue/catalogue';
import { ConfigError, parseInvocation, usage, type Config } from './config';
import { createParallelMaskApplier } from './crypto/parallel-masks';
import { createLogger } from './log/logger';
import { createCoordinator } from './rounds/coordinator';
import { startRoundLoop } from './rounds/round-loop';
import { createServer } from './server';
import { SqliteStore } from './store/sqlite-store';
import { startupProblems } from './store/startup-check';
import { ensureInitialModel } from './training/initial-model';

function fail(message: string): never {
  process.stderr.write(`confidant: ${message}\n`);
  process.exit(1);
}

let config: Config;
try {
  const invocation = parseInvocation(process.argv.slice(2), process.env);
  if (invocation.help) {
    process.stdout.write(`${usage()}\n`);
    process.exit(0);
  }
  config = invocation.config;
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}

let catalogue;
try {
  catalogue = await loadCatalogue(config.catalogue ?? DEFAULT_CATALOGUE);
} catch (err) {
  if (err instanceof DatasetError) fail(`catalogue: ${err.message}`);
  throw err;
}

// 0700: the directory holds the server's private key and the device registry.
mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
const logger = createLogger({ level: config.logLevel });
const databasePath = join(config.dataDir, 'confidant.sqlite');
let store: SqliteStore;
try {
  store = SqliteStore.open(databasePath);
} catch (err) {
  fail(`cannot open the database ${databasePath}: ${(err as Error).message}`);
}
const problems = await startupProblems(store);
if (problems.length > 0) {
  await store.close();
  fail(`refusing to serve ${databasePath}: ${problems.join('; ')}. Restore it from a backup, or move it aside to start afresh.`);
}
// A round cannot outlive the process that ran it: one left open by a crash is over, and was never acknowledged.
const interrupted = await store.abortOpenRounds('interrupted: the server stopped during the round', Date.now());
if (interrupted > 0) logger.warn({ rounds: interrupted }, 'marked rounds interrupted by the last stop as aborted');
const initial = await ensureInitialModel(store, { items: catalogue.length, shards: 1, now: Date.now });
if (initial.created) logger.info({ version: initial.version.version, items: catalogue.length }, 'stored the initial model');

await sodiumModule.ready;
const sodium = sodiumModule;
const masks = createParallelMaskApplier(sodium);
const { serverLearningRate, averaging, ...training } = config.training;
const coordinator = createCoordinator({
  store,
  sodium,
  settings: { ...training, localEpochs: 1, endOfRound: { serverLearningRate, averaging } },
  uniform01: sodiumUniform01(sodium),
  applyMasks: masks.apply,
  log: (event, fields) => logger.info(fields, event),
});
const limits = {
  ...(config.maxVectorLength !== undefined ? { vectorLength: config.maxVectorLength } : {}),
  ...(config.maxCohort !== undefined ? { maxCohort: config.maxCohort } : {}),
};

let server: Awaited<ReturnType<typeof createServer>>;
try {
  server = await createServer({ store, host: coordinator, sodium, port: config.port, hostname: config.hostname, logger, limits });
} catch (err) {
  await store.close();
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') fail(`cannot listen on ${config.hostname}:${config.port} (${code})`);
  throw err;
}

const loop =
  config.roundIntervalSeconds > 0
    ? startRoundLoop({
        runner: coordinator,
        intervalMs: 1000 * config.roundIntervalSeconds,
        onSummary: (s) => (s.status === 'skipped' ? logger.debug(s, 'round skipped') : logger.info(s, `round ${s.status}`)),
        onError: (err) => logger.error({ err }, 'round failed'),
      })
    : undefined;

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // Closing the server drops every device, which ends a round in progress (it aborts below the threshold).
  await server.close();
  await loop?.stop();
  await masks.close();
  await store.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
