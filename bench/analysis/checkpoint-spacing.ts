// Rounds a deletion loses under each checkpoint spacing, from the server's own pruning policy
// (server/training/checkpoint-policy.ts) — a calculation, not a training run: a checkpoint is made every round and
// pruned to K after it, as the store does, and the rollback target is the latest kept one at or before the device's
// first contribution. Two populations: the unlearning bench's (every device there from round 0, sampled with
// probability q a round, so the first contribution is geometric) and a steady one (first contributions spread
// evenly over the rounds so far, as when devices keep arriving).
//   npx tsx bench/analysis/checkpoint-spacing.ts [--rounds 40] [--keep 8] [--q 0.197]
import { parseArgs } from 'node:util';
import { checkpointsToKeep, rollbackTarget, CHECKPOINT_SPACINGS, type CheckpointSpacing } from '../../server/training/checkpoint-policy';
import type { CheckpointInfo } from '../../server/store/store';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '40' }, keep: { type: 'string', default: '8' }, q: { type: 'string', default: String(120 / 610) } } });
const rounds = Number(values.rounds);
const keep = Number(values.keep);
const q = Number(values.q);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(keep) || keep < 2 || !(q > 0 && q <= 1)) {
  process.stderr.write('--rounds must be an integer ≥ 1, --keep an integer ≥ 2, --q in (0, 1]\n');
  process.exit(1);
}

/** The checkpoints kept after `rounds` rounds, pruning after each as the store does. */
function keptAfter(spacing: CheckpointSpacing): CheckpointInfo[] {
  let kept: CheckpointInfo[] = [];
  for (let step = 0; step <= rounds; step++) {
    kept.push({ id: step, step } as CheckpointInfo);
    const ids = new Set(checkpointsToKeep(kept, keep, spacing));
    kept = kept.filter((c) => ids.has(c.id));
  }
  return kept;
}

for (const spacing of CHECKPOINT_SPACINGS) {
  const kept = keptAfter(spacing);
  const lost = (first: number) => rounds - rollbackTarget(kept, first).step;
  // First contribution at step k (the model of step k is what the device trained on) with probability q(1 − q)^k.
  let geometric = 0;
  let mass = 0;
  for (let k = 0; k < rounds; k++) {
    const p = q * (1 - q) ** k;
    geometric += p * lost(k);
    mass += p;
  }
  const steady = Array.from({ length: rounds }, (_, k) => lost(k)).reduce((a, b) => a + b, 0) / rounds;
  console.log(`${spacing.padEnd(12)} kept steps ${kept.map((c) => c.step).join(',').padEnd(28)} rounds lost: bench population ${(geometric / mass).toFixed(1)}, steady arrivals ${steady.toFixed(1)}`);
}
