// The demo fleet as a program (`npm start` launches it as a child process when --demo-devices is above 0):
//   tsx client/fleet/main.ts --server http://127.0.0.1:8080 --devices 48 --state-dir .data/demo-fleet
// It prints one line when every device is connected, and a line per round its devices finish.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import sodiumModule from 'libsodium-wrappers';
import { describeBackend, initBackend } from '../../models/backend';
import { startFleet } from './fleet';
import { readRatings } from './people';

const DEFAULT_RATINGS = fileURLToPath(new URL('../../data/ml-latest-small/ratings.csv', import.meta.url));

function fail(message: string): never {
  process.stderr.write(`fleet: ${message}\n`);
  process.exit(1);
}

let args;
try {
  ({ values: args } = parseArgs({ options: { server: { type: 'string' }, devices: { type: 'string' }, 'state-dir': { type: 'string' }, ratings: { type: 'string' } }, strict: true }));
} catch (err) {
  fail((err as Error).message);
}
const devices = Number(args.devices);
if (!args.server || !/^https?:\/\//.test(args.server)) fail('--server must be the server\'s http(s) URL');
if (!Number.isInteger(devices) || devices < 1) fail(`--devices must be a positive integer, got "${args.devices}"`);
if (!args['state-dir']) fail('--state-dir is required (where the fleet keeps its keys)');

const people = readRatings(args.ratings ?? DEFAULT_RATINGS);
if (devices > people.length) fail(`--devices ${devices}: the ratings have ${people.length} users, one device each`);
await sodiumModule.ready;
const backend = await initBackend();
const started = Date.now();
const completed = new Map<number, number>(); // model version → devices that saw their round complete
const fleet = await startFleet({
  baseUrl: args.server.replace(/\/$/, ''),
  sodium: sodiumModule,
  people: people.slice(0, devices),
  stateDir: args['state-dir'],
  log: (line) => process.stderr.write(`fleet: ${line}\n`),
  onRound: (_user, r) => {
    if (r.outcome?.status !== 'completed' || r.outcome.modelVersion === undefined) return;
    const v = r.outcome.modelVersion;
    completed.set(v, (completed.get(v) ?? 0) + 1);
    // One line per round, when the first device hears it completed.
    if (completed.get(v) === 1) process.stdout.write(`fleet: round of shard ${r.shard} completed, model version ${v} (${Math.round((Date.now() - started) / 100) / 10} s after start)\n`);
  },
});
process.stdout.write(`fleet: ${fleet.devices} devices connected over ${fleet.shards} shard(s), tfjs backend ${describeBackend(backend)}\n`);

const stop = () => {
  fleet.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Spawned with an IPC channel: the launcher going away (even killed) ends the fleet too.
process.on('disconnect', stop);
