// `npm start`'s command line: every server flag (server/config.ts) plus the launcher's own, --demo-devices.
import { ConfigError, parseInvocation, usage, type Config } from '../server/config';

/** The demo fleet's default size: 12 devices per shard at 4 shards, so that every shard's cohort clears the device-side floor of 10 at sampling rate 1. */
export const DEFAULT_DEMO_DEVICES = 48;
/** The vendored ratings have this many users, one device each. */
export const MAX_DEMO_DEVICES = 610;
const ENV = 'CONFIDANT_DEMO_DEVICES';

/** What the launcher runs. */
export type LaunchInvocation = { help: true } | { help: false; config: Config; demoDevices: number; demoDevicesGiven: boolean };

function readDemoDevices(raw: string, name: string): number {
  if (!/^[0-9]+$/.test(raw.trim()) || Number(raw) > MAX_DEMO_DEVICES) throw new ConfigError(`${name} must be an integer in 0..${MAX_DEMO_DEVICES} (one device per vendored MovieLens user; 0 = no demo fleet), got "${raw}"`);
  return Number(raw);
}

/** Read the command line: the launcher's flag taken out, the rest read by the server's parser. */
export function parseLaunch(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): LaunchInvocation {
  const rest: string[] = [];
  let given: string | undefined;
  for (let n = 0; n < argv.length; n++) {
    const a = argv[n]!;
    if (a === '--demo-devices') {
      if (n + 1 >= argv.length) throw new ConfigError("option '--demo-devices <value>' argument missing");
      given = argv[++n]!;
    } else if (a.startsWith('--demo-devices=')) given = a.slice('--demo-devices='.length);
    else rest.push(a);
  }
  const server = parseInvocation(rest, env, cwd);
  if (server.help) return { help: true };
  const fromEnv = env[ENV];
  const demoDevices = given !== undefined ? readDemoDevices(given, '--demo-devices') : fromEnv ? readDemoDevices(fromEnv, ENV) : DEFAULT_DEMO_DEVICES;
  return { help: false, config: server.config, demoDevices, demoDevicesGiven: given !== undefined || Boolean(fromEnv) };
}

/** The server's usage plus the launcher's flag. */
export function launchUsage(): string {
  return `${usage()}\n\nThe launcher (npm start) also takes:\n  --demo-devices N   simulated devices, one per vendored MovieLens user, training beside real ones (default ${DEFAULT_DEMO_DEVICES}, 0 = none; only under open enrollment; N is added to the per-address limits, since they all connect from this machine); env ${ENV}\n\nWithout --app-dir it serves the web app from dist/app/, building it first when it is missing or older than its sources.`;
}

/**
 * Why the demo fleet may not run under this configuration, or undefined. Demo devices enrol themselves, so they run
 * only where enrollment is open (a deployment whose configuration names another enrollment policy gets none).
 */
export function demoRefusal(config: Config): string | undefined {
  if (config.enrollment === 'open') return undefined;
  return `demo devices enrol themselves, so they run only under the open enrollment policy (this server's is ${config.enrollment})`;
}

/**
 * The configuration with room for a demo fleet of `demoDevices`: they all connect and register from this machine's
 * address, so their number is added to both per-address limits (0, no limit, stays 0).
 */
export function withDemoHeadroom(config: Config, demoDevices: number): Config {
  if (demoDevices === 0) return config;
  const add = (limit: number) => (limit === 0 ? 0 : limit + demoDevices);
  const { maxConnectionsPerAddress, registrationsPerAddressPerHour } = config.wsLimits;
  return { ...config, wsLimits: { ...config.wsLimits, maxConnectionsPerAddress: add(maxConnectionsPerAddress), registrationsPerAddressPerHour: add(registrationsPerAddressPerHour) } };
}
