// The running server as one function: check and open the store in the data directory, make sure there is a model
// to train (version 1 over the catalogue), serve HTTP and WebSocket, and run secure rounds every interval.
// `npm start` (main.ts) calls it with the parsed configuration; the crash suites call it with a weakened store.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sodiumModule from 'libsodium-wrappers';
import { DatasetError } from '../shared/data/dataset-error';
import { generateSigningKeyPair } from '../shared/secagg/sign';
import { samplingKeyOf } from './training/sampling';
import { DEFAULT_CATALOGUE, loadCatalogue } from './catalogue/catalogue';
import type { Config } from './config';
import { createParallelMaskApplier } from './crypto/parallel-masks';
import { createLogger } from './log/logger';
import { createMetrics } from './metrics';
import { decodeModelHeader } from '../models/serialize';
import { splitServedFile } from '../models/served-file';
import { createRoundBudget } from './ws/round-budget';
import { createCoordinator } from './rounds/coordinator';
import { startRoundLoop } from './rounds/round-loop';
import { createServer, modelVectorLength } from './server';
import { MIB } from './ws/limits';
import { SqliteStore } from './store/sqlite-store';
import { openPostgresStore } from './store/postgres-store';
import { redactDatabaseUrl } from './store/postgres-url';
import { startupProblems } from './store/startup-check';
import type { Store } from './store/store';
import { ensureInitialModel } from './training/initial-model';
import { createDeletionService } from './forgetting/deletion-service';

/** A start-up failure the operator can act on: main.ts prints its message in one line and exits 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** A store the server can run on: the contract, plus an integrity check when the engine has one. */
export type RunnableStore = Store & { integrityCheck?: () => string };

/** What the launcher tells the server, and what can be swapped in (the crash suites use a weakened store). */
export interface RunOverrides {
  openStore?: (path: string) => RunnableStore | Promise<RunnableStore>;
  /** The launcher's demo fleet size, stated on the model card (npm start sets it; the server cannot tell demo devices apart). */
  demoDevices?: number;
}

/** A running server. */
export interface Running {
  url: string;
  /** Stop serving and rounds, and close the store. */
  stop(): Promise<void>;
}

/** Start everything `npm start` runs; throws a StartupError for a problem the operator must fix. */
export async function run(config: Config, overrides: RunOverrides = {}): Promise<Running> {
  let catalogue;
  try {
    catalogue = await loadCatalogue(config.catalogue ?? DEFAULT_CATALOGUE);
  } catch (err) {
    if (err instanceof DatasetError) throw new StartupError(`catalogue: ${err.message}`);
    throw err;
  }

  // 0700: the directory holds the server's private key and the device registry.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const logger = createLogger({ level: config.logLevel });
  // SQLite in the data directory by default; PostgreSQL with --database (its device keys still in the data directory).
  const databasePath = config.database ? redactDatabaseUrl(config.database) : join(config.dataDir, 'confidant.sqlite');
  let store: RunnableStore;
  try {
    store = config.database
      ? await openPostgresStore(config.database, config.dataDir, (err) => logger.warn({ err: err.message }, 'a PostgreSQL connection failed while idle'))
      : await (overrides.openStore ?? ((p) => SqliteStore.open(p)))(databasePath);
  } catch (err) {
    throw new StartupError(`cannot open the database ${databasePath}: ${(err as Error).message}`);
  }
  const problems = await startupProblems(store);
  if (problems.length > 0) {
    await store.close();
    throw new StartupError(`refusing to serve ${databasePath}: ${problems.join('; ')}. Restore it from a backup, or move it aside to start afresh.`);
  }
  // A round cannot outlive the process that ran it: one left open by a crash is over, and was never acknowledged.
  const stored = await store.latestModel();
  if (stored) {
    const items = decodeModelHeader(splitServedFile(stored.data)[0]!).header.items;
    if (items !== catalogue.length) {
      await store.close();
      throw new StartupError(`the catalogue has ${catalogue.length} items but the stored model has ${items}: use the catalogue the data directory was created with, or a fresh data directory`);
    }
  }
  const interrupted = await store.abortOpenRounds('interrupted: the server stopped during the round', Date.now());
  if (interrupted > 0) logger.warn({ rounds: interrupted }, 'marked rounds interrupted by the last stop as aborted');
  const shardsStored = (await store.listShards()).length;
  if (shardsStored > 0 && shardsStored !== config.shards) {
    await store.close();
    throw new StartupError(`the data directory has ${shardsStored} shards but --shards is ${config.shards}: a device's shard is fixed when it registers, so the number cannot change; use --shards ${shardsStored}, or a fresh data directory`);
  }
  const initial = await ensureInitialModel(store, { items: catalogue.length, shards: config.shards, now: Date.now });
  if (initial.created) logger.info({ version: initial.version.version, items: catalogue.length, shards: config.shards }, 'stored the initial model');

  await sodiumModule.ready;
  const sodium = sodiumModule;
  const masks = createParallelMaskApplier(sodium);
  const { serverLearningRate, averaging, ...training } = config.training;
  const metrics = createMetrics();
  // The sampling PRF's key derives from the server's identity key: stable across restarts, secret, nothing new to keep.
  const identity = await store.serverIdentity(() => generateSigningKeyPair(sodium), Date.now());
  const coordinator = createCoordinator({
    store,
    sodium,
    settings: { ...training, localEpochs: 1, endOfRound: { serverLearningRate, averaging }, checkpoints: config.checkpoints },
    samplingKey: samplingKeyOf(identity.privateKey),
    applyMasks: masks.apply,
    budget: createRoundBudget(config.wsLimits, (code) => metrics.refusals.inc({ code, transport: 'ws' })),
    log: (event, fields) => {
      logger.info(fields, event);
      metrics.roundEvent(event, fields);
    },
  });
  const deletions = createDeletionService({
    store,
    control: coordinator,
    sodium,
    delta: training.privacy.mode === 'off' ? null : training.privacy.delta,
    log: (event, fields) => logger.info(fields, event),
  });
  await store.receiptKey(() => generateSigningKeyPair(sodium), Date.now());
  // A deletion recorded before a stop but not completed is completed now, before anything is served.
  const finished = await deletions.finishPending();
  if (finished > 0) logger.warn({ deletions: finished }, 'completed deletions left pending by the last stop');
  const limits = {
    ...(config.maxVectorLength !== undefined ? { vectorLength: config.maxVectorLength } : {}),
    ...(config.maxCohort !== undefined ? { maxCohort: config.maxCohort } : {}),
    ...config.wsLimits,
  };
  // A round budget below one masked vector would refuse every round's first upload: refuse it now, naming the flag.
  const vectorWords = config.maxVectorLength ?? (await modelVectorLength(store));
  if (vectorWords !== undefined && config.wsLimits.maxRoundBytes < 4 * vectorWords) {
    await store.close();
    throw new StartupError(`--round-memory-mib ${config.wsLimits.maxRoundBytes / MIB} is less than one masked vector of this model (${vectorWords} words, ${((4 * vectorWords) / MIB).toFixed(2)} MiB): no round could complete`);
  }

  let server: Awaited<ReturnType<typeof createServer>>;
  try {
    server = await createServer({
      store,
      host: coordinator,
      sodium,
      port: config.port,
      hostname: config.hostname,
      logger,
      limits,
      metrics,
      rateLimit: { limit: config.rateLimit, windowMs: 1000 },
      trustProxy: config.trustProxy,
      enrollment: config.enrollment,
      serving: { catalogue, facts: { ...training, serverLearningRate, averaging, ...(overrides.demoDevices && { demoDevices: overrides.demoDevices }) } },
      ...(config.appDir && { appDir: config.appDir }),
      deletions,
    });
  } catch (err) {
    await store.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new StartupError(`cannot listen on ${config.hostname}:${config.port} (${code})`);
    throw err;
  }

  // A skipped round is logged at info when its reason changes (an operator must see why no round runs), else at
  // debug: the same reason every interval would flood the log.
  const lastSkip = new Map<number | undefined, string>();
  const onSummary = (s: Awaited<ReturnType<typeof coordinator.runRound>>) => {
    if (s.status !== 'skipped') {
      lastSkip.delete(s.shard);
      logger.info(s, `round ${s.status}`);
    } else if (lastSkip.get(s.shard) !== s.reason.replace(/\d+/g, 'N')) {
      lastSkip.set(s.shard, s.reason.replace(/\d+/g, 'N'));
      logger.info(s, 'round skipped');
    } else logger.debug(s, 'round skipped');
  };
  const loop =
    config.roundIntervalSeconds > 0
      ? startRoundLoop({
          runner: coordinator,
          intervalMs: 1000 * config.roundIntervalSeconds,
          onSummary,
          onError: (err) => logger.error({ err }, 'round failed'),
        })
      : undefined;


  return {
    url: server.url,
    async stop() {
      // Closing the server drops every device, which ends a round in progress (it aborts below the threshold).
      await server.close();
      await loop?.stop();
      await masks.close();
      await store.close();
    },
  };
}
