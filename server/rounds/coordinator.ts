// The round coordinator: samples a cohort, runs a secure round over the device channels with stage
// deadlines, and turns the unmasked sum into the next model version with its provenance.
import { sha256 } from '@noble/hashes/sha2.js';
import type { Sodium } from '../../shared/secagg/sodium';
import type { MaskApplier } from '../../shared/secagg/masking';
import { decodeSum } from '../../shared/secagg/fixed-point';
import { secureSettingsFor } from '../../shared/secagg/round-settings';
import { ProtocolError } from '../../shared/protocol/errors';
import type { RoundConfig } from '../../shared/protocol/messages';
import { decodeModel, encodeModel } from '../../models/serialize';
import { clipFlagIndex, splitAggregate, updateLength } from '../../models/federated/update-vector';
import { applyServerStep } from '../../models/federated/server-step';
import { checkPrivacySettings, roundNoise, type PrivacySettings } from '../../shared/dp/mechanism';
import { compose, createAccountant, epsilon as epsilonOf, wouldExceed, type Account } from '../../shared/dp/accountant';
import { sampleDiscreteGaussianVector } from '../../shared/dp/discrete-gaussian';
import { sodiumRandomBytes } from '../../shared/secagg/random';
import type { ModelVersion } from '../store/store';
import type { Store } from '../store/store';
import type { DeviceChannel, RoundHost, RoundMessage } from './host';
import { createSecureRound, type Outgoing, type SecureRound } from './secure-round';

/** Training settings of a deployment. */
export interface TrainingSettings {
  /** Poisson sampling rate q: each eligible device joins a round with this probability. */
  samplingRate: number;
  graph: 'complete' | 'sparse';
  clipNorm: number;
  localEpochs: number;
  serverLearningRate: number;
  stageTimeoutMs: number;
  /** A round needs at least this many sampled devices (never fewer than the graph's threshold allows). */
  minCohort: number;
  /** Differential privacy (default off); its account is kept per `population`. */
  privacy?: PrivacySettings;
  /** The training population the privacy account belongs to (one per shard). Default 'default'. */
  population?: string;
}

/** What a finished (or refused) round reports. */
export type RoundSummary =
  | { status: 'skipped'; reason: string }
  | { status: 'aborted'; reason: string; roundId: number }
  | { status: 'completed'; roundId: number; modelVersion: number; contributors: number };

/** Options of the coordinator. */
export interface CoordinatorOptions {
  store: Store;
  sodium: Sodium;
  settings: TrainingSettings;
  /** Uniform [0, 1) draws for cohort sampling (a CSPRNG in production). */
  uniform01: () => number;
  /** How masks are stripped from a round's sum (the server's parallel applier); default libsodium on this thread. */
  applyMasks?: MaskApplier;
  now?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** The coordinator is the gateway's RoundHost, plus the operator's handle to run rounds. */
export interface Coordinator extends RoundHost {
  runRound(): Promise<RoundSummary>;
  connectedDevices(): number;
  /** Connected devices whose owners allow training (the population a round samples from). */
  eligibleDevices(): number;
  roundInProgress(): boolean;
}

function checkSettings(s: TrainingSettings): void {
  if (!(s.samplingRate > 0 && s.samplingRate <= 1)) throw new RangeError(`samplingRate must be in (0, 1], got ${s.samplingRate}`);
  if (!(s.clipNorm > 0) || !Number.isFinite(s.clipNorm)) throw new RangeError(`clipNorm must be a positive number, got ${s.clipNorm}`);
  if (!Number.isInteger(s.minCohort) || s.minCohort < 3) throw new RangeError(`minCohort must be an integer ≥ 3, got ${s.minCohort}`);
  if (!Number.isInteger(s.stageTimeoutMs) || s.stageTimeoutMs < 10) throw new RangeError(`stageTimeoutMs must be an integer ≥ 10, got ${s.stageTimeoutMs}`);
  if (s.privacy) checkPrivacySettings(s.privacy);
  if (s.population !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(s.population)) throw new RangeError(`population must be 1–64 letters, digits, '_', '.' or '-', got ${JSON.stringify(s.population)}`);
}

/**
 * The privacy account of the lineage that ends in `latest`: every DP version carries its full history, so the
 * latest one is enough. A lineage with a round run without noise has no bounded ε: refuse to add DP rounds to it.
 */
export function accountOf(latest: ModelVersion, population: string): Account | { refused: string } {
  const p = latest.provenance.privacy;
  if (!p) {
    if (latest.provenance.round === null) return createAccountant();
    return { refused: `model version ${latest.version} was trained without noise: its ε is unbounded, so differentially private rounds cannot be added to it (start from a fresh model)` };
  }
  if (p.population !== population) return { refused: `model version ${latest.version} is charged to population "${p.population}", not "${population}"` };
  return p.history.reduce((account, setting) => compose(account, setting), createAccountant());
}

/** Create the coordinator. */
export function createCoordinator(o: CoordinatorOptions): Coordinator {
  checkSettings(o.settings);
  const { sodium, store, settings } = o;
  const now = o.now ?? Date.now;
  const randomBytes = sodiumRandomBytes(sodium);
  const log = o.log ?? (() => {});
  const channels = new Map<string, DeviceChannel>();
  const consent = new Map<string, boolean>();
  let active: { round: SecureRound; finish: () => void; timer?: ReturnType<typeof setTimeout>; stage: string } | undefined;

  const dispatch = (out: Outgoing[]): void => {
    for (const { to, message } of out) channels.get(to)?.send(message);
    if (!active) return;
    if (active.round.stage === 'done') {
      if (active.timer) clearTimeout(active.timer);
      active.finish();
    } else if (active.round.stage !== active.stage || !active.timer) {
      // A new stage opened: its deadline starts now.
      active.stage = active.round.stage;
      if (active.timer) clearTimeout(active.timer);
      active.timer = setTimeout(() => active && dispatch(active.round.expire()), settings.stageTimeoutMs);
    }
  };

  const runRound = async (): Promise<RoundSummary> => {
    if (active) return { status: 'skipped', reason: 'a round is already in progress' };
    const latest = await store.latestModel();
    if (!latest) return { status: 'skipped', reason: 'no model to train: store an initial model version first' };
    const model = decodeModel(latest.data);
    const privacy = settings.privacy && settings.privacy.mode !== 'off' ? settings.privacy : undefined;
    const population = settings.population ?? 'default';
    let account: Account | undefined;
    if (privacy) {
      const a = accountOf(latest, population);
      if ('refused' in a) return { status: 'skipped', reason: a.refused };
      account = a;
      // The accountant is told about the round before it runs, with the very q and σ the round will use.
      if (wouldExceed(account, { samplingRate: settings.samplingRate, noiseMultiplier: privacy.noiseMultiplier }, { epsilon: privacy.epsilonBudget, delta: privacy.delta })) {
        const spent = epsilonOf(account, privacy.delta).epsilon;
        return { status: 'skipped', reason: `privacy budget: ε = ${spent.toFixed(3)} spent of ${privacy.epsilonBudget} at δ = ${privacy.delta}; one more round would exceed it, so training has stopped` };
      }
    }
    const eligible = [...channels.keys()].filter((d) => consent.get(d)).sort();
    // Poisson sampling with a known rate, so a privacy accountant applies (Chua et al. 2024).
    const cohort = eligible.filter(() => o.uniform01() < settings.samplingRate);
    let secure;
    try {
      secure = secureSettingsFor(cohort.length, settings.graph, settings.clipNorm, privacy);
    } catch (err) {
      return { status: 'skipped', reason: `cohort of ${cohort.length}: ${(err as Error).message}` };
    }
    // Every cohort member is an enrolled, authenticated device (the gateway admits no others).
    if (cohort.length < Math.max(settings.minCohort, secure.threshold + 1)) {
      return { status: 'skipped', reason: `sampled ${cohort.length} of ${eligible.length} eligible devices; a round needs at least ${Math.max(settings.minCohort, secure.threshold + 1)} distinct enrolled devices` };
    }
    const layout = { items: model.table.items, dim: model.table.dim };
    const noise = privacy ? roundNoise(privacy, { clipNorm: settings.clipNorm, scale: secure.scale, dimension: updateLength(layout), threshold: secure.threshold }) : undefined;
    const config: RoundConfig = { ...secure, vectorLength: updateLength(layout), clipFlagIndex: clipFlagIndex(layout), clipNorm: settings.clipNorm, localEpochs: settings.localEpochs, localLearningRate: 1, deviceNoiseStd: noise?.deviceSigma ?? 0, stageTimeoutMs: settings.stageTimeoutMs };
    const sessionId = sodium.to_base64(sodium.randombytes_buf(16), sodium.base64_variants.URLSAFE_NO_PADDING);
    const startedAt = now();
    const record = await store.roundStarted({ sessionId, round: 1, cohortSize: cohort.length, startedAt });
    const round = createSecureRound({ sodium, binding: { sessionId, round: 1, modelHash: sodium.from_hex(latest.sha256) }, modelVersion: latest.version, config, cohort, ...(o.applyMasks && { applyMasks: o.applyMasks }) });
    log('round.started', { roundId: record.id, cohort: cohort.length, threshold: config.threshold, graph: config.graph.kind });
    const done = new Promise<void>((resolve) => {
      active = { round, finish: resolve, stage: round.stage };
    });
    dispatch(round.start());
    await done;
    active = undefined;
    const outcome = round.outcome!;
    if (outcome.status === 'aborted') {
      await store.roundEnded(record.id, { status: 'aborted', reason: outcome.reason, survivors: 0, endedAt: now() });
      log('round.aborted', { roundId: record.id, reason: outcome.reason });
      return { status: 'aborted', reason: outcome.reason, roundId: record.id };
    }
    if (noise && noise.serverSigma > 0) {
      // Central DP: integer noise from the CSPRNG, added in the fixed-point domain before anything is decoded.
      const z = sampleDiscreteGaussianVector(outcome.sum.length, noise.serverSigma, randomBytes);
      for (let n = 0; n < z.length; n++) outcome.sum[n] = (outcome.sum[n]! + z[n]!) >>> 0;
    }
    const sum = splitAggregate(decodeSum(outcome.sum, config.scale), layout);
    // With noise, the count in the sum is noisy too: divide by the expected cohort q·N instead (the
    // fixed-denominator estimator of DP-FedAvg, McMahan et al. 2018), N being the eligible population.
    if (privacy) sum.count = Math.max(1, settings.samplingRate * eligible.length);
    const populationSize = Math.max(cohort.length, Math.round(cohort.length / settings.samplingRate), eligible.length);
    const next = applyServerStep(model, sum, { serverLearningRate: settings.serverLearningRate, biasLearningRate: 1, localLearningRate: 1, lambda: model.params.lambda, population: populationSize, deltaNoiseStd: noise ? noise.sumSigma / config.scale : 0 });
    const spent = privacy && account ? compose(account, { samplingRate: settings.samplingRate, noiseMultiplier: privacy.noiseMultiplier, steps: 1 }) : undefined;
    const data = encodeModel(next);
    const version = latest.version + 1;
    await store.putModelVersion({
      version,
      createdAt: now(),
      data,
      provenance: {
        round: record.id,
        cohortSize: cohort.length,
        survivors: outcome.contributors.length,
        clipNorm: settings.clipNorm,
        valuesClipped: Math.max(0, Math.round(sum.clipped)), // clipped updates, counted by the secure sum
        bytesIn: outcome.bytesIn,
        bytesOut: outcome.bytesOut,
        durationMs: now() - startedAt,
        epsilon: spent && privacy ? epsilonOf(spent, privacy.delta).epsilon : null,
        privacy:
          spent && privacy
            ? { population, mode: privacy.mode as 'central' | 'distributed', samplingRate: settings.samplingRate, noiseMultiplier: privacy.noiseMultiplier, delta: privacy.delta, history: spent.history.map((h) => ({ ...h })) }
            : null,
      },
    });
    await store.roundEnded(record.id, { status: 'completed', reason: null, survivors: outcome.contributors.length, endedAt: now() });
    log('round.completed', { roundId: record.id, modelVersion: version, contributors: outcome.contributors.length, sha256: Buffer.from(sha256(data)).toString('hex').slice(0, 12) });
    return { status: 'completed', roundId: record.id, modelVersion: version, contributors: outcome.contributors.length };
  };

  return {
    connected(channel, c) {
      const previous = channels.get(channel.deviceId);
      channels.set(channel.deviceId, channel);
      consent.set(channel.deviceId, c.training);
      log('device.connected', { training: c.training });
      if (previous && previous !== channel && active) dispatch(active.round.drop(channel.deviceId)); // a reconnect cannot resume a round
    },
    consentChanged(deviceId, c) {
      consent.set(deviceId, c.training);
      log('device.consent', { training: c.training });
    },
    receive(deviceId: string, message: RoundMessage) {
      if (!active) throw new ProtocolError('round.unknown', 'no round is open');
      const bytes = message.type === 'masked' ? 4 * message.vector.length : JSON.stringify(message).length;
      dispatch(active.round.receive(deviceId, message, bytes));
    },
    disconnected(deviceId) {
      channels.delete(deviceId);
      if (active) dispatch(active.round.drop(deviceId));
    },
    runRound,
    connectedDevices: () => channels.size,
    eligibleDevices: () => [...channels.keys()].filter((d) => consent.get(d)).length,
    roundInProgress: () => active !== undefined,
  };
}
