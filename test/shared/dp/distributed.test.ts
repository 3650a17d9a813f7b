// Central and distributed noise calibration: σ·C, per-device discrete Gaussian shares, the KLS 2021 slack.
import { describe, expect, it } from 'vitest';
import {
  centralNoiseStd,
  deviceNoiseVariance,
  deviceNoiseSigma,
  discreteGaussianSumSlack,
  distributedDiscreteGaussianRdp,
} from '../../../shared/dp/distributed';
import { createDiscreteGaussianSampler, discreteGaussianVariance } from '../../../shared/dp/discrete-gaussian';
import { seededRandomBytes } from './helpers';

describe('centralNoiseStd', () => {
  it('is σ·C', () => {
    expect(centralNoiseStd({ noiseMultiplier: 1.2, clipNorm: 0.5 })).toBe(0.6);
    expect(centralNoiseStd({ noiseMultiplier: 0, clipNorm: 3 })).toBe(0);
  });
});

describe('deviceNoiseVariance / deviceNoiseSigma', () => {
  it('gives threshold devices together at least (σ·C·s)², never less through rounding', () => {
    for (const [noiseMultiplier, clipNorm, scale, threshold] of [
      [1, 1, 8, 5],
      [0.7, 0.3, 2 ** 16, 7],
      [1.1, 2.5, 1000, 3],
      [3, 0.1, 2 ** 12, 101],
    ] as const) {
      const target = (noiseMultiplier * clipNorm * scale) ** 2;
      const variance = deviceNoiseVariance({ noiseMultiplier, clipNorm, scale, threshold });
      expect(variance * threshold).toBeGreaterThanOrEqual(target);
      expect(variance * threshold).toBeLessThan(target * (1 + 1e-12));
      const sigma = deviceNoiseSigma({ noiseMultiplier, clipNorm, scale, threshold });
      expect(sigma * sigma).toBeGreaterThanOrEqual(variance);
    }
  });

  it('the sum of `threshold` devices’ discrete Gaussian shares has at least the promised variance', () => {
    const noise = { noiseMultiplier: 1, clipNorm: 1, scale: 8, threshold: 5 };
    const promised = (noise.noiseMultiplier * noise.clipNorm * noise.scale) ** 2; // (σ·C·s)² = 64
    const sigma = deviceNoiseSigma(noise); // 8/√5 ≈ 3.58 (a float: exact dyadic σ², BigInt path)
    // Exactly: Var[N_Z(0, σ_dev²)] falls short of σ_dev² by ≈ 8π²σ⁴e^(−2π²σ²) ≈ 1e-106 here, far below the rounding up.
    expect(noise.threshold * discreteGaussianVariance(sigma)).toBeGreaterThanOrEqual(promised);
    // Empirically: 40,000 sums of 5 shares (fixed seed); the sample variance may fall below by at most 6 standard
    // errors, SE = √((E[S⁴] − Var²)/n) ≈ Var·√(2/n) for the near-Gaussian sum (a 2e-9 one-sided tail).
    const rounds = 40_000;
    const devices = Array.from({ length: noise.threshold }, (_, k) => createDiscreteGaussianSampler({ sigma }, seededRandomBytes(60 + k)));
    let sumSquares = 0;
    let sum = 0;
    for (let r = 0; r < rounds; r++) {
      let s = 0;
      for (const device of devices) s += device.sample();
      sum += s;
      sumSquares += s * s;
    }
    const empirical = sumSquares / rounds - (sum / rounds) ** 2;
    expect(empirical).toBeGreaterThan(promised * (1 - 6 * Math.sqrt(2 / rounds)));
    expect(empirical).toBeLessThan(promised * (1 + 6 * Math.sqrt(2 / rounds)));
  });
});

describe('discreteGaussianSumSlack (Kairouz, Liu & Steinke 2021, τ)', () => {
  it('is 10·Σ_{k=1}^{n−1} e^(−2π²σ²k/(k+1))', () => {
    const sigma = 0.8;
    const by = (k: number): number => Math.exp((-2 * Math.PI ** 2 * sigma ** 2 * k) / (k + 1));
    expect(discreteGaussianSumSlack({ deviceSigma: sigma, devices: 1 })).toBe(0);
    expect(discreteGaussianSumSlack({ deviceSigma: sigma, devices: 3 })).toBeCloseTo(10 * (by(1) + by(2)), 15);
  });

  it('grows with devices, shrinks fast with σ, and is negligible from σ_dev = 2', () => {
    const at = (deviceSigma: number, devices: number): number => discreteGaussianSumSlack({ deviceSigma, devices });
    expect(at(1, 100)).toBeGreaterThan(at(1, 10));
    expect(at(1, 100)).toBeGreaterThan(at(1.5, 100));
    expect(at(2, 1_000_000)).toBeLessThan(1e-10);
    expect(() => at(0.4, 10)).toThrow(/deviceSigma/);
  });

  it('enters the RDP of the distributed mechanism, which tends to the Gaussian α·Δ²/(2nσ²) as τ → 0', () => {
    const gaussian = (order: number, delta: number, n: number, sigma: number): number => (order * delta * delta) / (2 * n * sigma * sigma);
    const tight = distributedDiscreteGaussianRdp({ order: 8, l2Sensitivity: 100, deviceSigma: 40, devices: 10, dimension: 1000 });
    expect(tight).toBeCloseTo(gaussian(8, 100, 10, 40), 12);
    const loose = distributedDiscreteGaussianRdp({ order: 8, l2Sensitivity: 2, deviceSigma: 0.6, devices: 10, dimension: 1000 });
    expect(loose).toBeGreaterThan(gaussian(8, 2, 10, 0.6));
  });
});
