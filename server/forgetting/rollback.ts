// A shard's rollback as data: the checkpoint to go back to, the served file with that checkpoint's table in the
// shard's place, and the provenance of the version it publishes. The deletion service completes a deletion with
// it; an operator's rollback (and the exactness check's control run) applies it alone.
import { encodeServedFile } from '../../models/served-file';
import type { ModelProvenance, Store } from '../store/store';
import { shardStates, type ShardView } from '../training/shard-state';

/** Everything the store needs to roll a shard back and publish the result. */
export interface RollbackPlan {
  shard: number;
  toStep: number;
  model: Uint8Array;
  basis: number[];
  provenance: ModelProvenance;
}

/** Plan the rollback of `shard` to its kept checkpoint at `toStep`, the other shards as `views` holds them. */
export async function planRollback(store: Store, views: readonly ShardView[], shard: number, toStep: number, delta: number | null): Promise<RollbackPlan> {
  const checkpoint = await store.getCheckpoint(shard, toStep);
  if (!checkpoint) throw new RangeError(`shard ${shard} keeps no checkpoint at step ${toStep}`);
  const { training: _t, served, ...info } = checkpoint;
  const after = views.map((v) => (v.shard === shard ? { ...v, lineage: v.lineage + 1, checkpoint: info, servedFile: served } : v));
  const states = shardStates(after, delta ?? 1e-6);
  return {
    shard,
    toStep,
    model: encodeServedFile(after.map((v) => v.servedFile)),
    basis: views.map((v) => v.checkpoint.id),
    provenance: { cause: 'rollback', shard, round: null, cohortSize: 0, survivors: 0, clipNorm: 0, valuesClipped: 0, bytesIn: 0, bytesOut: 0, durationMs: 0, epsilon: states.epsilon, privacy: null, shards: states.shards },
  };
}
