// Which checkpoints a shard keeps (at most K): a deletion rolls back to the latest kept checkpoint at or before the
// device's first contribution, so the spacing decides how many rounds a deletion costs. The first checkpoint
// (the public initial model) and the head are always kept.
import type { CheckpointInfo } from '../store/store';

/** How the K − 2 free slots are placed between the first checkpoint and the head. */
export type CheckpointSpacing = 'uniform' | 'exponential';

export const CHECKPOINT_SPACINGS: readonly CheckpointSpacing[] = ['uniform', 'exponential'];

/**
 * The steps kept at `head` besides the first checkpoint and the head, at most keep − 2 of them. Pruning runs after
 * every round and can only delete, so a step kept now must have been kept at every earlier head: both spacings
 * keep multiples of powers of two, which stay multiples as the head grows.
 * - uniform: every multiple of the stride d, the smallest power of two with ⌊head/d⌋ ≤ keep − 2 (the stride doubles
 *   as the shard ages, dropping every other checkpoint): a rollback goes back less than d ≤ 2·head/(keep − 2) rounds
 *   before the device's first contribution, wherever that was;
 * - exponential: for j = 0 … keep − 3 the second-latest multiple of 2^j, (⌊head/2^j⌋ − 1)·2^j, at distance 2^j to
 *   2^(j+1) from the head (dense near the head: a device first seen within 2^j rounds of it costs under 2^(j+1)
 *   rounds; one seen more than 2^(keep−2) rounds ago may cost the whole lineage). It is online too: the step that
 *   becomes level j's is the latest multiple of 2^j, kept until then by the level i < j with 2^i ≤ head − step < 2^(i+1).
 * (Aiming at fractions of the current head instead, as this did before, is not online: the targets move every
 * round onto steps already pruned, and after 40 rounds only 0, 3, 6 and 40 were left of 8.)
 */
export function keptSteps(head: number, keep: number, spacing: CheckpointSpacing): number[] {
  const free = Math.max(0, keep - 2);
  if (free === 0 || head <= 0) return [];
  if (spacing === 'uniform') {
    let d = 1;
    while (Math.floor(head / d) > free) d *= 2;
    return Array.from({ length: Math.floor(head / d) }, (_, m) => (m + 1) * d);
  }
  const steps = new Set<number>();
  for (let j = 0; j < free; j++) {
    const secondLatest = (Math.floor(head / 2 ** j) - 1) * 2 ** j;
    if (secondLatest > 0) steps.add(secondLatest);
  }
  return [...steps].sort((a, b) => a - b);
}

/**
 * The ids to keep of a shard's checkpoints (sorted by step): the first, the head, and for each of `keptSteps` the
 * latest checkpoint at or before it (the one at that step whenever rounds ran one per step, as they do).
 */
export function checkpointsToKeep(checkpoints: readonly CheckpointInfo[], keep: number, spacing: CheckpointSpacing): number[] {
  if (!Number.isInteger(keep) || keep < 2) throw new RangeError(`keep must be an integer ≥ 2, got ${keep}`);
  if (checkpoints.length === 0) return [];
  const first = checkpoints[0]!;
  const head = checkpoints.at(-1)!;
  const kept = new Set([first.id, head.id]);
  for (const target of keptSteps(head.step, keep, spacing)) {
    const below = checkpoints.filter((c) => c.step <= target).at(-1);
    if (below) kept.add(below.id);
  }
  return [...kept];
}

/** The checkpoint a deletion rolls back to: the latest kept one at or before the device's first contribution. */
export function rollbackTarget(checkpoints: readonly CheckpointInfo[], firstContribution: number): CheckpointInfo {
  const target = checkpoints.filter((c) => c.step <= firstContribution).at(-1);
  if (!target) throw new RangeError(`no checkpoint at or before step ${firstContribution}`);
  return target;
}
