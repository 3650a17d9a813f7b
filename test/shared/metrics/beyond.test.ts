// Coverage, intra-list diversity and novelty on lists computed by hand.
import { describe, expect, it } from 'vitest';
import { coverageAtK, intraListDiversityByCategory, intraListDiversityByEmbedding, noveltyAtK } from '../../../shared/metrics';

const lists = [Int32Array.from([0, 1]), Int32Array.from([1, 2])];

describe('beyond accuracy', () => {
  it('coverage: distinct recommended items over the catalogue', () => {
    expect(coverageAtK(lists, 6)).toBeCloseTo(3 / 6, 12);
    expect(() => coverageAtK(lists, 0)).toThrow(/items must be positive/);
  });

  it('diversity by category: mean pairwise 1 − Jaccard', () => {
    // items 0 {A,B}, 1 {B}, 2 {C}: pair (0,1) 1 − 1/2 = 0.5; pair (1,2) 1 − 0 = 1 → mean 0.75
    expect(intraListDiversityByCategory(lists, [['A', 'B'], ['B'], ['C']])).toBeCloseTo(0.75, 12);
  });

  it('diversity by embedding: mean pairwise cosine distance', () => {
    // v0 = (1,0), v1 = (1,0), v2 = (0,1): (0,1) distance 0; (1,2) distance 1 → 0.5
    expect(intraListDiversityByEmbedding(lists, Float32Array.from([1, 0, 1, 0, 0, 1]), 2)).toBeCloseTo(0.5, 12);
  });

  it('novelty: mean −log2(popularity / users)', () => {
    // users 8, popularity [4, 2, 0 → 1]: items 0,1,1,2 → (1 + 2 + 2 + 3) / 4 = 2
    expect(noveltyAtK(lists, [4, 2, 0], 8)).toBeCloseTo(2, 12);
  });
});
