// The curious server's attack on a federated recommender: which items did a target device interact with?
//
// The update's per-item bias weight Σ(c − 1) and curvature Σ(c − 1)‖u‖²/k are exactly zero for items a device
// never touched (models/local-update.ts), while its item-vector rows move for every item (the implicit loss
// covers the whole catalogue). So the attacker scores each item by the energy of those two entries in
// whatever it observes and ranks the items by it:
// - plain federated averaging: the target's own update (the known leak: AUC near 1);
// - secure aggregation: only the cohort's sum, where the target's rows are mixed with everyone else's;
// - secure aggregation with DP: that sum plus the mechanism's noise.
// The AUC is against the target's true training items; `prior` is the AUC of ranking by popularity in the
// training data, which an attacker gets without observing anything, so the leak is AUC above the prior.
import { rocAuc } from '../../shared/metrics/auc';
import type { UpdateLayout } from '../../models/federated/update-vector';

/** Per-item score of a flat update (or sum of updates) in the layout of models/federated/update-vector.ts: bias weight² + curvature². */
export function itemTouchScore(vector: ArrayLike<number>, layout: UpdateLayout): Float64Array {
  const { items, dim } = layout;
  const weights = items * dim + items; // after the item vectors and the bias deltas
  const curvature = weights + items;
  const out = new Float64Array(items);
  for (let i = 0; i < items; i++) out[i] = vector[weights + i]! ** 2 + vector[curvature + i]! ** 2;
  return out;
}

/** AUC of the attack for one target: touch scores of the observation against the target's items. */
export function itemInferenceAuc(observation: ArrayLike<number>, layout: UpdateLayout, targetItems: ArrayLike<number>): number {
  const positive = new Array<boolean>(layout.items).fill(false);
  for (let k = 0; k < targetItems.length; k++) positive[targetItems[k]!] = true;
  return rocAuc(itemTouchScore(observation, layout), positive);
}

/** AUC of the no-observation baseline: rank items by training popularity. */
export function popularityPriorAuc(popularity: ArrayLike<number>, targetItems: ArrayLike<number>): number {
  const positive = new Array<boolean>(popularity.length).fill(false);
  for (let k = 0; k < targetItems.length; k++) positive[targetItems[k]!] = true;
  return rocAuc(popularity, positive);
}
