// Ranking metrics on cases computed by hand, plus properties of NDCG and top-K selection.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hitAtK, ndcgAtK, ndcgOneAtK, rankOfTarget, recallAtK, topK } from '../../../shared/metrics';

describe('leave-one-out HR and NDCG', () => {
  // rank r (0-based) → HR@10 = [r < 10], NDCG@10 = 1/log2(r+2): r=0 → 1, r=3 → 1/log2(5) = 0.43068, r=9 → 1/log2(11) = 0.28906, r=10 → 0.
  it.each([
    [0, 1, 1],
    [3, 1, 0.430677],
    [9, 1, 0.289065],
    [10, 0, 0],
  ])('rank %i gives HR %i and NDCG %f', (rank, hr, ndcg) => {
    expect(hitAtK(rank, 10)).toBe(hr);
    expect(ndcgOneAtK(rank, 10)).toBeCloseTo(ndcg, 5);
  });

  it('counts ties against the target', () => {
    expect(rankOfTarget(0.5, [0.1, 0.5, 0.9])).toBe(2); // 0.9 higher, 0.5 ties
    expect(rankOfTarget(1, [0, 0, 0])).toBe(0);
    expect(rankOfTarget(0, [0, 0, 0])).toBe(3); // a constant scorer never hits
  });
});

describe('full-ranking Recall and NDCG', () => {
  it('match the hand computation', () => {
    // relevant {7, 2, 5}; list [7, 1, 2, 4]: hits at positions 0 and 2.
    // Recall@4 = 2/3. DCG = 1 + 1/log2(4) = 1.5; IDCG (3 relevant) = 1 + 1/log2(3) + 1/2 = 2.13093; NDCG = 0.70392.
    const rel = new Set([7, 2, 5]);
    expect(recallAtK([7, 1, 2, 4], rel)).toBeCloseTo(2 / 3, 10);
    expect(ndcgAtK([7, 1, 2, 4], rel, 4)).toBeCloseTo(1.5 / (1 + 1 / Math.log2(3) + 0.5), 10);
    expect(recallAtK([1, 2], new Set())).toBe(0);
  });

  it('NDCG is in [0, 1] and equals 1 exactly when the relevant items lead the list (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }), fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 }), (list, relevantList) => {
        const rel = new Set(relevantList);
        const k = list.length;
        const v = ndcgAtK(list, rel, k);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1 + 1e-12);
        const leading = list.slice(0, Math.min(k, rel.size)).every((i) => rel.has(i));
        expect(Math.abs(v - 1) < 1e-12).toBe(leading);
      }),
    );
  });
});

describe('topK', () => {
  it('returns the best K first, skips excluded items and breaks ties by index', () => {
    expect(Array.from(topK([0.1, 0.9, 0.5, 0.9, 0.3], 3))).toEqual([1, 3, 2]);
    expect(Array.from(topK([0.1, 0.9, 0.5, 0.9, 0.3], 3, new Set([1])))).toEqual([3, 2, 4]);
    expect(Array.from(topK([1, 2], 5))).toEqual([1, 0]);
    expect(Array.from(topK([1, 2], 0))).toEqual([]);
  });

  it('agrees with a full sort (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { maxLength: 200 }), fc.integer({ min: 0, max: 30 }), (scores, k) => {
        const expected = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map((p) => p[1]);
        expect(Array.from(topK(scores, k))).toEqual(expected);
      }),
    );
  });
});
