// Cholesky factor and solve on random symmetric positive-definite matrices, and their failure modes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cholesky, choleskySolve, dot, nearestPsd, solveSpd } from '../../../shared/math/linalg';
import { createRng } from '../../../shared/math/random';

/** A = BᵀB + εI for a random k×k B: symmetric positive definite, with condition number up to ~1e5. */
const arbSpd = fc.integer({ min: 1, max: 15 }).chain((k) =>
  fc.record({
    k: fc.constant(k),
    b: fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: k * k, maxLength: k * k }),
    eps: fc.double({ min: 1e-3, max: 10, noNaN: true }),
    rhs: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: k, maxLength: k }),
  }).map(({ k, b, eps, rhs }) => {
    const a = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = i === j ? eps : 0;
        for (let p = 0; p < k; p++) s += b[p * k + i]! * b[p * k + j]!;
        a[i * k + j] = s;
      }
    }
    return { k, a, rhs };
  }),
);

const norm = (xs: ArrayLike<number>): number => Math.sqrt(Array.from(xs).reduce((s, x) => s + x * x, 0));

describe('cholesky', () => {
  it('gives a lower-triangular L with positive diagonal and L Lᵀ = A', () => {
    fc.assert(
      fc.property(arbSpd, ({ k, a }) => {
        const l = cholesky(a, k);
        const scale = norm(a);
        for (let i = 0; i < k; i++) {
          expect(l[i * k + i]).toBeGreaterThan(0);
          for (let j = i + 1; j < k; j++) expect(l[i * k + j]).toBe(0);
          for (let j = 0; j < k; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += l[i * k + p]! * l[j * k + p]!;
            expect(Math.abs(s - a[i * k + j]!)).toBeLessThanOrEqual(1e-12 * scale);
          }
        }
      }),
      { numRuns: 300, seed: 1 },
    );
  });

  it('solves with a tiny residual ‖Ax − b‖ ≤ 1e-10 (‖A‖‖x‖ + ‖b‖)', () => {
    fc.assert(
      fc.property(arbSpd, ({ k, a, rhs }) => {
        for (const x of [choleskySolve(cholesky(a, k), k, rhs), solveSpd(a, k, rhs)]) {
          const r = Array.from({ length: k }, (_, i) => dot(a, i * k, x, 0, k) - rhs[i]!);
          expect(norm(r)).toBeLessThanOrEqual(1e-10 * (norm(a) * norm(x) + norm(rhs)));
        }
      }),
      { numRuns: 500, seed: 2 },
    );
  });

  it('solves a hand-computed system exactly', () => {
    // [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]]; x = [1, 2] gives b = [8, 8].
    const l = cholesky(Float64Array.of(4, 2, 2, 3), 2);
    expect(Array.from(l)).toEqual([2, 0, 1, Math.SQRT2]);
    const x = choleskySolve(l, 2, [8, 8]);
    expect(x[0]).toBeCloseTo(1, 14);
    expect(x[1]).toBeCloseTo(2, 14);
  });

  it('throws on matrices that are not positive definite', () => {
    expect(() => cholesky(Float64Array.of(1, 2, 2, 1), 2)).toThrow(/not positive definite \(pivot 1/);
    expect(() => cholesky(Float64Array.of(-1), 1)).toThrow(/not positive definite \(pivot 0/);
    expect(() => cholesky(new Float64Array(9), 3)).toThrow(/not positive definite/);
    expect(() => cholesky(Float64Array.of(1, 1, 1, 1), 2)).toThrow(/not positive definite/); // singular PSD
    expect(() => cholesky(Float64Array.of(Number.NaN), 1)).toThrow(/not positive definite/);
    expect(() => solveSpd(Float64Array.of(0), 1, [1])).toThrow(RangeError);
  });

  it('throws when the matrix has the wrong number of entries', () => {
    expect(() => cholesky(new Float64Array(5), 2)).toThrow(/expected 4 entries, got 5/);
    expect(() => cholesky(new Float64Array(4), 3)).toThrow(/expected 9 entries, got 4/);
    expect(() => solveSpd(new Float64Array(3), 2, [1, 1])).toThrow(RangeError);
  });

  it('choleskySolve rejects a right-hand side of the wrong length', () => {
    const l = cholesky(Float64Array.of(4, 2, 2, 3), 2);
    expect(() => choleskySolve(l, 2, [8])).toThrow(RangeError);
  });
});

describe('dot', () => {
  it('dots slices at offsets', () => {
    expect(dot([1, 2, 3, 4], 1, [10, 20, 30], 0, 3)).toBe(2 * 10 + 3 * 20 + 4 * 30);
    expect(dot([1, 2], 0, [3, 4], 0, 0)).toBe(0);
  });
});

describe('nearestPsd', () => {
  const gram = (rows: number[][], k: number) => {
    const g = new Float64Array(k * k);
    for (const r of rows) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) g[i * k + j]! += r[i]! * r[j]!;
    return g;
  };

  it('leaves a PSD matrix (a Gram sum) unchanged and makes a noisy one PSD and symmetric (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 2 ** 31 }), (k, seed) => {
        const rng = createRng(seed);
        const g = gram(Array.from({ length: 2 * k }, () => Array.from({ length: k }, () => rng.normal())), k);
        const same = nearestPsd(g, k);
        same.forEach((v, n) => expect(v).toBeCloseTo(g[n]!, 8));
        const noisy = g.map((v) => v + 5 * rng.normal());
        const p = nearestPsd(noisy, k);
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) expect(p[i * k + j]).toBeCloseTo(p[j * k + i]!, 10);
        // PSD: adding any positive ridge makes it positive definite.
        const ridged = p.map((v, n) => v + (n % (k + 1) === 0 ? 1e-9 * (1 + Math.abs(p[0]!)) : 0));
        expect(() => cholesky(ridged, k)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('zeroes a negative-definite matrix and refuses a wrong size', () => {
    expect(Array.from(nearestPsd([-1, 0, 0, -2], 2))).toEqual([0, 0, 0, 0]);
    expect(() => nearestPsd([1, 2, 3], 2)).toThrow(/4 entries/);
  });
});
