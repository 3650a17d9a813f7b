// The flat layout of a device's contribution to a round: the vector that is clipped, quantised and masked.
//
// [ itemDelta (items·dim) | biasDelta (items) | biasWeight (items) | itemCurvature (items) | userGram (dim·dim) | count (1) | clipped (1) ]
// `clipped` is left 0 here and set by the participant after clipping, so the round's sum counts clipped updates.
// Everything the server needs for its step is a sum over devices, so it can come out of secure aggregation.
import type { LocalUpdate } from '../local-update';

/**
 * Each part is multiplied by its weight before clipping and divided by it after aggregation, so the sum is
 * unchanged but the parts share the clipping norm (and, with DP, the noise) by how much each needs it. Measured
 * median norms of one update on latest-small-like data: itemDelta 16, biasDelta 6.5, biasWeight 36,
 * itemCurvature 0.27, userGram 0.27. Unweighted, the bias weights (only ever used beside the cohort size in a
 * denominator) took most of the norm, and the Gram and curvature, which set every item's step, drowned in any
 * noise sized for the whole vector. Fixed constants: part of the update format both sides use.
 */
export const PART_WEIGHTS = Object.freeze({ biasWeight: 0.1, itemCurvature: 10, userGram: 10 });

/** Sizes of the parts of an update vector. */
export interface UpdateLayout {
  items: number;
  dim: number;
}

/** Length of the flat vector for a layout. */
export function updateLength(layout: UpdateLayout): number {
  return layout.items * layout.dim + 3 * layout.items + layout.dim * layout.dim + 2;
}

/** Index of the clipped flag in the flat vector. */
export function clipFlagIndex(layout: UpdateLayout): number {
  return updateLength(layout) - 1;
}

/** Flatten a local update (count = 1 marks one contributing device). */
export function flattenUpdate(update: LocalUpdate, layout: UpdateLayout): Float32Array {
  const { items, dim } = layout;
  if (update.itemDelta.length !== items * dim || update.biasDelta.length !== items || update.userGram.length !== dim * dim) {
    throw new RangeError('local update does not match the layout');
  }
  const out = new Float32Array(updateLength(layout));
  let o = 0;
  out.set(update.itemDelta, o);
  o += items * dim;
  out.set(update.biasDelta, o);
  o += items;
  for (let n = 0; n < items; n++) out[o + n] = PART_WEIGHTS.biasWeight * update.biasWeight[n]!;
  o += items;
  for (let n = 0; n < items; n++) out[o + n] = PART_WEIGHTS.itemCurvature * update.itemCurvature[n]!;
  o += items;
  for (let n = 0; n < dim * dim; n++) out[o + n] = PART_WEIGHTS.userGram * update.userGram[n]!;
  o += dim * dim;
  out[o] = 1;
  out[o + 1] = 0;
  return out;
}

/** A summed update, split back into its parts (unweighted: see PART_WEIGHTS). */
export interface AggregateUpdate {
  itemDelta: Float64Array;
  biasDelta: Float64Array;
  biasWeight: Float64Array;
  itemCurvature: Float64Array;
  userGram: Float64Array;
  count: number;
  /** Devices whose update was clipped. */
  clipped: number;
}

/** Split a summed flat vector into its parts. */
export function splitAggregate(sum: Float64Array, layout: UpdateLayout): AggregateUpdate {
  const { items, dim } = layout;
  if (sum.length !== updateLength(layout)) throw new RangeError(`aggregate has length ${sum.length}, expected ${updateLength(layout)}`);
  let o = 0;
  const take = (n: number) => {
    const v = sum.subarray(o, o + n);
    o += n;
    return v;
  };
  const itemDelta = take(items * dim);
  const biasDelta = take(items);
  const unweight = (v: Float64Array, w: number) => Float64Array.from(v, (x) => x / w);
  const biasWeight = unweight(take(items), PART_WEIGHTS.biasWeight);
  const itemCurvature = unweight(take(items), PART_WEIGHTS.itemCurvature);
  const userGram = unweight(take(dim * dim), PART_WEIGHTS.userGram);
  return { itemDelta, biasDelta, biasWeight, itemCurvature, userGram, count: sum[o]!, clipped: sum[o + 1]! };
}
