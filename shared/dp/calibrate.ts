// Noise calibration: the smallest noise multiplier σ whose accounted ε stays within a target, found by bisection.
import { perStepCurve, scaleRdp } from './rdp';
import { epsilonFromRdp } from './conversion';
import { DEFAULT_ORDERS } from './orders';
import { checkEpsilon, checkDelta, checkSamplingRate, checkCount, checkOrders } from './validate';

export interface CalibrationTarget {
  readonly targetEpsilon: number;
  readonly targetDelta: number;
  /** q of every round. */
  readonly samplingRate: number;
  /** T: rounds to be run. */
  readonly steps: number;
  readonly orders?: readonly number[];
  /** Stop when the bracket [lo, hi] has hi/lo ≤ 1 + this (default 1e-6). */
  readonly relativeTolerance?: number;
}

/** No σ above this is searched: beyond it the target is declared unreachable with the given orders. */
export const MAX_CALIBRATED_NOISE_MULTIPLIER = 2 ** 20;
const MIN_SEARCHED_NOISE_MULTIPLIER = 2 ** -40;

/** ε of T steps of (q, σ) at δ over the orders (MTZ 2019 RDP, improved conversion of Balle et al. 2020). */
export function epsilonFor(samplingRate: number, noiseMultiplier: number, steps: number, targetDelta: number, orders: readonly number[]): number {
  const rdp = perStepCurve(samplingRate, noiseMultiplier, orders).map((r) => scaleRdp(r, steps));
  return epsilonFromRdp(orders, rdp, targetDelta).epsilon;
}

/**
 * The smallest σ (to the relative tolerance) with ε(q, σ, T, δ) ≤ targetEpsilon; ε decreases in σ, so bisection on
 * log σ keeps a bracket lo (over target) < hi (within target) and returns hi: the answer never overshoots the target.
 * q = 0 or T = 0 → 0 (nothing is spent). Throws a RangeError when no σ ≤ 2^20 reaches the target.
 */
export function calibrateNoiseMultiplier(target: CalibrationTarget): number {
  if (target === null || typeof target !== 'object') throw new RangeError('target must be { targetEpsilon, targetDelta, samplingRate, steps }');
  const { targetEpsilon, targetDelta, samplingRate, steps } = target;
  const orders = target.orders ?? DEFAULT_ORDERS;
  const tolerance = target.relativeTolerance ?? 1e-6;
  checkEpsilon(targetEpsilon, 'targetEpsilon');
  checkDelta(targetDelta, 'targetDelta');
  checkSamplingRate(samplingRate);
  checkCount(steps, 'steps');
  checkOrders(orders);
  if (typeof tolerance !== 'number' || !(tolerance > 0 && tolerance < 1)) throw new RangeError(`relativeTolerance must be in (0, 1), got ${tolerance}`);
  if (samplingRate === 0 || steps === 0) return 0;

  const within = (sigma: number): boolean => epsilonFor(samplingRate, sigma, steps, targetDelta, orders) <= targetEpsilon;
  let lo: number;
  let hi: number;
  if (within(1)) {
    hi = 1;
    lo = 0.5;
    while (within(lo)) {
      hi = lo;
      lo /= 2;
      if (lo < MIN_SEARCHED_NOISE_MULTIPLIER) return hi;
    }
  } else {
    lo = 1;
    hi = 2;
    while (!within(hi)) {
      lo = hi;
      hi *= 2;
      if (hi > MAX_CALIBRATED_NOISE_MULTIPLIER) {
        const floor = epsilonFor(samplingRate, MAX_CALIBRATED_NOISE_MULTIPLIER, steps, targetDelta, orders);
        throw new RangeError(
          `targetEpsilon ${targetEpsilon} is unreachable at targetDelta ${targetDelta} with these orders: even noiseMultiplier ` +
            `${MAX_CALIBRATED_NOISE_MULTIPLIER} gives ε = ${floor} (raise targetEpsilon or targetDelta, or add larger orders)`,
        );
      }
    }
  }
  while (hi / lo > 1 + tolerance) {
    const mid = Math.sqrt(lo * hi);
    if (mid <= lo || mid >= hi) break;
    if (within(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
