// rocAuc equals the pairwise definition P(score⁺ > score⁻) + ½·P(tie), and handles the edge cases.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rocAuc } from '../../../shared/metrics/auc';

function bruteForce(scores: number[], positive: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j]) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return pairs === 0 ? NaN : wins / pairs;
}

describe('rocAuc', () => {
  it('equals the pairwise definition, ties counting one half (property, 1,000 cases)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.boolean()), { minLength: 2, maxLength: 60 }), (pairs) => {
        const scores = pairs.map((p) => p[0]);
        const positive = pairs.map((p) => p[1]);
        const expected = bruteForce(scores, positive);
        if (Number.isNaN(expected)) expect(rocAuc(scores, positive)).toBeNaN();
        else expect(rocAuc(scores, positive)).toBeCloseTo(expected, 12);
      }),
      { numRuns: 1000 },
    );
  });

  it('is 1 for a perfect ranking, 0 for a reversed one, ½ when every score ties', () => {
    expect(rocAuc([1, 2, 3, 4], [false, false, true, true])).toBe(1);
    expect(rocAuc([4, 3, 2, 1], [false, false, true, true])).toBe(0);
    expect(rocAuc([7, 7, 7, 7], [true, false, true, false])).toBe(0.5);
  });

  it('refuses NaN scores and mismatched lengths; NaN when a class is empty', () => {
    expect(() => rocAuc([1, NaN], [true, false])).toThrow(/NaN/);
    expect(() => rocAuc([1, 2], [true])).toThrow(/entries/);
    expect(rocAuc([1, 2], [true, true])).toBeNaN();
  });
});
