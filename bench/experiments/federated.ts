// The federated experiment: rounds of Poisson-sampled devices running the real local update and the real
// secure-aggregation participant against the real server round, in one process (no sockets).
import _sodium from 'libsodium-wrappers';
import path from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import { createRng } from '../../shared/math/random';
import { evaluateFullRanking, evaluateLeaveOneOut, itemPopScorer, leaveOneOutSplit, perUserHoldoutSplit, sampleNegatives, type Metrics } from '../../shared/metrics';
import { clipToNorm } from '../../shared/secagg/fixed-point';
import type { Sodium } from '../../shared/secagg/sodium';
import { sodiumRandomBytes } from '../../shared/secagg/random';
import type { PrivacySettings } from '../../shared/dp/mechanism';
import { buildHistories } from '../../models/mf/histories';
import { initialTable } from '../../models/mf/model';
import { IMPLICIT_DEFAULTS } from '../../models/mf/implicit-als';
import { updateLength } from '../../models/federated/update-vector';
import { denseScorer, solveUsers } from '../../models/mf/scoring';
import { MemoryStore } from '../../server/store/memory-store';
import { CHECKPOINT_DEFAULTS } from '../../server/training/defaults';
import { accountEpsilon } from '../../server/training/privacy-account';
import { itemInferenceAuc, popularityPriorAuc } from '../privacy/item-inference';
import { createDeployment } from '../simulation/deployment';
import { evaluateServed } from '../simulation/evaluate-served';
import { beyondAccuracy, datasetSummary, type Protocol } from './evaluation';
import { startProgress } from '../progress';
import { writeResults, type ModelResults } from '../results';
import { writeModelReport } from '../report/model-report';

/** Options of `bench federated`. */
export interface FederatedOptions {
  data: InteractionData;
  protocol: Exclude<Protocol, 'rating'>;
  rounds: number;
  clientsPerRound: number;
  localEpochs: number;
  secagg: boolean;
  dropout: number;
  graph: 'complete' | 'sparse';
  seed: number;
  out: string;
  backend: string;
  dim: number;
  clipNorm: number;
  serverLearningRate: number;
  averaging: number;
  evalEvery: number;
  /** results.json of a centralized run to draw beside the curve. */
  centralized?: { metrics: Metrics };
  /** Differential privacy (default off). */
  privacy?: PrivacySettings;
  /** Devices the curious-server attack targets in the last round (default 20). */
  attackTargets?: number;
}

/** The item-inference attack's AUCs (bench/privacy/item-inference.ts), averaged over the targets. */
export interface AttackResult {
  targets: number;
  /** From each target's own update: what the server sees without secure aggregation. */
  plainAUC: number;
  /** From the cohort's exact sum: secure aggregation without noise. */
  secaggAUC: number;
  /** From what this run's server actually saw (the noisy sum with DP on). */
  observedAUC: number;
  /** Ranking by popularity alone: what an attacker knows without observing anything. */
  priorAUC: number;
}

/** One round's measurements. */
export interface RoundRecord {
  round: number;
  cohort: number;
  contributors: number;
  status: 'completed' | 'aborted';
  reason?: string;
  bytesUpPerDevice: number;
  bytesDownPerDevice: number;
  deviceSeconds: number;
  serverSeconds: number;
  clippedDevices: number;
  metrics?: Record<string, number>;
}

/** The benchmark trains one shard (the unlearning benchmark compares shard counts). */
const SHARD = 0;

/** Run federated training and write results.json and report.html. */
export async function runFederated(o: FederatedOptions): Promise<ModelResults & { rounds: RoundRecord[]; bytesPerDevice: { up: number; down: number; plainUpdate: number }; privacy: { epsilon: number; delta: number | null; noiseMultiplier: number; samplingRate: number; roundsCharged: number }; attack: AttackResult | undefined }> {
  await _sodium.ready;
  const sodium: Sodium = _sodium;
  const t0 = performance.now();
  const split = o.protocol === 'loo' ? leaveOneOutSplit(o.data) : perUserHoldoutSplit(o.data, { testFraction: 0.2, seed: o.seed });
  const negatives = o.protocol === 'loo' ? sampleNegatives(o.data, split.test, { count: 99, seed: o.seed }) : undefined;
  const train = split.train;
  const histories = buildHistories(train).byUser;
  const rng = createRng(o.seed).fork('federated');
  const params = { kind: 'implicit' as const, lambda: IMPLICIT_DEFAULTS.lambda, alpha: IMPLICIT_DEFAULTS.alpha, valueScale: IMPLICIT_DEFAULTS.valueScale };
  const layout = { items: train.items, dim: o.dim };
  const vectorLength = updateLength(layout);
  const q = Math.min(1, o.clientsPerRound / train.users);
  const privacy = o.privacy && o.privacy.mode !== 'off' ? o.privacy : undefined;
  // The server's own state, sampling, end of round and commit: a deployment simulated in this process.
  const deployment = await createDeployment({
    store: new MemoryStore(),
    histories,
    initial: [{ params, table: initialTable(train.items, o.dim, IMPLICIT_DEFAULTS.initStd, rng.fork('init').normal) }],
    seed: o.seed,
    samplingRate: q,
    secagg: o.secagg,
    graph: o.graph,
    clipNorm: o.clipNorm,
    localEpochs: o.localEpochs,
    dropout: o.dropout,
    privacy,
    endOfRound: { serverLearningRate: o.serverLearningRate, averaging: o.averaging },
    checkpoints: CHECKPOINT_DEFAULTS,
    randomBytes: sodiumRandomBytes(sodium),
  });
  const records: RoundRecord[] = [];
  const curve: ModelResults['curve'] = [];
  const bar = startProgress(`federated (${o.secagg ? 'secure' : 'plain'} aggregation)`, o.rounds);
  let attack: AttackResult | undefined;
  const popularity = new Float64Array(train.items);
  for (let n = 0; n < train.item.length; n++) popularity[train.item[n]!]!++;
  const runAttack = (contributors: number[], updates: Map<number, Float32Array>, observed: Float64Array, clipNorm: number): AttackResult => {
    const clean = new Float64Array(vectorLength);
    for (const u of contributors) {
      const c = clipToNorm(updates.get(u)!, clipNorm).clipped;
      for (let n = 0; n < c.length; n++) clean[n]! += c[n]!;
    }
    const targets = contributors.slice(0, o.attackTargets ?? 20);
    const mean = (f: (u: number) => number) => targets.reduce((a, u) => a + f(u), 0) / Math.max(1, targets.length);
    return {
      targets: targets.length,
      plainAUC: mean((u) => itemInferenceAuc(clipToNorm(updates.get(u)!, clipNorm).clipped, layout, histories[u]!.items)),
      secaggAUC: mean((u) => itemInferenceAuc(clean, layout, histories[u]!.items)),
      observedAUC: o.secagg || privacy ? mean((u) => itemInferenceAuc(observed, layout, histories[u]!.items)) : mean((u) => itemInferenceAuc(clipToNorm(updates.get(u)!, clipNorm).clipped, layout, histories[u]!.items)),
      priorAUC: mean((u) => popularityPriorAuc(popularity, histories[u]!.items)),
    };
  };
  for (let r = 1; r <= o.rounds; r++) {
    const sim = await deployment.round(SHARD, { keepUpdates: r === o.rounds });
    const record: RoundRecord = {
      round: r,
      cohort: sim.cohort,
      contributors: sim.contributors.length,
      status: sim.status === 'completed' ? 'completed' : 'aborted',
      ...(sim.reason !== undefined && { reason: sim.reason }),
      bytesUpPerDevice: sim.bytesUpPerDevice,
      bytesDownPerDevice: sim.bytesDownPerDevice,
      deviceSeconds: sim.deviceSeconds,
      serverSeconds: sim.serverSeconds,
      clippedDevices: sim.clippedDevices,
    };
    if (sim.updates && sim.released && sim.clipNorm !== undefined) attack = runAttack(sim.contributors, sim.updates, sim.released, sim.clipNorm);
    if (r % o.evalEvery === 0 || r === o.rounds) {
      record.metrics = evaluateServed(deployment.shards().map((v) => v.models.served), split, negatives);
      curve.push({ epoch: r, ...record.metrics });
    }
    records.push(record);
    const main = record.metrics ? Object.entries(record.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ') : '';
    bar.update(r, `${record.status} n=${sim.cohort} ${main}`);
  }
  bar.stop();
  const final = deployment.shards()[SHARD]!.models.served;
  const account = deployment.shards()[SHARD]!.account;
  await deployment.close();
  const users = solveUsers(final, train);
  const metrics: Metrics = { ...evaluateServed([final], split, negatives), ...beyondAccuracy(o.data, train, denseScorer(final, users), final) };
  const pop = itemPopScorer(train);
  const baseline: Metrics = pick(negatives ? evaluateLeaveOneOut({ test: split.test, negatives, score: pop.score, k: 10 }) : evaluateFullRanking({ train, test: split.test, scoreAll: pop.scoreAll, k: 20 }));
  const completed = records.filter((x) => x.status === 'completed');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const results = {
    experiment: 'federated',
    dataset: datasetSummary(o.data),
    protocol: o.protocol,
    config: {
      model: 'implicit MF, federated through the server\'s end of round (local ridge re-solve + dense item-table update; server step preconditioned by Σuuᵀ and per-item curvature; served table = EMA of iterates)',
      rounds: o.rounds,
      clientsPerRound: o.clientsPerRound,
      samplingRate: q,
      localEpochs: o.localEpochs,
      secagg: o.secagg,
      graph: o.graph,
      dropout: o.dropout,
      dim: o.dim,
      clipNorm: o.clipNorm,
      serverLearningRate: o.serverLearningRate,
      averaging: o.averaging,
      vectorLength,
      seed: o.seed,
      privacy: privacy ? { mode: privacy.mode, noiseMultiplier: privacy.noiseMultiplier, delta: privacy.delta } : null,
    },
    privacy: {
      epsilon: privacy ? (accountEpsilon(account, privacy.delta) ?? Infinity) : Infinity,
      delta: privacy?.delta ?? null,
      noiseMultiplier: privacy?.noiseMultiplier ?? 0,
      samplingRate: q,
      roundsCharged: account.history.reduce((a, h) => a + h.steps, 0),
    },
    attack,
    backend: o.backend,
    timings: {
      total: (performance.now() - t0) / 1000,
      meanDeviceSecondsPerRound: mean(completed.map((x) => x.deviceSeconds)),
      meanServerSecondsPerRound: mean(completed.map((x) => x.serverSeconds)),
    },
    metrics,
    baselines: { ItemPop: baseline, ...(o.centralized && { centralized: o.centralized.metrics }) },
    curve,
    rounds: records,
    bytesPerDevice: { up: mean(completed.map((x) => x.bytesUpPerDevice)), down: mean(completed.map((x) => x.bytesDownPerDevice)), plainUpdate: 4 * vectorLength },
  };
  await writeResults(o.out, results);
  await writeModelReport(path.join(o.out, 'report.html'), results);
  return results;
}

function pick(m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (k !== 'users') out[k] = v;
  return out;
}
