// The ItemPop baseline: distinct users per item, and scorers both evaluators accept.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluateFullRanking, evaluateLeaveOneOut, itemPopScorer, itemPopularity } from '../../../shared/metrics';
import { dataset, type Row } from './data';

describe('itemPopularity', () => {
  it('counts distinct users per item', () => {
    const d = dataset(3, 3, [[0, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 1], [2, 2, 1, 0]]);
    expect(Array.from(itemPopularity(d))).toEqual([0, 2, 1]); // user 1's repeat of item 1 counts once
  });

  it('equals a naive count of distinct (user, item) pairs, whatever the row order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), fc.nat(7)), { maxLength: 60 }), (pairs) => {
        const d = dataset(6, 8, pairs.map(([u, i]): Row => [u, i, 1, 0]));
        const naive = new Array<number>(8).fill(0);
        for (const key of new Set(pairs.map(([u, i]) => `${u}:${i}`))) naive[Number(key.split(':')[1])]!++;
        expect(Array.from(itemPopularity(d))).toEqual(naive);
      }),
    );
  });
});

describe('itemPopScorer', () => {
  // popularity: item 0 by 3 users, item 1 by 2, item 2 by 1, item 3 by none.
  const train = dataset(4, 4, [[0, 0, 1, 0], [1, 0, 1, 0], [2, 0, 1, 0], [0, 1, 1, 0], [3, 1, 1, 0], [3, 2, 1, 0]]);

  it('scores every user alike, by popularity, for both evaluators', () => {
    const pop = itemPopScorer(train);
    expect(Array.from(pop.scoreAll(1))).toEqual([3, 2, 1, 0]);
    expect(Array.from(pop.score(2, Int32Array.of(3, 1)))).toEqual([0, 2]);
    // LOO: user 1 holds out item 1 (beats candidates 2, 3 → rank 0); user 2 holds out item 3 (below 1, 2 → rank 2).
    // HR@1 = 1/2; NDCG@10 = (1 + 1/log2(4)) / 2 = 0.75.
    const test = dataset(4, 4, [[1, 1, 1, 1], [2, 3, 1, 1]]);
    const loo = evaluateLeaveOneOut({ test, negatives: [Int32Array.of(), Int32Array.of(2, 3), Int32Array.of(1, 2), Int32Array.of()], score: pop.score, k: 1 });
    expect(loo).toEqual({ 'HR@1': 0.5, 'NDCG@1': 0.5, users: 2 });
    expect(evaluateLeaveOneOut({ test, negatives: [Int32Array.of(), Int32Array.of(2, 3), Int32Array.of(1, 2), Int32Array.of()], score: pop.score })['NDCG@10']).toBeCloseTo(0.75, 12);
    // Full ranking, K = 1: user 1 (train {0}) gets [1] = its test item; user 2 (train {0}) gets [1], missing item 3.
    expect(evaluateFullRanking({ train, test, scoreAll: pop.scoreAll, k: 1 })).toEqual({ 'Recall@1': 0.5, 'NDCG@1': 0.5, users: 2 });
  });
});
