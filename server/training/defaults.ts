// The deployment's defaults for sharding and checkpoints, in one place (`npm start`, the coordinator and the
// benchmarks read them here). Chosen with `npm run bench -- unlearning` (bench/RESULTS.md).
import type { CheckpointSpacing } from './checkpoint-policy';
import type { SafetySettings } from '../../shared/secagg/round-settings';

/** Shards of a new data directory. */
export const DEFAULT_SHARDS = 4;

/** Checkpoints kept per shard, and their spacing. */
export const CHECKPOINT_DEFAULTS: Readonly<{ keep: number; spacing: CheckpointSpacing }> = Object.freeze({ keep: 8, spacing: 'uniform' });

/**
 * The adversary secure aggregation is sized for: a lying server controlling up to 10% of a shard's cohort, and 10% of
 * devices dropping during a round (README, "Secure aggregation against a lying server", says why these values).
 */
export const SAFETY_DEFAULTS: Readonly<SafetySettings> = Object.freeze({ corruptFraction: 0.1, expectedDropout: 0.1 });
