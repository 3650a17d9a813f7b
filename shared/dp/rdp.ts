// Rényi-DP of the Poisson-subsampled Gaussian mechanism at one order, per-setting curves, and their composition.
//
// Notation (Mironov, Talwar & Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism"):
// μ0 = N(0, σ²), μ1 = (1 − q)·N(0, σ²) + q·N(1, σ²); the RDP at order α is log(A_α)/(α − 1) with
// A_α = E_{z∼μ0}[(μ1(z)/μ0(z))^α]. Integer α: the binomial expansion (their §3.3, eq. for integer α).
// Fractional α: the expansion split at z0 = σ²·log(1/q − 1) + 1/2 into two convergent series whose
// binomial coefficients change sign past α (the "exact alternating" form that Opacus and TF-Privacy use;
// summing |terms| instead only gives an upper bound). Order 1 (the KL divergence) and fractional series whose
// tails decay only polynomially are integrated by quadrature instead (rdp-quadrature.ts).
import { logAdd, logErfc, logErfcx, signedLogAdd, type SignedLog } from './log-math';
import { klSubsampledGaussian, logAQuadrature } from './rdp-quadrature';
import { checkOrder, checkOrders, checkSetting, checkNoiseMultiplier, checkSamplingRate } from './validate';

export { klSubsampledGaussian, logAQuadrature } from './rdp-quadrature';

/** One setting of DP-FedAvg rounds: each round samples devices with probability q and adds N(0, (σC)²). */
export interface DpSetting {
  /** q: each device joins a round independently with this probability. */
  readonly samplingRate: number;
  /** σ: noise standard deviation divided by the clipping norm. */
  readonly noiseMultiplier: number;
  /** T: number of rounds run with this setting. */
  readonly steps: number;
}

/**
 * How the fractional-order series is summed. 'alternating' (default) is exact: it keeps the signs of C(α, i)
 * (Opacus, TF-Privacy's original rdp_accountant). 'absolute' sums |terms| as Google's dp_accounting does today
 * (`_log_comb` via gammaln), which over-estimates A_α — by 3% at α = 1.5, q = 0.01, σ = 2.5 — and is kept only
 * to reproduce values published from dp_accounting.
 */
export type FractionalSeries = 'alternating' | 'absolute';

export interface RdpOptions {
  readonly fractionalSeries?: FractionalSeries;
}

const LOG_HALF = Math.log(0.5);
/** dp_accounting's `_MAX_STEPS_LOG_A_FRAC` and stopping rule, for the 'absolute' series. */
const ABSOLUTE_SERIES_MAX_TERMS = 1000;
const ABSOLUTE_SERIES_LOG_TOLERANCE = 30;
/**
 * Terms of the fractional-order series before switching to quadrature (σ ≥ 1/2: the slow tails come from large σ, where
 * the integrand is smooth), and the hard cap, reached only for σ < 1/2, where the alternating-series bound is used.
 */
const SERIES_TERMS_BEFORE_QUADRATURE = 300;
const QUADRATURE_MIN_SIGMA = 0.5;
const MAX_SERIES_TERMS = 10_000;
/** Relative accuracy asked of log(A_α) before the fractional series stops. */
const SERIES_RELATIVE_TOLERANCE = 1e-11;

/** log A_α for integer α ≥ 2, 0 < q < 1: log Σ_{i=0..α} C(α,i) q^i (1−q)^(α−i) exp((i² − i)/(2σ²)) (MTZ 2019 §3.3). */
export function logAInteger(samplingRate: number, noiseMultiplier: number, order: number): number {
  const logQ = Math.log(samplingRate);
  const log1mQ = Math.log1p(-samplingRate);
  const twoSigma2 = 2 * noiseMultiplier * noiseMultiplier;
  let logBinom = 0; // log C(α, i), updated by C(α, i+1) = C(α, i)·(α − i)/(i + 1)
  let logA = -Infinity;
  for (let i = 0; i <= order; i++) {
    const logTerm = logBinom + i * logQ + (order - i) * log1mQ + (i * i - i) / twoSigma2;
    logA = logAdd(logA, logTerm);
    logBinom += Math.log(order - i) - Math.log(i + 1);
  }
  return logA;
}

/**
 * The i-th terms (log |·|) of the two series of A_α for fractional α (MTZ 2019 §3.3), j = α − i:
 * s0 = |C(α,i)| q^i (1−q)^j e^((i²−i)/(2σ²)) · ½erfc((i − z0)/(√2σ)),
 * s1 = |C(α,i)| q^j (1−q)^i e^((j²−j)/(2σ²)) · ½erfc((z0 − j)/(√2σ)), z0 = σ² log(1/q − 1) + 1/2.
 * In the far tail e^((k²−k)/(2σ²)) and erfc over/underflow together; there, since
 * (k² − k − (k − z0)²)/(2σ²) = k·L − z0²/(2σ²) with L = log((1 − q)/q), erfcx is used instead.
 */
function fractionalTerms(samplingRate: number, noiseMultiplier: number, order: number): (i: number, logBinom: number) => [number, number] {
  const logQ = Math.log(samplingRate);
  const log1mQ = Math.log1p(-samplingRate);
  const sigma = noiseMultiplier;
  const twoSigma2 = 2 * sigma * sigma;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  const logOdds = log1mQ - logQ; // L = log((1 − q)/q)
  const z0 = sigma * sigma * logOdds + 0.5; // z0 = σ² log(1/q − 1) + 1/2
  const z0Term = (z0 * z0) / twoSigma2;
  const logGaussFactor = (k: number, x: number): number =>
    x >= 2 ? LOG_HALF + k * logOdds - z0Term + logErfcx(x) : LOG_HALF + (k * k - k) / twoSigma2 + logErfc(x);
  return (i, logBinom) => {
    const j = order - i;
    return [
      logBinom + i * logQ + j * log1mQ + logGaussFactor(i, (i - z0) / sqrt2Sigma),
      logBinom + j * logQ + i * log1mQ + logGaussFactor(j, (z0 - j) / sqrt2Sigma),
    ];
  };
}

/**
 * log A_α for fractional α > 1, 0 < q < 1 (MTZ 2019 §3.3): A_α = Σ_i sign(C(α,i))·(s0_i + s1_i) (see fractionalTerms),
 * C(α,i) alternating in sign for i > α. Past their peaks both series alternate with shrinking terms, so the
 * truncation error is below the last term added: the sum stops when that term is negligible (relative 1e−11 on log A)
 * and adds its magnitude, so the result is an upper bound up to rounding. Where the tail decays only polynomially
 * (terms ~ i^−(α+2) when q ≥ 1/2 or σ is large) and σ ≥ 1/2, after 300 terms the integral is taken by quadrature
 * instead (logAQuadrature). With series 'absolute', dp_accounting's sum of |terms| (see FractionalSeries).
 */
export function logAFractional(samplingRate: number, noiseMultiplier: number, order: number, series: FractionalSeries = 'alternating'): number {
  const terms = fractionalTerms(samplingRate, noiseMultiplier, order);
  if (series === 'absolute') return logAFractionalAbsolute(terms, order);
  let acc0: SignedLog = { sign: 0, log: -Infinity };
  let acc1: SignedLog = { sign: 0, log: -Infinity };
  let logBinom = 0; // log |C(α, i)|, updated by C(α, i+1) = C(α, i)·(α − i)/(i + 1)
  let sign: 1 | -1 = 1;
  let last0 = Infinity;
  let last1 = Infinity;
  for (let i = 0; i < MAX_SERIES_TERMS; i++) {
    if (i === SERIES_TERMS_BEFORE_QUADRATURE && noiseMultiplier >= QUADRATURE_MIN_SIGMA) {
      return logAQuadrature(samplingRate, noiseMultiplier, order); // polynomially slow tail (q near 1/2 or above, large σ)
    }
    const [logS0, logS1] = terms(i, logBinom);
    acc0 = signedLogAdd(acc0, sign, logS0);
    acc1 = signedLogAdd(acc1, sign, logS1);
    const settled = i > order + 1 && logS0 < last0 && logS1 < last1; // signs alternate from here and terms shrink
    if (settled) {
      const logTotal = logAdd(acc0.sign > 0 ? acc0.log : -Infinity, acc1.sign > 0 ? acc1.log : -Infinity);
      // Absolute error e^logS in A is a relative error e^logS/A in A, i.e. ≈ e^(logS − logA)/logA in log A.
      const tolerance = logTotal + Math.log(Math.max(SERIES_RELATIVE_TOLERANCE * logTotal, 1e-20));
      if (Math.max(logS0, logS1) < tolerance || i === MAX_SERIES_TERMS - 1) {
        if (acc0.sign < 0 || acc1.sign < 0) return Infinity; // cannot happen for a convergent series; stay safe
        return logAdd(logAdd(acc0.log, logS0), logAdd(acc1.log, logS1)); // partial sums + tail bounds
      }
    }
    last0 = logS0;
    last1 = logS1;
    logBinom += Math.log(Math.abs(order - i)) - Math.log(i + 1);
    if (order - i < 0) sign = sign === 1 ? -1 : 1;
  }
  return Infinity;
}

/** The same two series with every term counted positive, and dp_accounting's stopping rule (its upper bound). */
function logAFractionalAbsolute(terms: (i: number, logBinom: number) => [number, number], order: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  let logBinom = 0;
  let last0 = -Infinity;
  let last1 = -Infinity;
  for (let i = 0; i < ABSOLUTE_SERIES_MAX_TERMS; i++) {
    const [logS0, logS1] = terms(i, logBinom);
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    if (logS0 < last0 && logS1 < last1 && Math.max(logS0, logS1) < total - ABSOLUTE_SERIES_LOG_TOLERANCE) return total;
    last0 = logS0;
    last1 = logS1;
    logBinom += Math.log(Math.abs(order - i)) - Math.log(i + 1);
  }
  return Infinity;
}

/**
 * RDP of one step of the Poisson-subsampled Gaussian at order α (Mironov, Talwar & Zhang 2019):
 * q = 0 → 0; σ = 0 (q > 0) → +∞; q = 1 → α/(2σ²) (Mironov 2017, Gaussian mechanism); else log(A_α)/(α − 1).
 */
export function rdpPoissonSubsampledGaussian(samplingRate: number, noiseMultiplier: number, order: number, options: RdpOptions = {}): number {
  checkSamplingRate(samplingRate);
  checkNoiseMultiplier(noiseMultiplier);
  checkOrder(order);
  if (samplingRate === 0) return 0;
  if (noiseMultiplier === 0) return Infinity;
  // σ² so small that 1/(2σ²) overflows: e^(1/(2σ²)) beats any q ≥ 5e−324, every order's RDP is +∞ in double precision.
  if (1 / (2 * noiseMultiplier * noiseMultiplier) === Infinity) return Infinity;
  if (samplingRate === 1) return order / (2 * noiseMultiplier * noiseMultiplier); // RDP of N(0, σ²) at sensitivity 1
  if (order === 1) return klSubsampledGaussian(samplingRate, noiseMultiplier);
  const logA = Number.isInteger(order)
    ? logAInteger(samplingRate, noiseMultiplier, order)
    : logAFractional(samplingRate, noiseMultiplier, order, options.fractionalSeries);
  return Math.max(0, logA / (order - 1)); // A_α ≥ 1 (Jensen); the clamp only removes rounding below 0
}

/** RDP curve of T steps of one setting over the orders: T × the per-step curve (RDP composes additively; Mironov 2017 Prop. 1). */
export function rdpCurve(setting: DpSetting, orders: readonly number[], options: RdpOptions = {}): number[] {
  checkSetting(setting);
  checkOrders(orders);
  return perStepCurve(setting.samplingRate, setting.noiseMultiplier, orders, options).map((r) => scaleRdp(r, setting.steps));
}

/** Summed RDP curve of several settings run one after another (composition adds RDP order by order; Mironov 2017 Prop. 1). */
export function composeRdp(settings: readonly DpSetting[], orders: readonly number[], options: RdpOptions = {}): number[] {
  checkOrders(orders);
  const total = new Array<number>(orders.length).fill(0);
  for (const setting of settings) {
    const curve = rdpCurve(setting, orders, options);
    for (let k = 0; k < total.length; k++) total[k] = total[k]! + curve[k]!;
  }
  return total;
}

/** The per-step curve (no validation: callers have checked). */
export function perStepCurve(samplingRate: number, noiseMultiplier: number, orders: readonly number[], options: RdpOptions = {}): number[] {
  return orders.map((order) => rdpPoissonSubsampledGaussian(samplingRate, noiseMultiplier, order, options));
}

/** T × rdp, with 0 steps of an infinite curve counting as 0 (running nothing spends nothing). */
export function scaleRdp(rdpPerStep: number, steps: number): number {
  return steps === 0 ? 0 : steps * rdpPerStep;
}
