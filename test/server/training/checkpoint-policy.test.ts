// The checkpoint policy, run the way the server runs it: a checkpoint every round, pruned to K after each. Every
// step the policy asks for must still exist (pruning can only delete), at most K are kept, and the rounds a
// deletion loses stay within each spacing's stated bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkpointsToKeep, keptSteps, rollbackTarget, CHECKPOINT_SPACINGS, type CheckpointSpacing } from '../../../server/training/checkpoint-policy';
import type { CheckpointInfo } from '../../../server/store/store';

/** The checkpoints left after rounds 1..head, pruning after each as finish-round.ts does. */
function run(head: number, keep: number, spacing: CheckpointSpacing): CheckpointInfo[] {
  let kept: CheckpointInfo[] = [];
  for (let step = 0; step <= head; step++) {
    kept.push({ id: step, step } as CheckpointInfo);
    const ids = new Set(checkpointsToKeep(kept, keep, spacing));
    kept = kept.filter((c) => ids.has(c.id));
  }
  return kept;
}

const settings = fc.record({ head: fc.integer({ min: 0, max: 400 }), keep: fc.integer({ min: 2, max: 24 }), spacing: fc.constantFrom(...CHECKPOINT_SPACINGS) });

describe('checkpoint policy', () => {
  it('is online: after pruning every round, each step it asks for is still there, with the first and the head, and at most K', () => {
    fc.assert(
      fc.property(settings, ({ head, keep, spacing }) => {
        const steps = run(head, keep, spacing).map((c) => c.step);
        expect(steps).toEqual([...new Set([0, ...keptSteps(head, keep, spacing), head])].sort((a, b) => a - b));
        expect(steps.length).toBeLessThanOrEqual(keep);
      }),
    );
  });

  it('uniform: a rollback goes back less than max(1, 2·head/(K − 1)) rounds before the first contribution', () => {
    fc.assert(
      fc.property(settings, fc.double({ min: 0, max: 1, noNaN: true }), ({ head, keep }, at) => {
        const kept = run(head, keep, 'uniform');
        const first = Math.floor(at * head);
        const extra = first - rollbackTarget(kept, first).step;
        expect(extra).toBeLessThan(Math.max(1, (2 * head) / (keep - 1)));
      }),
    );
  });

  it('exponential: a device first seen within 2^j rounds of the head (j ≤ K − 3) costs under 2^(j+1) rounds', () => {
    fc.assert(
      fc.property(settings, fc.nat(), ({ head, keep }, pick) => {
        fc.pre(keep > 2);
        const kept = run(head, keep, 'exponential');
        const j = pick % (keep - 2);
        const first = Math.max(0, head - 2 ** j + (pick % 2 ** j));
        expect(head - rollbackTarget(kept, first).step).toBeLessThan(2 ** (j + 1));
      }),
    );
  });

  it('keeps 0, 8, 16, 24, 32 and 40 of 8 after 40 uniform rounds (stride 8: 40/4 = 10 multiples would exceed the 6 free slots)', () => {
    expect(run(40, 8, 'uniform').map((c) => c.step)).toEqual([0, 8, 16, 24, 32, 40]);
  });

  it('keeps only the first and the head with K = 2, and refuses K < 2', () => {
    expect(run(17, 2, 'exponential').map((c) => c.step)).toEqual([0, 17]);
    expect(() => checkpointsToKeep([{ id: 0, step: 0 } as CheckpointInfo], 1, 'uniform')).toThrow(/keep must be an integer ≥ 2/);
  });
});
