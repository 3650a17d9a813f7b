// The kill suite: `npm start` over real WebSocket devices, SIGKILLed ≥ 15 times at each stage of a round (the moment
// its own log says the stage began). After each kill the database must be intact and hold every acknowledged round
// whole; after each restart the served model must match its checksum and be no older than the last acknowledgement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import _sodium from 'libsodium-wrappers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { createFleet } from './devices';
import { createRig, serverArgs, type Life } from './rig';
import { KILL_POINTS, type KillPoint } from './round-events';
import { bundleServer, type Bundle } from './server-process';
import { fetchServedModel, inspectStore } from './store-check';
import { writeCatalogue } from './catalogue';
import { summarise } from './summary';

const KILLS_PER_POINT = 15;
const ITEMS = 500;
const DEVICES = 4;

const dir = mkdtempSync(join(tmpdir(), 'confidant-crash-'));
let bundle: Bundle;
beforeAll(async () => {
  bundle = await bundleServer({ main: 'server/main.ts', 'kill-on': 'test/crash/kill-on.ts' });
  await initBackend();
  await _sodium.ready;
});
afterAll(() => {
  bundle?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start under SIGKILL', () => {
  it(`loses no acknowledged round over ${KILLS_PER_POINT * KILL_POINTS.length} kills at every stage of a round`, async () => {
    const dataDir = join(dir, 'data');
    const database = join(dataDir, 'confidant.sqlite');
    const catalogue = writeCatalogue(join(dir, 'movies.csv'), ITEMS);
    const fleet = createFleet({ sodium: _sodium, count: DEVICES, items: ITEMS });
    const rig = createRig({
      entry: bundle.entry('main'),
      killer: bundle.entry('kill-on'),
      args: serverArgs(dataDir, catalogue),
      fleet,
    });
    const lastAcknowledged = () => Math.max(0, ...rig.acknowledged.map((r) => r.modelVersion));
    const checkServed = async (url: string, context: string) => {
      const served = await fetchServedModel(url);
      expect(served.problems, context).toEqual([]);
      expect(served.version, `${context}: the served version is older than the last acknowledged one`).toBeGreaterThanOrEqual(lastAcknowledged());
      // When the served version is one devices were told of, it is the very model that was committed.
      const acknowledged = rig.acknowledged.find((r) => r.modelVersion === served.version);
      if (acknowledged) expect(served.sha256.slice(0, 12), `${context}: version ${served.version}`).toBe(acknowledged.sha12);
    };

    const lives: Life[] = [];
    let checks = 0; // (acknowledged round, kill) pairs checked
    const schedule: KillPoint[] = Array.from({ length: KILLS_PER_POINT }, () => [...KILL_POINTS]).flat();
    for (const [n, point] of schedule.entries()) {
      const life = await rig.life(point, (url) => checkServed(url, `restart ${n}`));
      lives.push(life);
      const report = inspectStore(database, rig.acknowledged);
      const context = `after kill ${n + 1} (at ${point}, landed at ${life.landed})`;
      expect(report.integrity, context).toBe('ok');
      expect(report.broken, context).toEqual([]);
      expect(report.lost, context).toEqual([]);
      checks += rig.acknowledged.length;
    }
    await rig.serve((url) => checkServed(url, 'final restart'));

    const summary = summarise('npm start (synchronous=FULL)', lives, rig.acknowledged.length, 0);
    process.stdout.write(`${summary.text}\n  checks of an acknowledged round after a later kill: ${checks}\n`);
    for (const point of KILL_POINTS) expect(summary.killsPerPoint[point], point).toBeGreaterThanOrEqual(KILLS_PER_POINT);
    expect(lives.length).toBeGreaterThanOrEqual(100);
    // The check has something to check: kills after round.completed leave acknowledged rounds behind.
    expect(rig.acknowledged.length).toBeGreaterThanOrEqual(KILLS_PER_POINT);
  });
});
