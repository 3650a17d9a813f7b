// Coverage, intra-list diversity and novelty on lists computed by hand, with their ranges as properties.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { coverageAtK, intraListDiversityByCategory, intraListDiversityByEmbedding, noveltyAtK } from '../../../shared/metrics';

const lists = [Int32Array.of(0, 1), Int32Array.of(1, 2)];

describe('coverageAtK', () => {
  it('counts distinct recommended items over the catalogue', () => {
    // ∪ = {0, 1, 2} of 6 items → 0.5; a third list repeating items adds nothing.
    expect(coverageAtK(lists, 6)).toBeCloseTo(3 / 6, 12);
    expect(coverageAtK([...lists, Int32Array.of(2, 0)], 6)).toBeCloseTo(3 / 6, 12);
    expect(coverageAtK([], 6)).toBe(0);
  });

  it.each([
    ['items 0', () => coverageAtK(lists, 0), /items must be a positive integer, got 0/],
    ['items 2.5', () => coverageAtK(lists, 2.5), /items must be a positive integer/],
    ['an item outside the catalogue', () => coverageAtK(lists, 2), /item 2 in a list is outside the catalogue \(size 2\)/],
  ])('%s → RangeError', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});

describe('intraListDiversityByCategory', () => {
  it('is the mean over users of mean pairwise 1 − Jaccard', () => {
    // items 0 {A,B}, 1 {B}, 2 {C}: pair (0,1) 1 − 1/2 = 0.5; pair (1,2) 1 − 0 = 1 → mean 0.75
    expect(intraListDiversityByCategory(lists, [['A', 'B'], ['B'], ['C']])).toBeCloseTo(0.75, 12);
  });

  it('averages pairs within a list before averaging users, and leaves out lists with fewer than two items', () => {
    // list [0, 1, 2] with 0 {A}, 1 {A}, 2 {B}: pairs 0, 1, 1 → 2/3; list [3] has no pairs; list [0, 2] → 1.
    // mean over the two lists with pairs: (2/3 + 1) / 2 = 5/6
    const cats = [['A'], ['A'], ['B'], ['C']];
    expect(intraListDiversityByCategory([Int32Array.of(0, 1, 2), Int32Array.of(3), Int32Array.of(0, 2)], cats)).toBeCloseTo(5 / 6, 12);
    expect(intraListDiversityByCategory([Int32Array.of(3)], cats)).toBe(0);
  });

  it('counts two uncategorised items as identical, one uncategorised against a categorised one as disjoint', () => {
    expect(intraListDiversityByCategory([Int32Array.of(0, 1)], [[], []])).toBe(0);
    expect(intraListDiversityByCategory([Int32Array.of(0, 1)], [[], ['A']])).toBe(1);
  });

  it('refuses items without a category entry', () => {
    expect(() => intraListDiversityByCategory(lists, [['A'], ['B']])).toThrow(/item 2 in a list is outside itemCategories \(size 2\)/);
  });

  it('lies in [0, 1] (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.constantFrom('A', 'B', 'C', 'D'), { maxLength: 4 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.array(fc.nat(), { maxLength: 6 }), { maxLength: 5 }),
        (cats, raw) => {
          const ls = raw.map((l) => Int32Array.from(l, (i) => i % cats.length));
          const d = intraListDiversityByCategory(ls, cats);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('intraListDiversityByEmbedding', () => {
  it('is the mean pairwise cosine distance', () => {
    // v0 = (1,0), v1 = (2,0), v2 = (0,1): (0,1) distance 0 (same direction); (1,2) distance 1 → 0.5
    expect(intraListDiversityByEmbedding(lists, Float32Array.of(1, 0, 2, 0, 0, 1), 2)).toBeCloseTo(0.5, 12);
    // opposite directions: 1 − (−1) = 2; a zero vector: 1
    expect(intraListDiversityByEmbedding([Int32Array.of(0, 1)], Float32Array.of(1, 1, -3, -3), 2)).toBeCloseTo(2, 6);
    expect(intraListDiversityByEmbedding([Int32Array.of(0, 1)], Float32Array.of(1, 1, 0, 0), 2)).toBe(1);
  });

  it.each([
    ['dim 0', () => intraListDiversityByEmbedding(lists, Float32Array.of(1, 0), 0), /dim must be a positive integer, got 0/],
    ['a ragged table', () => intraListDiversityByEmbedding(lists, Float32Array.of(1, 0, 1), 2), /itemVectors length 3 is not a multiple of dim 2/],
    ['an item without a vector', () => intraListDiversityByEmbedding(lists, Float32Array.of(1, 0, 1, 0), 2), /item 2 in a list is outside itemVectors \(size 2\)/],
  ])('%s → RangeError', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});

describe('noveltyAtK', () => {
  it('is the mean of −log2(popularity / users), counting an untouched item as popularity 1', () => {
    // users 8, popularity [4, 2, 0 → 1]: items 0,1,1,2 → (1 + 2 + 2 + 3) / 4 = 2
    expect(noveltyAtK(lists, [4, 2, 0], 8)).toBeCloseTo(2, 12);
    // an item every user touched carries no information
    expect(noveltyAtK([Int32Array.of(0)], Float64Array.of(8), 8)).toBe(0);
    expect(noveltyAtK([], [1], 8)).toBe(0);
  });

  it.each([
    ['users 0', () => noveltyAtK(lists, [4, 2, 0], 0), /users must be positive, got 0/],
    ['an item without a popularity', () => noveltyAtK(lists, [4, 2], 8), /item 2 in a list is outside itemPopularity \(size 2\)/],
  ])('%s → RangeError', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});
