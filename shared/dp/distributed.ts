// Noise calibration for central DP (σ·C added once) and distributed DP (discrete Gaussian shares added by each device).
//
// Distributed mode (Kairouz, Liu & Steinke 2021, "The Distributed Discrete Gaussian Mechanism for Federated Learning
// with Secure Aggregation"): in the fixed-point domain (update × scale s, so the L2 sensitivity is C·s) every device
// adds N_Z(0, σ_dev²) per coordinate. The server only sees the sum of the survivors' shares; with at least `threshold`
// survivors, that sum has variance ≥ threshold·σ_dev², so σ_dev² = (σ·C·s)² / threshold gives the sum at least the
// central mechanism's variance (σ·C·s)² whatever drops out. A sum of discrete Gaussians is not exactly a discrete
// Gaussian: KLS 2021 (Theorem 1 / Proposition 14) bound the gap by τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ_dev²·k/(k+1)),
// which enters the Rényi divergence additively (RDP ≤ α·Δ²/(2nσ_dev²) + τ·d) or inside the sensitivity
// (RDP ≤ α/2·(Δ/(√n·σ_dev) + τ·√d)²). Since k/(k+1) ≥ 1/2, τ ≤ 10(n−1)·e^(−π²σ_dev²): below 1e−10 for σ_dev ≥ 2 and
// n ≤ 10^6, but not for σ_dev ≈ 1 — check it with discreteGaussianSumSlack when choosing the fixed-point scale.
import { checkNoiseMultiplier, checkPositive, checkPositiveCount, checkNonNegative, checkOrder } from './validate';

export interface CentralNoise {
  readonly noiseMultiplier: number;
  readonly clipNorm: number;
}

export interface DistributedNoise {
  /** σ of the target mechanism (the accountant's noise multiplier). */
  readonly noiseMultiplier: number;
  /** C: L2 clipping norm of each update (in model units). */
  readonly clipNorm: number;
  /** s: fixed-point scale (model units → integers). */
  readonly scale: number;
  /** t: the fewest devices whose sum the server can unmask (secure aggregation's threshold). */
  readonly threshold: number;
}

/** Standard deviation of the central Gaussian noise added to the sum: σ·C (noiseStd, not the multiplier). */
export function centralNoiseStd(noise: CentralNoise): number {
  checkNoiseMultiplier(noise.noiseMultiplier);
  checkPositive(noise.clipNorm, 'clipNorm');
  return noise.noiseMultiplier * noise.clipNorm; // noiseStd = σ·C
}

/** Rounds up by a few ulps so that float rounding of the products never leaves the result below the real value. */
const roundUp = (x: number): number => x * (1 + 8 * Number.EPSILON);

/** Per-device discrete Gaussian variance in fixed-point units: σ_dev² = (σ·C·s)² / threshold (KLS 2021), rounded up. */
export function deviceNoiseVariance(noise: DistributedNoise): number {
  checkNoiseMultiplier(noise.noiseMultiplier);
  checkPositive(noise.clipNorm, 'clipNorm');
  checkPositive(noise.scale, 'scale');
  checkPositiveCount(noise.threshold, 'threshold');
  const sumStd = noise.noiseMultiplier * noise.clipNorm * noise.scale; // σ·C·s
  return roundUp((sumStd * sumStd) / noise.threshold); // σ_dev² = (σ C s)² / t
}

/** Per-device σ_dev = σ·C·s/√threshold in fixed-point units (rounded up), the parameter of each device's N_Z(0, σ_dev²). */
export function deviceNoiseSigma(noise: DistributedNoise): number {
  return roundUp(Math.sqrt(deviceNoiseVariance(noise)));
}

/**
 * τ of Kairouz, Liu & Steinke 2021 (Theorem 1): the per-coordinate slack from summing `devices` independent
 * N_Z(0, σ_dev²) instead of one N_Z(0, devices·σ_dev²): τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ_dev²·k/(k+1)) (needs σ_dev ≥ 1/2).
 */
export function discreteGaussianSumSlack(options: { deviceSigma: number; devices: number }): number {
  const { deviceSigma, devices } = options;
  checkNonNegative(deviceSigma, 'deviceSigma');
  checkPositiveCount(devices, 'devices');
  if (deviceSigma < 0.5) throw new RangeError(`deviceSigma must be ≥ 1/2 for the bound of Kairouz, Liu & Steinke 2021, got ${deviceSigma}`);
  let tau = 0;
  const twoPi2Sigma2 = 2 * Math.PI * Math.PI * deviceSigma * deviceSigma;
  for (let k = 1; k < devices; k++) tau += Math.exp((-twoPi2Sigma2 * k) / (k + 1)); // e^(−2π²σ²·k/(k+1))
  return 10 * tau;
}

/**
 * RDP at order α of adding the sum of `devices` shares N_Z(0, σ_dev²)^d to a query of L2 sensitivity Δ (KLS 2021,
 * Theorem 1 / Prop. 14): min{ α·Δ²/(2nσ_dev²) + τ·d, α/2·(Δ/(√n·σ_dev) + τ·√d)² }, no subsampling.
 */
export function distributedDiscreteGaussianRdp(options: {
  order: number;
  l2Sensitivity: number;
  deviceSigma: number;
  devices: number;
  dimension: number;
}): number {
  const { order, l2Sensitivity, deviceSigma, devices, dimension } = options;
  checkOrder(order);
  checkNonNegative(l2Sensitivity, 'l2Sensitivity');
  checkPositiveCount(dimension, 'dimension');
  const tau = discreteGaussianSumSlack({ deviceSigma, devices });
  const sumVariance = devices * deviceSigma * deviceSigma; // n·σ_dev²
  const additive = (order * l2Sensitivity * l2Sensitivity) / (2 * sumVariance) + tau * dimension;
  const inflated = (order / 2) * (l2Sensitivity / Math.sqrt(sumVariance) + tau * Math.sqrt(dimension)) ** 2;
  return Math.min(additive, inflated);
}
