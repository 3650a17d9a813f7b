// Differentially private rounds over real WebSockets: every model version records the ε spent (what the
// accountant computes for every draw made, rounds skipped after their draw included), training stops with the reason when the next round would exceed the
// budget, distributed noise reaches the devices, and a lineage trained without noise cannot be made "private".
import { NO_SYBILS } from '../conformance/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import _sodium from 'libsodium-wrappers';
import { initBackend } from '../../models/backend';
import { createServer, type RunningServer } from '../../server/server';
import { SqliteStore } from '../../server/store/sqlite-store';
import { createCoordinator, type Coordinator, type TrainingSettings } from '../../server/rounds/coordinator';
import { ensureInitialModel } from '../../server/training/initial-model';
import { END_OF_ROUND_DEFAULTS } from '../../models/federated/end-of-round';
import type { SentLogEntry } from '../../client/rounds/participant';
import type { Sodium } from '../../shared/secagg/sodium';
import { compose, createAccountant, epsilon } from '../../shared/dp/accountant';
import { buildHistories } from '../../models/mf/histories';
import { generateSynthetic } from '../../bench/datasets';
import { startDevice, type Device } from './fleet';

const DEVICES = 8;
let sodium: Sodium;
let histories: ReturnType<typeof buildHistories>['byUser'];

interface Deployment {
  server: RunningServer;
  store: SqliteStore;
  coordinator: Coordinator;
  devices: Device[];
  logs: SentLogEntry[];
  /** Resolve once `ready()` holds, checked at each sent-log event of the devices. */
  logged(ready: () => boolean): Promise<void>;
  close(): Promise<void>;
}

/** Resolve when `ready()` holds, checked again at every event of `subscribe` (never on a timer). */
function when(ready: () => boolean, subscribe: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (ready() ? resolve() : subscribe(check));
    check();
  });
}

async function deploy(settings: Partial<TrainingSettings>): Promise<Deployment> {
  const dir = await mkdtemp(path.join(tmpdir(), 'confidant-dp-'));
  const coordinatorEvents: (() => void)[] = [];
  const logEvents: (() => void)[] = [];
  const store = SqliteStore.open(path.join(dir, 'state.db'));
  await ensureInitialModel(store, { items: 30, dim: 4, shards: 1, now: Date.now });
  const coordinator = createCoordinator({
    store,
    sodium,
    samplingKey: new Uint8Array(32).fill(7),
    settings: { samplingRate: 1, graph: 'complete', clipNorm: 50, localEpochs: 1, endOfRound: END_OF_ROUND_DEFAULTS, stageTimeoutMs: 5_000, minCohort: 3, safety: NO_SYBILS, ...settings },
    log: () => coordinatorEvents.splice(0).forEach((w) => w()),
  });
  const server = await createServer({ store, host: coordinator, port: 0, sodium });
  const logs: SentLogEntry[] = [];
  const onLog = (e: SentLogEntry) => {
    logs.push(structuredClone(e));
    logEvents.splice(0).forEach((w) => w());
  };
  const devices = await Promise.all(Array.from({ length: DEVICES }, (_, k) => startDevice({ server, sodium, history: histories[k]!, participant: { onLog } })));
  await when(() => coordinator.eligibleDevices() === DEVICES, (w) => coordinatorEvents.push(w));
  return {
    server,
    store,
    coordinator,
    devices,
    logs,
    logged: (ready) => when(ready, (w) => logEvents.push(w)),
    async close() {
      for (const d of devices) d.connection.close();
      await server.close();
      await store.close();
    },
  };
}

beforeAll(async () => {
  await initBackend();
  await _sodium.ready;
  sodium = _sodium;
  histories = buildHistories(generateSynthetic({ users: DEVICES, items: 30, categories: 3, dim: 4, meanInteractions: 8, seed: 5 }).data).byUser;
});

describe('central DP rounds', () => {
  let d: Deployment;
  afterAll(async () => d?.close());

  it('record the ε the accountant gives for the rounds run, and stop at the budget with the reason', async () => {
    const sigma = 1.5;
    const delta = 1e-5;
    // The budget allows exactly two rounds at q = 1: ε(2 rounds) ≤ budget < ε(3 rounds).
    const eps = (t: number) => epsilon(compose(createAccountant(), { samplingRate: 1, noiseMultiplier: sigma, steps: t }), delta).epsilon;
    const budget = (eps(2) + eps(3)) / 2;
    d = await deploy({ privacy: { mode: 'central', noiseMultiplier: sigma, delta, epsilonBudget: budget } });
    for (let r = 1; r <= 2; r++) {
      expect(await d.coordinator.runRound()).toMatchObject({ status: 'completed', contributors: DEVICES });
      const latest = (await d.store.latestModel())!;
      expect(latest.provenance.epsilon).toBeCloseTo(eps(r), 10);
      expect(latest.provenance.privacy).toEqual({ mode: 'central', samplingRate: 1, noiseMultiplier: sigma, delta });
      expect(latest.provenance.shards).toEqual([{ shard: 0, lineage: 0, step: r, epsilon: latest.provenance.epsilon }]);
      expect((await d.store.listShards())[0]!.account).toEqual({ history: [{ samplingRate: 1, noiseMultiplier: sigma, steps: r }], unbounded: false });
    }
    const stopped = await d.coordinator.runRound();
    expect(stopped.status).toBe('skipped');
    expect(stopped.status === 'skipped' && stopped.reason).toMatch(/privacy budget of shard 0: ε = .* spent of .*one more round would exceed it/);
    expect((await d.store.latestModel())!.version).toBe(3);
    // Central mode: the devices were asked for no noise of their own.
    expect(d.logs.every((e) => e.deviceNoiseStd === 0)).toBe(true);
  });
});

describe('central DP rounds at q < 1', () => {
  let d: Deployment;
  afterAll(async () => d?.close());

  it('a version records ε over every draw, those skipped for drawing too few devices included', async () => {
    const q = 0.6;
    const sigma = 1.5;
    const delta = 1e-5;
    const eps = (t: number) => epsilon(compose(createAccountant(), { samplingRate: q, noiseMultiplier: sigma, steps: t }), delta).epsilon;
    // At q = 0.6 a draw of the 8 devices reaches the floor of 6 with probability 0.32: run until a round completes after a skip.
    d = await deploy({ samplingRate: q, minCohort: 6, privacy: { mode: 'central', noiseMultiplier: sigma, delta, epsilonBudget: 1_000 } });
    const summaries: Awaited<ReturnType<Coordinator['runRound']>>[] = [];
    const done = () => summaries.at(-1)?.status === 'completed' && summaries.some((s) => s.status === 'skipped');
    for (let r = 0; r < 80 && !done(); r++) summaries.push(await d.coordinator.runRound());
    expect(done()).toBe(true);
    expect(summaries.every((s) => s.status === 'completed' || (s.status === 'skipped' && /sampled \d of 8 eligible devices.*charged/.test(s.reason)))).toBe(true);
    const draws = summaries.length;
    expect((await d.store.listShards())[0]!.account).toEqual({ history: [{ samplingRate: q, noiseMultiplier: sigma, steps: draws }], unbounded: false });
    expect((await d.store.latestModel())!.provenance.epsilon).toBeCloseTo(eps(draws), 10);
  });
});

describe('distributed DP rounds', () => {
  let d: Deployment;
  afterAll(async () => d?.close());

  it('every device adds its share of the noise, sized for the threshold', async () => {
    d = await deploy({ privacy: { mode: 'distributed', noiseMultiplier: 1, delta: 1e-5, epsilonBudget: 100 } });
    expect(await d.coordinator.runRound()).toMatchObject({ status: 'completed', contributors: DEVICES });
    // The devices hear the result a moment after the server stored the version.
    const completed = () => d.logs.filter((e) => e.outcome?.status === 'completed');
    await d.logged(() => completed().length >= DEVICES);
    const sent = completed();
    expect(sent.length).toBeGreaterThanOrEqual(DEVICES);
    for (const e of sent) expect(e.deviceNoiseStd).toBeGreaterThan(0);
    expect((await d.store.latestModel())!.provenance).toMatchObject({ privacy: { mode: 'distributed' } });
    const model = (await d.store.latestModel())!;
    expect(model.provenance.epsilon).toBeGreaterThan(0);
  });
});

describe('a lineage trained without noise', () => {
  let d: Deployment;
  afterAll(async () => d?.close());

  it('cannot be continued with DP: ε is unbounded, so the round is refused with the reason', async () => {
    d = await deploy({});
    expect(await d.coordinator.runRound()).toMatchObject({ status: 'completed' });
    expect((await d.store.latestModel())!.provenance).toMatchObject({ epsilon: null, privacy: null });
    const dp = createCoordinator({
      store: d.store,
      sodium,
      samplingKey: new Uint8Array(32).fill(7),
      settings: { samplingRate: 1, graph: 'complete', clipNorm: 50, localEpochs: 1, endOfRound: END_OF_ROUND_DEFAULTS, stageTimeoutMs: 5_000, minCohort: 3, safety: NO_SYBILS, privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-5, epsilonBudget: 10 } },
    });
    const summary = await dp.runRound();
    expect(summary).toMatchObject({ status: 'skipped' });
    expect(summary.status === 'skipped' && summary.reason).toMatch(/has run rounds without noise: its ε is unbounded/);
  });
});
