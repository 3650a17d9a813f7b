// The exact discrete Gaussian sampler: moments, tails and χ²/G tests against the exact pmf, with fixed seeds.
import { describe, expect, it } from 'vitest';
import {
  createDiscreteGaussianSampler,
  sampleDiscreteGaussianVector,
  discreteGaussianPmf,
  discreteGaussianVariance,
  exactRational,
  MAX_DISCRETE_GAUSSIAN_SIGMA,
} from '../../../shared/dp/discrete-gaussian';
import { seededRandomBytes, binPmf, chiSquare, chiSquareQuantile } from './helpers';

const N = 200_000;
/** 6 standard errors: a two-sided normal tail of 2e-9, so a correct sampler does not fail by chance. */
const Z = 6;

/** Exact central moments E[X²] and E[X⁴] of N_Z(0, σ²) from its pmf. */
function moments(sigma: number): { m2: number; m4: number } {
  let m2 = 0;
  let m4 = 0;
  for (let x = 1; x < 60 * sigma + 60; x++) {
    const p = discreteGaussianPmf(sigma, x);
    m2 += 2 * x * x * p;
    m4 += 2 * x ** 4 * p;
  }
  return { m2, m4 };
}

/**
 * Pearson χ² and the G statistic (G = 2·N·KL(empirical ‖ pmf)) of the draws against the pmf of `sigma`, over cells
 * expecting ≥ 5 draws. Under the null both are ≈ χ²(dof); the threshold is its upper quantile at z = 7 (tail ≈ 1e-12).
 */
function goodnessOfFit(draws: Int32Array, sigma: number): { chi: number; g: number; threshold: number } {
  const { cellOf, expected } = binPmf((x) => discreteGaussianPmf(sigma, x), draws.length);
  const observed = new Array<number>(expected.length).fill(0);
  for (const x of draws) observed[cellOf(x)]!++;
  let g = 0;
  observed.forEach((o, k) => {
    if (o > 0) g += 2 * o * Math.log(o / expected[k]!);
  });
  return { chi: chiSquare(observed, expected), g, threshold: chiSquareQuantile(expected.length - 1, 7) };
}

describe.each([1.5, 20])('N_Z(0, σ²) with σ = %d: 200,000 fixed-seed draws against the exact pmf', (sigma) => {
  const draws = sampleDiscreteGaussianVector(N, sigma, seededRandomBytes(sigma === 1.5 ? 11 : 12));
  const variance = discreteGaussianVariance(sigma);
  const { m4 } = moments(sigma);

  it('draws integers', () => {
    expect(draws).toBeInstanceOf(Int32Array);
    const sampler = createDiscreteGaussianSampler({ sigma }, seededRandomBytes(13));
    for (let i = 0; i < 1000; i++) expect(Number.isInteger(sampler.sample())).toBe(true);
  });

  it('has mean 0 and the exact variance, within 6 standard errors', () => {
    let sum = 0;
    let sumSquares = 0;
    for (const x of draws) {
      sum += x;
      sumSquares += x * x;
    }
    const mean = sum / N;
    const secondMoment = sumSquares / N;
    expect(Math.abs(mean)).toBeLessThan(Z * Math.sqrt(variance / N));
    // SE of the sample second moment: √((E[X⁴] − E[X²]²)/N).
    expect(Math.abs(secondMoment - variance)).toBeLessThan(Z * Math.sqrt((m4 - variance * variance) / N));
  });

  it('has the exact tail frequencies P(|X| ≥ kσ), within 6 binomial standard errors', () => {
    for (const k of [1, 2, 3]) {
      const cut = Math.ceil(k * sigma);
      let p = 0;
      for (let x = cut; x < 60 * sigma + 60; x++) p += 2 * discreteGaussianPmf(sigma, x);
      const observed = draws.reduce((count, x) => count + (Math.abs(x) >= cut ? 1 : 0), 0) / N;
      expect(Math.abs(observed - p)).toBeLessThan(Z * Math.sqrt((p * (1 - p)) / N));
    }
  });

  it('passes χ² and G (2N·KL) against the pmf, and the same test rejects σ off by 5%', () => {
    const fit = goodnessOfFit(draws, sigma);
    expect(fit.chi).toBeLessThan(fit.threshold);
    expect(fit.g).toBeLessThan(fit.threshold);
    // The bound cannot pass by accident: draws with σ 5% too large put χ² far above it (noncentrality ≈ 1,000 here;
    // even rounding a continuous N(0, 1.5²) gives ≈ 137 against a threshold ≈ 91).
    const other = goodnessOfFit(sampleDiscreteGaussianVector(N, sigma * 1.05, seededRandomBytes(14)), sigma);
    expect(other.chi).toBeGreaterThan(2 * fit.threshold);
  });
});

describe('scales that need BigInt arithmetic', () => {
  it('σ = 1.7 (σ² = 2.8899…97 as an exact dyadic with a 2^104 denominator) fits its pmf', () => {
    const draws = sampleDiscreteGaussianVector(60_000, 1.7, seededRandomBytes(21));
    const fit = goodnessOfFit(draws, 1.7);
    expect(fit.chi).toBeLessThan(fit.threshold);
  });

  it('a rational variance 7/3 is sampled exactly', () => {
    const sampler = createDiscreteGaussianSampler({ variance: { numerator: BigInt(7), denominator: BigInt(3) } }, seededRandomBytes(22));
    expect(sampler.variance).toEqual({ numerator: BigInt(7), denominator: BigInt(3) });
    const draws = sampler.fill(new Int32Array(60_000));
    const fit = goodnessOfFit(draws, Math.sqrt(7 / 3));
    expect(fit.chi).toBeLessThan(fit.threshold);
  });

  it('reduces a rational variance and accepts σ up to 2^24', () => {
    const sampler = createDiscreteGaussianSampler({ variance: { numerator: BigInt(18), denominator: BigInt(8) } }, seededRandomBytes(23));
    expect(sampler.variance).toEqual({ numerator: BigInt(9), denominator: BigInt(4) });
    const big = sampleDiscreteGaussianVector(2000, MAX_DISCRETE_GAUSSIAN_SIGMA, seededRandomBytes(24));
    const rms = Math.sqrt(big.reduce((s, x) => s + x * x, 0) / big.length);
    expect(rms / MAX_DISCRETE_GAUSSIAN_SIGMA).toBeGreaterThan(0.9);
    expect(rms / MAX_DISCRETE_GAUSSIAN_SIGMA).toBeLessThan(1.1);
  });
});

describe('sampler plumbing', () => {
  it('σ = 0 is the point mass at 0', () => {
    expect(Array.from(sampleDiscreteGaussianVector(5, 0, seededRandomBytes(31)))).toEqual([0, 0, 0, 0, 0]);
  });

  it('replays a seed and differs across seeds', () => {
    const a = sampleDiscreteGaussianVector(1000, 3, seededRandomBytes(32));
    const b = sampleDiscreteGaussianVector(1000, 3, seededRandomBytes(32));
    const c = sampleDiscreteGaussianVector(1000, 3, seededRandomBytes(33));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('draws every bit from the given source', () => {
    let bytes = 0;
    const counting = (n: number): Uint8Array => {
      bytes += n;
      return seededRandomBytes(34)(n);
    };
    sampleDiscreteGaussianVector(100, 2, counting);
    expect(bytes).toBeGreaterThan(0);
  });

  it('refuses a source that returns the wrong number of bytes', () => {
    expect(() => sampleDiscreteGaussianVector(10, 2, () => new Uint8Array(3))).toThrow(/randomBytes/);
  });
});

describe('exactRational and the exact moments', () => {
  it('gives the exact value of a double', () => {
    expect(exactRational(1.5)).toEqual({ numerator: BigInt(3), denominator: BigInt(2) });
    expect(exactRational(20)).toEqual({ numerator: BigInt(20), denominator: BigInt(1) });
    expect(exactRational(0)).toEqual({ numerator: BigInt(0), denominator: BigInt(1) });
    const tenth = exactRational(0.1);
    expect(tenth.denominator).toBe(BigInt(2) ** BigInt(55));
    expect(Number(tenth.numerator) / 2 ** 55).toBe(0.1);
    expect(exactRational(2 ** -1074)).toEqual({ numerator: BigInt(1), denominator: BigInt(2) ** BigInt(1074) });
  });

  it('the variance is a little below σ² (by ≈ 8π²σ⁴e^(−2π²σ²)) and the pmf sums to 1', () => {
    expect(discreteGaussianVariance(20)).toBeCloseTo(400, 9);
    const gap = 1 - discreteGaussianVariance(1);
    expect(gap).toBeGreaterThan(0);
    expect(gap / (8 * Math.PI ** 2 * Math.exp(-2 * Math.PI ** 2))).toBeCloseTo(1, 6); // Poisson summation: Var = σ² − 8π²σ⁴e^(−2π²σ²) + …
    let total = 0;
    for (let x = -40; x <= 40; x++) total += discreteGaussianPmf(1.5, x);
    expect(total).toBeCloseTo(1, 14);
  });
});
