// Noise calibration: the calibrated σ meets the target ε and is nearly the smallest that does; edge cases.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { calibrateNoiseMultiplier, epsilonFor } from '../../../shared/dp/calibrate';
import { TF_PRIVACY_ORDERS } from '../../../shared/dp/orders';
import { ordersOf, relativeError } from './helpers';

/** A moderate order list: wide enough for ε in [0.1, 10] at δ ≥ 1e-8, cheap enough for 200 calibrations. */
const orders = [1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 128, 256];
const logUniform = (min: number, max: number) => fc.double({ min: Math.log(min), max: Math.log(max), noNaN: true }).map(Math.exp);

describe('calibrateNoiseMultiplier', () => {
  it('never overshoots the target, and 0.1% less noise would (200 random settings)', () => {
    fc.assert(
      fc.property(
        logUniform(1e-4, 0.5),
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        logUniform(1e-8, 1e-3),
        (samplingRate, steps, targetEpsilon, targetDelta) => {
          const sigma = calibrateNoiseMultiplier({ targetEpsilon, targetDelta, samplingRate, steps, orders, relativeTolerance: 1e-4 });
          expect(epsilonFor(samplingRate, sigma, steps, targetDelta, orders)).toBeLessThanOrEqual(targetEpsilon);
          expect(epsilonFor(samplingRate, sigma * (1 - 1e-3), steps, targetDelta, orders)).toBeGreaterThan(targetEpsilon);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('recovers the published settings: σ = 4.530877117 for (1, 1e-6) of one Gaussian step; σ ≈ 1.3 for tfp-0', () => {
    const gaussian = calibrateNoiseMultiplier({
      targetEpsilon: 1,
      targetDelta: 1e-6,
      samplingRate: 1,
      steps: 1,
      orders: ordersOf('[0.001*i for i in 1000..99999]'),
    });
    expect(relativeError(gaussian, 4.530877117)).toBeLessThan(2e-6);
    const tfp = calibrateNoiseMultiplier({ targetEpsilon: 0.7242234026109595, targetDelta: 1e-5, samplingRate: 0.0025, steps: 6000, orders: TF_PRIVACY_ORDERS });
    expect(relativeError(tfp, 1.3)).toBeLessThan(2e-6);
  });

  it('needs no noise when nothing is sampled or nothing is run', () => {
    expect(calibrateNoiseMultiplier({ targetEpsilon: 1, targetDelta: 1e-5, samplingRate: 0, steps: 100 })).toBe(0);
    expect(calibrateNoiseMultiplier({ targetEpsilon: 1, targetDelta: 1e-5, samplingRate: 0.1, steps: 0 })).toBe(0);
  });

  it('says clearly when the target is out of reach of the order list', () => {
    // With orders ≤ 256 even σ → ∞ leaves ε ≈ (log(1/δ) − log α)/(α − 1) ≈ 0.05 at δ = 1e-8.
    expect(() => calibrateNoiseMultiplier({ targetEpsilon: 0.01, targetDelta: 1e-8, samplingRate: 0.5, steps: 10, orders })).toThrow(
      /targetEpsilon 0\.01 is unreachable/,
    );
  });
});
