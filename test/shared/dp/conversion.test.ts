// RDP → (ε, δ): published conversions, the KL shortcut, α ≤ 1.01, clamping at 0, and ε ↔ δ consistency.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { epsilonFromRdp, deltaFromRdp } from '../../../shared/dp/conversion';
import { rdpCurve } from '../../../shared/dp/rdp';
import { relativeError } from './helpers';

describe('epsilonFromRdp', () => {
  it('pure DP: constant rdp 1.1 over orders 2..32 gives ε = 1.32783806176 at order 32 (dp_accounting test_compute_epsilon_delta_pure_dp)', () => {
    const orders = Array.from({ length: 31 }, (_, k) => k + 2);
    const rdp = orders.map(() => 1.1);
    const { epsilon, order } = epsilonFromRdp(orders, rdp, 1e-5);
    expect(epsilon).toBeCloseTo(1.32783806176, 10);
    expect(order).toBe(32);
    const back = deltaFromRdp(orders, rdp, 1.32783806176);
    expect(relativeError(back.delta, 1e-5)).toBeLessThan(1e-9);
    expect(back.order).toBe(32);
  });

  it('is the improved bound rdp + log((α−1)/α) − (log δ + log α)/(α−1) at one order', () => {
    const [alpha, r, delta] = [8, 0.3, 1e-6];
    const expected = r + Math.log((alpha - 1) / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
    expect(epsilonFromRdp([alpha], [r], delta).epsilon).toBeCloseTo(expected, 14);
  });

  it('never goes below 0: the candidate can be negative, ε is clamped', () => {
    // At α = 2 with rdp 1e-3 and δ = 0.5 the formula gives 1e-3 + log(1/2) − (log 0.5 + log 2)/1 = −0.692.
    const { epsilon } = epsilonFromRdp([2], [1e-3], 0.5);
    expect(epsilon).toBe(0);
  });

  it('uses the KL bound: rdp below −log(1 − δ²) gives ε = 0 at any order ≥ 1', () => {
    expect(epsilonFromRdp([1], [1e-12], 1e-5).epsilon).toBe(0);
    expect(epsilonFromRdp([1], [1e-9], 1e-5).epsilon).toBe(Infinity); // 1e-9 > δ² = 1e-10: no bound at α = 1
  });

  it('ignores orders ≤ 1.01 for the α-bound (unstable there) and gives ∞ when nothing else applies', () => {
    expect(epsilonFromRdp([1, 1.005], [0.01, 0.02], 1e-5).epsilon).toBe(Infinity);
    expect(epsilonFromRdp([1, 2], [0.01, 0.02], 1e-5).order).toBe(2);
  });

  it('δ from the KL bound stays exact for tiny RDP (√(1 − e^(−r)) ≈ √r, not 0)', () => {
    const { delta } = deltaFromRdp([1.5], [1e-20], 10);
    expect(relativeError(delta, 1e-10)).toBeLessThan(1e-9);
  });

  it('infinite RDP gives infinite ε; zero RDP gives 0', () => {
    expect(epsilonFromRdp([2, 3], [Infinity, Infinity], 1e-5).epsilon).toBe(Infinity);
    expect(epsilonFromRdp([2, 3], [0, 0], 1e-5).epsilon).toBe(0);
  });

  it('refuses negative or missing RDP values and mismatched lengths', () => {
    expect(() => epsilonFromRdp([2, 3], [0.1, -0.1], 1e-5)).toThrow(/rdp\[1\]/);
    expect(() => epsilonFromRdp([2, 3], [0.1, Number.NaN], 1e-5)).toThrow(/rdp\[1\]/);
    expect(() => epsilonFromRdp([2, 3], [0.1], 1e-5)).toThrow(/rdp must have one value per order/);
  });
});

describe('ε ↔ δ (property)', () => {
  const orders = [1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256];
  it('δ(ε(δ)) ≤ δ, and = δ when ε > 0 (dp_accounting test_epsilon_delta_consistency)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.3, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: -12, max: -1, noNaN: true }),
        (q, sigma, steps, log10Delta) => {
          const delta = 10 ** log10Delta;
          const rdp = rdpCurve({ samplingRate: q, noiseMultiplier: sigma, steps }, orders);
          const { epsilon } = epsilonFromRdp(orders, rdp, delta);
          expect(epsilon).toBeGreaterThanOrEqual(0);
          const back = deltaFromRdp(orders, rdp, epsilon).delta;
          if (epsilon === 0) expect(back).toBeLessThanOrEqual(delta * (1 + 1e-9));
          else expect(relativeError(back, delta)).toBeLessThan(1e-8);
        },
      ),
      { numRuns: 60 },
    );
  });
});
