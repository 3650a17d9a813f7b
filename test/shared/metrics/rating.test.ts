// RMSE on hand-computed vectors, its properties, and the errors for bad input.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluateRmse, rmse } from '../../../shared/metrics';
import { dataset } from './data';

describe('rmse', () => {
  it('matches the hand computation', () => {
    // errors 1, −1, 2 → sqrt((1 + 1 + 4) / 3) = sqrt(2)
    expect(rmse([4, 2, 5], [3, 3, 3])).toBeCloseTo(Math.SQRT2, 12);
    expect(rmse(Float32Array.of(3.5), Float32Array.of(3.5))).toBe(0);
  });

  it('is a shift-invariant norm: rmse(a + c, a) = |c| and rmse ≥ |mean error| (property)', () => {
    const finite = fc.double({ min: -100, max: 100, noNaN: true });
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 30 }), finite, (a, c) => {
        expect(rmse(a.map((x) => x + c), a)).toBeCloseTo(Math.abs(c), 6);
        const b = a.map((x, j) => x * (j % 3) - c);
        const meanError = a.reduce((s, x, j) => s + (x - b[j]!), 0) / a.length;
        expect(rmse(a, b)).toBeGreaterThanOrEqual(Math.abs(meanError) - 1e-9);
      }),
    );
  });

  it.each([
    ['length mismatch', () => rmse([1], [1, 2]), /1 predictions for 2 ratings/],
    ['NaN prediction', () => rmse([Number.NaN], [1]), /prediction or rating 0 is not finite/],
    ['infinite rating', () => rmse([1, 2], [1, Infinity]), /prediction or rating 1 is not finite/],
    ['nothing to compare', () => rmse([], []), /no ratings/],
  ])('%s → RangeError', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});

describe('evaluateRmse', () => {
  const test = dataset(2, 3, [
    [0, 0, 5, 0],
    [0, 1, 3, 0],
    [1, 2, 4, 0],
  ]);

  it('scores a predictor over every rating', () => {
    // predict 4 everywhere: errors −1, 1, 0 → sqrt(2/3) = 0.816497
    expect(evaluateRmse({ test, predict: () => 4 })).toEqual({ RMSE: Math.sqrt(2 / 3), ratings: 3 });
    // predict user + item: 0, 1, 3 against 5, 3, 4 → errors 5, 2, 1 → sqrt(30/3) = sqrt(10)
    expect(evaluateRmse({ test, predict: (u, i) => u + i }).RMSE).toBeCloseTo(Math.sqrt(10), 12);
  });

  it('names the user and item of a non-finite prediction', () => {
    expect(() => evaluateRmse({ test, predict: (u, i) => (u === 0 && i === 1 ? Number.NaN : 4) })).toThrow(/predict\(0, 1\) returned NaN/);
  });
});
