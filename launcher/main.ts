// `npm start`: the server (server/run.ts) with the web app at / (built first when stale) and, under open
// enrollment, a demo fleet of simulated devices in a child process. Belongs to neither side: it imports the
// server's entry points and starts the device code by path.
import { join } from 'node:path';
import { ConfigError } from '../server/config';
import { run, StartupError, type Running } from '../server/run';
import { buildApp, DEFAULT_APP_DIR, staleReason } from './build';
import { startFleetProcess, type FleetProcess } from './fleet-process';
import { demoRefusal, launchUsage, parseLaunch, withDemoHeadroom, type LaunchInvocation } from './options';

function fail(message: string): never {
  process.stderr.write(`confidant: ${message}\n`);
  process.exit(1);
}

let invocation: LaunchInvocation;
try {
  invocation = parseLaunch(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
if (invocation.help) {
  process.stdout.write(`${launchUsage()}\n`);
  process.exit(0);
}
const { config, demoDevicesGiven } = invocation;
let { demoDevices } = invocation;

const refusal = demoDevices > 0 ? demoRefusal(config) : undefined;
if (refusal) {
  if (demoDevicesGiven) fail(`--demo-devices: ${refusal}`);
  process.stderr.write(`confidant: no demo fleet: ${refusal}\n`);
  demoDevices = 0;
}

// The operator's own --app-dir is served as it is; otherwise npm start serves (and keeps current) its own build.
let appDir = config.appDir;
if (appDir === undefined) {
  appDir = DEFAULT_APP_DIR;
  const why = staleReason(appDir);
  if (why) {
    process.stderr.write(`confidant: building the web app (${why})…\n`);
    try {
      await buildApp(appDir, undefined, (line) => process.stderr.write(`vite: ${line}\n`));
    } catch (err) {
      fail((err as Error).message);
    }
  }
}

let running: Running;
try {
  running = await run({ ...withDemoHeadroom(config, demoDevices), appDir }, demoDevices > 0 ? { demoDevices } : {});
} catch (err) {
  if (err instanceof StartupError) fail(err.message);
  throw err;
}

let fleet: FleetProcess | undefined;
if (demoDevices > 0) {
  fleet = startFleetProcess({
    serverUrl: running.url,
    devices: demoDevices,
    stateDir: join(config.dataDir, 'demo-fleet'),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  fleet.child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`confidant: the demo fleet stopped (${signal ?? `exit ${code}`}); the server goes on without it\n`);
  });
}

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`confidant: ${signal}: shutting down\n`);
  await fleet?.stop();
  await running.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
