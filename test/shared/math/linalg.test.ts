// Cholesky factor and solve on random symmetric positive-definite matrices, and their failure modes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cholesky, choleskySolve, dot, solveSpd } from '../../../shared/math/linalg';

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
