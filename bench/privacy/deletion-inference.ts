// Membership inference from a deletion (Chen et al., CCS 2021, "When machine unlearning jeopardizes privacy"): an
// observer who holds the served model before and after a deletion ranks items by how much the deletion changed
// them, hoping the deleted person's items moved most. Scored as the AUC against that person's training items,
// beside the same attack on the models just before and after the person's own training round (where their
// update entered), which shows what the attack can do when there is something to find.
import { rocAuc } from '../../shared/metrics/auc';
import type { ItemTable } from '../../shared/model/reconstruct';

/** Per item, how much it changed between two served models: Σ over shards of Δbias² + ‖Δvector‖². */
export function itemChangeScores(before: readonly ItemTable[], after: readonly ItemTable[]): Float64Array {
  if (before.length !== after.length) throw new RangeError(`the models have ${before.length} and ${after.length} shards`);
  const { items, dim } = before[0]!;
  const out = new Float64Array(items);
  for (let s = 0; s < before.length; s++) {
    const a = before[s]!;
    const b = after[s]!;
    for (let i = 0; i < items; i++) {
      let d = (b.biases[i]! - a.biases[i]!) ** 2;
      for (let k = 0; k < dim; k++) d += (b.vectors[i * dim + k]! - a.vectors[i * dim + k]!) ** 2;
      out[i]! += d;
    }
  }
  return out;
}

/** The attack's AUC: items ranked by change, against the target's items. */
export function changeMembershipAuc(before: readonly ItemTable[], after: readonly ItemTable[], targetItems: ArrayLike<number>): number {
  const scores = itemChangeScores(before, after);
  const positive = new Array<boolean>(scores.length).fill(false);
  for (let k = 0; k < targetItems.length; k++) positive[targetItems[k]!] = true;
  return rocAuc(scores, positive);
}
