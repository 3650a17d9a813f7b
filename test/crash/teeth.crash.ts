// The crash checks have teeth: the same kills, each followed by a simulated power cut (only what was fsynced is
// kept, power-loss.ts), lose nothing on the real store (synchronous=FULL) and lose acknowledged rounds on a store
// opened with synchronous=NORMAL and on one that acknowledges a round before committing it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import _sodium from 'libsodium-wrappers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../models/backend';
import { writeCatalogue } from './catalogue';
import { createFleet } from './devices';
import { buildFsyncRecorder, cutPower, readFsyncLog, recorderEnv } from './power-loss';
import { createRig, serverArgs, type Life } from './rig';
import { KILL_POINTS, type KillPoint } from './round-events';
import { bundleServer, type Bundle } from './server-process';
import { fetchServedModel, inspectStore, type StoreReport } from './store-check';
import { summarise } from './summary';
import type { StoreVariant } from './weak-stores';

/** Kills per point: more for the real store (the claim is that nothing is lost), fewer for the weak ones (one loss will do). */
const KILLS_PER_POINT: Record<StoreVariant, number> = { full: 3, normal: 2, 'ack-before-commit': 2 };
const ITEMS = 500;
const DEVICES = 4;

const dir = mkdtempSync(join(tmpdir(), 'confidant-teeth-'));
let bundle: Bundle;
let shim: string;
let catalogue: string;
beforeAll(async () => {
  shim = buildFsyncRecorder(dir); // throws with the compiler's message: no gcc is a failure, not a skip
  bundle = await bundleServer({ 'harness-main': 'test/crash/harness-main.ts', 'kill-on': 'test/crash/kill-on.ts' });
  catalogue = writeCatalogue(join(dir, 'movies.csv'), ITEMS);
  await initBackend();
  await _sodium.ready;
});
afterAll(() => {
  bundle?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** What a campaign against one store variant found. */
interface Outcome {
  lives: Life[];
  acknowledged: number;
  lost: StoreReport['lost'];
  integrity: string[];
  broken: string[];
  served: string[];
  walFsyncs: number;
}

/** Kill the harness's server on `variant` at each point in turn, cut the power after each kill, and check. */
async function campaign(variant: StoreVariant): Promise<Outcome> {
  const dataDir = join(dir, variant);
  const database = join(dataDir, 'confidant.sqlite');
  const fsyncLog = join(dir, `${variant}.fsyncs`);
  const rig = createRig({
    entry: bundle.entry('harness-main'),
    killer: bundle.entry('kill-on'),
    args: serverArgs(dataDir, catalogue),
    env: { CONFIDANT_CRASH_STORE: variant, ...recorderEnv(shim, fsyncLog) },
    fleet: createFleet({ sodium: _sodium, count: DEVICES, items: ITEMS }),
  });
  const out: Outcome = { lives: [], acknowledged: 0, lost: [], integrity: [], broken: [], served: [], walFsyncs: 0 };
  const schedule: KillPoint[] = Array.from({ length: KILLS_PER_POINT[variant] }, () => [...KILL_POINTS]).flat();
  for (const [n, point] of schedule.entries()) {
    const life = await rig.life(point, async (url) => {
      out.served.push(...(await fetchServedModel(url)).problems);
    });
    out.lives.push(life);
    out.acknowledged += life.acknowledged;
    cutPower(dataDir);
    const report = inspectStore(database, rig.acknowledged);
    if (report.integrity !== 'ok') out.integrity.push(`after kill ${n + 1}: ${report.integrity}`);
    out.broken.push(...report.broken);
    out.lost.push(...report.lost);
    rig.forget(report.lost.map((l) => l.round)); // counted once; their version numbers come back
  }
  out.walFsyncs = readFsyncLog(fsyncLog).filter((r) => r.path.startsWith(dataDir) && r.path.endsWith('-wal')).length;
  const summary = summarise(`${variant}, power cut after each kill`, out.lives, out.acknowledged, out.lost.length);
  const lost = out.lost.slice(0, 3).map((l) => `    lost version ${l.round.modelVersion}: ${l.why}`);
  process.stdout.write(`${[summary.text, `  WAL fsyncs recorded: ${out.walFsyncs}`, ...lost].join('\n')}\n`);
  return out;
}

describe('the crash checks have teeth (simulated power loss)', () => {
  it('synchronous=FULL: nothing acknowledged is lost, and the database stays whole', async () => {
    const out = await campaign('full');
    expect(out.walFsyncs, 'the fsync recorder saw no fsync of the WAL: is the shim loaded?').toBeGreaterThan(0);
    expect(out.acknowledged).toBeGreaterThanOrEqual(2);
    expect(out.lost).toEqual([]);
    expect(out.integrity).toEqual([]);
    expect(out.broken).toEqual([]);
    expect(out.served).toEqual([]);
  });

  it('synchronous=NORMAL: the check catches acknowledged rounds lost to the power cut', async () => {
    const out = await campaign('normal');
    expect(out.lost.length).toBeGreaterThanOrEqual(1);
  });

  it('acknowledging before the commit: the check catches the rounds devices were told of and the store never had', async () => {
    const out = await campaign('ack-before-commit');
    expect(out.lost.length).toBeGreaterThanOrEqual(1);
  });
});
