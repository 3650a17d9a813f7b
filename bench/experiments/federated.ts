// The federated experiment: rounds of Poisson-sampled devices running the real local update and the real
// secure-aggregation participant against the real server round, in one process (no sockets).
import _sodium from 'libsodium-wrappers';
import path from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import { sha256 } from '@noble/hashes/sha2.js';
import { createRng } from '../../shared/math/random';
import { encodeModel } from '../../models/serialize';
import { evaluateFullRanking, evaluateLeaveOneOut, itemPopScorer, leaveOneOutSplit, perUserHoldoutSplit, sampleNegatives, type Metrics } from '../../shared/metrics';
import { generateSigningKeyPair, type SigningKeyPair } from '../../shared/secagg/sign';
import { clipToNorm, decodeSum, encode } from '../../shared/secagg/fixed-point';
import { secureSettingsFor } from '../../shared/secagg/round-settings';
import type { Sodium } from '../../shared/secagg/sodium';
import { sodiumUniform01 } from '../../shared/secagg/random';
import type { RoundConfig } from '../../shared/protocol/messages';
import { buildHistories } from '../../models/mf/histories';
import { initialTable, type MfModel } from '../../models/mf/model';
import { IMPLICIT_DEFAULTS } from '../../models/mf/implicit-als';
import { localUpdate, prepareTable } from '../../models/local-update';
import { flattenUpdate, splitAggregate, updateLength } from '../../models/federated/update-vector';
import { applyServerStep, averageModels } from '../../models/federated/server-step';
import { denseScorer, scorePair, solveUsers } from '../../models/mf/scoring';
import { createParticipant } from '../../client/rounds/participant';
import { createPlainAggregator } from '../../server/aggregation/plain-aggregator';
import type { DropStage } from '../../server/aggregation/aggregator';
import { runInMemoryRound } from '../simulation/in-memory-round';
import { nodeChachaMask } from '../../server/crypto/chacha-mask';
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

const STAGES: DropStage[] = ['advertise', 'shares', 'masked', 'confirm', 'unmask'];
const LOCAL_LR = 1; // the server step divides it out; 1 keeps the update's parts near unit scale for fixed point

/** Round configuration for a cohort: threshold from the graph rule, scale so the cohort's sum cannot wrap. */
export function roundConfigFor(n: number, o: Pick<FederatedOptions, 'graph' | 'clipNorm' | 'localEpochs'>, vectorLength: number): RoundConfig {
  return {
    ...secureSettingsFor(n, o.graph, o.clipNorm),
    vectorLength,
    clipFlagIndex: vectorLength - 1,
    clipNorm: o.clipNorm,
    localEpochs: o.localEpochs,
    localLearningRate: LOCAL_LR,
    deviceNoiseStd: 0,
    stageTimeoutMs: 60_000,
  };
}

/** Run federated training and write results.json and report.html. */
export async function runFederated(o: FederatedOptions): Promise<ModelResults & { rounds: RoundRecord[]; bytesPerDevice: { up: number; down: number; plainUpdate: number } }> {
  await _sodium.ready;
  const sodium: Sodium = _sodium;
  const t0 = performance.now();
  const split = o.protocol === 'loo' ? leaveOneOutSplit(o.data) : perUserHoldoutSplit(o.data, { testFraction: 0.2, seed: o.seed });
  const negatives = o.protocol === 'loo' ? sampleNegatives(o.data, split.test, { count: 99, seed: o.seed }) : undefined;
  const train = split.train;
  const histories = buildHistories(train).byUser;
  const rng = createRng(o.seed).fork('federated');
  const params = { kind: 'implicit' as const, lambda: IMPLICIT_DEFAULTS.lambda, alpha: IMPLICIT_DEFAULTS.alpha, valueScale: IMPLICIT_DEFAULTS.valueScale };
  let model: MfModel = { params, table: initialTable(train.items, o.dim, IMPLICIT_DEFAULTS.initStd, rng.fork('init').normal) };
  let served: MfModel | undefined;
  const layout = { items: train.items, dim: o.dim };
  const vectorLength = updateLength(layout);
  const q = Math.min(1, o.clientsPerRound / train.users);
  const identities: SigningKeyPair[] = [];
  const identityOf = (u: number) => (identities[u] ??= generateSigningKeyPair(sodium));
  const evaluate = (m: MfModel): Record<string, number> => {
    const users = solveUsers(m, train);
    return negatives
      ? evaluateLeaveOneOut({ test: split.test, negatives, score: (u, items) => Float64Array.from(items, (i) => scorePair(m, users, u, i)), k: 10 })
      : evaluateFullRanking({ train, test: split.test, scoreAll: denseScorer(m, users), k: 20 });
  };
  const records: RoundRecord[] = [];
  const curve: ModelResults['curve'] = [];
  const bar = startProgress(`federated (${o.secagg ? 'secure' : 'plain'} aggregation)`, o.rounds);
  const sampleRng = rng.fork('sampling');
  const dropRng = rng.fork('dropout');
  const uniform01 = sodiumUniform01(sodium);
  for (let r = 1; r <= o.rounds; r++) {
    // Poisson sampling: each device joins independently with probability q (what the DP accountant assumes).
    const cohortUsers: number[] = [];
    for (let u = 0; u < train.users; u++) if (histories[u]!.items.length > 0 && sampleRng.float() < q) cohortUsers.push(u);
    const n = cohortUsers.length;
    const record: RoundRecord = { round: r, cohort: n, contributors: 0, status: 'aborted', bytesUpPerDevice: 0, bytesDownPerDevice: 0, deviceSeconds: 0, serverSeconds: 0, clippedDevices: 0 };
    const tp = performance.now();
    const prepared = prepareTable(model);
    const prepareSeconds = (performance.now() - tp) / 1000;
    const updates = new Map<number, Float32Array>();
    const computeSeconds = new Map<number, number>();
    for (const u of cohortUsers) {
      const tu = performance.now();
      updates.set(u, flattenUpdate(localUpdate(prepared, histories[u]!, { epochs: o.localEpochs, learningRate: LOCAL_LR }), layout));
      computeSeconds.set(u, (performance.now() - tu) / 1000 + prepareSeconds);
    }
    prepared.dispose();
    const drops = new Map<number, DropStage>();
    for (const u of cohortUsers) if (dropRng.float() < o.dropout) drops.set(u, STAGES[dropRng.int(STAGES.length)]!);
    let sum: Float64Array | undefined;
    let config: RoundConfig | undefined;
    try {
      config = n >= 3 ? roundConfigFor(n, o, vectorLength) : undefined;
    } catch (err) {
      record.reason = (err as Error).message;
    }
    if (!config) {
      record.reason ??= `cohort of ${n} is too small for secure aggregation`;
    } else if (o.secagg) {
      const ids = cohortUsers.map((u) => sodium.to_base64(identityOf(u).publicKey, sodium.base64_variants.URLSAFE_NO_PADDING));
      const byId = new Map(ids.map((id, j) => [id, cohortUsers[j]!]));
      const participants = new Map(
        ids.map((id) => {
          const u = byId.get(id)!;
          return [id, createParticipant({ sodium, identity: identityOf(u), uniform01, computeUpdate: async () => updates.get(u)!, onLog: (e) => e.clipped && record.clippedDevices++ })];
        }),
      );
      const dropById = new Map([...drops].map(([u, s]) => [ids[cohortUsers.indexOf(u)]!, s]));
      // The model hash devices sign is the SHA-256 of the model file they would download.
      const binding = { sessionId: sodium.to_base64(sodium.crypto_generichash(16, `round-${o.seed}-${r}`, null), sodium.base64_variants.URLSAFE_NO_PADDING), round: r, modelHash: sha256(encodeModel(model)) };
      const { outcome, stats } = await runInMemoryRound({ sodium, binding, modelVersion: r - 1, config, cohort: ids, expandMask: nodeChachaMask }, participants, dropById);
      const up = [...stats.bytesUp.values()];
      const down = [...stats.bytesDown.values()];
      record.bytesUpPerDevice = up.reduce((a, b) => a + b, 0) / Math.max(1, up.length);
      record.bytesDownPerDevice = down.reduce((a, b) => a + b, 0) / Math.max(1, down.length);
      const dev = ids.map((id) => (stats.deviceSeconds.get(id) ?? 0) + (computeSeconds.get(byId.get(id)!) ?? 0));
      record.deviceSeconds = dev.reduce((a, b) => a + b, 0) / Math.max(1, dev.length);
      record.serverSeconds = stats.serverSeconds;
      if (outcome.status === 'completed') {
        record.status = 'completed';
        record.contributors = outcome.contributors.length;
        sum = decodeSum(outcome.sum, config.scale);
      } else record.reason = outcome.reason;
    } else {
      const inputs = new Map<string, Uint32Array>();
      for (const u of cohortUsers) {
        const clip = clipToNorm(updates.get(u)!, config.clipNorm);
        if (clip.wasClipped) record.clippedDevices++;
        inputs.set(String(u), encode(clip.clipped, { scale: config.scale, clipNorm: config.clipNorm }, uniform01).encoded);
      }
      const ts = performance.now();
      const res = await createPlainAggregator().aggregate({ inputs, threshold: config.threshold, drops: new Map([...drops].map(([u, s]) => [String(u), s])) });
      record.serverSeconds = (performance.now() - ts) / 1000;
      record.bytesUpPerDevice = 4 * vectorLength;
      record.deviceSeconds = [...computeSeconds.values()].reduce((a, b) => a + b, 0) / Math.max(1, n);
      if (res.status === 'completed') {
        record.status = 'completed';
        record.contributors = res.contributors.length;
        sum = decodeSum(res.sum, config.scale);
      } else record.reason = res.reason;
    }
    if (sum) {
      const ts = performance.now();
      model = applyServerStep(model, splitAggregate(sum, layout), { serverLearningRate: o.serverLearningRate, biasLearningRate: 1, localLearningRate: LOCAL_LR, lambda: params.lambda, population: train.users });
      served = averageModels(served, model, o.averaging);
      record.serverSeconds += (performance.now() - ts) / 1000;
    }
    if (served && (r % o.evalEvery === 0 || r === o.rounds)) {
      record.metrics = pick(evaluate(served));
      curve.push({ epoch: r, ...record.metrics });
    }
    records.push(record);
    const main = record.metrics ? Object.entries(record.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ') : '';
    bar.update(r, `${record.status} n=${n} ${main}`);
  }
  bar.stop();
  const final = served ?? model;
  const users = solveUsers(final, train);
  const metrics: Metrics = { ...pick(evaluate(final)), ...beyondAccuracy(o.data, train, denseScorer(final, users), final) };
  const pop = itemPopScorer(train);
  const baseline: Metrics = pick(negatives ? evaluateLeaveOneOut({ test: split.test, negatives, score: pop.score, k: 10 }) : evaluateFullRanking({ train, test: split.test, scoreAll: pop.scoreAll, k: 20 }));
  const completed = records.filter((x) => x.status === 'completed');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const results = {
    experiment: 'federated',
    dataset: datasetSummary(o.data),
    protocol: o.protocol,
    config: {
      model: 'implicit MF, federated (local ridge re-solve + dense item-table update; server step preconditioned by Σuuᵀ and per-item curvature; served table = EMA of iterates)',
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
    },
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
