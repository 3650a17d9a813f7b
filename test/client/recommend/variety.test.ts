// The variety re-ranker: it only reorders, level 0 is the score order, and a planted pool makes the calibrated
// choice known; the divergence is checked against a hand computation.
import { describe, expect, it } from 'vitest';
import { calibrate, categoryMix, CALIBRATION_ALPHA, miscalibration, type Candidate } from '../../../client/recommend/variety';

// Ten Drama items score highest; ten Comedy items a little lower.
const pool: Candidate[] = [
  ...Array.from({ length: 10 }, (_, n) => ({ item: n, score: 2 - n * 0.01, categories: ['Drama'] })),
  ...Array.from({ length: 10 }, (_, n) => ({ item: 10 + n, score: 1.5 - n * 0.01, categories: ['Comedy'] })),
];
const halfAndHalf = categoryMix([
  { categories: ['Drama'], weight: 1 },
  { categories: ['Comedy'], weight: 1 },
]);

describe('categoryMix and miscalibration', () => {
  it('splits an item evenly over its categories and weights items by value', () => {
    const mix = categoryMix([
      { categories: ['A', 'B'], weight: 2 },
      { categories: ['B'], weight: 2 },
      { categories: [], weight: 5 },
    ]);
    expect(Object.fromEntries(mix)).toEqual({ A: 0.25, B: 0.75 });
  });

  it('is KL(p ‖ (1−α)q + αp), zero for a calibrated list', () => {
    const p = new Map([['A', 0.5], ['B', 0.5]]);
    expect(miscalibration(p, new Map(p))).toBeCloseTo(0, 15);
    // q = all A: q̃(A) = 0.99·1 + 0.01·0.5, q̃(B) = 0.01·0.5.
    const a = CALIBRATION_ALPHA;
    const expected = 0.5 * Math.log(0.5 / ((1 - a) * 1 + a * 0.5)) + 0.5 * Math.log(0.5 / (a * 0.5));
    expect(miscalibration(p, new Map([['A', 1]]))).toBeCloseTo(expected, 12);
  });
});

describe('calibrate', () => {
  it('at level 0 keeps the score order and marks nothing as chosen for variety', () => {
    const picks = calibrate([...pool].reverse(), halfAndHalf, 10, 0);
    expect(picks.map((p) => p.item)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(picks.every((p) => !p.forVariety && p.adds.length === 0)).toBe(true);
  });

  it('never changes a score: every pick carries its candidate\'s score', () => {
    for (const level of [0, 0.3, 0.7, 1]) {
      for (const p of calibrate(pool, halfAndHalf, 10, level)) expect(p.score).toBe(pool.find((c) => c.item === p.item)!.score);
    }
  });

  it('at level 1 (calibration only) the list takes the person\'s half-and-half mix, saying which items came for variety', () => {
    const picks = calibrate(pool, halfAndHalf, 10, 1);
    const comedies = picks.filter((p) => p.item >= 10);
    expect(comedies).toHaveLength(5);
    expect(comedies.every((p) => p.forVariety && p.adds.includes('Comedy'))).toBe(true);
    // Within each category the score order stays.
    expect(comedies.map((p) => p.item)).toEqual([10, 11, 12, 13, 14]);
    expect(picks.filter((p) => p.item < 10).map((p) => p.item)).toEqual([0, 1, 2, 3, 4]);
  });

  it('between the ends, a comedy enters only where its divergence gain outweighs its lost relevance', () => {
    // Scaled relevance: dramas ≈ 1, comedies ≈ 0.15 → a comedy costs (1 − λ)·0.85 at most; at λ = 0.5 the first
    // comedy (KL of all-Drama vs half-and-half ≈ 1.96 → 0.5·…) must win a slot, at λ = 0.01 none can.
    expect(calibrate(pool, halfAndHalf, 10, 0.5).some((p) => p.item >= 10)).toBe(true);
    expect(calibrate(pool, halfAndHalf, 10, 0.01).some((p) => p.item >= 10)).toBe(false);
  });

  it('the list\'s miscalibration does not grow with the level', () => {
    const kl = [0, 0.25, 0.5, 0.75, 1].map((level) => {
      const picks = calibrate(pool, halfAndHalf, 10, level);
      return miscalibration(halfAndHalf, categoryMix(picks.map((p) => ({ categories: pool.find((c) => c.item === p.item)!.categories, weight: 1 }))));
    });
    for (let n = 1; n < kl.length; n++) expect(kl[n]!).toBeLessThanOrEqual(kl[n - 1]! + 1e-12);
    expect(kl[4]!).toBeLessThan(kl[0]! / 2);
  });

  it('with no history to calibrate to, orders by score', () => {
    expect(calibrate(pool, new Map(), 3, 1).map((p) => p.item)).toEqual([0, 1, 2]);
  });

  it('refuses a level outside [0, 1]', () => {
    expect(() => calibrate(pool, halfAndHalf, 3, 1.5)).toThrow(/variety level/);
  });
});
