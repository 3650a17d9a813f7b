// Divergences of the sampled Gaussian by trapezoidal quadrature: the KL divergence (order 1) and A_α where series are slow.
//
// μ0 = N(0, σ²), μ1 = (1 − q)·N(0, σ²) + q·N(1, σ²) (Mironov, Talwar & Zhang 2019). With x = σz, z ∼ N(0, 1), the
// likelihood ratio is μ1/μ0 = 1 + u, u = q·(e^((2x − 1)/(2σ²)) − 1). As a function of z it is analytic in the strip
// |Im z| < πσ (1 + u first vanishes at Im z = πσ), so the trapezoidal rule with step h ≤ σ/4 converges like
// e^(−2π·πσ/h) ≤ e^(−8π²) ≈ 5e−35: spectrally accurate, no adaptive refinement needed.
import { logAdd } from './log-math';

const Z_RANGE = 38.5; // φ(38.5) < 1e−320: the Gaussian weight is 0 in double precision beyond
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const MAX_POINTS = 400_000;

/** The step: h = min(1/4, σ/4) (see the strip width above). */
const stepFor = (sigma: number): number => Math.min(0.25, sigma / 4);

/**
 * RDP at order α = 1 (the KL divergence) of the sampled Gaussian, the larger of KL(μ1‖μ0) and KL(μ0‖μ1) (MTZ 2019),
 * by quadrature over each Gaussian component. For σ so small that the grid would exceed its budget, the
 * joint-convexity bound q/(2σ²) ≥ both divergences is returned instead.
 */
export function klSubsampledGaussian(samplingRate: number, noiseMultiplier: number): number {
  const q = samplingRate;
  const sigma = noiseMultiplier;
  const step = stepFor(sigma);
  const points = Math.ceil((2 * Z_RANGE) / step);
  if (points > MAX_POINTS) return q / (2 * sigma * sigma);
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigma2 = 2 * sigma * sigma;
  const logRatio = (x: number): number => logAdd(log1mQ, logQ + (2 * x - 1) / twoSigma2); // log μ1/μ0
  let e0 = 0; // E_{N(0,σ²)}[log μ1/μ0]
  let e1 = 0; // E_{N(1,σ²)}[log μ1/μ0]
  const half = Math.floor(points / 2);
  for (let k = -half; k <= half; k++) {
    const z = k * step;
    const weight = step * Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
    e0 += weight * logRatio(sigma * z);
    e1 += weight * logRatio(1 + sigma * z);
  }
  const klForward = (1 - q) * e0 + q * e1; // KL(μ1‖μ0) = E_μ1[log μ1/μ0]
  const klBackward = -e0; // KL(μ0‖μ1) = −E_μ0[log μ1/μ0]
  return Math.max(0, klForward, klBackward);
}

/**
 * log f(u) for f(u) = (1 + u)^α − 1 − αu ≥ 0 (α > 1, u > −1), given u and log(1 + u). Near u = 0 by its binomial
 * series Σ_{k≥2} C(α,k)·u^k (no cancellation); elsewhere in closed form (where f is no longer tiny next to αu, so the
 * subtraction loses at most a few digits), in log space once (1 + u)^α is huge.
 */
function logExcess(order: number, u: number, log1pU: number): number {
  if (Math.abs(u) * (order + 1) < 0.5) {
    // Term ratios |u|·|α − k|/(k + 1) < 1/2: fast, and too small to cancel.
    let coefficient = (order * (order - 1)) / 2; // C(α, 2)
    let power = u * u;
    let sum = coefficient * power;
    for (let k = 2; k < 200; k++) {
      coefficient *= (order - k) / (k + 1);
      power *= u;
      const term = coefficient * power;
      sum += term;
      if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    }
    return Math.log(sum);
  }
  const logPower = order * log1pU; // log (1 + u)^α
  if (logPower < 700) return Math.log(Math.expm1(logPower) - order * u);
  return logPower; // (1 + αu)/(1 + u)^α < e^(−600): negligible
}

/**
 * log A_α for 0 < q < 1, α > 1 by quadrature: A_α − 1 = E_{z∼N(0,1)}[f(u(σz))] with f(u) = (1 + u)^α − 1 − αu ≥ 0
 * (E_μ0[u] = 0 since μ1/μ0 integrates to 1), so the sum has no cancellation and log A_α = log1p(A_α − 1) keeps its
 * relative accuracy when A_α is close to 1. The grid covers z ∈ [−38.5, α/σ + 38.5] (the integrand peaks near α/σ).
 */
export function logAQuadrature(samplingRate: number, noiseMultiplier: number, order: number): number {
  const q = samplingRate;
  const sigma = noiseMultiplier;
  const step = stepFor(sigma);
  const zMax = order / sigma + Z_RANGE;
  const first = Math.floor(-Z_RANGE / step);
  const last = Math.ceil(zMax / step);
  if (last - first > MAX_POINTS) return Infinity;
  const logQ = Math.log(q);
  const twoSigma2 = 2 * sigma * sigma;
  let logSum = -Infinity;
  for (let k = first; k <= last; k++) {
    const z = k * step;
    const t = (2 * sigma * z - 1) / twoSigma2; // μ1/μ0 = 1 + q(e^t − 1)
    const u = t < 700 ? q * Math.expm1(t) : Math.exp(logQ + t); // beyond, u ≈ q·e^t (possibly +∞)
    const log1pU = t < 700 ? Math.log1p(u) : logQ + t; // and log(1 + u) ≈ log q + t
    logSum = logAdd(logSum, -0.5 * z * z - LOG_SQRT_2PI + logExcess(order, u, log1pU));
  }
  const logExcessMean = logSum + Math.log(step); // log(A_α − 1)
  return logExcessMean < 0 ? Math.log1p(Math.exp(logExcessMean)) : logAdd(0, logExcessMean);
}
