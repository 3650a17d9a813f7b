// The curious server's attack on a federated recommender: which items did a target device interact with?
//
// An item a device touched moves its row of the update (the item vector, bias, bias weight and curvature
// entries); an untouched item's row moves only through the shared ridge term. So the attacker scores each
// item by the energy of its row in whatever it observes and ranks the items by it:
// - plain federated averaging: the target's own update (the known leak: AUC near 1);
// - secure aggregation: only the cohort's sum, where the target's rows are mixed with everyone else's;
// - secure aggregation with DP: that sum plus the mechanism's noise.
// The AUC is against the target's true training items; `prior` is the AUC of ranking by popularity in the
// training data, which an attacker gets without observing anything, so the leak is AUC above the prior.
import { rocAuc } from '../../shared/metrics/auc';
import type { UpdateLayout } from '../../models/federated/update-vector';

/** Per-item energy of a flat update (or sum of updates) in the layout of models/federated/update-vector.ts. */
export function itemRowEnergy(vector: ArrayLike<number>, layout: UpdateLayout): Float64Array {
  const { items, dim } = layout;
  const out = new Float64Array(items);
  for (let i = 0; i < items; i++) {
    let e = 0;
    for (let a = 0; a < dim; a++) e += vector[i * dim + a]! ** 2;
    const base = items * dim;
    e += vector[base + i]! ** 2 + vector[base + items + i]! ** 2 + vector[base + 2 * items + i]! ** 2;
    out[i] = e;
  }
  return out;
}

/** AUC of the attack for one target: row energies of the observation against the target's items. */
export function itemInferenceAuc(observation: ArrayLike<number>, layout: UpdateLayout, targetItems: ArrayLike<number>): number {
  const positive = new Array<boolean>(layout.items).fill(false);
  for (let k = 0; k < targetItems.length; k++) positive[targetItems[k]!] = true;
  return rocAuc(itemRowEnergy(observation, layout), positive);
}

/** AUC of the no-observation baseline: rank items by training popularity. */
export function popularityPriorAuc(popularity: ArrayLike<number>, targetItems: ArrayLike<number>): number {
  const positive = new Array<boolean>(popularity.length).fill(false);
  for (let k = 0; k < targetItems.length; k++) positive[targetItems[k]!] = true;
  return rocAuc(popularity, positive);
}
