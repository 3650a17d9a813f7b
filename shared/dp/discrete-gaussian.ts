// Exact sampler of the discrete Gaussian N_Z(0, σ²) from a CSPRNG (Canonne, Kamath & Steinke 2020, Algorithms 2–3).
//
// σ² is a rational n/d held exactly. Given as a float σ, it is the exact value of that double (every finite double is
// m·2^e, so σ² = m²·2^(2e) is an exact dyadic rational: no rounding anywhere). Every probability the sampler uses is a
// ratio of integers, decided with uniform random bits (see random-bits.ts); nothing goes through floating point.
import { RandomBits, type RandomBytes } from './random-bits';
import { checkNonNegative, checkCount } from './validate';

export type { RandomBytes } from './random-bits';

/** A non-negative rational number numerator/denominator (denominator ≥ 1). */
export interface Rational {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** The scale of a discrete Gaussian: its parameter σ as a float, or σ² as an exact rational. */
export type DiscreteGaussianScale = { readonly sigma: number } | { readonly variance: Rational };

/** A stateful sampler (it owns a buffer of random bits); draws are independent N_Z(0, σ²). */
export interface DiscreteGaussianSampler {
  /** σ² exactly, reduced. */
  readonly variance: Rational;
  /** One draw. */
  sample(): number;
  /** Fill `out` with independent draws and return it. */
  fill(out: Int32Array): Int32Array;
}

/** Largest σ accepted: draws then stay far inside Int32 (P(|X| ≥ 2^31) < e^(−8000)) and t·V stays exact. */
export const MAX_DISCRETE_GAUSSIAN_SIGMA = 2 ** 24;
const MAX_INT32 = 2 ** 31 - 1;
const EXACT = 2 ** 52;
const GAMMA_CACHE_LIMIT = 1 << 14;

const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < BigInt(0) ? -a : a;
  let y = b < BigInt(0) ? -b : b;
  while (y !== BigInt(0)) [x, y] = [y, x % y];
  return x;
};

/** The exact value of a finite non-negative double as a reduced fraction with a power-of-two denominator. */
export function exactRational(x: number): Rational {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`exactRational: expected a finite number ≥ 0, got ${x}`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> BigInt(52)) & BigInt(0x7ff));
  const fraction = bits & ((BigInt(1) << BigInt(52)) - BigInt(1));
  const mantissa = exponentBits === 0 ? fraction : fraction | (BigInt(1) << BigInt(52));
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075; // x = mantissa · 2^exponent
  if (mantissa === BigInt(0)) return { numerator: BigInt(0), denominator: BigInt(1) };
  if (exponent >= 0) return { numerator: mantissa << BigInt(exponent), denominator: BigInt(1) };
  return reduce(mantissa, BigInt(1) << BigInt(-exponent));
}

function reduce(numerator: bigint, denominator: bigint): Rational {
  const g = gcd(numerator, denominator);
  return g > BigInt(1) ? { numerator: numerator / g, denominator: denominator / g } : { numerator, denominator };
}

/** ⌊√m⌋ for a BigInt m ≥ 0 (Newton's method on integers). */
function isqrt(m: bigint): bigint {
  if (m < BigInt(2)) return m;
  let x = BigInt(Math.floor(Math.sqrt(Number(m)))) + BigInt(1);
  for (;;) {
    const y = (x + m / x) >> BigInt(1);
    if (y >= x) break;
    x = y;
  }
  while (x * x > m) x -= BigInt(1);
  while ((x + BigInt(1)) * (x + BigInt(1)) <= m) x += BigInt(1);
  return x;
}

function varianceOf(scale: DiscreteGaussianScale): Rational {
  if (scale !== null && typeof scale === 'object' && 'sigma' in scale) {
    checkNonNegative(scale.sigma, 'sigma');
    if (scale.sigma > MAX_DISCRETE_GAUSSIAN_SIGMA) throw new RangeError(`sigma must be ≤ ${MAX_DISCRETE_GAUSSIAN_SIGMA}, got ${scale.sigma}`);
    const s = exactRational(scale.sigma);
    return { numerator: s.numerator * s.numerator, denominator: s.denominator * s.denominator }; // reduced: s is
  }
  if (scale !== null && typeof scale === 'object' && 'variance' in scale) {
    const { numerator, denominator } = scale.variance;
    if (typeof numerator !== 'bigint' || typeof denominator !== 'bigint' || numerator < BigInt(0) || denominator < BigInt(1)) {
      throw new RangeError('variance must be { numerator: bigint ≥ 0, denominator: bigint ≥ 1 }');
    }
    const v = reduce(numerator, denominator);
    if (v.numerator > BigInt(MAX_DISCRETE_GAUSSIAN_SIGMA) ** BigInt(2) * v.denominator) {
      throw new RangeError(`variance must be ≤ ${MAX_DISCRETE_GAUSSIAN_SIGMA}², got ${v.numerator}/${v.denominator}`);
    }
    return v;
  }
  throw new RangeError('scale must be { sigma: number } or { variance: { numerator, denominator } }');
}

/**
 * A sampler of N_Z(0, σ²): P(X = x) ∝ exp(−x²/(2σ²)) on the integers (Canonne, Kamath & Steinke 2020, Algorithm 3),
 * drawing every bit from `randomBytes`. σ = 0 gives the point mass at 0.
 */
export function createDiscreteGaussianSampler(scale: DiscreteGaussianScale, randomBytes: RandomBytes): DiscreteGaussianSampler {
  const variance = varianceOf(scale);
  const bits = new RandomBits(randomBytes);
  const n = variance.numerator;
  const d = variance.denominator;
  if (n === BigInt(0)) {
    return { variance, sample: () => 0, fill: (out) => out.fill(0) };
  }
  const tBig = isqrt(n / d) + BigInt(1); // t = ⌊σ⌋ + 1 (⌊√(n/d)⌋ = ⌊√⌊n/d⌋⌋)
  const t = Number(tBig);
  // γ(|y|) = (|y| − σ²/t)² / (2σ²) = (|y|·t·d − n)² / (2·n·d·t²): numerator and denominator of the acceptance exponent.
  const gammaDenominatorBig = BigInt(2) * n * d * tBig * tBig;
  const small = gammaDenominatorBig <= BigInt(EXACT) && n * d <= BigInt(EXACT);
  const gammaDenominator = Number(gammaDenominatorBig);
  const nNumber = Number(n);
  const tdNumber = Number(tBig * d);
  const cache = new Map<number, { whole: number; remainder: number | bigint }>();

  /** ⌊γ⌋ and the remainder of γ's numerator for a candidate |y| (cached: |y| takes few distinct values). */
  const gammaOf = (absY: number): { whole: number; remainder: number | bigint } => {
    const hit = cache.get(absY);
    if (hit) return hit;
    let value: { whole: number; remainder: number | bigint };
    const diff = small ? absY * tdNumber - nNumber : Number.NaN;
    if (small && Math.abs(diff) <= 2 ** 26) {
      const numerator = diff * diff; // < 2^52: exact
      let whole = Math.floor(numerator / gammaDenominator);
      let remainder = numerator - whole * gammaDenominator;
      if (remainder < 0) [whole, remainder] = [whole - 1, remainder + gammaDenominator];
      else if (remainder >= gammaDenominator) [whole, remainder] = [whole + 1, remainder - gammaDenominator];
      value = { whole, remainder };
    } else {
      const diffBig = BigInt(absY) * tBig * d - n;
      const numerator = diffBig * diffBig;
      value = { whole: Number(numerator / gammaDenominatorBig), remainder: numerator % gammaDenominatorBig };
    }
    if (cache.size < GAMMA_CACHE_LIMIT) cache.set(absY, value);
    return value;
  };
  const denominatorForBits: number | bigint = small ? gammaDenominator : gammaDenominatorBig;

  /** Discrete Laplace with scale t: P(Y = y) ∝ exp(−|y|/t) (CKS 2020 Algorithm 2 with s = 1). */
  const laplace = (): number => {
    for (;;) {
      const u = bits.below(t);
      if (!bits.expMinusFraction(u, t)) continue; // accept u with probability exp(−u/t)
      let v = 0;
      while (bits.expMinusOne()) v++; // V ~ Geometric(1 − e^(−1))
      const x = u + t * v;
      const negative = bits.bit() === 1;
      if (negative && x === 0) continue; // −0 would count 0 twice
      return negative ? -x : x;
    }
  };

  const sample = (): number => {
    for (;;) {
      const y = laplace();
      const { whole, remainder } = gammaOf(Math.abs(y));
      if (bits.expMinus(whole, remainder, denominatorForBits)) return y; // accept with probability exp(−γ)
    }
  };

  const fill = (out: Int32Array): Int32Array => {
    for (let i = 0; i < out.length; i++) {
      const y = sample();
      if (y > MAX_INT32 || y < -MAX_INT32) throw new RangeError(`discrete Gaussian draw ${y} does not fit in Int32`);
      out[i] = y;
    }
    return out;
  };

  return { variance, sample, fill };
}

/** `length` independent draws of N_Z(0, σ²) (Canonne, Kamath & Steinke 2020) from a CSPRNG, as integers. */
export function sampleDiscreteGaussianVector(length: number, sigma: number, randomBytes: RandomBytes): Int32Array {
  checkCount(length, 'length');
  return createDiscreteGaussianSampler({ sigma }, randomBytes).fill(new Int32Array(length));
}

/** The exact probability mass P(X = x) of N_Z(0, σ²), for tests and analysis: exp(−x²/(2σ²)) / Σ_k exp(−k²/(2σ²)) (Canonne, Kamath & Steinke 2020). */
export function discreteGaussianPmf(sigma: number, x: number): number {
  checkNonNegative(sigma, 'sigma');
  if (sigma === 0) return x === 0 ? 1 : 0;
  return Math.exp(-(x * x) / (2 * sigma * sigma)) / discreteGaussianNormaliser(sigma);
}

/** Σ_{k∈Z} exp(−k²/(2σ²)), summed outward until the terms vanish in double precision. */
function discreteGaussianNormaliser(sigma: number): number {
  let sum = 1;
  for (let k = 1; ; k++) {
    const term = Math.exp(-(k * k) / (2 * sigma * sigma));
    sum += 2 * term;
    if (term < 1e-18 * sum) return sum;
  }
}

/** Var[N_Z(0, σ²)], a little below σ² (Canonne, Kamath & Steinke 2020: Var < σ²; by Poisson summation the gap is ≈ 8π²σ⁴e^(−2π²σ²)). */
export function discreteGaussianVariance(sigma: number): number {
  checkNonNegative(sigma, 'sigma');
  if (sigma === 0) return 0;
  if (sigma > 1e4) return sigma * sigma; // the gap e^(−2π²σ²) is far below double precision
  let weighted = 0;
  for (let k = 1; ; k++) {
    const term = Math.exp(-(k * k) / (2 * sigma * sigma));
    weighted += 2 * k * k * term;
    if (term * k * k < 1e-18 * weighted) break;
  }
  return weighted / discreteGaussianNormaliser(sigma);
}
