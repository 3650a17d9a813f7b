// `npm start`: read the configuration (or print the usage), run the server (run.ts), and stop cleanly on a signal.
import { ConfigError, parseInvocation, usage, type Config } from './config';
import { run, StartupError, type Running } from './run';

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

let running: Running;
try {
  running = await run(config);
} catch (err) {
  if (err instanceof StartupError) fail(err.message);
  throw err;
}

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`confidant: ${signal}: shutting down\n`);
  await running.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
