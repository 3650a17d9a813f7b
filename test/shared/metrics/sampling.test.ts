// Negative sampling: never an item the user touched, distinct, seeded, and all candidates when too few exist.
import { describe, expect, it } from 'vitest';
import { leaveOneOutSplit, sampleNegatives, touchedItems } from '../../../shared/metrics';
import { dataset, distinctItemsDataset } from './data';

describe('sampleNegatives', () => {
  const data = distinctItemsDataset(30, 300, 20, 2);
  const { train, test } = leaveOneOutSplit(data);
  const touched = touchedItems(data);

  it('gives every test user `count` distinct in-range items they never touched, in train or test', () => {
    const negs = sampleNegatives(data, test, { count: 99, seed: 5 });
    expect(negs.length).toBe(30);
    for (let u = 0; u < 30; u++) {
      const list = Array.from(negs[u]!);
      expect(list.length).toBe(99);
      expect(new Set(list).size).toBe(99);
      for (const i of list) {
        expect(i >= 0 && i < 300).toBe(true);
        expect(touched[u]!.has(i)).toBe(false);
      }
    }
  });

  it('is determined by the seed', () => {
    const a = sampleNegatives(data, test, { count: 99, seed: 5 });
    const b = sampleNegatives(data, test, { count: 99, seed: 5 });
    const c = sampleNegatives(data, test, { count: 99, seed: 6 });
    expect(a.map((l) => Array.from(l))).toEqual(b.map((l) => Array.from(l)));
    expect(a.map((l) => Array.from(l))).not.toEqual(c.map((l) => Array.from(l)));
  });

  it('never offers the held-out item even when given train instead of the full data', () => {
    const negs = sampleNegatives(train, test, { count: 280, seed: 1 }); // 300 − 19 train items: all 281 but the test item
    for (let r = 0; r < test.user.length; r++) {
      const u = test.user[r]!;
      expect(negs[u]!.length).toBe(280);
      expect(Array.from(negs[u]!)).not.toContain(test.item[r]);
    }
  });

  it('takes every untouched item when fewer than `count` exist, and nothing for users without a test item', () => {
    const small = dataset(3, 6, [
      [0, 0, 5, 10],
      [0, 1, 4, 30],
      [0, 2, 3, 31],
      [1, 3, 5, 5],
      [1, 4, 2, 1],
      [2, 5, 4, 7],
    ]);
    const { test: t } = leaveOneOutSplit(small);
    const negs = sampleNegatives(small, t, { count: 99, seed: 1 });
    expect(Array.from(negs[0]!).sort()).toEqual([3, 4, 5]);
    expect(Array.from(negs[1]!).sort()).toEqual([0, 1, 2, 5]);
    expect(negs[2]!.length).toBe(0); // a single interaction: no test item
  });

  it.each([
    ['count 0', () => sampleNegatives(data, test, { count: 0, seed: 1 }), /count must be a positive integer, got 0/],
    ['count 2.5', () => sampleNegatives(data, test, { count: 2.5, seed: 1 }), /count/],
    ['seed 0.5', () => sampleNegatives(data, test, { count: 9, seed: 0.5 }), /seed must be a safe integer/],
    ['another id space', () => sampleNegatives(data, dataset(31, 300, []), { count: 9, seed: 1 }), /test \(31 users, 300 items\) and all \(30 users, 300 items\) must share one id space/],
  ])('%s → RangeError naming the parameter', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});
