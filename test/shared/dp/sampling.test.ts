// Poisson cohort sampling: cohort sizes follow Binomial(N, q) (χ²), each device joins with probability q.
import { describe, expect, it } from 'vitest';
import { poissonSample } from '../../../shared/dp/sampling';
import { seededUniform, binPmf, chiSquare, chiSquareQuantile } from './helpers';

const DEVICES = Array.from({ length: 40 }, (_, k) => `device-${k}`);
const ROUNDS = 20_000;

function binomialPmf(n: number, p: number): (k: number) => number {
  return (k) => {
    if (k < 0 || k > n || !Number.isInteger(k)) return 0;
    let logC = 0;
    for (let i = 0; i < k; i++) logC += Math.log(n - i) - Math.log(i + 1);
    return Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
  };
}

/** χ² of the cohort sizes of `ROUNDS` rounds drawn at rate `drawRate`, against Binomial(N, q), and its z = 7 threshold. */
function cohortSizeFit(q: number, drawRate: number, seed: number): { chi: number; threshold: number } {
  const uniform = seededUniform(seed);
  const { cellOf, expected } = binPmf(binomialPmf(DEVICES.length, q), ROUNDS, Math.round(DEVICES.length * q));
  const observed = new Array<number>(expected.length).fill(0);
  for (let r = 0; r < ROUNDS; r++) observed[cellOf(poissonSample(DEVICES, drawRate, uniform).length)]!++;
  return { chi: chiSquare(observed, expected), threshold: chiSquareQuantile(expected.length - 1, 7) };
}

describe('poissonSample', () => {
  it('cohort sizes over 20,000 rounds fit Binomial(40, 0.25) (χ², fixed seed), and the test rejects q = 0.27', () => {
    const fit = cohortSizeFit(0.25, 0.25, 71);
    expect(fit.chi).toBeLessThan(fit.threshold);
    // Power: a 2-point shift of q moves the mean size by 0.8 (0.29 standard deviations): noncentrality ≈ 1,700.
    const shifted = cohortSizeFit(0.25, 0.27, 72);
    expect(shifted.chi).toBeGreaterThan(2 * shifted.threshold);
  });

  it('includes each device independently with probability q', () => {
    const uniform = seededUniform(73);
    const q = 0.1;
    const hits = new Map<string, number>(DEVICES.map((d) => [d, 0]));
    let together = 0; // device-0 and device-1 both in
    for (let r = 0; r < ROUNDS; r++) {
      const cohort = poissonSample(DEVICES, q, uniform);
      for (const d of cohort) hits.set(d, hits.get(d)! + 1);
      if (cohort.includes('device-0') && cohort.includes('device-1')) together++;
    }
    const se = (p: number): number => Math.sqrt((p * (1 - p)) / ROUNDS);
    for (const count of hits.values()) expect(Math.abs(count / ROUNDS - q)).toBeLessThan(6 * se(q));
    expect(Math.abs(together / ROUNDS - q * q)).toBeLessThan(6 * se(q * q));
  });

  it('q = 0 samples nobody, q = 1 everybody in order; ids are kept as given', () => {
    const uniform = seededUniform(74);
    expect(poissonSample(DEVICES, 0, uniform)).toEqual([]);
    expect(poissonSample(DEVICES, 1, uniform)).toEqual(DEVICES);
    expect(poissonSample([], 0.5, uniform)).toEqual([]);
  });

  it('refuses a uniform source outside [0, 1)', () => {
    expect(() => poissonSample(DEVICES, 0.5, () => 1)).toThrow(/uniform\(\) must return a number in \[0, 1\)/);
    expect(() => poissonSample(DEVICES, 0.5, () => Number.NaN)).toThrow(/uniform\(\)/);
  });
});
