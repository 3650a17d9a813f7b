// Splits, negative sampling and the evaluators, with planted answers and bounds that cannot pass by accident.
import { describe, expect, it } from 'vitest';
import {
  evaluateFullRanking,
  evaluateLeaveOneOut,
  evaluateRmse,
  itemPopScorer,
  kFoldSplits,
  leaveOneOutSplit,
  perUserHoldoutSplit,
  randomSplit,
  rmse,
  sampleNegatives,
} from '../../../shared/metrics';
import { createRng } from '../../../shared/math/random';
import { dataset } from './data';

const small = dataset(3, 6, [
  [0, 0, 5, 10],
  [0, 1, 4, 30],
  [0, 2, 3, 30], // ties with item 1 at t=30: the larger item id (2) is held out
  [1, 3, 5, 5],
  [1, 4, 2, 1],
  [2, 5, 4, 7], // single interaction: stays in train
]);

describe('splits', () => {
  it('leave-one-out holds out each user\'s latest interaction', () => {
    const { train, test } = leaveOneOutSplit(small);
    expect(Array.from(test.user)).toEqual([0, 1]);
    expect(Array.from(test.item)).toEqual([2, 3]);
    expect(train.user.length).toBe(4);
  });

  it('random split holds out the requested fraction, deterministically', () => {
    const rng = createRng(1);
    const rows: [number, number, number, number][] = Array.from({ length: 1000 }, (_, n) => [n % 50, rng.int(40), 3, n]);
    const big = dataset(50, 40, rows);
    const a = randomSplit(big, { testFraction: 0.2, seed: 3 });
    const b = randomSplit(big, { testFraction: 0.2, seed: 3 });
    const c = randomSplit(big, { testFraction: 0.2, seed: 4 });
    expect(a.test.user.length).toBe(200);
    expect(Array.from(a.test.timestamp)).toEqual(Array.from(b.test.timestamp));
    expect(Array.from(a.test.timestamp)).not.toEqual(Array.from(c.test.timestamp));
  });

  it('k folds partition the interactions exactly', () => {
    const folds = kFoldSplits(small, { folds: 3, seed: 1 });
    const seen = folds.flatMap((f) => Array.from(f.test.timestamp, (t, j) => `${f.test.user[j]}-${f.test.item[j]}-${t}`));
    expect(seen.sort()).toEqual(Array.from(small.timestamp, (t, j) => `${small.user[j]}-${small.item[j]}-${t}`).sort());
    for (const f of folds) expect(f.train.user.length + f.test.user.length).toBe(6);
  });

  it('per-user holdout keeps at least one training item per user', () => {
    const { train } = perUserHoldoutSplit(small, { testFraction: 0.9, seed: 2 });
    expect(new Set(train.user)).toEqual(new Set([0, 1, 2]));
  });

  it.each([
    [() => randomSplit(small, { testFraction: 0, seed: 1 }), /testFraction must be in \(0, 1\)/],
    [() => randomSplit(small, { testFraction: 1.2, seed: 1 }), /testFraction/],
    [() => kFoldSplits(small, { folds: 1, seed: 1 }), /folds must be an integer ≥ 2/],
    [() => kFoldSplits(small, { folds: 2.5, seed: 1 }), /folds/],
    [() => sampleNegatives(small, small, { count: 0, seed: 1 }), /count must be a positive integer/],
  ])('refuses bad arguments (%#)', (call, message) => {
    expect(call).toThrow(message);
  });
});

describe('negative sampling', () => {
  it('never picks an item the user touched, without repeats, and is seeded', () => {
    const rng = createRng(2);
    const rows: [number, number, number, number][] = [];
    for (let u = 0; u < 30; u++) for (let t = 0; t < 20; t++) rows.push([u, rng.int(300), 4, t]);
    const data = dataset(30, 300, rows);
    const { test } = leaveOneOutSplit(data);
    const a = sampleNegatives(data, test, { count: 99, seed: 5 });
    const b = sampleNegatives(data, test, { count: 99, seed: 5 });
    for (let u = 0; u < 30; u++) {
      const touched = new Set(rows.filter((r) => r[0] === u).map((r) => r[1]));
      expect(new Set(a[u]).size).toBe(99);
      for (const i of a[u]!) expect(touched.has(i)).toBe(false);
      expect(Array.from(a[u]!)).toEqual(Array.from(b[u]!));
    }
  });

  it('takes every untouched item when fewer than count exist', () => {
    const { test } = leaveOneOutSplit(small);
    const negs = sampleNegatives(small, test, { count: 99, seed: 1 });
    expect(Array.from(negs[0]!).sort()).toEqual([3, 4, 5]);
    expect(negs[2]!.length).toBe(0); // no test item
  });
});

describe('evaluators', () => {
  const rng = createRng(9);
  const rows: [number, number, number, number][] = [];
  for (let u = 0; u < 2000; u++) {
    const items = new Set<number>();
    while (items.size < 5) items.add(rng.int(500)); // distinct, so the held-out item is not also in train
    [...items].forEach((i, t) => rows.push([u, i, 3, t]));
  }
  const data = dataset(2000, 500, rows);
  const { train, test } = leaveOneOutSplit(data);
  const negatives = sampleNegatives(data, test, { count: 99, seed: 1 });
  const heldOut = new Map<number, number>();
  test.user.forEach((u, j) => heldOut.set(u, test.item[j]!));

  it('an oracle that knows the held-out item scores HR = NDCG = 1', () => {
    const m = evaluateLeaveOneOut({ test, negatives, score: (u, items) => Float64Array.from(items, (i) => (i === heldOut.get(u) ? 1 : 0)) });
    expect(m['HR@10']).toBe(1);
    expect(m['NDCG@10']).toBe(1);
  });

  it('a random scorer over 100 candidates has HR@10 ≈ 0.1 (2,000 users: ±0.03 is > 4 standard deviations)', () => {
    const r = createRng(77);
    const m = evaluateLeaveOneOut({ test, negatives, score: (_u, items) => Float64Array.from(items, () => r.float()) });
    expect(m.users).toBe(test.user.length);
    expect(Math.abs(m['HR@10']! - 0.1)).toBeLessThan(0.03);
  });

  it('full ranking excludes training items and scores an oracle perfectly', () => {
    const m = evaluateFullRanking({ train, test, scoreAll: (u) => Float64Array.from({ length: 500 }, (_, i) => (i === heldOut.get(u) ? 1 : 0)), k: 20 });
    expect(m['Recall@20']).toBe(1);
    expect(m['NDCG@20']).toBe(1);
  });

  it('ItemPop ranks by distinct users per item', () => {
    const d = dataset(3, 3, [[0, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 1], [2, 2, 1, 0]]);
    expect(Array.from(itemPopScorer(d).scoreAll(0))).toEqual([0, 2, 1]); // user 1's repeat of item 1 counts once
  });

  it('RMSE matches the hand computation and refuses bad input', () => {
    // errors 1, −1, 2 → sqrt((1 + 1 + 4) / 3) = sqrt(2)
    expect(rmse([4, 2, 5], [3, 3, 3])).toBeCloseTo(Math.SQRT2, 12);
    expect(() => rmse([1], [1, 2])).toThrow(/1 predictions for 2 ratings/);
    expect(() => rmse([Number.NaN], [1])).toThrow(/not finite/);
    expect(() => rmse([], [])).toThrow(/no ratings/);
    expect(evaluateRmse({ test: small, predict: () => 4 }).RMSE).toBeCloseTo(Math.sqrt((1 + 0 + 1 + 1 + 4 + 0) / 6), 6);
  });
});
