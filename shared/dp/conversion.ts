// RDP → (ε, δ) with the improved conversion (Balle et al. 2020; Canonne, Kamath & Steinke 2020), and back.
import { log1mExp } from './log-math';
import { checkDelta, checkNonNegative, checkOrders } from './validate';

/** An ε (or δ) and the Rényi order that gave it. */
export interface EpsilonAtOrder {
  readonly epsilon: number;
  readonly order: number;
}

export interface DeltaAtOrder {
  readonly delta: number;
  readonly order: number;
}

/** Orders at or below this are skipped by the α-bound: it is numerically unstable as α → 1 (as in dp_accounting). */
const MIN_ORDER_FOR_BOUND = 1.01;

function checkCurve(orders: readonly number[], rdp: readonly number[]): void {
  checkOrders(orders);
  if (!Array.isArray(rdp) || rdp.length !== orders.length) {
    throw new RangeError(`rdp must have one value per order (${orders.length}), got ${Array.isArray(rdp) ? rdp.length : typeof rdp}`);
  }
  for (let k = 0; k < rdp.length; k++) {
    const r = rdp[k];
    if (typeof r !== 'number' || !(r >= 0)) throw new RangeError(`rdp[${k}] must be a number ≥ 0 (or +Infinity), got ${String(r)}`);
  }
}

/**
 * ε for a target δ from an RDP curve (Balle et al. 2020 Thm. 21; Canonne, Kamath & Steinke 2020 Prop. 12):
 * ε = min over α of [rdp(α) + log((α−1)/α) − (log δ + log α)/(α−1)], with the KL bound δ ≥ √(1 − e^(−rdp)) ⇒ ε = 0,
 * orders ≤ 1.01 used only through that KL bound, and the result clamped at 0 (as dp_accounting's compute_epsilon).
 */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], targetDelta: number): EpsilonAtOrder {
  checkDelta(targetDelta, 'targetDelta');
  checkCurve(orders, rdp);
  const logDelta = Math.log(targetDelta);
  let best = Infinity;
  let bestIndex = 0;
  for (let k = 0; k < orders.length; k++) {
    const alpha = orders[k]!;
    const r = rdp[k]!;
    let eps: number;
    if (r === Infinity) eps = Infinity;
    else if (targetDelta * targetDelta + Math.expm1(-r) > 0) eps = 0; // δ² > 1 − e^(−KL) ≥ 1 − e^(−rdp): (0, δ)-DP already
    else if (alpha > MIN_ORDER_FOR_BOUND) eps = r + Math.log1p(-1 / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1);
    else eps = Infinity;
    if (eps < best) {
      best = eps;
      bestIndex = k;
    }
  }
  return { epsilon: Math.max(0, best), order: orders[bestIndex]! };
}

/**
 * δ for a target ε from an RDP curve (Canonne, Kamath & Steinke 2020 Prop. 12, in log space):
 * log δ = min over α of [(α−1)(rdp(α) − ε + log(1 − 1/α)) − log α], and the KL bound δ ≤ √(1 − e^(−rdp)); δ ≤ 1.
 */
export function deltaFromRdp(orders: readonly number[], rdp: readonly number[], targetEpsilon: number): DeltaAtOrder {
  checkNonNegative(targetEpsilon, 'targetEpsilon');
  checkCurve(orders, rdp);
  let best = Infinity;
  let bestIndex = 0;
  for (let k = 0; k < orders.length; k++) {
    const alpha = orders[k]!;
    const r = rdp[k]!;
    let logDelta = r === 0 ? -Infinity : 0.5 * log1mExp(r); // δ ≤ √(1 − e^(−KL)), accurate for tiny rdp too
    if (alpha > MIN_ORDER_FOR_BOUND) {
      const bound = (alpha - 1) * (r - targetEpsilon + Math.log1p(-1 / alpha)) - Math.log(alpha);
      logDelta = Math.min(logDelta, bound);
    }
    if (logDelta < best) {
      best = logDelta;
      bestIndex = k;
    }
  }
  return { delta: Math.min(Math.exp(best), 1), order: orders[bestIndex]! };
}
