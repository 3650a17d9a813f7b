// DP-FedAvg in the fixed-point domain of secure aggregation: where the noise goes, how big it is, and the
// fixed-point scale that leaves room for it.
//
// Each update is clipped to L2 norm C (a fixed bound: no adaptive clipping, so the accountant needs no
// extra budget for a private quantile). Encoding multiplies by the scale s and rounds each coordinate
// stochastically, which can move every coordinate by less than 1, so the integer vector's L2 norm is
// at most C·s + √d: the mechanism's sensitivity in integer units. The sum then carries discrete Gaussian
// noise of standard deviation σ·(C·s + √d), i.e. σ·C_eff in model units with C_eff = C + √d/s, which is
// what the accountant's noise multiplier σ refers to (Kairouz, Liu & Steinke 2021, §4, bound the same
// rounding error).
//
// - central: the server adds N_Z(0, (σ·(C·s + √d))²) to every coordinate of the unmasked sum.
// - distributed: every device adds N_Z(0, σ_dev²) with σ_dev² = (σ·(C·s + √d))² / t before masking, so any
//   t or more survivors' shares sum to at least the central variance (deviceNoiseSigma). The gap between a
//   sum of discrete Gaussians and one discrete Gaussian is KLS 2021's τ (discreteGaussianSumSlack), far below
//   1e−10 at the σ_dev these settings give; the accountant charges the Gaussian mechanism's RDP.
import { deviceNoiseSigma } from './distributed';
import { MAX_DISCRETE_GAUSSIAN_SIGMA } from './discrete-gaussian';
import { checkDelta, checkEpsilon, checkNoiseMultiplier } from './validate';

/** Where the noise of a deployment is added. */
export type NoiseMode = 'off' | 'central' | 'distributed';

/** A deployment's privacy settings. */
export interface PrivacySettings {
  mode: NoiseMode;
  /** σ: noise standard deviation as a multiple of the sensitivity. Ignored when mode is 'off'. */
  noiseMultiplier: number;
  /** δ of the (ε, δ) guarantee. */
  delta: number;
  /** Training stops before a round would take ε above this. */
  epsilonBudget: number;
}

/** The noise of one round in fixed-point units. */
export interface RoundNoise {
  /** σ·(C·s + √d): the standard deviation the unmasked sum must carry. */
  sumSigma: number;
  /** Central mode: the server's σ; 0 otherwise. */
  serverSigma: number;
  /** Distributed mode: each device's σ_dev; 0 otherwise. */
  deviceSigma: number;
}

/** Noise standard deviations stay this many times inside the fixed-point range (a 12σ excursion has probability < 1e−32). */
const TAIL_STDS = 12;

/** Check a deployment's privacy settings; throws a RangeError naming the bad field. */
export function checkPrivacySettings(p: PrivacySettings): void {
  if (p.mode !== 'off' && p.mode !== 'central' && p.mode !== 'distributed') throw new RangeError(`privacy mode must be off, central or distributed, got ${String(p.mode)}`);
  if (p.mode === 'off') return;
  checkNoiseMultiplier(p.noiseMultiplier);
  if (!(p.noiseMultiplier > 0)) throw new RangeError(`noiseMultiplier must be > 0 when noise is on (σ = 0 gives ε = ∞), got ${p.noiseMultiplier}`);
  checkDelta(p.delta);
  checkEpsilon(p.epsilonBudget, 'epsilonBudget');
}

/**
 * Devices' worth of fixed-point headroom the noise needs: the sum's noise reaches at most TAIL_STDS standard
 * deviations, i.e. TAIL_STDS·σ·(C·s + √d)·√(n/t) ≤ TAIL_STDS·σ·√(n/t)·(1 + ε) devices at full norm.
 */
export function noiseHeadroomDevices(p: Pick<PrivacySettings, 'mode' | 'noiseMultiplier'>, cohort: number, threshold: number): number {
  if (p.mode === 'off') return 0;
  const spread = p.mode === 'distributed' ? Math.sqrt(cohort / threshold) : 1; // all n devices add noise sized for t
  return Math.ceil(TAIL_STDS * p.noiseMultiplier * spread * 1.01) + 1;
}

/** The noise of a round with scale s, vector length d and threshold t (see the file comment). */
export function roundNoise(p: PrivacySettings, o: { clipNorm: number; scale: number; dimension: number; threshold: number }): RoundNoise {
  if (p.mode === 'off') return { sumSigma: 0, serverSigma: 0, deviceSigma: 0 };
  const effectiveClip = o.clipNorm + Math.sqrt(o.dimension) / o.scale;
  const sumSigma = p.noiseMultiplier * effectiveClip * o.scale;
  if (p.mode === 'central') {
    if (sumSigma > MAX_DISCRETE_GAUSSIAN_SIGMA) throw new RangeError(`central noise σ = ${sumSigma} exceeds the sampler's limit ${MAX_DISCRETE_GAUSSIAN_SIGMA}: use a smaller fixed-point scale`);
    return { sumSigma, serverSigma: sumSigma, deviceSigma: 0 };
  }
  const deviceSigma = deviceNoiseSigma({ noiseMultiplier: p.noiseMultiplier, clipNorm: effectiveClip, scale: o.scale, threshold: o.threshold });
  if (deviceSigma > MAX_DISCRETE_GAUSSIAN_SIGMA) throw new RangeError(`device noise σ = ${deviceSigma} exceeds the sampler's limit ${MAX_DISCRETE_GAUSSIAN_SIGMA}: use a smaller fixed-point scale`);
  return { sumSigma, serverSigma: 0, deviceSigma };
}

/** The largest scale at which the round's noise stays within the sampler's range (with room for the √d term). */
export function maxScaleForNoise(p: PrivacySettings, o: { clipNorm: number; threshold: number }): number {
  if (p.mode === 'off') return Infinity;
  const limit = p.mode === 'distributed' ? MAX_DISCRETE_GAUSSIAN_SIGMA * Math.sqrt(o.threshold) : MAX_DISCRETE_GAUSSIAN_SIGMA;
  return Math.floor((0.5 * limit) / (p.noiseMultiplier * o.clipNorm));
}
