// CSPRNG adapters: exact lengths, fresh output on every call, uniform floats in [0, 1), and their speed.
import { describe, expect, it } from 'vitest';
import { sodiumRandomBytes, sodiumUniform01 } from '../../../shared/secagg/random';
import { chiSquare, chiSquareQuantile, hex, sodium } from './helpers';

describe('sodiumRandomBytes', () => {
  const randomBytes = sodiumRandomBytes(sodium);

  it.each([0, 1, 24, 32, 33, 1234, 1 << 16])('returns exactly %i bytes, different on every call', (n) => {
    const a = randomBytes(n);
    const b = randomBytes(n);
    expect(a).toHaveLength(n);
    expect(b).toHaveLength(n);
    if (n >= 16) expect(hex(a)).not.toBe(hex(b));
  });

  it('has uniform byte values (χ², 255 dof) over 1 MiB', () => {
    const counts = new Array<number>(256).fill(0);
    for (const b of randomBytes(1 << 20)) counts[b]!++;
    expect(chiSquare(counts)).toBeLessThan(chiSquareQuantile(255, 7));
  });

  it('is fast enough for Shamir at n = 1,000, t = 500 (22 KB; measured, not asserted)', () => {
    const started = performance.now();
    randomBytes(22_000);
    const ms = performance.now() - started;
    const directStarted = performance.now();
    sodium.randombytes_buf(22_000);
    const directMs = performance.now() - directStarted;
    console.info(`22 KB of randomness: sodiumRandomBytes ${ms.toFixed(2)} ms, sodium.randombytes_buf ${directMs.toFixed(2)} ms`);
  });
});

describe('sodiumUniform01', () => {
  it('draws in [0, 1), uniformly (χ² over 64 bins) with mean ½, across buffer refills', () => {
    const uniform01 = sodiumUniform01(sodium);
    const draws = 200_000; // > 24 refills of 8,192
    const counts = new Array<number>(64).fill(0);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < draws; i++) {
      const u = uniform01();
      if (!(u >= 0 && u < 1)) outside++;
      else counts[Math.floor(u * 64)]!++;
      sum += u;
    }
    expect(outside).toBe(0);
    expect(chiSquare(counts)).toBeLessThan(chiSquareQuantile(63, 7));
    // sd of the mean = sqrt(1/12 / draws) ≈ 0.00065; allow 7 sd.
    expect(Math.abs(sum / draws - 0.5)).toBeLessThan(7 * Math.sqrt(1 / 12 / draws));
  });

  it('gives independent generators different draws', () => {
    const a = sodiumUniform01(sodium);
    const b = sodiumUniform01(sodium);
    expect([a(), a(), a()]).not.toEqual([b(), b(), b()]);
  });
});
