// `npm start`: read the configuration, open the SQLite store in the data directory, serve until a signal.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig, type Config } from './config';
import { createLogger } from './log/logger';
import { RecordingHost } from './recording-host';
import { createServer } from './server';
import { SqliteStore } from './store/sqlite-store';

function fail(message: string): never {
  process.stderr.write(`confidant: ${message}\n`);
  process.exit(1);
}

let config: Config;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}

// 0700: the directory holds the server's private key and the device registry.
mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
const logger = createLogger({ level: config.logLevel });
const store = SqliteStore.open(join(config.dataDir, 'confidant.sqlite'));
const limits = {
  ...(config.maxVectorLength !== undefined ? { vectorLength: config.maxVectorLength } : {}),
  ...(config.maxCohort !== undefined ? { maxCohort: config.maxCohort } : {}),
};

let server: Awaited<ReturnType<typeof createServer>>;
try {
  server = await createServer({ store, host: new RecordingHost(logger), port: config.port, hostname: config.hostname, logger, limits });
} catch (err) {
  await store.close();
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') fail(`cannot listen on ${config.hostname}:${config.port} (${code})`);
  throw err;
}

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await server.close();
  await store.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
