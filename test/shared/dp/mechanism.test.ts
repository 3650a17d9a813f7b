// The DP mechanism's sizes: the sum always carries at least the promised noise, the fixed-point range holds
// the cohort's updates plus the noise's tail, and bad settings are refused by name.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPrivacySettings, roundNoise, type PrivacySettings } from '../../../shared/dp/mechanism';
import { secureSettingsFor } from '../../../shared/secagg/round-settings';

/** The scale and noise do not depend on the adversary; these cases size them without one. */
const NO_SYBILS = { corruptFraction: 0, expectedDropout: 0 };
import { MAX_DISCRETE_GAUSSIAN_SIGMA, discreteGaussianVariance } from '../../../shared/dp/discrete-gaussian';

const privacy = (mode: 'central' | 'distributed', noiseMultiplier: number): PrivacySettings => ({ mode, noiseMultiplier, delta: 1e-6, epsilonBudget: 8 });

describe('roundNoise with the scale secureSettingsFor picks', () => {
  it('distributed: any t surviving shares sum to at least the central variance (σ·(C·s + √d))², at the threshold (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 2000 }), fc.constantFrom<'complete' | 'sparse'>('complete', 'sparse'), fc.double({ min: 0.05, max: 20, noNaN: true }), fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.integer({ min: 1, max: 1_000_000 }), (n, graph, sigma, clip, d) => {
        const p = privacy('distributed', sigma);
        const s = secureSettingsFor(n, graph, clip, p, NO_SYBILS);
        const noise = roundNoise(p, { clipNorm: clip, scale: s.scale, dimension: d, threshold: s.threshold });
        expect(noise.sumSigma).toBeCloseTo(sigma * (clip * s.scale + Math.sqrt(d)), 6);
        // The discrete Gaussian's variance is a little below σ_dev² (CKS 2020): compare what the shares really give.
        expect(s.threshold * discreteGaussianVariance(noise.deviceSigma)).toBeGreaterThanOrEqual(noise.sumSigma ** 2 * (1 - 1e-9));
        expect(noise.deviceSigma).toBeLessThanOrEqual(MAX_DISCRETE_GAUSSIAN_SIGMA);
        expect(noise.serverSigma).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('the fixed-point range holds n updates at full norm plus 12 standard deviations of the noise (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 5000 }), fc.constantFrom<'central' | 'distributed'>('central', 'distributed'), fc.double({ min: 0.05, max: 20, noNaN: true }), fc.double({ min: 0.01, max: 1000, noNaN: true }), (n, mode, sigma, clip) => {
        const p = privacy(mode, sigma);
        const s = secureSettingsFor(n, 'sparse', clip, p, NO_SYBILS);
        const perDevice = Math.ceil(clip * s.scale);
        const noiseStdAtFullCohort = sigma * clip * s.scale * (mode === 'distributed' ? Math.sqrt(n / s.threshold) : 1);
        expect(n * perDevice + 12 * noiseStdAtFullCohort).toBeLessThanOrEqual(2 ** 31 - 1);
      }),
      { numRuns: 500 },
    );
  });

  it('central: the server adds the whole σ·(C·s + √d); devices add nothing', () => {
    const p = privacy('central', 1.1);
    const s = secureSettingsFor(100, 'complete', 5, p, NO_SYBILS);
    const noise = roundNoise(p, { clipNorm: 5, scale: s.scale, dimension: 10_000, threshold: s.threshold });
    expect(noise.serverSigma).toBe(noise.sumSigma);
    expect(noise.serverSigma).toBeCloseTo(1.1 * (5 * s.scale + 100), 6);
    expect(noise.deviceSigma).toBe(0);
  });

  it('off: no noise and the scale of the plain protocol', () => {
    const off: PrivacySettings = { mode: 'off', noiseMultiplier: 0, delta: 1e-6, epsilonBudget: 1 };
    expect(roundNoise(off, { clipNorm: 1, scale: 10, dimension: 5, threshold: 3 })).toEqual({ sumSigma: 0, serverSigma: 0, deviceSigma: 0 });
    expect(secureSettingsFor(50, 'complete', 2, off, NO_SYBILS).scale).toBe(secureSettingsFor(50, 'complete', 2, undefined, NO_SYBILS).scale);
  });
});

describe('checkPrivacySettings', () => {
  it.each([
    [{ mode: 'local' }, /mode must be off, central or distributed/],
    [{ noiseMultiplier: 0 }, /noiseMultiplier must be > 0/],
    [{ noiseMultiplier: -1 }, /noiseMultiplier/],
    [{ noiseMultiplier: NaN }, /noiseMultiplier/],
    [{ delta: 0 }, /delta/],
    [{ delta: 1 }, /delta/],
    [{ epsilonBudget: 0 }, /epsilonBudget/],
    [{ epsilonBudget: NaN }, /epsilonBudget/],
  ])('refuses %j', (patch, message) => {
    expect(() => checkPrivacySettings({ ...privacy('central', 1), ...(patch as Partial<PrivacySettings>) })).toThrow(message);
  });

  it('accepts off with any noise fields, and sound central and distributed settings', () => {
    expect(() => checkPrivacySettings({ mode: 'off', noiseMultiplier: NaN, delta: NaN, epsilonBudget: NaN })).not.toThrow();
    expect(() => checkPrivacySettings(privacy('distributed', 0.7))).not.toThrow();
  });
});
