// A deployment simulated in one process, on the server's own code: its store, its sampling (the PRF of the round
// seed and each device's key), its round configuration, its end of round and commit, and (for the unlearning
// benchmark) its deletion service. Only the transport is replaced: devices are users of a dataset, running the
// real local update and either the real secure-aggregation participant (in memory) or a plain fixed-point sum,
// which equals it (test/conformance). Everything random is seeded per device and round, so removing one user
// changes nothing for the others: the property exact forgetting is checked against.
import _sodium from 'libsodium-wrappers';
import { sha256 } from '@noble/hashes/sha2.js';
import type { History } from '../../shared/model/reconstruct';
import { createRng } from '../../shared/math/random';
import { clipToNorm, encode } from '../../shared/secagg/fixed-point';
import type { Sodium } from '../../shared/secagg/sodium';
import type { SigningKeyPair } from '../../shared/secagg/sign';
import type { PrivacySettings } from '../../shared/dp/mechanism';
import { toBase64Url } from '../../shared/protocol/encoding';
import type { MfModel } from '../../models/mf/model';
import { localUpdate, prepareTable } from '../../models/local-update';
import { flattenUpdate } from '../../models/federated/update-vector';
import { LOCAL_LEARNING_RATE, type EndOfRoundSettings } from '../../models/federated/end-of-round';
import { addDeviceNoise, createParticipant } from '../../client/rounds/participant';
import { memorySpentModels, type SpentModels } from '../../client/rounds/spent-models';
import type { Store } from '../../server/store/store';
import { STAGE_ORDER } from '../../shared/secagg/stages';
import { finishRound } from '../../server/training/finish-round';
import { activePrivacy, roundConfig } from '../../server/training/round-config';
import { charge } from '../../server/training/privacy-account';
import { SAFETY_DEFAULTS } from '../../server/training/defaults';
import type { SafetySettings } from '../../shared/secagg/round-settings';
import { sampleCohort } from '../../server/training/sampling';
import { loadShard, loadShards, type ShardView } from '../../server/training/shard-state';
import { shardOf } from '../../server/training/sharding';
import { initialiseWith } from '../../server/training/initial-model';
import type { CheckpointSpacing } from '../../server/training/checkpoint-policy';
import { createParallelMaskApplier } from '../../server/crypto/parallel-masks';
import type { RoundControl } from '../../server/forgetting/deletion-service';
import { createPlainAggregator } from './plain-aggregator';
import type { DropStage } from './aggregator';
import { runInMemoryRound } from './in-memory-round';

// Where devices drop: the stages they spend time in. The reveal stage is one message right after advertising (a drop
// there aborts a sparse round by design: shared/secagg/transcript.ts, graphSeed), so the simulation leaves it out.
const STAGES: DropStage[] = STAGE_ORDER.filter((s) => s !== 'reveal');
/** The simulated deployment's floor, as `npm start --min-cohort 3`. */
const MIN_COHORT = 3;

/** How the simulated deployment trains. */
export interface DeploymentOptions {
  store: Store;
  /** The users' training histories (index = user); users with an empty history never train. */
  histories: readonly History[];
  /** Each shard's initial model (their number is the number of shards). */
  initial: readonly MfModel[];
  seed: number;
  samplingRate: number;
  secagg: boolean;
  graph: 'complete' | 'sparse';
  clipNorm: number;
  localEpochs: number;
  dropout: number;
  privacy?: PrivacySettings | undefined;
  /** The adversary the thresholds are sized for (default the server's, SAFETY_DEFAULTS); tiny test deployments pass γ = 0. */
  safety?: SafetySettings;
  endOfRound: EndOfRoundSettings;
  checkpoints: { keep: number; spacing: CheckpointSpacing };
  /** A CSPRNG for DP noise (a seeded one only where a test needs exact replays). */
  randomBytes: (n: number) => Uint8Array;
}

/** What one simulated round did. */
export interface SimulatedRound {
  shard: number;
  status: 'completed' | 'aborted' | 'skipped';
  reason?: string;
  cohort: number;
  contributors: number[];
  /** The served version it made. */
  modelVersion?: number;
  clippedDevices: number;
  bytesUpPerDevice: number;
  bytesDownPerDevice: number;
  deviceSeconds: number;
  serverSeconds: number;
  /** Each cohort member's flattened update, and what the server observed (for the curious-server attack), when asked. */
  updates?: Map<number, Float32Array>;
  released?: Float64Array;
  scale?: number;
  clipNorm?: number;
}

/** A running simulated deployment. */
export interface Deployment {
  readonly store: Store;
  readonly shardCount: number;
  /** The shards as the server holds them. */
  shards(): readonly ShardView[];
  /** The device id of a user (a deterministic Ed25519 key), and back. */
  deviceId(user: number): string;
  identity(user: number): SigningKeyPair;
  userOf(deviceId: string): number | undefined;
  shardOfUser(user: number): number;
  /** Run one round on a shard. */
  round(shard: number, options?: { keepUpdates?: boolean }): Promise<SimulatedRound>;
  /** Stop a user from training (its deletion was asked). */
  exclude(user: number): void;
  /** Re-read a shard from the store (after a rollback). */
  reload(shard: number): Promise<void>;
  /** What the deletion service needs of the rounds (server/forgetting/deletion-service.ts): the simulation's coordinator. */
  readonly control: RoundControl;
  close(): Promise<void>;
}

/** Create the deployment: initialise the store, register every user with a history as a device that allows training. */
export async function createDeployment(o: DeploymentOptions): Promise<Deployment> {
  await _sodium.ready;
  const sodium: Sodium = _sodium;
  const masks = o.secagg ? createParallelMaskApplier(sodium) : undefined;
  const S = o.initial.length;
  const layout = { items: o.initial[0]!.table.items, dim: o.initial[0]!.table.dim };
  let clock = 0;
  const now = () => clock;
  await initialiseWith(o.store, o.initial, now());
  let views = await loadShards(o.store);
  const identities = new Map<number, SigningKeyPair>();
  const identity = (u: number): SigningKeyPair => {
    let id = identities.get(u);
    if (!id) {
      const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(sha256(new TextEncoder().encode(`confidant/bench-device/${o.seed}/${u}`)));
      identities.set(u, (id = { publicKey, privateKey }));
    }
    return id;
  };
  // Each simulated device's record of the models it contributed to lives as long as the simulation (its whole life).
  const spentRecords = new Map<number, SpentModels>();
  const spentOf = (u: number): SpentModels => spentRecords.get(u) ?? spentRecords.set(u, memorySpentModels()).get(u)!;
  const ids: string[] = o.histories.map((_, u) => toBase64Url(identity(u).publicKey));
  const userById = new Map(ids.map((id, u) => [id, u]));
  const excluded = new Set<number>();
  for (const [u, h] of o.histories.entries()) {
    if (h.items.length === 0) continue;
    await o.store.registerDevice(ids[u]!, 0);
    await o.store.setConsent(ids[u]!, true);
  }
  const samplingKey = sha256(new TextEncoder().encode(`confidant/bench-sampling/${o.seed}`));
  const shardOfUser = (u: number) => shardOf(ids[u]!, S);
  const members = Array.from({ length: S }, (_, s) => o.histories.map((h, u) => (h.items.length > 0 && shardOfUser(u) === s ? ids[u]! : undefined)).filter((id): id is string => id !== undefined).sort());

  const reload = async (shard: number) => {
    const fresh = await loadShard(o.store, shard);
    views = views.map((v) => (v.shard === shard ? fresh : v));
  };

  const round = async (shard: number, options: { keepUpdates?: boolean } = {}): Promise<SimulatedRound> => {
    clock++;
    const view = views[shard]!;
    const { lineage } = view;
    const step = view.checkpoint.step;
    const live = members[shard]!.filter((id) => !excluded.has(userById.get(id)!));
    const already = await o.store.contributedAt(shard, step, live);
    const eligible = live.filter((id) => !already.has(id));
    const skip: SimulatedRound = { shard, status: 'skipped', cohort: 0, contributors: [], clippedDevices: 0, bytesUpPerDevice: 0, bytesDownPerDevice: 0, deviceSeconds: 0, serverSeconds: 0 };
    if (eligible.length < MIN_COHORT) return { ...skip, reason: `${eligible.length} eligible devices, too few for a round` }; // no draw: free
    const attempt = await o.store.roundsAt(shard, lineage, step);
    const cohortIds = sampleCohort(samplingKey, { shard, lineage, step, attempt }, eligible, o.samplingRate);
    const cohort = cohortIds.map((id) => userById.get(id)!);
    const tag = `${shard}/${lineage}/${step}/${attempt}`;
    const out: SimulatedRound = { ...skip, cohort: cohort.length };
    // A draw too small to run is recorded as an attempt and, with DP, charged, as the coordinator does (see there why).
    const skippedAfterDraw = async (reason: string): Promise<SimulatedRound> => {
      if (o.samplingRate === 1) return { ...out, reason };
      const privacy = activePrivacy(o.privacy);
      const account = privacy ? charge(view.account, { samplingRate: o.samplingRate, noiseMultiplier: privacy.noiseMultiplier }) : null;
      await o.store.roundSkipped({ shard, lineage, step, sessionId: `bench-${o.seed}-${tag}`, cohortSize: cohort.length, reason: reason.slice(0, 500), at: now(), account });
      if (account) views = views.map((v) => (v.shard === shard ? { ...v, account } : v));
      return { ...out, reason };
    };
    let planned: ReturnType<typeof roundConfig>;
    try {
      planned = roundConfig(cohort.length, layout, { graph: o.graph, clipNorm: o.clipNorm, localEpochs: o.localEpochs, stageTimeoutMs: 60_000, privacy: o.privacy, safety: o.safety ?? SAFETY_DEFAULTS });
    } catch (err) {
      return skippedAfterDraw(`cohort of ${cohort.length}: ${(err as Error).message}`);
    }
    const { config, noise } = planned;
    if (cohort.length < Math.max(MIN_COHORT, config.threshold + 1)) return skippedAfterDraw(`sampled ${cohort.length} devices, too few for a round`);
    const tp = performance.now();
    const prepared = prepareTable(view.models.training);
    const prepareSeconds = (performance.now() - tp) / 1000;
    const updates = new Map<number, Float32Array>();
    const computeSeconds = new Map<number, number>();
    for (const u of cohort) {
      const tu = performance.now();
      updates.set(u, flattenUpdate(localUpdate(prepared, o.histories[u]!, { epochs: o.localEpochs, learningRate: LOCAL_LEARNING_RATE }), layout));
      computeSeconds.set(u, (performance.now() - tu) / 1000 + prepareSeconds);
    }
    prepared.dispose();
    // Every device's randomness comes from its own generator for this round: no user's presence moves another's draws.
    const deviceRng = (u: number, what: string) => createRng(o.seed).fork(`${what}/${tag}/${u}`);
    const drops = new Map<number, DropStage>();
    for (const u of cohort) {
      const r = deviceRng(u, 'dropout');
      if (r.float() < o.dropout) drops.set(u, STAGES[r.int(STAGES.length)]!);
    }
    const startedAt = now();
    const record = await o.store.roundStarted({ shard, lineage, step, sessionId: `bench-${o.seed}-${tag}`, round: 1, cohortSize: cohort.length, startedAt });
    let sum: Uint32Array | undefined;
    let contributors: number[] = [];
    let bytesIn = 0;
    let bytesOut = 0;
    let announce: ((r: { status: 'completed'; modelVersion: number }) => Promise<void>) | undefined;
    if (o.secagg) {
      const participants = new Map(
        cohort.map((u) => [
          ids[u]!,
          createParticipant({ sodium, identity: identity(u), spent: spentOf(u), uniform01: deviceRng(u, 'rounding').float, computeUpdate: async () => updates.get(u)!, onLog: (e) => e.clipped && out.clippedDevices++ }),
        ]),
      );
      const dropById = new Map([...drops].map(([u, s]) => [ids[u]!, s]));
      const binding = { sessionId: toBase64Url(sha256(new TextEncoder().encode(`bench-session/${o.seed}/${tag}`)).subarray(0, 16)), round: 1, modelHash: sha256(view.trainingFile) };
      const result = await runInMemoryRound({ sodium, binding, shard, modelVersion: 0, config, cohort: cohortIds, ...(masks && { applyMasks: masks.apply }) }, participants, dropById);
      const up = [...result.stats.bytesUp.values()];
      const down = [...result.stats.bytesDown.values()];
      out.bytesUpPerDevice = up.reduce((a, b) => a + b, 0) / Math.max(1, up.length);
      out.bytesDownPerDevice = down.reduce((a, b) => a + b, 0) / Math.max(1, down.length);
      const dev = cohort.map((u) => (result.stats.deviceSeconds.get(ids[u]!) ?? 0) + (computeSeconds.get(u) ?? 0));
      out.deviceSeconds = dev.reduce((a, b) => a + b, 0) / Math.max(1, dev.length);
      out.serverSeconds = result.stats.serverSeconds;
      announce = result.announce;
      if (result.outcome.status === 'completed') {
        sum = result.outcome.sum;
        contributors = result.outcome.contributors.map((id) => userById.get(id)!);
        ({ bytesIn, bytesOut } = result.outcome);
      } else out.reason = result.outcome.reason;
    } else {
      const inputs = new Map<string, Uint32Array>();
      for (const u of cohort) {
        const clip = clipToNorm(updates.get(u)!, config.clipNorm);
        if (clip.wasClipped) out.clippedDevices++;
        // Simulated devices round with a seeded PRNG (the same distribution); a real device uses the CSPRNG.
        const encoded = encode(clip.clipped, { scale: config.scale, clipNorm: config.clipNorm }, deviceRng(u, 'rounding').float).encoded;
        if (config.deviceNoiseStd > 0) addDeviceNoise(encoded, config.deviceNoiseStd, o.randomBytes);
        inputs.set(ids[u]!, encoded);
      }
      const ts = performance.now();
      const res = await createPlainAggregator().aggregate({ inputs, threshold: config.threshold, drops: new Map([...drops].map(([u, s]) => [ids[u]!, s])) });
      out.serverSeconds = (performance.now() - ts) / 1000;
      out.bytesUpPerDevice = 4 * config.vectorLength;
      out.deviceSeconds = [...computeSeconds.values()].reduce((a, b) => a + b, 0) / Math.max(1, cohort.length);
      if (res.status === 'completed') {
        sum = res.sum;
        contributors = res.contributors.map((id) => userById.get(id)!);
        bytesIn = 4 * config.vectorLength * contributors.length;
      } else out.reason = res.reason;
    }
    if (!sum) {
      await o.store.roundAborted(record.id, { reason: (out.reason ?? 'aborted').slice(0, 500), survivors: 0, endedAt: now() });
      return { ...out, status: 'aborted' };
    }
    const ts = performance.now();
    // The server's own end of round and commit (server/training/finish-round.ts), exactly as `npm start` runs it.
    const finished = await finishRound({
      store: o.store,
      shards: views,
      shard,
      round: { roundId: record.id, lineage, startedAt, cohortSize: cohort.length, contributors: contributors.map((u) => ids[u]!), bytesIn, bytesOut, sum, config, noise, samplingRate: o.samplingRate, population: eligible.length },
      privacy: o.privacy,
      settings: o.endOfRound,
      checkpoints: o.checkpoints,
      randomBytes: o.randomBytes,
      now,
    });
    views = views.map((v) => (v.shard === shard ? finished.view : v));
    await announce?.({ status: 'completed', modelVersion: finished.version.version });
    out.serverSeconds += (performance.now() - ts) / 1000;
    return {
      ...out,
      status: 'completed',
      contributors,
      modelVersion: finished.version.version,
      ...(options.keepUpdates && { updates, released: finished.released, scale: config.scale, clipNorm: config.clipNorm }),
    };
  };

  return {
    store: o.store,
    shardCount: S,
    shards: () => views,
    deviceId: (u) => ids[u]!,
    identity,
    userOf: (id) => userById.get(id),
    shardOfUser,
    round,
    exclude: (u) => excluded.add(u),
    reload,
    control: {
      async exclude(deviceId) {
        const u = deviceId === undefined ? undefined : userById.get(deviceId);
        if (u !== undefined) excluded.add(u);
      },
      resume: reload,
      shards: async () => views,
    },
    async close() {
      await masks?.close();
    },
  };
}
