// Fixed-point codec: the no-wrap rule at its exact limit, unbiased rounding, counted clipping, edge values.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_SCALE, MAX_SUM_MAGNITUDE, addMod, checkNoWrap, clipToNorm, decodeSum, encode, fixedPointScale, maxEncodedMagnitude, subMod,
} from '../../../shared/secagg/fixed-point';
import { sodiumUniform01 } from '../../../shared/secagg/random';
import { sodium } from './helpers';

const code = (c: string) => expect.objectContaining({ code: c });
const ALWAYS_UP = () => 0; // u < frac whenever frac > 0: every inexact value rounds up
const ALWAYS_DOWN = () => 1 - 2 ** -53; // never below frac: every value rounds down
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const signedSum = (vectors: Uint32Array[]): number[] => {
  const sum = new Uint32Array(vectors[0]!.length);
  for (const v of vectors) addMod(sum, v);
  return Array.from(sum, (w) => w | 0);
};

describe('fixedPointScale', () => {
  it('is the largest integer scale with n·⌈C·s⌉ ≤ 2^31 − 1', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.integer({ min: 1, max: 100_000 }), (clipNorm, cohortSize) => {
        const s = fixedPointScale({ clipNorm, cohortSize, modulusBits: 32 });
        expect(Number.isInteger(s)).toBe(true);
        expect(cohortSize * maxEncodedMagnitude(clipNorm, s)).toBeLessThanOrEqual(MAX_SUM_MAGNITUDE);
        if (s < MAX_SCALE) expect(cohortSize * maxEncodedMagnitude(clipNorm, s + 1)).toBeGreaterThan(MAX_SUM_MAGNITUDE);
        // The rounder bound n·(C·s + 1) < 2^31 never allows more than this one.
        const rough = Math.floor(((2 ** 31) / cohortSize - 1) / clipNorm);
        expect(s).toBeGreaterThanOrEqual(Math.min(rough, MAX_SCALE));
        expect(() => checkNoWrap({ clipNorm, cohortSize, scale: s })).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    // clipNorm, cohortSize, scale
    [1, 1, MAX_SCALE],
    [1, 2, 2 ** 30 - 1],
    [1, 1000, 2_147_483],
    [1, 2 ** 31 - 1, 1],
    [0.5, 2 ** 31 - 1, 2],
    [8, 10_000, 26_843],
    [1e-12, 5, MAX_SCALE],
  ])('clipNorm=%s, cohortSize=%i → %i', (clipNorm, cohortSize, scale) => {
    expect(fixedPointScale({ clipNorm, cohortSize, modulusBits: 32 })).toBe(scale);
  });

  it.each([
    [1, 2 ** 31],
    [2, 2 ** 30],
    [2 ** 31, 1],
  ])('refuses clipNorm=%s, cohortSize=%i: no scale ≥ 1 fits', (clipNorm, cohortSize) => {
    expect(() => fixedPointScale({ clipNorm, cohortSize, modulusBits: 32 })).toThrow(code('fixedpoint.overflow'));
    expect(() => fixedPointScale({ clipNorm, cohortSize, modulusBits: 32 })).toThrow(/clipNorm.*|cohortSize/);
  });

  it.each([
    ['clipNorm 0', 0, 10, 32],
    ['clipNorm NaN', Number.NaN, 10, 32],
    ['clipNorm Infinity', Number.POSITIVE_INFINITY, 10, 32],
    ['cohortSize 0', 1, 0, 32],
    ['cohortSize 1.5', 1, 1.5, 32],
    ['modulusBits 64', 1, 10, 64],
  ])('refuses %s', (_label, clipNorm, cohortSize, modulusBits) => {
    expect(() => fixedPointScale({ clipNorm, cohortSize, modulusBits })).toThrow(code('fixedpoint.bad_config'));
  });
});

describe('the no-wrap limit (threat model case 8, TFF modular_clipping_test: exact, tolerance 0)', () => {
  describe.each([
    [1, 1000],
    [0.7, 333],
    [8, 10_000],
  ])('clipNorm=%s, cohortSize=%i', (clipNorm, cohortSize) => {
    const scale = fixedPointScale({ clipNorm, cohortSize, modulusBits: 32 });
    const top = maxEncodedMagnitude(clipNorm, scale);
    const values = Float64Array.of(clipNorm, -clipNorm, 0);

    it('sums n inputs at +C and at −C exactly, at the worst-case rounding', () => {
      const up = encode(values, { scale, clipNorm }, ALWAYS_UP).encoded;
      const down = encode(values, { scale, clipNorm }, ALWAYS_DOWN).encoded;
      const upSum = signedSum(Array.from({ length: cohortSize }, () => up));
      const downSum = signedSum(Array.from({ length: cohortSize }, () => down));
      expect(upSum[0]).toBe(cohortSize * top);
      expect(downSum[1]).toBe(-cohortSize * top);
      expect(upSum[2]).toBe(0);
      expect(Math.abs(cohortSize * top)).toBeLessThanOrEqual(MAX_SUM_MAGNITUDE);
    });

    it('refuses the next scale, at which the same sum really wraps', () => {
      expect(() => checkNoWrap({ clipNorm, cohortSize, scale: scale + 1 })).toThrow(code('fixedpoint.overflow'));
      expect(() => checkNoWrap({ clipNorm, cohortSize, scale: scale + 1 })).toThrow(
        new RegExp(`cohortSize=${cohortSize}.*clipNorm=${clipNorm}.*scale=${scale + 1}`),
      );
      const up = encode(values, { scale: scale + 1, clipNorm }, ALWAYS_UP).encoded;
      const trueSum = cohortSize * maxEncodedMagnitude(clipNorm, scale + 1);
      expect(trueSum).toBeGreaterThan(MAX_SUM_MAGNITUDE);
      expect(signedSum(Array.from({ length: cohortSize }, () => up))[0]).not.toBe(trueSum);
    });
  });
});

describe('encode', () => {
  it('rounds stochastically without bias: the mean of 200,000 roundings is x·s within 7 sd', () => {
    const uniform01 = sodiumUniform01(sodium);
    const draws = 200_000;
    for (const x of [0.3, -2.7, 0.5, 0.01, -0.999]) {
      const scale = 1;
      const { encoded } = encode(new Float64Array(draws).fill(x), { scale, clipNorm: 4 }, uniform01);
      const mean = decodeSum(encoded, scale).reduce((s, v) => s + v, 0) / draws;
      const frac = x - Math.floor(x);
      const sd = Math.sqrt((frac * (1 - frac)) / draws);
      expect(Math.abs(mean - x)).toBeLessThanOrEqual(7 * sd + 1e-12);
      // The same bound catches deterministic rounding, which is off by up to ½ (here ≥ 0.001, above 7 sd).
      if (frac > 0) expect(Math.abs(Math.round(x) - x)).toBeGreaterThan(7 * sd);
    }
  });

  it('clamps coordinates beyond ±C to ±C and counts each one (threat model case 9)', () => {
    const { encoded, clippedCoordinates } = encode(Float32Array.of(3, -3, 0.5, 1, -1), { scale: 10, clipNorm: 1 }, ALWAYS_DOWN);
    expect(clippedCoordinates).toBe(2);
    expect(Array.from(encoded, (w) => w | 0)).toEqual([10, -10, 5, 10, -10]);
  });

  describe.each([
    ['0', 0, 0],
    ['−0', -0, 0],
    ['tiny positive (5e-324)', Number.MIN_VALUE, 'zero or one'],
    ['tiny negative (−1e-10)', -1e-10, 'minus one or zero'],
    // x·s = −1e-27: floor −1, but frac = 1 − 1e-27 rounds to 1, so it always rounds up (P(−1) < 2^-53).
    ['tinier negative (−1e-30)', -1e-30, 0],
    ['+C', 2, 2000],
    ['−C', -2, -2000],
    ['just beyond +C', 2.000001, 2000],
  ] as const)('the value %s', (_label, x, expected) => {
    it('encodes as expected (scale 1000, clipNorm 2)', () => {
      const up = encode(Float64Array.of(x), { scale: 1000, clipNorm: 2 }, ALWAYS_UP).encoded[0]! | 0;
      const down = encode(Float64Array.of(x), { scale: 1000, clipNorm: 2 }, ALWAYS_DOWN).encoded[0]! | 0;
      if (expected === 'zero or one') expect([down, up]).toEqual([0, 1]);
      else if (expected === 'minus one or zero') expect([down, up]).toEqual([-1, 0]);
      else expect([down, up]).toEqual([expected, expected]);
      expect(Object.is(up, -0)).toBe(false);
    });
  });

  describe.each([
    ['NaN', Number.NaN],
    ['+Infinity', Number.POSITIVE_INFINITY],
    ['−Infinity', Number.NEGATIVE_INFINITY],
  ])('the value %s', (_label, bad) => {
    it('is refused with fixedpoint.not_finite naming its index, by encode and clipToNorm', () => {
      const values = Float32Array.of(0.1, 0.2, bad, 0.3);
      expect(() => encode(values, { scale: 10, clipNorm: 1 }, ALWAYS_UP)).toThrow(code('fixedpoint.not_finite'));
      expect(() => encode(values, { scale: 10, clipNorm: 1 }, ALWAYS_UP)).toThrow(/values\[2\]/);
      expect(() => clipToNorm(values, 1)).toThrow(/values\[2\]/);
    });
  });

  describe.each([0, 1, 100_000])('a vector of length %i', (length) => {
    it('encodes to the same length, and decodes back within 1/s', () => {
      const values = Float32Array.from({ length }, (_, i) => Math.sin(i) * 0.9);
      const { encoded, clippedCoordinates } = encode(values, { scale: 1 << 20, clipNorm: 1 }, sodiumUniform01(sodium));
      expect(encoded).toHaveLength(length);
      expect(clippedCoordinates).toBe(0);
      const decoded = decodeSum(encoded, 1 << 20);
      let worst = 0;
      for (let i = 0; i < length; i++) worst = Math.max(worst, Math.abs(decoded[i]! - values[i]!));
      expect(worst).toBeLessThanOrEqual(2 ** -20);
    });
  });

  it('refuses a scale at which one update alone wraps, a bad scale, and a broken random source', () => {
    expect(() => encode(Float32Array.of(1), { scale: MAX_SCALE, clipNorm: 2 }, ALWAYS_UP)).toThrow(code('fixedpoint.overflow'));
    expect(() => encode(Float32Array.of(1), { scale: 0, clipNorm: 2 }, ALWAYS_UP)).toThrow(code('fixedpoint.bad_config'));
    expect(() => encode(Float32Array.of(1), { scale: 1.5, clipNorm: 2 }, ALWAYS_UP)).toThrow(code('fixedpoint.bad_config'));
    for (const u of [1, -0.1, Number.NaN]) {
      expect(() => encode(Float32Array.of(1), { scale: 10, clipNorm: 2 }, () => u)).toThrow(code('fixedpoint.bad_random'));
    }
  });
});

describe('clipToNorm', () => {
  it('returns a copy with norm ≤ C (exactly, after float32 rounding), in the same direction', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6, maxLength: 64 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (values, clipNorm) => {
          const { clipped, norm: inputNorm, wasClipped } = clipToNorm(values, clipNorm);
          expect(clipped).not.toBe(values);
          expect(inputNorm).toBeCloseTo(norm(values), 6);
          expect(norm(clipped)).toBeLessThanOrEqual(clipNorm);
          expect(wasClipped).toBe(inputNorm > clipNorm);
          if (!wasClipped) expect(Array.from(clipped)).toEqual(Array.from(values));
          else {
            // Same direction: every coordinate scaled by one positive factor (up to float32 rounding).
            const factor = clipNorm / inputNorm;
            values.forEach((v, i) => expect(Math.abs(clipped[i]! - v * factor)).toBeLessThanOrEqual(Math.abs(v * factor) * 2 ** -18 + 1e-45));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('clips [3, 4] to norm 1 as [0.6, 0.8] and reports norm 5', () => {
    const { clipped, norm: n, wasClipped } = clipToNorm(Float32Array.of(3, 4), 1);
    expect(n).toBe(5);
    expect(wasClipped).toBe(true);
    expect(Math.abs(clipped[0]! - 0.6)).toBeLessThan(2e-7);
    expect(Math.abs(clipped[1]! - 0.8)).toBeLessThan(2e-7);
  });

  it('leaves the empty vector alone and refuses a bad clip norm', () => {
    expect(clipToNorm(new Float32Array(0), 1)).toEqual({ clipped: new Float32Array(0), norm: 0, wasClipped: false });
    expect(() => clipToNorm(Float32Array.of(1), 0)).toThrow(code('fixedpoint.bad_config'));
    expect(() => clipToNorm(Float32Array.of(1), -1)).toThrow(code('fixedpoint.bad_config'));
  });
});

describe('addMod / subMod / decodeSum', () => {
  it('wrap modulo 2^32 and undo each other', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 32 - 1 })), { maxLength: 20 }), (pairs) => {
        const a = Uint32Array.from(pairs, ([x]) => x);
        const b = Uint32Array.from(pairs, ([, y]) => y);
        const sum = addMod(a.slice(), b);
        sum.forEach((w, i) => expect(w).toBe((pairs[i]![0] + pairs[i]![1]) % 2 ** 32));
        expect(Array.from(subMod(sum, b))).toEqual(Array.from(a));
      }),
      { numRuns: 200 },
    );
  });

  it('work in place and refuse vectors of different lengths', () => {
    const a = Uint32Array.of(0xffffffff, 1);
    expect(addMod(a, Uint32Array.of(1, 1))).toBe(a);
    expect(Array.from(a)).toEqual([0, 2]);
    expect(() => addMod(a, Uint32Array.of(1))).toThrow(code('fixedpoint.bad_length'));
    expect(() => subMod(a, Uint32Array.of(1, 2, 3))).toThrow(code('fixedpoint.bad_length'));
  });

  it('decodes words as signed 32-bit integers over the scale', () => {
    expect(Array.from(decodeSum(Uint32Array.of(0, 1, 0xffffffff, 0x7fffffff, 0x80000000), 4))).toEqual([
      0, 0.25, -0.25, (2 ** 31 - 1) / 4, -(2 ** 31) / 4,
    ]);
  });
});
