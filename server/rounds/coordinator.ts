// The round coordinator: picks a shard, samples its cohort, runs a secure round over the device channels with
// stage deadlines, and hands the unmasked sum to the end of round (server/training/finish-round.ts). Devices
// hear that a round completed only after its model version is committed.
import { sha256 } from '@noble/hashes/sha2.js';
import type { Sodium } from '../../shared/secagg/sodium';
import type { MaskApplier } from '../../shared/secagg/masking';
import { ProtocolError } from '../../shared/protocol/errors';
import { checkPrivacySettings, type PrivacySettings } from '../../shared/dp/mechanism';
import { sodiumRandomBytes } from '../../shared/secagg/random';
import { checkEndOfRoundSettings, type EndOfRoundSettings } from '../../models/federated/end-of-round';
import type { Store } from '../store/store';
import { finishRound } from '../training/finish-round';
import { refusal } from '../training/privacy-account';
import { activePrivacy, roundConfig } from '../training/round-config';
import { loadShards, type ShardView } from '../training/shard-state';
import { shardOf } from '../training/sharding';
import type { DeviceChannel, RoundHost, RoundMessage } from './host';
import { createSecureRound, type Outgoing, type SecureRound } from './secure-round';

/** Training settings of a deployment. */
export interface TrainingSettings {
  /** Poisson sampling rate q: each eligible device joins a round with this probability. */
  samplingRate: number;
  graph: 'complete' | 'sparse';
  clipNorm: number;
  localEpochs: number;
  /** The end of round's settings (models/federated/end-of-round.ts), the benchmarks' defaults. */
  endOfRound: EndOfRoundSettings;
  stageTimeoutMs: number;
  /** A round needs at least this many sampled devices (never fewer than the graph's threshold allows). */
  minCohort: number;
  /** Differential privacy (default off); its account is kept per shard. */
  privacy?: PrivacySettings;
}

/** What a finished (or refused) round reports. */
export type RoundSummary =
  | { status: 'skipped'; reason: string }
  | { status: 'aborted'; reason: string; roundId: number }
  | { status: 'completed'; roundId: number; modelVersion: number; contributors: number };

/** The stages a round passes through, as the coordinator reports them (events for operators and crash tests). */
export type RoundEvent = 'round.started' | 'round.stage' | 'round.committed' | 'round.completed' | 'round.aborted';

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
  /** Connected devices whose owners allow training (the population rounds sample from, over all shards). */
  eligibleDevices(): number;
  roundInProgress(): boolean;
}

function checkSettings(s: TrainingSettings): void {
  if (!(s.samplingRate > 0 && s.samplingRate <= 1)) throw new RangeError(`samplingRate must be in (0, 1], got ${s.samplingRate}`);
  if (!(s.clipNorm > 0) || !Number.isFinite(s.clipNorm)) throw new RangeError(`clipNorm must be a positive number, got ${s.clipNorm}`);
  if (!Number.isInteger(s.minCohort) || s.minCohort < 3) throw new RangeError(`minCohort must be an integer ≥ 3, got ${s.minCohort}`);
  if (!Number.isInteger(s.stageTimeoutMs) || s.stageTimeoutMs < 10) throw new RangeError(`stageTimeoutMs must be an integer ≥ 10, got ${s.stageTimeoutMs}`);
  checkEndOfRoundSettings(s.endOfRound);
  if (s.privacy) checkPrivacySettings(s.privacy);
}

const b64 = (sodium: Sodium, bytes: Uint8Array) => sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);

/** Create the coordinator. */
export function createCoordinator(o: CoordinatorOptions): Coordinator {
  checkSettings(o.settings);
  const { sodium, store, settings } = o;
  const now = o.now ?? Date.now;
  const randomBytes = sodiumRandomBytes(sodium);
  const log = o.log ?? (() => {});
  const channels = new Map<string, DeviceChannel>();
  const consent = new Map<string, boolean>();
  let shards: ShardView[] | undefined;
  let nextShard = 0;
  let active: { round: SecureRound; finish: () => void; timer?: ReturnType<typeof setTimeout>; stage: string; roundId: number } | undefined;

  const dispatch = (out: Outgoing[]): void => {
    for (const { to, message } of out) channels.get(to)?.send(message);
    if (!active) return;
    if (active.round.stage === 'done') {
      if (active.timer) clearTimeout(active.timer);
      active.finish();
    } else if (active.round.stage !== active.stage || !active.timer) {
      // A new stage opened: its deadline starts now.
      active.stage = active.round.stage;
      log('round.stage', { roundId: active.roundId, stage: active.stage });
      if (active.timer) clearTimeout(active.timer);
      active.timer = setTimeout(() => active && dispatch(active.round.expire()), settings.stageTimeoutMs);
    }
  };

  const eligibleIn = (shard: number, count: number): string[] => [...channels.keys()].filter((d) => consent.get(d) && shardOf(d, count) === shard).sort();

  const runRound = async (): Promise<RoundSummary> => {
    if (active) return { status: 'skipped', reason: 'a round is already in progress' };
    shards ??= await loadShards(store);
    if (shards.length === 0) return { status: 'skipped', reason: 'no model to train: the store has no shards yet' };
    const shard = nextShard++ % shards.length;
    const view = shards[shard]!;
    const privacy = activePrivacy(settings.privacy);
    if (privacy) {
      const refused = refusal(view.account, privacy, settings.samplingRate, shard);
      if (refused) return { status: 'skipped', reason: refused };
    }
    const eligible = eligibleIn(shard, shards.length);
    // Poisson sampling with a known rate, so a privacy accountant applies (Chua et al. 2024).
    const cohort = eligible.filter(() => o.uniform01() < settings.samplingRate);
    const layout = { items: view.models.training.table.items, dim: view.models.training.table.dim };
    let planned;
    try {
      planned = roundConfig(cohort.length, layout, settings);
    } catch (err) {
      return { status: 'skipped', reason: `shard ${shard}, cohort of ${cohort.length}: ${(err as Error).message}` };
    }
    const { config, noise } = planned;
    // Every cohort member is an enrolled, authenticated device (the gateway admits no others).
    const needed = Math.max(settings.minCohort, config.threshold + 1);
    if (cohort.length < needed) return { status: 'skipped', reason: `shard ${shard}: sampled ${cohort.length} of ${eligible.length} eligible devices; a round needs at least ${needed} distinct enrolled devices` };
    const latest = await store.latestModelInfo();
    const sessionId = b64(sodium, sodium.randombytes_buf(16));
    const startedAt = now();
    const record = await store.roundStarted({ shard, sessionId, round: 1, cohortSize: cohort.length, startedAt });
    const round = createSecureRound({ sodium, binding: { sessionId, round: 1, modelHash: sha256(view.trainingFile) }, shard, modelVersion: latest?.version ?? 0, config, cohort, ...(o.applyMasks && { applyMasks: o.applyMasks }) });
    log('round.started', { roundId: record.id, shard, cohort: cohort.length, threshold: config.threshold, graph: config.graph.kind });
    const done = new Promise<void>((resolve) => {
      active = { round, finish: resolve, stage: round.stage, roundId: record.id };
    });
    dispatch(round.start());
    await done;
    const outcome = round.outcome!;
    try {
      if (outcome.status === 'aborted') {
        await store.roundAborted(record.id, { reason: outcome.reason, survivors: 0, endedAt: now() });
        log('round.aborted', { roundId: record.id, shard, reason: outcome.reason });
        return { status: 'aborted', reason: outcome.reason, roundId: record.id };
      }
      let finished;
      try {
        finished = await finishRound({
          store,
          shards,
          shard,
          round: { roundId: record.id, startedAt, cohortSize: cohort.length, contributors: outcome.contributors.length, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut, sum: outcome.sum, config, noise, samplingRate: settings.samplingRate, population: eligible.length },
          privacy,
          settings: settings.endOfRound,
          randomBytes,
          now,
        });
      } catch (err) {
        // Nothing was acknowledged: tell the cohort the round failed, record it if the store still can, and report.
        const reason = 'the server could not store the round';
        dispatch(round.announce({ status: 'aborted', reason }));
        shards = undefined; // re-read what is durable before the next round
        await store.roundAborted(record.id, { reason, survivors: 0, endedAt: now() }).catch(() => {});
        log('round.aborted', { roundId: record.id, shard, reason });
        throw err;
      }
      shards[shard] = finished.view;
      log('round.committed', { roundId: record.id, shard, modelVersion: finished.version.version, sha256: finished.version.sha256.slice(0, 12) });
      // Durable now (the commit returned after its fsync): only now may devices hear that the round completed.
      dispatch(round.announce({ status: 'completed', modelVersion: finished.version.version }));
      log('round.completed', { roundId: record.id, shard, modelVersion: finished.version.version, contributors: outcome.contributors.length });
      return { status: 'completed', roundId: record.id, modelVersion: finished.version.version, contributors: outcome.contributors.length };
    } finally {
      active = undefined;
    }
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
      if (active && active.round.stage !== 'done') dispatch(active.round.drop(deviceId));
    },
    runRound,
    connectedDevices: () => channels.size,
    eligibleDevices: () => [...channels.keys()].filter((d) => consent.get(d)).length,
    roundInProgress: () => active !== undefined,
  };
}
