// The shards as the server holds them in memory: each one's current checkpoint, decoded, with its files and account.
import { decodeModel, encodeModel } from '../../models/serialize';
import { encodeServedFile } from '../../models/served-file';
import type { ShardModels } from '../../models/federated/end-of-round';
import type { CheckpointInfo, ModelProvenance, PrivacyAccount, ShardRecord, Store } from '../store/store';
import { accountEpsilon } from './privacy-account';

/** One shard's current state. */
export interface ShardView {
  shard: number;
  /** The shard's current lineage (a rollback starts a new one; its checkpoint may date from an older one). */
  lineage: number;
  checkpoint: CheckpointInfo;
  models: ShardModels;
  /** The training table's file (what devices download and the invitation's hash names). */
  trainingFile: Uint8Array;
  /** This shard's served table as a file (one part of the served bundle). */
  servedFile: Uint8Array;
  account: PrivacyAccount;
}

/** The files of a shard's models. */
export function encodeShardModels(models: ShardModels): { training: Uint8Array; served: Uint8Array } {
  const training = encodeModel(models.training);
  return { training, served: models.served === models.training ? training : encodeModel(models.served) };
}

/** Read every shard's current checkpoint from the store. */
export async function loadShards(store: Store): Promise<ShardView[]> {
  return Promise.all((await store.listShards()).map((r) => viewOf(store, r)));
}

/** One shard's state as stored: after a deletion only its shard changed, and decoding the other S − 1 is wasted time. */
export async function loadShard(store: Store, shard: number): Promise<ShardView> {
  const record = (await store.listShards()).find((r) => r.shard === shard);
  if (!record) throw new RangeError(`the store has no shard ${shard}`);
  return viewOf(store, record);
}

async function viewOf(store: Store, r: ShardRecord): Promise<ShardView> {
  const c = await store.currentCheckpoint(r.shard);
  const { training, served, ...checkpoint } = c;
  return { shard: r.shard, lineage: r.lineage, checkpoint, models: { training: decodeModel(training), served: decodeModel(served), iterates: c.iterates }, trainingFile: training, servedFile: served, account: r.account };
}

/** The served file of a set of shards: every shard's served table, in shard order. */
export function servedBundle(shards: readonly ShardView[]): Uint8Array {
  return encodeServedFile(shards.map((s) => s.servedFile));
}

/** Every shard's state for a version's provenance, and the weakest ε among them (null when one has no guarantee). */
export function shardStates(shards: readonly ShardView[], delta: number): { shards: ModelProvenance['shards']; epsilon: number | null } {
  const states = shards.map((s) => ({ shard: s.shard, lineage: s.lineage, step: s.checkpoint.step, epsilon: accountEpsilon(s.account, delta) }));
  const epsilon = states.some((s) => s.epsilon === null) ? null : Math.max(...states.map((s) => s.epsilon!));
  return { shards: states, epsilon };
}
