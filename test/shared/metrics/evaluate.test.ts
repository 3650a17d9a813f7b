// The evaluators: planted answers, hand-computed cases, random scorers with bounds that cannot pass by accident.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { evaluateFullRanking, evaluateLeaveOneOut, leaveOneOutSplit, sampleNegatives, topK, topKLists, touchedItems } from '../../../shared/metrics';
import { createRng } from '../../../shared/math/random';
import { dataset, distinctItemsDataset } from './data';

// 2,000 users with 5 distinct items each out of 500: the held-out item is never also a training item.
const data = distinctItemsDataset(2000, 500, 5, 9);
const { train, test } = leaveOneOutSplit(data);
const negatives = sampleNegatives(data, test, { count: 99, seed: 1 });
const heldOut = new Map<number, number>();
test.user.forEach((u, j) => heldOut.set(u, test.item[j]!));
const oracle = (u: number, items: Int32Array) => Float64Array.from(items, (i) => (i === heldOut.get(u) ? 1 : 0));
const oracleAll = (u: number) => Float32Array.from({ length: 500 }, (_, i) => (i === heldOut.get(u) ? 1 : 0));

describe('evaluateLeaveOneOut', () => {
  it('an oracle that knows the held-out item gets HR@10 = NDCG@10 = 1 over every user', () => {
    const m = evaluateLeaveOneOut({ test, negatives, score: oracle });
    expect(m).toEqual({ 'HR@10': 1, 'NDCG@10': 1, users: 2000 });
  });

  it('an anti-oracle and a constant scorer get 0 (ties count against the target)', () => {
    const anti = evaluateLeaveOneOut({ test, negatives, score: (u, items) => Float64Array.from(items, (i) => (i === heldOut.get(u) ? -1 : 0)) });
    expect([anti['HR@10'], anti['NDCG@10']]).toEqual([0, 0]);
    const constant = evaluateLeaveOneOut({ test, negatives, score: (_u, items) => new Float32Array(items.length) });
    expect([constant['HR@10'], constant['NDCG@10']]).toEqual([0, 0]);
  });

  it('a random scorer over 100 candidates has HR@10 ≈ 0.1 and NDCG@10 ≈ 0.0454', () => {
    // Rank is uniform on 0..99: E[HR@10] = 10/100, sd per user 0.3 → over 2,000 users se 0.0067; ±0.03 is 4.5 se.
    // E[NDCG@10] = Σ_{r<10} 1/log2(r+2) / 100 = 4.54336/100; sd per user 0.151 → se 0.0034; ±0.015 is 4.4 se.
    const r = createRng(77);
    const m = evaluateLeaveOneOut({ test, negatives, score: (_u, items) => Float64Array.from(items, () => r.float()) });
    expect(m.users).toBe(2000);
    expect(Math.abs(m['HR@10'] - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(m['NDCG@10'] - 0.0454336)).toBeLessThan(0.015);
  });

  it('averages hand-placed ranks 0, 3, 9 and 10 and keys the result with K', () => {
    // Four users, negatives 1..11 scored 100, 99, …, 90; target item 0 scored 100.5 − rank sits just above `rank` of them.
    // HR@10 = (1 + 1 + 1 + 0)/4 = 0.75; NDCG@10 = (1 + 1/log2(5) + 1/log2(11) + 0)/4 = (1 + 0.430677 + 0.289065)/4 = 0.429935.
    // With K = 4: HR@4 = 2/4, NDCG@4 = (1 + 0.430677)/4 = 0.357669.
    const ranks = [0, 3, 9, 10];
    const t = dataset(4, 20, ranks.map((_, u) => [u, 0, 1, 0]));
    const negs = ranks.map(() => Int32Array.from({ length: 11 }, (_, j) => j + 1));
    const score = (u: number, items: Int32Array) => Float64Array.from(items, (i) => (i === 0 ? 100.5 - ranks[u]! : 101 - i));
    const m10 = evaluateLeaveOneOut({ test: t, negatives: negs, score });
    expect(m10['HR@10']).toBe(0.75);
    expect(m10['NDCG@10']).toBeCloseTo(0.429935, 6);
    const m4 = evaluateLeaveOneOut({ test: t, negatives: negs, score, k: 4 });
    expect(Object.keys(m4).sort()).toEqual(['HR@4', 'NDCG@4', 'users']);
    expect(m4['HR@4']).toBe(0.5);
    expect(m4['NDCG@4']).toBeCloseTo(0.357669, 6);
  });

  it('types its keys with the K given', () => {
    expectTypeOf(evaluateLeaveOneOut({ test, negatives, score: oracle })).toEqualTypeOf<{ 'HR@10': number; 'NDCG@10': number } & { users: number }>();
    expectTypeOf(evaluateLeaveOneOut({ test, negatives, score: oracle, k: 5 })['HR@5']).toEqualTypeOf<number>();
  });

  it('returns zeros over no users rather than NaN', () => {
    expect(evaluateLeaveOneOut({ test: dataset(2, 3, []), negatives: [], score: oracle })).toEqual({ 'HR@10': 0, 'NDCG@10': 0, users: 0 });
  });

  it.each([
    ['k 0', () => evaluateLeaveOneOut({ test, negatives, score: oracle, k: 0 }), /k must be an integer ≥ 1, got 0/],
    ['k 2.5', () => evaluateLeaveOneOut({ test, negatives, score: oracle, k: 2.5 }), /k must be an integer/],
    ['scores of the wrong length', () => evaluateLeaveOneOut({ test, negatives, score: () => new Float64Array(3) }), /score returned 3 scores for user 0, expected 100/],
    ['missing negatives', () => evaluateLeaveOneOut({ test, negatives: negatives.slice(0, 5), score: oracle }), /negatives has no list for user 5/],
    ['two test rows for a user', () => evaluateLeaveOneOut({ test: dataset(1, 9, [[0, 1, 1, 0], [0, 2, 1, 1]]), negatives: [Int32Array.of(3)], score: oracle }), /more than one interaction for user 0/],
  ])('%s → RangeError', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});

describe('evaluateFullRanking', () => {
  it('an oracle gets Recall@20 = NDCG@20 = 1, even when it also scores training items highest (they are excluded)', () => {
    expect(evaluateFullRanking({ train, test, scoreAll: oracleAll })).toEqual({ 'Recall@20': 1, 'NDCG@20': 1, users: 2000 });
    const seen = touchedItems(train);
    const trainFirst = (u: number) => Float32Array.from({ length: 500 }, (_, i) => (seen[u]!.has(i) ? 2 : i === heldOut.get(u) ? 1 : 0));
    expect(evaluateFullRanking({ train, test, scoreAll: trainFirst, k: 1 })).toEqual({ 'Recall@1': 1, 'NDCG@1': 1, users: 2000 });
  });

  it('a random scorer finds the held-out item in the top 20 of 496 unseen items about 20/496 of the time', () => {
    // P(hit) = 20/496 = 0.04032, sd per user 0.197 → se over 2,000 users 0.0044; ±0.018 is 4 se.
    const r = createRng(78);
    const m = evaluateFullRanking({ train, test, scoreAll: () => Float32Array.from({ length: 500 }, () => r.float()) });
    expect(Math.abs(m['Recall@20'] - 20 / 496)).toBeLessThan(0.018);
    expect(m['NDCG@20']).toBeLessThan(m['Recall@20']); // one relevant item: NDCG ≤ hit, strictly below unless always at rank 0
  });

  it('matches a hand computation and skips users without test items', () => {
    // User 0: train {0}, test {2, 4}; scores make the ranking over unseen items [1, 2, 3, 4, 5].
    // K = 3 → list [1, 2, 3]: Recall = 1/2; DCG = 1/log2(3) = 0.630930; IDCG = 1 + 0.630930 → NDCG = 0.386853.
    // User 1: train {5}, test {3}; ranking [0, 1, 2, 3, 4] → item 3 at position 3, outside K: Recall 0, NDCG 0.
    // User 2 has no test items and is skipped. Means: Recall 0.25, NDCG 0.193426.
    const tr = dataset(3, 6, [[0, 0, 1, 0], [1, 5, 1, 0], [2, 1, 1, 0]]);
    const te = dataset(3, 6, [[0, 2, 1, 1], [0, 4, 1, 1], [1, 3, 1, 1]]);
    const scoreAll = () => Float64Array.from([9, 8, 7, 6, 5, 4]);
    const m = evaluateFullRanking({ train: tr, test: te, scoreAll, k: 3 });
    expect(m.users).toBe(2);
    expect(m['Recall@3']).toBeCloseTo(0.25, 12);
    expect(m['NDCG@3']).toBeCloseTo(0.193426, 6);
  });

  it.each([
    ['k 0', () => evaluateFullRanking({ train, test, scoreAll: oracleAll, k: 0 }), /k must be an integer ≥ 1/],
    ['scores of the wrong length', () => evaluateFullRanking({ train, test, scoreAll: () => new Float32Array(499) }), /scoreAll returned 499 scores for user 0, expected 500/],
    ['different id spaces', () => evaluateFullRanking({ train, test: dataset(2000, 501, []), scoreAll: oracleAll }), /must share one id space/],
  ])('%s → RangeError', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});

describe('topKLists', () => {
  it("gives every user's top K over unseen items, and the top 10 is a prefix of the top 20", () => {
    const r = createRng(5);
    const scores = Array.from({ length: 2000 }, () => Float32Array.from({ length: 500 }, () => r.float()));
    const seen = touchedItems(train);
    const top20 = topKLists(train, (u) => scores[u]!, 20);
    const top10 = topKLists(train, (u) => scores[u]!, 10);
    expect(top20.length).toBe(2000);
    for (let u = 0; u < 2000; u += 97) {
      expect(Array.from(top20[u]!)).toEqual(Array.from(topK(scores[u]!, 20, seen[u])));
      expect(Array.from(top10[u]!)).toEqual(Array.from(top20[u]!.subarray(0, 10)));
      for (const i of top20[u]!) expect(seen[u]!.has(i)).toBe(false);
    }
    expect(() => topKLists(train, (u) => scores[u]!, 0)).toThrow(/k must be an integer ≥ 1/);
  });
});
