// The χ² tails and quantiles the statistical tests rely on, against closed forms and published values.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chiSquareLowerQuantile, chiSquareLowerTail, chiSquareUpperQuantile, chiSquareUpperTail, logGamma } from './chi-square';

/** P(χ²_2k > x) = e^(−x/2) Σ_{j<k} (x/2)^j / j!, exactly (the Poisson form of an even number of degrees of freedom). */
function evenUpperTail(df: number, x: number): number {
  const h = x / 2;
  let term = Math.exp(-h);
  let sum = term;
  for (let j = 1; j < df / 2; j++) {
    term *= h / j;
    sum += term;
  }
  return sum;
}

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('χ² tails', () => {
  it('logGamma gives ln((n − 1)!) and ln Γ(1/2) = ln √π', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 300; n++) {
      expect(Math.abs(logGamma(n) - logFactorial)).toBeLessThan(1e-12 * Math.max(1, logFactorial));
      logFactorial += Math.log(n);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
  });

  it('equals the Poisson closed form for every even df, both tails, deep into them (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0.01, max: 5, noNaN: true }), (k, scale) => {
        const df = 2 * k;
        const x = scale * df;
        if (x / 2 > 700) return; // e^(−x/2) would be subnormal: the closed form itself loses precision there
        const upper = evenUpperTail(df, x);
        if (upper > 1e-290) expect(relative(chiSquareUpperTail(df, x), upper)).toBeLessThan(1e-9);
        const lower = 1 - upper; // loses digits to cancellation when small: deep lower tails are checked by the recurrence below
        if (lower > 1e-3) expect(relative(chiSquareLowerTail(df, x), lower)).toBeLessThan(1e-9);
      }),
      { numRuns: 2000 },
    );
  });

  it('steps from df to df + 2 by the recurrences Q(a + 1, x) = Q(a, x) + x^a e^(−x) / Γ(a + 1) and P(a + 1, x) = P(a, x) − the same, odd df too (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 401 }), fc.double({ min: 0.05, max: 4, noNaN: true }), (df, scale) => {
        const x = scale * df;
        const a = df / 2;
        const h = x / 2;
        const step = Math.exp(a * Math.log(h) - h - logGamma(a + 1));
        const next = chiSquareUpperTail(df + 2, x);
        if (next > 1e-280) expect(relative(next, chiSquareUpperTail(df, x) + step)).toBeLessThan(1e-9);
        const lower = chiSquareLowerTail(df, x);
        // Only where the subtraction keeps its digits (the step is not most of the lower tail).
        if (lower > 1e-280 && step < 0.5 * lower) expect(relative(chiSquareLowerTail(df + 2, x), lower - step)).toBeLessThan(1e-8);
      }),
      { numRuns: 2000 },
    );
  });

  it('the quantiles invert the tails, and match published critical values', () => {
    expect(relative(chiSquareUpperQuantile(2, 1e-6), 2 * Math.log(1e6))).toBeLessThan(1e-10); // Q = e^(−x/2)
    expect(chiSquareUpperQuantile(1, 1e-6)).toBeCloseTo(23.9281, 3); // = z² for the two-sided normal z = 4.8916
    expect(chiSquareUpperQuantile(10, 0.001)).toBeCloseTo(29.588, 2); // standard tables
    expect(chiSquareUpperQuantile(100, 0.001)).toBeCloseTo(149.449, 2);
    expect(chiSquareLowerQuantile(10, 0.001)).toBeCloseTo(1.479, 2);
    for (const df of [1, 7, 64, 1000]) {
      for (const tail of [1e-9, 1e-6, 0.01, 0.5]) {
        expect(relative(chiSquareUpperTail(df, chiSquareUpperQuantile(df, tail)), tail)).toBeLessThan(1e-8);
        expect(relative(chiSquareLowerTail(df, chiSquareLowerQuantile(df, tail)), tail)).toBeLessThan(1e-8);
      }
    }
  });

  it('refuses what is not a distribution', () => {
    expect(() => chiSquareUpperTail(0, 1)).toThrow(/degrees of freedom/);
    expect(() => chiSquareUpperTail(3, -1)).toThrow(/x must be/);
    expect(() => chiSquareUpperQuantile(3, 0)).toThrow(/tail/);
  });
});
