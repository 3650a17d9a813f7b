// The model the explanation benchmark explains: implicit ALS trained on S user shards and served as their mean.
//
// Users go to shards by the server's own shard hash (SHA-256 of a label, mod S) applied to a seeded label of the
// user, so the split is reproducible and changes with --seed. One shard trains on all users: the centralized model.
import type { InteractionData } from '../../shared/data/interactions';
import type { ItemTable } from '../../shared/model/reconstruct';
import { prepareServedTables, type ServedTables } from '../../shared/recommend/recommend';
import { trainImplicit, type ImplicitTrainConfig } from '../../models/mf/implicit-als';
import { shardOf } from '../../server/training/sharding';

/** Each user's shard among `count`, by a seeded hash of the user's external id. */
export function userShards(data: InteractionData, count: number, seed: number): Int32Array {
  return Int32Array.from({ length: data.users }, (_, u) => shardOf(`bench-explanations/${seed}/${data.userIds[u]}`, count));
}

/** The interactions of the users in `shard`, with those users renumbered 0… (so no empty user dilutes the item biases). */
export function shardData(data: InteractionData, shards: Int32Array, shard: number): InteractionData {
  const compact = new Int32Array(data.users).fill(-1);
  const userIds: string[] = [];
  for (let u = 0; u < data.users; u++) {
    if (shards[u] !== shard) continue;
    compact[u] = userIds.length;
    userIds.push(data.userIds[u]!);
  }
  const rows: number[] = [];
  for (let n = 0; n < data.user.length; n++) if (compact[data.user[n]!]! >= 0) rows.push(n);
  const out: InteractionData = {
    name: `${data.name} (shard ${shard})`,
    users: userIds.length,
    items: data.items,
    user: Int32Array.from(rows, (n) => compact[data.user[n]!]!),
    item: Int32Array.from(rows, (n) => data.item[n]!),
    value: Float32Array.from(rows, (n) => data.value[n]!),
    timestamp: Float64Array.from(rows, (n) => data.timestamp[n]!),
    userIds,
    itemIds: data.itemIds,
  };
  if (data.itemMeta) out.itemMeta = data.itemMeta;
  return out;
}

/** Train one implicit model per shard (shard s seeded with seed + s) and prepare them as one served model. */
export function trainShardedServed(train: InteractionData, config: ImplicitTrainConfig, shardCount: number, onShard?: (shard: number) => void): { served: ServedTables; shardUsers: number[] } {
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError(`shards must be a positive integer, got ${shardCount}`);
  const shards = userShards(train, shardCount, config.seed);
  const tables: ItemTable[] = [];
  const shardUsers: number[] = [];
  let params;
  for (let s = 0; s < shardCount; s++) {
    const data = shardCount === 1 ? train : shardData(train, shards, s);
    if (data.user.length === 0) throw new RangeError(`shard ${s} of ${shardCount} has no training data: use fewer shards`);
    const model = trainImplicit(data, { ...config, seed: config.seed + s });
    tables.push(model.table);
    shardUsers.push(data.users);
    params = model.params;
    onShard?.(s + 1);
  }
  return { served: prepareServedTables(params!, tables), shardUsers };
}
