// The federated experiment: rounds of Poisson-sampled devices running the real local update and the real
// secure-aggregation participant against the real server round, in one process (no sockets).
import _sodium from 'libsodium-wrappers';
import path from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import { sha256 } from '@noble/hashes/sha2.js';
import { createRng } from '../../shared/math/random';
import { evaluateFullRanking, evaluateLeaveOneOut, itemPopScorer, leaveOneOutSplit, perUserHoldoutSplit, sampleNegatives, type Metrics } from '../../shared/metrics';
import { generateSigningKeyPair, type SigningKeyPair } from '../../shared/secagg/sign';
import { clipToNorm, encode } from '../../shared/secagg/fixed-point';
import type { Sodium } from '../../shared/secagg/sodium';
import { sodiumRandomBytes, sodiumUniform01 } from '../../shared/secagg/random';
import type { PrivacySettings } from '../../shared/dp/mechanism';
import { buildHistories } from '../../models/mf/histories';
import { initialTable, type MfModel } from '../../models/mf/model';
import { IMPLICIT_DEFAULTS } from '../../models/mf/implicit-als';
import { localUpdate, prepareTable } from '../../models/local-update';
import { flattenUpdate, updateLength } from '../../models/federated/update-vector';
import { LOCAL_LEARNING_RATE } from '../../models/federated/end-of-round';
import { denseScorer, scorePair, solveUsers } from '../../models/mf/scoring';
import { addDeviceNoise, createParticipant } from '../../client/rounds/participant';
import { MemoryStore } from '../../server/store/memory-store';
import { finishRound } from '../../server/training/finish-round';
import { roundConfig } from '../../server/training/round-config';
import { loadShards } from '../../server/training/shard-state';
import { initialiseWith } from '../../server/training/initial-model';
import { accountEpsilon } from '../../server/training/privacy-account';
import { itemInferenceAuc, popularityPriorAuc } from '../privacy/item-inference';
import { createPlainAggregator } from '../simulation/plain-aggregator';
import type { DropStage } from '../simulation/aggregator';
import { runInMemoryRound } from '../simulation/in-memory-round';
import { createParallelMaskApplier } from '../../server/crypto/parallel-masks';
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

const STAGES: DropStage[] = ['advertise', 'shares', 'masked', 'confirm', 'unmask'];
/** The benchmark trains one shard (the unlearning benchmark compares shard counts). */
const SHARD = 0;

/** Run federated training and write results.json and report.html. */
export async function runFederated(o: FederatedOptions): Promise<ModelResults & { rounds: RoundRecord[]; bytesPerDevice: { up: number; down: number; plainUpdate: number }; privacy: { epsilon: number; delta: number | null; noiseMultiplier: number; samplingRate: number; roundsCharged: number }; attack: AttackResult | undefined }> {
  await _sodium.ready;
  const sodium: Sodium = _sodium;
  const masks = createParallelMaskApplier(sodium);
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
  // The server's own state and end of round: an in-memory store initialised like a deployment's.
  const store = new MemoryStore();
  let clock = 0;
  const now = () => clock;
  await initialiseWith(store, [{ params, table: initialTable(train.items, o.dim, IMPLICIT_DEFAULTS.initStd, rng.fork('init').normal) }], now());
  let shards = await loadShards(store);
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
  const randomBytes = sodiumRandomBytes(sodium);
  const roundingRng = rng.fork('rounding');
  let attack: AttackResult | undefined;
  const popularity = new Float64Array(train.items);
  for (let n = 0; n < train.item.length; n++) popularity[train.item[n]!]!++;
  const population = histories.filter((h) => h.items.length > 0).length;
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
    clock = r;
    const view = shards[SHARD]!;
    // Poisson sampling: each device joins independently with probability q (what the DP accountant assumes).
    const cohortUsers: number[] = [];
    for (let u = 0; u < train.users; u++) if (histories[u]!.items.length > 0 && sampleRng.float() < q) cohortUsers.push(u);
    const n = cohortUsers.length;
    const record: RoundRecord = { round: r, cohort: n, contributors: 0, status: 'aborted', bytesUpPerDevice: 0, bytesDownPerDevice: 0, deviceSeconds: 0, serverSeconds: 0, clippedDevices: 0 };
    const tp = performance.now();
    const prepared = prepareTable(view.models.training);
    const prepareSeconds = (performance.now() - tp) / 1000;
    const updates = new Map<number, Float32Array>();
    const computeSeconds = new Map<number, number>();
    for (const u of cohortUsers) {
      const tu = performance.now();
      updates.set(u, flattenUpdate(localUpdate(prepared, histories[u]!, { epochs: o.localEpochs, learningRate: LOCAL_LEARNING_RATE }), layout));
      computeSeconds.set(u, (performance.now() - tu) / 1000 + prepareSeconds);
    }
    prepared.dispose();
    const drops = new Map<number, DropStage>();
    for (const u of cohortUsers) if (dropRng.float() < o.dropout) drops.set(u, STAGES[dropRng.int(STAGES.length)]!);
    let planned: ReturnType<typeof roundConfig> | undefined;
    try {
      if (n >= 3) planned = roundConfig(n, layout, { graph: o.graph, clipNorm: o.clipNorm, localEpochs: o.localEpochs, stageTimeoutMs: 60_000, privacy });
    } catch (err) {
      record.reason = (err as Error).message;
    }
    let sum: Uint32Array | undefined;
    let contributors: number[] = [];
    let bytesIn = 0;
    let bytesOut = 0;
    let announceResult: ((result: { status: 'completed'; modelVersion: number }) => Promise<void>) | undefined;
    const roundRow = planned && (await store.roundStarted({ shard: SHARD, sessionId: `bench-${o.seed}-${r}`, round: 1, cohortSize: n, startedAt: now() }));
    if (!planned || !roundRow) {
      record.reason ??= `cohort of ${n} is too small for secure aggregation`;
    } else if (o.secagg) {
      const { config } = planned;
      const ids = cohortUsers.map((u) => sodium.to_base64(identityOf(u).publicKey, sodium.base64_variants.URLSAFE_NO_PADDING));
      const byId = new Map(ids.map((id, j) => [id, cohortUsers[j]!]));
      const participants = new Map(
        ids.map((id) => {
          const u = byId.get(id)!;
          return [id, createParticipant({ sodium, identity: identityOf(u), uniform01, computeUpdate: async () => updates.get(u)!, onLog: (e) => e.clipped && record.clippedDevices++ })];
        }),
      );
      const dropById = new Map([...drops].map(([u, s]) => [ids[cohortUsers.indexOf(u)]!, s]));
      // The model hash devices sign is the SHA-256 of the training file they would download.
      const binding = { sessionId: sodium.to_base64(sodium.crypto_generichash(16, `round-${o.seed}-${r}`, null), sodium.base64_variants.URLSAFE_NO_PADDING), round: r, modelHash: sha256(view.trainingFile) };
      const { outcome, stats, announce } = await runInMemoryRound({ sodium, binding, shard: SHARD, modelVersion: r - 1, config, cohort: ids, applyMasks: masks.apply }, participants, dropById);
      announceResult = announce;
      const up = [...stats.bytesUp.values()];
      const down = [...stats.bytesDown.values()];
      record.bytesUpPerDevice = up.reduce((a, b) => a + b, 0) / Math.max(1, up.length);
      record.bytesDownPerDevice = down.reduce((a, b) => a + b, 0) / Math.max(1, down.length);
      const dev = ids.map((id) => (stats.deviceSeconds.get(id) ?? 0) + (computeSeconds.get(byId.get(id)!) ?? 0));
      record.deviceSeconds = dev.reduce((a, b) => a + b, 0) / Math.max(1, dev.length);
      record.serverSeconds = stats.serverSeconds;
      if (outcome.status === 'completed') {
        sum = outcome.sum;
        contributors = outcome.contributors.map((id) => byId.get(id)!);
        ({ bytesIn, bytesOut } = outcome);
      } else record.reason = outcome.reason;
    } else {
      const { config } = planned;
      const inputs = new Map<string, Uint32Array>();
      for (const u of cohortUsers) {
        const clip = clipToNorm(updates.get(u)!, config.clipNorm);
        if (clip.wasClipped) record.clippedDevices++;
        // Simulated devices round with a seeded PRNG (the same distribution, 3× faster at 1,000 devices a round);
        // a real device, and every device in the secure-aggregation path above, uses the CSPRNG.
        const encoded = encode(clip.clipped, { scale: config.scale, clipNorm: config.clipNorm }, roundingRng.float).encoded;
        if (config.deviceNoiseStd > 0) addDeviceNoise(encoded, config.deviceNoiseStd, randomBytes);
        inputs.set(String(u), encoded);
      }
      const ts = performance.now();
      const res = await createPlainAggregator().aggregate({ inputs, threshold: config.threshold, drops: new Map([...drops].map(([u, s]) => [String(u), s])) });
      record.serverSeconds = (performance.now() - ts) / 1000;
      record.bytesUpPerDevice = 4 * vectorLength;
      record.deviceSeconds = [...computeSeconds.values()].reduce((a, b) => a + b, 0) / Math.max(1, n);
      if (res.status === 'completed') {
        sum = res.sum;
        contributors = res.contributors.map(Number);
        bytesIn = 4 * vectorLength * contributors.length;
      } else record.reason = res.reason;
    }
    if (planned && roundRow && sum) {
      const ts = performance.now();
      // The server's own end of round and commit (server/training/finish-round.ts), exactly as `npm start` runs it.
      const finished = await finishRound({
        store,
        shards,
        shard: SHARD,
        round: { roundId: roundRow.id, startedAt: roundRow.startedAt, cohortSize: n, contributors: contributors.length, bytesIn, bytesOut, sum, config: planned.config, noise: planned.noise, samplingRate: q, population },
        privacy,
        settings: { serverLearningRate: o.serverLearningRate, averaging: o.averaging },
        randomBytes,
        now,
      });
      shards = shards.map((s) => (s.shard === SHARD ? finished.view : s));
      await announceResult?.({ status: 'completed', modelVersion: finished.version.version });
      record.serverSeconds += (performance.now() - ts) / 1000;
      record.status = 'completed';
      record.contributors = contributors.length;
      if (r === o.rounds) attack = runAttack(contributors, updates, finished.released, planned.config.clipNorm);
    } else if (roundRow) {
      await store.roundAborted(roundRow.id, { reason: (record.reason ?? 'aborted').slice(0, 500), survivors: 0, endedAt: now() });
    }
    if (r % o.evalEvery === 0 || r === o.rounds) {
      record.metrics = pick(evaluate(shards[SHARD]!.models.served));
      curve.push({ epoch: r, ...record.metrics });
    }
    records.push(record);
    const main = record.metrics ? Object.entries(record.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ') : '';
    bar.update(r, `${record.status} n=${n} ${main}`);
  }
  bar.stop();
  const final = shards[SHARD]!.models.served;
  const account = shards[SHARD]!.account;
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
  await masks.close();
  await writeResults(o.out, results);
  await writeModelReport(path.join(o.out, 'report.html'), results);
  return results;
}

function pick(m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (k !== 'users') out[k] = v;
  return out;
}
