// The round coordinator: for each shard, samples a cohort (a PRF of the round's seed and each device's key), runs a
// secure round over the device channels with stage deadlines, and hands the unmasked sum to the end of round
// (server/training/finish-round.ts). Shards run their rounds side by side; a device belongs to one shard. Devices
// hear that a round completed only after its model version is committed. A deletion pauses its device's shard
// (aborting a round in progress), and the shard resumes from its rolled-back checkpoint.
import { sha256 } from '@noble/hashes/sha2.js';
import type { Sodium } from '../../shared/secagg/sodium';
import type { MaskApplier } from '../../shared/secagg/masking';
import { ProtocolError } from '../../shared/protocol/errors';
import { checkPrivacySettings, type PrivacySettings, type RoundNoise } from '../../shared/dp/mechanism';
import { checkSafetySettings, type SafetySettings } from '../../shared/secagg/round-settings';
import type { RoundConfig } from '../../shared/protocol/messages';
import { sodiumRandomBytes } from '../../shared/secagg/random';
import { checkEndOfRoundSettings, type EndOfRoundSettings } from '../../models/federated/end-of-round';
import type { Store } from '../store/store';
import { finishRound } from '../training/finish-round';
import { charge, refusal } from '../training/privacy-account';
import { activePrivacy, roundConfig } from '../training/round-config';
import { sampleCohort } from '../training/sampling';
import { loadShard, loadShards, type ShardView } from '../training/shard-state';
import { shardOf } from '../training/sharding';
import type { CheckpointSpacing } from '../training/checkpoint-policy';
import { CHECKPOINT_DEFAULTS } from '../training/defaults';
import type { DeviceChannel, RoundHost, RoundMessage } from './host';
import { createSecureRound, MemberDropped, type Outgoing, type SecureRound } from './secure-round';
import type { RoundAccount, RoundBudget } from '../ws/round-budget';

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
  /** The corrupt fraction γ the thresholds assume, and the dropout they must survive. */
  safety: SafetySettings;
  /** Differential privacy (default off); its account is kept per shard. */
  privacy?: PrivacySettings;
  /** Checkpoints kept per shard and their spacing (default: 8, uniform). */
  checkpoints?: { keep: number; spacing: CheckpointSpacing };
}

/** What a finished (or refused) round reports. */
export type RoundSummary =
  | { status: 'skipped'; reason: string; shard?: number }
  | { status: 'aborted'; reason: string; roundId: number; shard: number }
  | { status: 'completed'; roundId: number; modelVersion: number; contributors: number; shard: number };

/** Options of the coordinator. */
export interface CoordinatorOptions {
  store: Store;
  sodium: Sodium;
  settings: TrainingSettings;
  /** The secret key of the cohort-sampling PRF (server/training/sampling.ts). */
  samplingKey: Uint8Array;
  /** How masks are stripped from a round's sum (the server's parallel applier); default libsodium on this thread. */
  applyMasks?: MaskApplier;
  /** Caps on rounds at once and on the bytes one round buffers (server/ws/round-budget.ts); default none. */
  budget?: RoundBudget;
  /** A CSPRNG for central noise (tests of exact forgetting pass a seeded one). */
  randomBytes?: (n: number) => Uint8Array;
  now?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
  /**
   * What the server observed of each committed round: the decoded sum the end of round released to the server step
   * (central noise included), and the configuration and noise the round was run with. For audits and the tests that
   * measure the noise in it; it holds no device identifier, and is never logged.
   */
  onRelease?: (release: { roundId: number; shard: number; contributors: number; released: Float64Array; config: RoundConfig; noise: RoundNoise }) => void;
}

/** The coordinator is the gateway's RoundHost, plus the operator's and the deletion service's handle. */
export interface Coordinator extends RoundHost {
  /** Run one round on `shard` (default: the next shard in turn). */
  runRound(shard?: number): Promise<RoundSummary>;
  /** Run one round on every shard, side by side. */
  runRounds(): Promise<RoundSummary[]>;
  connectedDevices(): number;
  /** Connected devices whose owners allow training (the population rounds sample from, over all shards). */
  eligibleDevices(): number;
  roundInProgress(): boolean;
  /**
   * Take a device out of training for good (its deletion was asked): close its connection, and pause its shard —
   * aborting a round in progress there — until `resume`. Resolves once no round runs on the shard.
   */
  exclude(deviceId: string | undefined, shard: number): Promise<void>;
  /** Re-read the shard from the store (after a rollback) and let it train again. */
  resume(shard: number): Promise<void>;
  /** The shards as held in memory (loaded on first use). */
  shards(): Promise<readonly ShardView[]>;
}


function checkSettings(s: TrainingSettings): void {
  if (!(s.samplingRate > 0 && s.samplingRate <= 1)) throw new RangeError(`samplingRate must be in (0, 1], got ${s.samplingRate}`);
  if (!(s.clipNorm > 0) || !Number.isFinite(s.clipNorm)) throw new RangeError(`clipNorm must be a positive number, got ${s.clipNorm}`);
  if (!Number.isInteger(s.minCohort) || s.minCohort < 3) throw new RangeError(`minCohort must be an integer ≥ 3, got ${s.minCohort}`);
  if (!Number.isInteger(s.stageTimeoutMs) || s.stageTimeoutMs < 10) throw new RangeError(`stageTimeoutMs must be an integer ≥ 10, got ${s.stageTimeoutMs}`);
  checkEndOfRoundSettings(s.endOfRound);
  checkSafetySettings(s.safety);
  if (s.privacy) checkPrivacySettings(s.privacy);
  if (s.checkpoints && (!Number.isInteger(s.checkpoints.keep) || s.checkpoints.keep < 2)) throw new RangeError(`checkpoints.keep must be an integer ≥ 2, got ${s.checkpoints.keep}`);
}

const b64 = (sodium: Sodium, bytes: Uint8Array) => sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);

/** A round in progress on one shard. */
interface Active {
  shard: number;
  round: SecureRound;
  finish: () => void;
  timer?: ReturnType<typeof setTimeout>;
  stage: string;
  roundId: number;
}

/** Create the coordinator. */
export function createCoordinator(o: CoordinatorOptions): Coordinator {
  checkSettings(o.settings);
  const { sodium, store, settings } = o;
  const now = o.now ?? Date.now;
  const randomBytes = o.randomBytes ?? sodiumRandomBytes(sodium);
  const log = o.log ?? (() => {});
  const checkpoints = settings.checkpoints ?? CHECKPOINT_DEFAULTS;
  const channels = new Map<string, DeviceChannel>();
  const consent = new Map<string, boolean>();
  /** Devices whose deletion was asked: never sampled again, even if they reconnect before it completes. */
  const excluded = new Set<string>();
  let shardViews: ShardView[] | undefined;
  let loading: Promise<ShardView[]> | undefined;
  let nextShard = 0;
  const active = new Map<number, Active>();
  /** Shards paused by a deletion. */
  const paused = new Set<number>();
  /** Each shard's round in progress, from its first await to its last (a deletion waits for all of it). */
  const running = new Map<number, Promise<RoundSummary>>();
  /**
   * Per shard, devices that sit out until its model changes: those that sent a masked input in an aborted attempt
   * (they refuse the same model again: a device contributes once per model) and those that broke an attempt's rules
   * (unusable keys, a missing reveal, a forged share), so that one bad device cannot abort attempt after attempt.
   */
  const sitOut = new Map<number, { model: string; devices: Set<string> }>();
  let shardCount = 1;

  const loadViews = async (): Promise<ShardView[]> => {
    if (shardViews) return shardViews;
    loading ??= loadShards(store).then((views) => {
      shardViews = views;
      shardCount = Math.max(1, views.length);
      loading = undefined;
      return views;
    });
    return loading;
  };

  const activeFor = (deviceId: string): Active | undefined => active.get(shardOf(deviceId, shardCount));

  const dispatch = (a: Active, out: Outgoing[]): void => {
    for (const { to, message } of out) channels.get(to)?.send(message);
    if (active.get(a.shard) !== a) return;
    if (a.round.stage === 'done') {
      if (a.timer) clearTimeout(a.timer);
      a.finish();
    } else if (a.round.stage !== a.stage || !a.timer) {
      // A new stage opened: its deadline starts now.
      a.stage = a.round.stage;
      log('round.stage', { roundId: a.roundId, shard: a.shard, stage: a.stage });
      if (a.timer) clearTimeout(a.timer);
      a.timer = setTimeout(() => active.get(a.shard) === a && dispatch(a, a.round.expire()), settings.stageTimeoutMs);
    }
  };

  const runRound = async (requested?: number): Promise<RoundSummary> => {
    const views = await loadViews();
    if (views.length === 0) return { status: 'skipped', reason: 'no model to train: the store has no shards yet' };
    const shard = requested ?? nextShard++ % views.length;
    if (running.has(shard)) return { status: 'skipped', reason: `a round is already in progress on shard ${shard}`, shard };
    const run = runShardRound(views, shard).finally(() => running.delete(shard));
    running.set(shard, run);
    return run;
  };

  /** A round on `shard` within the budget: a slot is taken before anything is drawn, so a refusal costs no privacy. */
  const runShardRound = async (views: ShardView[], shard: number): Promise<RoundSummary> => {
    let account: RoundAccount | undefined;
    try {
      account = o.budget?.open();
    } catch (err) {
      if (err instanceof ProtocolError) return { status: 'skipped', reason: `shard ${shard}: ${err.message}`, shard };
      throw err;
    }
    try {
      return await runShardRoundWith(views, shard, account);
    } finally {
      account?.close();
    }
  };

  const runShardRoundWith = async (views: ShardView[], shard: number, account: RoundAccount | undefined): Promise<RoundSummary> => {
    if (!views[shard]) return { status: 'skipped', reason: `there is no shard ${shard}` };
    if (paused.has(shard)) return { status: 'skipped', reason: `shard ${shard} is paused by a deletion`, shard };
    const view = views[shard]!;
    const privacy = activePrivacy(settings.privacy);
    if (privacy) {
      const refused = refusal(view.account, privacy, settings.samplingRate, shard);
      if (refused) return { status: 'skipped', reason: refused, shard };
    }
    const { lineage } = view;
    const step = view.checkpoint.step;
    const modelHash = sha256(view.trainingFile);
    const model = b64(sodium, modelHash);
    if (sitOut.get(shard)?.model !== model) sitOut.set(shard, { model, devices: new Set() });
    const sittingOut = sitOut.get(shard)!.devices;
    const connected = [...channels.keys()].filter((d) => consent.get(d) && !excluded.has(d) && shardOf(d, views.length) === shard).sort();
    // A device contributes at most once per model: after a rollback, those who trained on this model already sit out.
    const already = await store.contributedAt(shard, step, connected);
    const eligible = connected.filter((d) => !already.has(d) && !sittingOut.has(d));
    const rules = [
      ...(already.size > 0 ? [`after a rollback, only devices that never trained on this model may train on it: ${already.size} of ${connected.length} connected already did`] : []),
      ...(sittingOut.size > 0 ? [`${sittingOut.size} devices sit out this model after an aborted attempt`] : []),
    ];
    const rule = rules.length > 0 ? ` (${rules.join('; ')})` : '';
    // Decided from the population alone, before any draw: nothing is drawn, so nothing is charged.
    if (eligible.length < settings.minCohort) return { status: 'skipped', reason: `shard ${shard}: ${eligible.length} eligible devices; a round needs at least ${settings.minCohort} distinct enrolled devices${rule}`, shard };
    const attempt = await store.roundsAt(shard, lineage, step);
    const cohort = sampleCohort(o.samplingKey, { shard, lineage, step, attempt }, eligible, settings.samplingRate);
    // A round skipped because of its draw (too few sampled, or no safe configuration for the cohort drawn) is recorded
    // as an attempt, so the next draw is fresh, and with DP it is charged like a round that ran. Charged rather than
    // decided before the draw: a Poisson draw can fall below any floor the secure round needs, so only a draw can tell
    // whether a round runs, and whether it runs then depends on who was sampled. The accountant's ε is that of the
    // mechanism in which every draw runs: it holds only if every draw is composed, skipped ones too (left free, a
    // server could redraw until it liked a cohort). The real run differs from that mechanism only on the draws below
    // the floor (README, Differential privacy as run). With q = 1 the cohort is the population: nothing was drawn.
    const skippedAfterDraw = async (reason: string): Promise<RoundSummary> => {
      if (settings.samplingRate === 1) return { status: 'skipped', reason, shard };
      const account = privacy ? charge(views[shard]!.account, { samplingRate: settings.samplingRate, noiseMultiplier: privacy.noiseMultiplier }) : null;
      const recorded = `${reason}${account ? ' (charged to the privacy account: the cohort was drawn)' : ''}`;
      await store.roundSkipped({ shard, lineage, step, sessionId: b64(sodium, sodium.randombytes_buf(16)), cohortSize: cohort.length, reason: recorded.slice(0, 500), at: now(), account });
      if (account) views[shard] = { ...views[shard]!, account };
      log('round.skipped', { shard, cohort: cohort.length, charged: account !== null });
      return { status: 'skipped', reason: recorded, shard };
    };
    const tooFew = (needed: number): Promise<RoundSummary> =>
      skippedAfterDraw(`shard ${shard}: sampled ${cohort.length} of ${eligible.length} eligible devices; a round needs at least ${needed} distinct enrolled devices${rule}`);
    if (cohort.length < settings.minCohort) return tooFew(settings.minCohort);
    const layout = { items: view.models.training.table.items, dim: view.models.training.table.dim };
    let planned;
    try {
      planned = roundConfig(cohort.length, layout, settings);
    } catch (err) {
      return skippedAfterDraw(`shard ${shard}, cohort of ${cohort.length}: ${(err as Error).message}`);
    }
    const { config, noise } = planned;
    // Every cohort member is an enrolled, authenticated device (the gateway admits no others).
    const needed = Math.max(settings.minCohort, config.threshold + 1);
    if (cohort.length < needed) return tooFew(needed);
    if (paused.has(shard)) return { status: 'skipped', reason: `shard ${shard} is paused by a deletion`, shard };
    const latest = await store.latestModelInfo();
    const sessionId = b64(sodium, sodium.randombytes_buf(16));
    const startedAt = now();
    const record = await store.roundStarted({ shard, lineage, step, sessionId, round: 1, cohortSize: cohort.length, startedAt });
    const round = createSecureRound({ sodium, binding: { sessionId, round: 1, modelHash }, shard, purpose: 'training', modelVersion: latest?.version ?? 0, config, cohort, ...(o.applyMasks && { applyMasks: o.applyMasks }), ...(account && { account }) });
    let finishActive: () => void = () => {};
    const done = new Promise<void>((resolve) => (finishActive = resolve));
    const a: Active = { shard, round, finish: finishActive, stage: round.stage, roundId: record.id };
    active.set(shard, a);
    log('round.started', { roundId: record.id, shard, lineage, step, cohort: cohort.length, threshold: config.threshold, graph: config.graph.kind });
    dispatch(a, round.start());
    await done;
    const outcome = round.outcome!;
    try {
      for (const d of outcome.misbehaved) sittingOut.add(d);
      if (outcome.status === 'aborted') {
        for (const d of outcome.maskedUploads) sittingOut.add(d);
        // Charged like a skipped draw: the cohort was drawn, and whether the round aborts depends on who was drawn.
        const account = privacy && settings.samplingRate < 1 ? charge(views[shard]!.account, { samplingRate: settings.samplingRate, noiseMultiplier: privacy.noiseMultiplier }) : null;
        await store.roundAborted(record.id, { reason: outcome.reason, survivors: 0, endedAt: now(), account });
        if (account) views[shard] = { ...views[shard]!, account };
        log('round.aborted', { roundId: record.id, shard, reason: outcome.reason, charged: account !== null });
        return { status: 'aborted', reason: outcome.reason, roundId: record.id, shard };
      }
      let finished;
      try {
        finished = await finishRound({
          store,
          shards: views,
          shard,
          round: { roundId: record.id, lineage, startedAt, cohortSize: cohort.length, contributors: outcome.contributors, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut, sum: outcome.sum, config, noise, samplingRate: settings.samplingRate, population: eligible.length },
          privacy,
          settings: settings.endOfRound,
          checkpoints,
          randomBytes,
          now,
        });
      } catch (err) {
        // Nothing was acknowledged: tell the cohort the round failed, record it if the store still can, and report.
        const reason = 'the server could not store the round';
        dispatch(a, round.announce({ status: 'aborted', reason }));
        shardViews = undefined; // re-read what is durable before the next round
        await store.roundAborted(record.id, { reason, survivors: 0, endedAt: now() }).catch(() => {});
        log('round.aborted', { roundId: record.id, shard, reason });
        throw err;
      }
      views[shard] = finished.view;
      o.onRelease?.({ roundId: record.id, shard, contributors: outcome.contributors.length, released: finished.released, config, noise });
      log('round.committed', { roundId: record.id, shard, modelVersion: finished.version.version, sha256: finished.version.sha256.slice(0, 12) });
      // Durable now (the commit returned after its fsync): only now may devices hear that the round completed.
      dispatch(a, round.announce({ status: 'completed', modelVersion: finished.version.version }));
      log('round.completed', { roundId: record.id, shard, modelVersion: finished.version.version, contributors: outcome.contributors.length });
      return { status: 'completed', roundId: record.id, modelVersion: finished.version.version, contributors: outcome.contributors.length, shard };
    } finally {
      active.delete(shard);
    }
  };

  return {
    connected(channel, c) {
      const previous = channels.get(channel.deviceId);
      channels.set(channel.deviceId, channel);
      consent.set(channel.deviceId, c.training);
      log('device.connected', { training: c.training });
      const a = activeFor(channel.deviceId);
      if (previous && previous !== channel && a && a.round.stage !== 'done') dispatch(a, a.round.drop(channel.deviceId)); // a reconnect cannot resume a round
    },
    consentChanged(deviceId, c) {
      consent.set(deviceId, c.training);
      log('device.consent', { training: c.training });
    },
    receive(deviceId: string, message: RoundMessage) {
      const a = activeFor(deviceId);
      if (!a) throw new ProtocolError('round.unknown', 'no round is open');
      const bytes = message.type === 'masked' ? 4 * message.vector.length : JSON.stringify(message).length;
      try {
        dispatch(a, a.round.receive(deviceId, message, bytes));
      } catch (err) {
        if (err instanceof MemberDropped) dispatch(a, err.outgoing); // the refusal dropped the device; the round goes on
        throw err;
      }
    },
    disconnected(deviceId) {
      channels.delete(deviceId);
      const a = activeFor(deviceId);
      if (a && a.round.stage !== 'done') dispatch(a, a.round.drop(deviceId));
    },
    runRound,
    async runRounds() {
      const views = await loadViews();
      return Promise.all(views.map((v) => runRound(v.shard)));
    },
    connectedDevices: () => channels.size,
    eligibleDevices: () => [...channels.keys()].filter((d) => consent.get(d) && !excluded.has(d)).length,
    roundInProgress: () => active.size > 0,
    async exclude(deviceId, shard) {
      paused.add(shard);
      if (deviceId !== undefined) {
        excluded.add(deviceId);
        channels.get(deviceId)?.close(1000, 'deleted');
      }
      const a = active.get(shard);
      // A round in progress may hold the device's update, or train a model about to be rolled back: it ends here.
      if (a && a.round.stage !== 'done') dispatch(a, a.round.abort('a device of this shard was deleted; the round will be run again'));
      await running.get(shard)?.catch(() => {});
    },
    async resume(shard) {
      const views = await loadViews();
      views[shard] = await loadShard(store, shard);
      paused.delete(shard);
    },
    shards: loadViews,
  };
}
