// Exact random primitives: uniform bits and integers, Bernoulli(a/b) and Bernoulli(exp(−γ)) frequencies.
import { describe, expect, it } from 'vitest';
import { RandomBits } from '../../../shared/dp/random-bits';
import { seededRandomBytes, chiSquare, chiSquareQuantile } from './helpers';

const N = 100_000;
/** |observed − p| within 6 binomial standard errors (two-sided tail 2e-9). */
const expectFrequency = (hits: number, p: number, n = N): void => {
  expect(Math.abs(hits / n - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / n));
};
const count = (n: number, draw: () => boolean): number => {
  let hits = 0;
  for (let i = 0; i < n; i++) if (draw()) hits++;
  return hits;
};

describe('RandomBits', () => {
  it('bits and below(m) are uniform (χ²)', () => {
    const bits = new RandomBits(seededRandomBytes(41));
    for (const m of [2, 7, 1000, 2 ** 30 + 3]) {
      const cells = Math.min(m, 50);
      const counts = new Array<number>(cells).fill(0);
      let inRange = true;
      for (let i = 0; i < N; i++) {
        const r = bits.below(m);
        inRange &&= r >= 0 && r < m && Number.isInteger(r);
        counts[Math.floor((r * cells) / m)]!++;
      }
      expect(inRange).toBe(true);
      const expected = counts.map((_, k) => (N * (Math.floor(((k + 1) * m + cells - 1) / cells) - Math.floor((k * m + cells - 1) / cells))) / m);
      expect(chiSquare(counts, expected)).toBeLessThan(chiSquareQuantile(cells - 1, 7));
    }
  });

  it('below(m) reaches 53-bit ranges', () => {
    const bits = new RandomBits(seededRandomBytes(42));
    const m = 2 ** 52 + 12345;
    let top = 0;
    let inRange = true;
    for (let i = 0; i < 1000; i++) {
      const r = bits.below(m);
      inRange &&= r < m;
      if (r >= 2 ** 51) top++;
    }
    expect(inRange).toBe(true);
    expectFrequency(top, (m - 2 ** 51) / m, 1000);
  });

  it('Bernoulli(a/b) has probability exactly a/b, with Numbers and BigInts', () => {
    const bits = new RandomBits(seededRandomBytes(43));
    expectFrequency(count(N, () => bits.fraction(1, 3)), 1 / 3);
    expectFrequency(count(N, () => bits.fraction(5, 8)), 5 / 8);
    expectFrequency(count(N, () => bits.fractionBig(BigInt(2) ** BigInt(80), BigInt(3) * BigInt(2) ** BigInt(80))), 1 / 3);
    expect(count(1000, () => bits.fraction(0, 5))).toBe(0);
    expect(count(1000, () => bits.fraction(5, 5))).toBe(1000);
  });

  it('Bernoulli(exp(−γ)) has probability exp(−γ) (CKS 2020 Algorithm 1), below and above γ = 1', () => {
    const bits = new RandomBits(seededRandomBytes(44));
    expectFrequency(count(N, () => bits.expMinusOne()), Math.exp(-1));
    expectFrequency(count(N, () => bits.expMinusFraction(1, 4)), Math.exp(-0.25));
    expectFrequency(count(N, () => bits.expMinus(2, 1, 2)), Math.exp(-2.5));
    expectFrequency(count(N, () => bits.expMinus(1, BigInt(1), BigInt(3))), Math.exp(-4 / 3));
    expect(count(1000, () => bits.expMinusFraction(0, 1))).toBe(1000);
  });

  it('refuses a non-function source', () => {
    expect(() => new RandomBits(undefined as unknown as (n: number) => Uint8Array)).toThrow(/randomBytes/);
  });
});
