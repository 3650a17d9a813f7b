// Ranking metrics on cases computed by hand, plus properties of NDCG and top-K selection.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hitAtK, ndcgAtK, ndcgOneAtK, rankOfTarget, recallAtK, topK } from '../../../shared/metrics';

describe('leave-one-out HR and NDCG of one target', () => {
  // rank r (0-based) → HR@10 = [r < 10], NDCG@10 = 1/log2(r+2): r=0 → 1, r=3 → 1/log2(5) = 0.430677,
  // r=9 → 1/log2(11) = 0.289065, r=10 → 0 (outside the top 10).
  it.each([
    [0, 1, 1],
    [3, 1, 0.430677],
    [9, 1, 0.289065],
    [10, 0, 0],
  ])('rank %i gives HR@10 %i and NDCG@10 %f', (rank, hr, ndcg) => {
    expect(hitAtK(rank, 10)).toBe(hr);
    expect(ndcgOneAtK(rank, 10)).toBeCloseTo(ndcg, 6);
  });

  it('ranks by strictly higher scores plus ties, which count against the target', () => {
    expect(rankOfTarget(0.5, [0.1, 0.2])).toBe(0);
    expect(rankOfTarget(0.5, [0.1, 0.5, 0.9])).toBe(2); // 0.9 higher, 0.5 ties
    expect(rankOfTarget(1, [0, 0, 0])).toBe(0);
    expect(rankOfTarget(0, [0, 0, 0])).toBe(3); // a constant scorer never hits
  });

  it('treats NaN as the lowest score, so NaN can never win', () => {
    expect(rankOfTarget(Number.NaN, [0.1, -5])).toBe(2);
    expect(rankOfTarget(Number.NaN, [Number.NaN, Number.NaN])).toBe(2); // all NaN: a tie, counted against
    expect(rankOfTarget(0.1, [Number.NaN, 0.2])).toBe(1);
    expect(rankOfTarget(-Infinity, [Number.NaN])).toBe(1); // NaN ≡ −∞, a tie
  });

  it('HR@K and NDCG@K lie in [0, 1], grow with K, and NDCG is 1 exactly at rank 0 (property)', () => {
    fc.assert(
      fc.property(fc.nat(200), fc.integer({ min: 1, max: 100 }), (rank, k) => {
        const n = ndcgOneAtK(rank, k);
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThanOrEqual(1);
        expect(n === 1).toBe(rank === 0);
        expect(n > 0).toBe(hitAtK(rank, k) === 1);
        expect(hitAtK(rank, k + 1)).toBeGreaterThanOrEqual(hitAtK(rank, k));
        expect(ndcgOneAtK(rank, k + 1)).toBeGreaterThanOrEqual(n);
      }),
    );
  });
});

describe('full-ranking Recall and NDCG', () => {
  it('three relevant, two found', () => {
    // relevant {7, 2, 5}; list [7, 1, 2, 4]: hits at positions 0 and 2.
    // Recall@4 = 2/3. DCG = 1 + 1/log2(4) = 1.5; IDCG (3 relevant) = 1 + 1/log2(3) + 1/log2(4) = 2.130930; NDCG = 0.703918.
    const rel = new Set([7, 2, 5]);
    expect(recallAtK([7, 1, 2, 4], rel)).toBeCloseTo(2 / 3, 12);
    expect(ndcgAtK([7, 1, 2, 4], rel, 4)).toBeCloseTo(0.703918, 6);
  });

  it('two relevant at positions 1 and 3, against the ideal list', () => {
    // relevant {4, 9}; list [1, 4, 3, 9, 0]: DCG@5 = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606;
    // IDCG = 1 + 1/log2(3) = 1.630930; NDCG@5 = 0.650920, Recall@5 = 1.
    // Cut at K = 2: list [1, 4]; DCG = 0.630930, IDCG still 1.630930 → NDCG@2 = 0.386853, Recall@2 = 1/2.
    const rel = new Set([4, 9]);
    const list = [1, 4, 3, 9, 0];
    expect(recallAtK(list, rel)).toBe(1);
    expect(ndcgAtK(list, rel, 5)).toBeCloseTo(0.65092, 5);
    expect(recallAtK(list.slice(0, 2), rel)).toBe(0.5);
    expect(ndcgAtK(list, rel, 2)).toBeCloseTo(0.386853, 6); // positions ≥ K are ignored even when present
    expect(ndcgAtK([9, 4, 0], rel, 3)).toBe(1); // ideal order
    expect(ndcgAtK([4, 9, 0], rel, 3)).toBe(1); // any order of the relevant items at the top
  });

  it('IDCG counts at most K relevant items, and nothing relevant scores 0', () => {
    // relevant {0, 1, 2}, K = 2: list [0, 1] is as good as any list of 2 can be → 1 (Recall is 2/3).
    expect(ndcgAtK([0, 1], new Set([0, 1, 2]), 2)).toBe(1);
    expect(recallAtK([0, 1], new Set([0, 1, 2]))).toBeCloseTo(2 / 3, 12);
    expect(recallAtK([1, 2], new Set())).toBe(0);
    expect(ndcgAtK([1, 2], new Set(), 2)).toBe(0);
  });

  it('NDCG is in [0, 1] and equals 1 exactly when the relevant items lead the list (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 }),
        (list, relevantList) => {
          const rel = new Set(relevantList);
          const k = list.length;
          const v = ndcgAtK(list, rel, k);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1 + 1e-12);
          const leading = list.slice(0, Math.min(k, rel.size)).every((i) => rel.has(i));
          expect(Math.abs(v - 1) < 1e-12).toBe(leading);
          const r = recallAtK(list, rel);
          expect(r).toBeGreaterThanOrEqual(0);
          expect(r).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('topK', () => {
  it('returns the best K first, skips excluded items and NaN, and breaks ties by the lower index', () => {
    expect(Array.from(topK([0.1, 0.9, 0.5, 0.9, 0.3], 3))).toEqual([1, 3, 2]);
    expect(Array.from(topK([0.1, 0.9, 0.5, 0.9, 0.3], 3, new Set([1])))).toEqual([3, 2, 4]);
    expect(Array.from(topK([1, Number.NaN, 2], 3))).toEqual([2, 0]);
    expect(Array.from(topK([1, 2], 5))).toEqual([1, 0]);
    expect(Array.from(topK([1, 2], 0))).toEqual([]);
    expect(Array.from(topK(Float32Array.from([-Infinity, -1, Infinity]), 2))).toEqual([2, 1]);
  });

  it.each([-1, 1.5, Number.NaN])('refuses k = %d with a RangeError naming k', (k) => {
    expect(() => topK([1, 2], k)).toThrow(RangeError);
    expect(() => topK([1, 2], k)).toThrow(/k must be an integer ≥ 0/);
  });

  it('agrees with a full sort, with exclusions, and the top K is a prefix of the top K + j (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.constantFrom(0, 1, 2)), { maxLength: 200 }),
        fc.integer({ min: 0, max: 30 }),
        fc.uniqueArray(fc.nat(199), { maxLength: 20 }),
        fc.nat(10),
        (scores, k, excluded, j) => {
          const exclude = new Set(excluded);
          const expected = scores
            .map((s, i) => [s, i] as const)
            .filter(([, i]) => !exclude.has(i))
            .sort((a, b) => b[0] - a[0] || a[1] - b[1])
            .slice(0, k)
            .map((p) => p[1]);
          const got = Array.from(topK(scores, k, exclude));
          expect(got).toEqual(expected);
          expect(Array.from(topK(scores, k + j, exclude)).slice(0, k)).toEqual(got);
        },
      ),
    );
  });
});
