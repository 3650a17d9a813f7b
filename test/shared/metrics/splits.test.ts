// Train/test splits: leave-one-out picks the latest (ties: larger item), folds partition exactly, fractions and seeds hold.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kFoldSplits, leaveOneOutSplit, perUserHoldoutSplit, randomSplit } from '../../../shared/metrics';
import type { InteractionData } from '../../../shared/data/interactions';
import { dataset, distinctItemsDataset, rowKeys, type Row } from './data';

const small = dataset(3, 6, [
  [0, 0, 5, 10],
  [0, 1, 4, 30],
  [0, 2, 3, 30], // ties with item 1 at t=30: the larger item id (2) is held out
  [1, 3, 5, 5],
  [1, 4, 2, 1], // earlier than item 3 although listed after it: order of rows must not matter
  [2, 5, 4, 7], // single interaction: stays in train, no test item
]);

/** Small random datasets with few distinct timestamps, so ties are common. */
const smallData = fc
  .record({ users: fc.integer({ min: 1, max: 6 }), items: fc.integer({ min: 1, max: 8 }) })
  .chain(({ users, items }) =>
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: users - 1 }), fc.integer({ min: 0, max: items - 1 }), fc.integer({ min: 0, max: 3 })), { minLength: 2, maxLength: 40 })
      .map((rows) => dataset(users, items, rows.map(([u, i, t]): Row => [u, i, 1, t]))),
  );

function expectSameSpace(part: InteractionData, of: InteractionData): void {
  expect(part.users).toBe(of.users);
  expect(part.items).toBe(of.items);
  expect(part.userIds).toBe(of.userIds);
  expect(part.itemIds).toBe(of.itemIds);
  expect(part.itemMeta).toBe(of.itemMeta);
}

describe('leaveOneOutSplit', () => {
  it("holds out each user's latest interaction, the larger item on a tie, and keeps single-interaction users in train", () => {
    const { train, test } = leaveOneOutSplit(small);
    expect(Array.from(test.user)).toEqual([0, 1]);
    expect(Array.from(test.item)).toEqual([2, 3]);
    expect(Array.from(test.value)).toEqual([3, 5]);
    expect(Array.from(test.timestamp)).toEqual([30, 5]);
    expect(Array.from(train.item).sort()).toEqual([0, 1, 4, 5]);
  });

  it('keeps the id space and the item metadata', () => {
    const withMeta: InteractionData = { ...small, itemMeta: Array.from({ length: 6 }, (_, i) => ({ externalId: `${i}`, title: `t${i}`, categories: ['A'] })) };
    const { train, test } = leaveOneOutSplit(withMeta);
    expectSameSpace(train, withMeta);
    expectSameSpace(test, withMeta);
  });

  it('the held-out row is the maximum by (timestamp, item) of every user with ≥ 2 rows (property)', () => {
    fc.assert(
      fc.property(smallData, (data) => {
        const { train, test } = leaveOneOutSplit(data);
        expect(rowKeys(train).concat(rowKeys(test)).sort()).toEqual(rowKeys(data));
        for (let u = 0; u < data.users; u++) {
          const rows = Array.from(data.user.keys()).filter((r) => data.user[r] === u);
          const held = Array.from(test.user.keys()).filter((r) => test.user[r] === u);
          if (rows.length < 2) {
            expect(held).toEqual([]);
            continue;
          }
          expect(held.length).toBe(1);
          const latest = rows.reduce((a, b) => (data.timestamp[b]! > data.timestamp[a]! || (data.timestamp[b] === data.timestamp[a] && data.item[b]! > data.item[a]!) ? b : a));
          expect([test.item[held[0]!], test.timestamp[held[0]!]]).toEqual([data.item[latest], data.timestamp[latest]]);
        }
      }),
    );
  });
});

describe('randomSplit', () => {
  const big = distinctItemsDataset(50, 100, 20, 1); // 1,000 interactions

  it('holds out exactly round(testFraction · n) interactions and keeps the rest in train', () => {
    const { train, test } = randomSplit(big, { testFraction: 0.2, seed: 3 });
    expect(test.user.length).toBe(200);
    expect(rowKeys(train).concat(rowKeys(test)).sort()).toEqual(rowKeys(big));
    expectSameSpace(test, big);
    expect(randomSplit(big, { testFraction: 0.1234, seed: 3 }).test.user.length).toBe(123);
  });

  it('is determined by the seed', () => {
    const a = randomSplit(big, { testFraction: 0.2, seed: 3 });
    const b = randomSplit(big, { testFraction: 0.2, seed: 3 });
    const c = randomSplit(big, { testFraction: 0.2, seed: 4 });
    expect(Array.from(a.test.timestamp)).toEqual(Array.from(b.test.timestamp));
    expect(Array.from(a.test.timestamp)).not.toEqual(Array.from(c.test.timestamp));
  });
});

describe('kFoldSplits', () => {
  it('gives k disjoint test folds that cover every interaction exactly once, each with the rest as train (property)', () => {
    fc.assert(
      fc.property(smallData, fc.integer({ min: 2, max: 5 }), fc.integer(), (data, k, seed) => {
        fc.pre(k <= data.user.length);
        const folds = kFoldSplits(data, { folds: k, seed });
        expect(folds.length).toBe(k);
        expect(folds.flatMap((f) => rowKeys(f.test)).sort()).toEqual(rowKeys(data));
        const sizes = folds.map((f) => f.test.user.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const f of folds) expect(rowKeys(f.train).concat(rowKeys(f.test)).sort()).toEqual(rowKeys(data));
      }),
    );
  });

  it('is determined by the seed', () => {
    const data = distinctItemsDataset(20, 50, 10, 2);
    const tests = (seed: number) => kFoldSplits(data, { folds: 5, seed }).map((f) => Array.from(f.test.timestamp));
    expect(tests(7)).toEqual(tests(7));
    expect(tests(7)).not.toEqual(tests(8));
  });
});

describe('perUserHoldoutSplit', () => {
  it('holds out round(testFraction · n) of each user, clamped so every user with ≥ 2 keeps a train and a test item', () => {
    const data = distinctItemsDataset(40, 200, 10, 3);
    const { train, test } = perUserHoldoutSplit(data, { testFraction: 0.2, seed: 5 });
    expect(rowKeys(train).concat(rowKeys(test)).sort()).toEqual(rowKeys(data));
    for (let u = 0; u < 40; u++) expect(test.user.filter((x) => x === u).length).toBe(2); // round(0.2 · 10)
    // 0.9 · 2 rounds to 2, clamped to 1; 0.1 · 2 rounds to 0, raised to 1; the single-interaction user stays in train.
    const high = perUserHoldoutSplit(small, { testFraction: 0.9, seed: 2 });
    const low = perUserHoldoutSplit(small, { testFraction: 0.1, seed: 2 });
    expect(Array.from(high.train.user).sort()).toEqual([0, 1, 2]);
    expect(Array.from(low.train.user).sort()).toEqual([0, 0, 1, 2]);
    expect(Array.from(high.test.user).sort()).toEqual([0, 0, 1]); // user 0 has 3: round(2.7) = 3, clamped to 2
    expect(Array.from(low.test.user).sort()).toEqual([0, 1]);
  });

  it('is determined by the seed', () => {
    const data = distinctItemsDataset(30, 100, 8, 4);
    const test = (seed: number) => Array.from(perUserHoldoutSplit(data, { testFraction: 0.25, seed }).test.timestamp);
    expect(test(1)).toEqual(test(1));
    expect(test(1)).not.toEqual(test(2));
  });
});

describe('argument checks', () => {
  it.each([
    ['randomSplit testFraction 0', () => randomSplit(small, { testFraction: 0, seed: 1 }), /testFraction must be in \(0, 1\), got 0/],
    ['randomSplit testFraction 1', () => randomSplit(small, { testFraction: 1, seed: 1 }), /testFraction/],
    ['randomSplit testFraction 1.2', () => randomSplit(small, { testFraction: 1.2, seed: 1 }), /testFraction/],
    ['randomSplit testFraction NaN', () => randomSplit(small, { testFraction: Number.NaN, seed: 1 }), /testFraction/],
    ['randomSplit seed 1.5', () => randomSplit(small, { testFraction: 0.2, seed: 1.5 }), /seed must be a safe integer/],
    ['perUserHoldoutSplit testFraction -0.1', () => perUserHoldoutSplit(small, { testFraction: -0.1, seed: 1 }), /testFraction/],
    ['kFoldSplits folds 1', () => kFoldSplits(small, { folds: 1, seed: 1 }), /folds must be an integer ≥ 2, got 1/],
    ['kFoldSplits folds 2.5', () => kFoldSplits(small, { folds: 2.5, seed: 1 }), /folds/],
    ['kFoldSplits folds NaN', () => kFoldSplits(small, { folds: Number.NaN, seed: 1 }), /folds/],
    ['kFoldSplits folds > interactions', () => kFoldSplits(small, { folds: 7, seed: 1 }), /folds \(7\) exceeds the number of interactions \(6\)/],
  ])('%s → RangeError naming the parameter', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});
