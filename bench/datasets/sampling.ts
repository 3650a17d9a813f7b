// Sampling primitives for the synthetic generator: alias tables, cumulative search, log-normal counts.
import { shuffleInPlace, type Rng } from '../../shared/math/random';

/** Walker alias table: O(n) to build, O(1) per draw. */
export interface AliasTable {
  prob: Float64Array;
  alias: Int32Array;
}

/** Build an alias table over non-negative weights (not all zero). */
export function buildAlias(weights: ArrayLike<number>): AliasTable {
  const n = weights.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  if (!(total > 0)) throw new RangeError('buildAlias: weights must have a positive sum');
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = new Float64Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    scaled[i] = (weights[i]! * n) / total;
    (scaled[i]! < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large[large.length - 1]!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    if (scaled[l]! < 1) small.push(large.pop()!);
  }
  // Leftovers are 1 up to rounding error.
  for (const i of large) prob[i] = 1;
  for (const i of small) prob[i] = 1;
  return { prob, alias };
}

/** Draw an index from an alias table using one uniform: its integer part picks the column, its fraction the coin. */
export function sampleAlias(table: AliasTable, rng: Rng): number {
  const x = rng.float() * table.prob.length;
  const i = Math.floor(x);
  return x - i < table.prob[i]! ? i : table.alias[i]!;
}

/** Smallest index whose cumulative weight exceeds `target` (cum is non-decreasing, target in [0, cum[last])). */
export function searchCumulative(cum: Float64Array, length: number, target: number): number {
  let lo = 0;
  let hi = length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Parameters of a log-normal with the given mean and median (median <= mean; equal means no spread). */
export function logNormalFromMeanMedian(mean: number, median: number): { mu: number; sigma: number } {
  if (!(median > 0) || !(mean >= median)) throw new RangeError(`log-normal needs 0 < median <= mean, got median ${median}, mean ${mean}`);
  // mean = exp(mu + sigma²/2) and median = exp(mu).
  return { mu: Math.log(median), sigma: Math.sqrt(2 * Math.log(mean / median)) };
}

/** Mean and median of a list of counts. */
export function meanAndMedian(counts: ArrayLike<number>): { mean: number; median: number } {
  const n = counts.length;
  if (n === 0) return { mean: 0, median: 0 };
  const sorted = Float64Array.from(counts).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mid = n >> 1;
  return { mean: sum / n, median: n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2 };
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error below 1.2e-9), p in (0, 1). */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`inverseNormalCdf needs 0 < p < 1, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * n standard normal draws stratified over n equal-probability bins (one per bin, in random order): each is still
 * N(0,1) on its own, but the sample's mean and quantiles sit much closer to the target than n independent draws.
 */
export function stratifiedNormals(n: number, rng: Rng): Float64Array {
  const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), rng);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let p = (order[i]! + rng.float()) / n;
    if (p <= 0) p = Number.MIN_VALUE;
    out[i] = inverseNormalCdf(p);
  }
  return out;
}
