// The server's end of a round: the unmasked sum becomes the shard's next checkpoint and the next model version,
// durable before this returns. The coordinator and every benchmark call this, so they measure what is served.
import { endOfRound, type EndOfRoundSettings } from '../../models/federated/end-of-round';
import type { RoundNoise } from '../../shared/dp/mechanism';
import type { PrivacySettings } from '../../shared/dp/mechanism';
import type { RoundConfig } from '../../shared/protocol/messages';
import type { CheckpointInfo, ModelVersionInfo, Store } from '../store/store';
import { charge } from './privacy-account';
import { activePrivacy } from './round-config';
import { encodeShardModels, servedBundle, shardStates, type ShardView } from './shard-state';
import { checkpointsToKeep, type CheckpointSpacing } from './checkpoint-policy';

/** Served files kept: the latest, and the one before it for a device still downloading it when a round completes. */
export const SERVED_FILES_KEPT = 2;

/** A round whose secure sum is in. */
export interface CompletedRound {
  roundId: number;
  /** The shard's lineage when the round started (the commit is refused if a rollback came in between). */
  lineage: number;
  startedAt: number;
  cohortSize: number;
  /** The devices whose update is in the sum (the survivors). */
  contributors: string[];
  bytesIn: number;
  bytesOut: number;
  /** The unmasked fixed-point sum of the contributors' vectors. */
  sum: Uint32Array;
  config: RoundConfig;
  noise: RoundNoise;
  /** Poisson sampling rate of the round and the population it sampled from. */
  samplingRate: number;
  population: number;
}

/** What finishing a round needs. */
export interface FinishRoundOptions {
  store: Store;
  /** Every shard's current state (the served file bundles them all). */
  shards: readonly ShardView[];
  shard: number;
  round: CompletedRound;
  privacy?: PrivacySettings | undefined;
  settings: EndOfRoundSettings;
  /** Checkpoints kept per shard after the commit, and their spacing. */
  checkpoints: { keep: number; spacing: CheckpointSpacing };
  /** A CSPRNG for central noise. */
  randomBytes: (n: number) => Uint8Array;
  now: () => number;
}

/** The committed result: the new version, and the shard's new state to hold in memory. */
export interface FinishedRound {
  version: ModelVersionInfo;
  checkpoint: CheckpointInfo;
  view: ShardView;
  /** The decoded sum the server step used (central noise included): what the server observed of the round. */
  released: Float64Array;
}

/** Run the end of round (models/federated/end-of-round.ts), then commit checkpoint, account and version at once. */
export async function finishRound(o: FinishRoundOptions): Promise<FinishedRound> {
  const { round } = o;
  const current = o.shards[o.shard];
  if (!current) throw new RangeError(`no shard ${o.shard}`);
  const privacy = activePrivacy(o.privacy);
  const result = endOfRound(
    current.models,
    { sum: round.sum, scale: round.config.scale, serverNoiseStd: round.noise.serverSigma, sumNoiseStd: round.noise.sumSigma },
    { samplingRate: round.samplingRate, population: round.population, noisy: privacy !== undefined, randomBytes: o.randomBytes },
    o.settings,
  );
  const files = encodeShardModels(result.models);
  const account = charge(current.account, privacy ? { samplingRate: round.samplingRate, noiseMultiplier: privacy.noiseMultiplier } : 'no-noise');
  const next: ShardView = { ...current, models: result.models, trainingFile: files.training, servedFile: files.served, account };
  const shards = o.shards.map((s) => (s.shard === o.shard ? { ...next, checkpoint: { ...current.checkpoint, step: current.checkpoint.step + 1 } } : s));
  const states = shardStates(shards, o.privacy?.delta ?? 1e-6);
  const endedAt = o.now();
  const committed = await o.store.commitRound({
    roundId: round.roundId,
    endedAt,
    survivors: round.contributors.length,
    shard: o.shard,
    lineage: round.lineage,
    fromStep: current.checkpoint.step,
    training: files.training,
    served: files.served,
    iterates: result.models.iterates,
    account,
    model: servedBundle(shards),
    basis: o.shards.map((s) => s.checkpoint.id),
    contributors: round.contributors,
    provenance: {
      cause: 'round',
      shard: o.shard,
      round: round.roundId,
      cohortSize: round.cohortSize,
      survivors: round.contributors.length,
      clipNorm: round.config.clipNorm,
      valuesClipped: result.clipped,
      bytesIn: round.bytesIn,
      bytesOut: round.bytesOut,
      durationMs: Math.max(0, endedAt - round.startedAt),
      epsilon: states.epsilon,
      privacy: privacy ? { mode: privacy.mode as 'central' | 'distributed', samplingRate: round.samplingRate, noiseMultiplier: privacy.noiseMultiplier, delta: privacy.delta } : null,
      shards: states.shards,
    },
  });
  // Bounded disk: the shard keeps K checkpoints, the store the newest served files.
  await o.store.pruneCheckpoints(o.shard, checkpointsToKeep(await o.store.listCheckpoints(o.shard), o.checkpoints.keep, o.checkpoints.spacing));
  await o.store.pruneModelFiles(SERVED_FILES_KEPT);
  return { version: committed.version, checkpoint: committed.checkpoint, view: { ...next, checkpoint: committed.checkpoint }, released: result.released };
}
