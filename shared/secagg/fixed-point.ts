// The codec between float updates and Z_{2^32}: L2 clipping, unbiased stochastic rounding, wrap-free sums.
//
// The bound. A clipped update has ‖x‖₂ ≤ C, so every coordinate has |x_i| ≤ C. Encoding rounds
// x_i·s to floor(x_i·s) or floor(x_i·s) + 1, so |r_i| ≤ ⌈C·s⌉ (x_i is clamped to [−C, C] first,
// and a correctly rounded product is monotone, so the float x_i·s never exceeds the float C·s).
// A cohort of n devices sums to |Σ r_i| ≤ n·⌈C·s⌉, and read as a signed 32-bit integer the sum is
// exact iff it lies in [−2^31, 2^31 − 1]. Hence the rule: n·⌈C·s⌉ ≤ 2^31 − 1. (The rounder
// n·(C·s + 1) < 2^31 implies it.) Wrapping silently is fedbiomed #1089/#1210 (threat model case 8).
import { SecAggError } from './errors';

/** Only 32-bit modular sums are supported: masks are 32-bit words (prg.ts). */
export const MODULUS_BITS = 32;
/** Largest magnitude a signed 32-bit sum can hold on both sides: 2^31 − 1. */
export const MAX_SUM_MAGNITUDE = 2 ** 31 - 1;
/** Largest scale returned, so that the scale itself fits a signed 32-bit field on the wire. */
export const MAX_SCALE = 2 ** 31 - 1;

export interface FixedPointConfig {
  /** C: the L2 bound every update is clipped to, so each coordinate is in [−C, C]. */
  clipNorm: number;
  /** n: the most devices whose encodings are summed in one round. */
  cohortSize: number;
}

/** Largest |encoded coordinate| at this clip norm and scale: ⌈C·s⌉. */
export function maxEncodedMagnitude(clipNorm: number, scale: number): number {
  return Math.ceil(clipNorm * scale);
}

/**
 * The largest integer scale s with n·⌈C·s⌉ ≤ 2^31 − 1 (see the file comment), capped at
 * MAX_SCALE. Throws 'fixedpoint.overflow' when even s = 1 would let a full cohort's sum wrap.
 */
export function fixedPointScale(config: FixedPointConfig & { modulusBits: number }): number {
  const { clipNorm, cohortSize, modulusBits } = config;
  checkConfig(clipNorm, cohortSize);
  if (modulusBits !== MODULUS_BITS) {
    throw new SecAggError('fixedpoint.bad_config', `modulusBits must be ${MODULUS_BITS}, got ${modulusBits}`);
  }
  const perDevice = Math.floor(MAX_SUM_MAGNITUDE / cohortSize); // the largest allowed ⌈C·s⌉
  let scale = Math.min(MAX_SCALE, Math.floor(perDevice / clipNorm));
  // perDevice / clipNorm is rounded; step to the exact boundary of the rule as encode computes it.
  while (scale >= 1 && maxEncodedMagnitude(clipNorm, scale) > perDevice) scale--;
  while (scale < MAX_SCALE && maxEncodedMagnitude(clipNorm, scale + 1) <= perDevice) scale++;
  if (scale < 1) {
    throw new SecAggError(
      'fixedpoint.overflow',
      `no scale ≥ 1 keeps the sum of cohortSize=${cohortSize} updates with clipNorm=${clipNorm} below 2^31: lower one of them`,
    );
  }
  return scale;
}

/** Throw 'fixedpoint.overflow' when a full cohort at this scale could wrap: n·⌈C·s⌉ > 2^31 − 1. */
export function checkNoWrap(config: FixedPointConfig & { scale: number }): void {
  const { clipNorm, cohortSize, scale } = config;
  checkConfig(clipNorm, cohortSize);
  checkScale(scale);
  const worst = cohortSize * maxEncodedMagnitude(clipNorm, scale);
  if (worst > MAX_SUM_MAGNITUDE) {
    throw new SecAggError(
      'fixedpoint.overflow',
      `cohortSize=${cohortSize} × ⌈clipNorm=${clipNorm} × scale=${scale}⌉ = ${worst} reaches 2^31: the sum could wrap; use scale ≤ ${safeScaleOrNone(clipNorm, cohortSize)}`,
    );
  }
}

/**
 * Clip to L2 norm C (DP-FedAvg, McMahan et al. 2018): x·min(1, C/‖x‖₂). Always returns a copy;
 * `norm` is the input's norm. The result's norm is ≤ C exactly, even after rounding to float32.
 */
export function clipToNorm(values: Float32Array, clipNorm: number): { clipped: Float32Array; norm: number; wasClipped: boolean } {
  checkClipNorm(clipNorm);
  const norm = l2Norm(values);
  const clipped = Float32Array.from(values);
  if (norm <= clipNorm) return { clipped, norm, wasClipped: false };
  let factor = clipNorm / norm;
  // Rounding each coordinate to float32 can push the norm a few ulps above C; shrink until it is not.
  for (;;) {
    for (let i = 0; i < values.length; i++) clipped[i] = values[i]! * factor;
    if (l2Norm(clipped) <= clipNorm) return { clipped, norm, wasClipped: true };
    factor *= 1 - 2 ** -23;
  }
}

/**
 * Encode to Z_{2^32}: each coordinate clamped to [−C, C] (each clamp counted in
 * `clippedCoordinates`, never silent: threat model case 9, Flower #4982), scaled by s and
 * stochastically rounded — floor(x·s) + Bernoulli(frac(x·s)), so E[r] = x·s exactly — then stored
 * as two's complement. `uniform01` must return [0, 1): `sodiumUniform01(sodium)` in production.
 */
export function encode(
  values: Float32Array | Float64Array,
  config: { scale: number; clipNorm: number },
  uniform01: () => number,
): { encoded: Uint32Array; clippedCoordinates: number } {
  const { scale, clipNorm } = config;
  checkClipNorm(clipNorm);
  checkScale(scale);
  if (maxEncodedMagnitude(clipNorm, scale) > MAX_SUM_MAGNITUDE) {
    throw new SecAggError('fixedpoint.overflow', `⌈clipNorm=${clipNorm} × scale=${scale}⌉ exceeds 2^31 − 1: one update alone would wrap`);
  }
  const encoded = new Uint32Array(values.length);
  let clippedCoordinates = 0;
  for (let i = 0; i < values.length; i++) {
    let x = values[i]!;
    if (!Number.isFinite(x)) throw new SecAggError('fixedpoint.not_finite', `values[${i}] is ${x}: updates must be finite`);
    if (x > clipNorm) {
      x = clipNorm;
      clippedCoordinates++;
    } else if (x < -clipNorm) {
      x = -clipNorm;
      clippedCoordinates++;
    }
    const scaled = x * scale;
    const floor = Math.floor(scaled);
    const u = uniform01();
    if (!(u >= 0 && u < 1)) throw new SecAggError('fixedpoint.bad_random', `uniform01() returned ${u}, expected a number in [0, 1)`);
    const rounded = floor + (u < scaled - floor ? 1 : 0);
    encoded[i] = rounded >>> 0;
  }
  return { encoded, clippedCoordinates };
}

/** a ← a + b mod 2^32, in place; returns a. */
export function addMod(a: Uint32Array, b: Uint32Array): Uint32Array {
  checkSameLength(a, b);
  for (let i = 0; i < a.length; i++) a[i] = (a[i]! + b[i]!) >>> 0;
  return a;
}

/** a ← a − b mod 2^32, in place; returns a. */
export function subMod(a: Uint32Array, b: Uint32Array): Uint32Array {
  checkSameLength(a, b);
  for (let i = 0; i < a.length; i++) a[i] = (a[i]! - b[i]!) >>> 0;
  return a;
}

/** Read each word of an unmasked sum as signed 32-bit (two's complement) and divide by the scale. */
export function decodeSum(sum: Uint32Array, scale: number): Float64Array {
  checkScale(scale);
  const out = new Float64Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = (sum[i]! | 0) / scale;
  return out;
}

function l2Norm(values: ArrayLike<number>): number {
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new SecAggError('fixedpoint.not_finite', `values[${i}] is ${v}: updates must be finite`);
    squares += v * v;
  }
  return Math.sqrt(squares);
}

function safeScaleOrNone(clipNorm: number, cohortSize: number): string {
  try {
    return String(fixedPointScale({ clipNorm, cohortSize, modulusBits: MODULUS_BITS }));
  } catch {
    return 'none (no scale ≥ 1 fits)';
  }
}

function checkConfig(clipNorm: number, cohortSize: number): void {
  checkClipNorm(clipNorm);
  if (!Number.isSafeInteger(cohortSize) || cohortSize < 1) {
    throw new SecAggError('fixedpoint.bad_config', `cohortSize must be a positive integer, got ${cohortSize}`);
  }
}

function checkClipNorm(clipNorm: number): void {
  if (!Number.isFinite(clipNorm) || clipNorm <= 0) {
    throw new SecAggError('fixedpoint.bad_config', `clipNorm must be a finite number > 0, got ${clipNorm}`);
  }
}

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_SCALE) {
    throw new SecAggError('fixedpoint.bad_config', `scale must be an integer in [1, ${MAX_SCALE}], got ${scale}`);
  }
}

function checkSameLength(a: Uint32Array, b: Uint32Array): void {
  if (a.length !== b.length) throw new SecAggError('fixedpoint.bad_length', `vectors differ in length: ${a.length} vs ${b.length}`);
}
