// Which checkpoints a shard keeps (at most K): a deletion rolls back to the latest kept checkpoint at or before the
// device's first contribution, so the spacing decides how many rounds a deletion costs. The first checkpoint
// (the public initial model) and the head are always kept.
import type { CheckpointInfo } from '../store/store';

/** How the K − 2 free slots are placed between the first checkpoint and the head. */
export type CheckpointSpacing = 'uniform' | 'exponential';

export const CHECKPOINT_SPACINGS: readonly CheckpointSpacing[] = ['uniform', 'exponential'];

/**
 * The steps the free slots aim at: uniform puts them at equal distances over [0, head]; exponential at head − 2^j
 * (dense near the head: cheap for recent devices, dear for old ones).
 */
export function targetSteps(head: number, keep: number, spacing: CheckpointSpacing): number[] {
  const free = Math.max(0, keep - 2);
  if (spacing === 'uniform') return Array.from({ length: free }, (_, j) => Math.floor(((j + 1) * head) / (free + 1)));
  return Array.from({ length: free }, (_, j) => head - 2 ** j).filter((s) => s > 0);
}

/** The ids to keep of a shard's checkpoints (sorted by step): the first, the head, and for each target the latest at or before it. */
export function checkpointsToKeep(checkpoints: readonly CheckpointInfo[], keep: number, spacing: CheckpointSpacing): number[] {
  if (!Number.isInteger(keep) || keep < 2) throw new RangeError(`keep must be an integer ≥ 2, got ${keep}`);
  if (checkpoints.length === 0) return [];
  const first = checkpoints[0]!;
  const head = checkpoints.at(-1)!;
  const kept = new Set([first.id, head.id]);
  for (const target of targetSteps(head.step, keep, spacing)) {
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
