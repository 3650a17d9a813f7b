// The deployment's defaults for sharding and checkpoints, in one place (`npm start`, the coordinator and the
// benchmarks read them here). Chosen with `npm run bench -- unlearning` (bench/RESULTS.md).
import type { CheckpointSpacing } from './checkpoint-policy';

/** Shards of a new data directory. */
export const DEFAULT_SHARDS = 4;

/** Checkpoints kept per shard, and their spacing. */
export const CHECKPOINT_DEFAULTS: Readonly<{ keep: number; spacing: CheckpointSpacing }> = Object.freeze({ keep: 8, spacing: 'uniform' });
