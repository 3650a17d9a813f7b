// Reasons by item and by category, checked on hand-computed explanations.
import { describe, expect, it } from 'vitest';
import { allReasons, dominantCategory, reasonsByCategory, topReasons, UNCATEGORISED } from '../../../shared/explain/reasons';
import type { Explanation } from '../../../shared/explain/decompose';

function explanation(parts: [item: number, value: number, target?: number][]): Explanation {
  const contributions = parts.map(([item, value, target = 1]) => ({ item, value, target }));
  const offset = 0.5;
  return { item: 99, offset, score: offset + contributions.reduce((s, c) => s + c.value, 0), contributions };
}

describe('topReasons', () => {
  // Item 1 appears twice (0.25 + 0.15 = 0.4); positives sum to 0.4 + 0.3 + 0.3 = 1.0.
  const e = explanation([[1, 0.25], [2, 0.3], [3, -0.2], [1, 0.15], [4, 0.3]]);

  it('merges repeated history items and sorts by contribution (ties by item id)', () => {
    const r = topReasons(e, 10);
    expect(r.map((x) => x.item)).toEqual([1, 2, 4]);
    expect(r[0]!.value).toBeCloseTo(0.4, 12);
    expect(r[0]!.target).toBe(2);
  });

  it('gives each reason its share of the positive contributions', () => {
    const r = topReasons(e, 10);
    expect(r.map((x) => x.share)).toEqual([expect.closeTo(0.4, 12), expect.closeTo(0.3, 12), expect.closeTo(0.3, 12)]);
    expect(r.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 12);
  });

  it('keeps negative contributions out of the reasons but in allReasons, with a negative share', () => {
    expect(topReasons(e, 10).some((x) => x.item === 3)).toBe(false);
    const all = allReasons(e);
    expect(all.map((x) => x.item)).toEqual([1, 2, 4, 3]);
    expect(all[3]!.share).toBeCloseTo(-0.2, 12);
  });

  it('stops at n and accepts n = 0', () => {
    expect(topReasons(e, 1).map((x) => x.item)).toEqual([1]);
    expect(topReasons(e, 0)).toEqual([]);
    expect(() => topReasons(e, -1)).toThrow(RangeError);
    expect(() => topReasons(e, 1.5)).toThrow(/non-negative integer/);
  });

  it('has no reasons (and zero shares) when nothing is positive', () => {
    const neg = explanation([[1, -0.1], [2, 0]]);
    expect(topReasons(neg, 3)).toEqual([]);
    expect(allReasons(neg).map((x) => x.share)).toEqual([0, 0]);
    expect(topReasons(explanation([]), 3)).toEqual([]);
  });

  it('merges an item that was both liked and disliked into one net value and net target', () => {
    const mixed = explanation([[5, 0.6, 2], [5, -0.2, -0.5]]);
    expect(allReasons(mixed)).toEqual([{ item: 5, value: expect.closeTo(0.4, 12), share: 1, target: 1.5 }]);
  });
});

describe('reasonsByCategory', () => {
  const cats = [['Sci-Fi'], ['Sci-Fi', 'Horror'], ['Comedy', 'Drama', 'Romance'], [], ['Drama', 'Drama']];

  it('splits a multi-category item equally and keeps the totals exact', () => {
    // 0: Sci-Fi 0.5; 1: Sci-Fi 0.15 + Horror 0.15; 2: 0.3 each to Comedy/Drama/Romance; 3: uncategorised 0.1;
    // 4: Drama listed twice counts once (0.2); 7: beyond the metadata, uncategorised -0.05.
    const e = explanation([[0, 0.5], [1, 0.3], [2, 0.9], [3, 0.1], [4, 0.2], [7, -0.05]]);
    const r = reasonsByCategory(e, cats);
    const byName = Object.fromEntries(r.map((x) => [x.category, x.value]));
    expect(byName['Sci-Fi']).toBeCloseTo(0.65, 12);
    expect(byName.Horror).toBeCloseTo(0.15, 12);
    expect(byName.Comedy).toBeCloseTo(0.3, 12);
    expect(byName.Drama).toBeCloseTo(0.5, 12);
    expect(byName.Romance).toBeCloseTo(0.3, 12);
    expect(byName[UNCATEGORISED]).toBeCloseTo(0.05, 12);
    const total = e.contributions.reduce((s, c) => s + c.value, 0);
    expect(r.reduce((s, x) => s + x.value, 0)).toBeCloseTo(total, 12);
    expect(r.map((x) => x.category)).toEqual(['Sci-Fi', 'Drama', 'Comedy', 'Romance', 'Horror', UNCATEGORISED]);
    // Every category is positive here, so the shares are value / total and add up to 1.
    expect(r[0]!.share).toBeCloseTo(0.65 / 1.95, 12);
    expect(r.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 12);
  });

  it('measures shares against the positive categories only', () => {
    const e = explanation([[0, 0.6], [2, 0.6], [1, -1]]);
    // Sci-Fi 0.6 - 0.5 = 0.1, Horror -0.5, Comedy/Drama/Romance 0.2 each: positive total 0.7.
    const r = reasonsByCategory(e, cats);
    expect(r.find((x) => x.category === 'Sci-Fi')!.share).toBeCloseTo(0.1 / 0.7, 12);
    expect(r.find((x) => x.category === 'Horror')!.share).toBeCloseTo(-0.5 / 0.7, 12);
    expect(r[r.length - 1]!.category).toBe('Horror');
  });
});

describe('dominantCategory', () => {
  const cats = [['Sci-Fi'], ['Comedy'], []];

  it('names a category holding more than half of the positive contributions', () => {
    expect(dominantCategory(explanation([[0, 0.51], [1, 0.49]]), cats)).toBe('Sci-Fi');
    expect(dominantCategory(explanation([[0, 0.6], [1, 0.4], [1, -0.5]]), cats)).toBe('Sci-Fi');
  });

  it('names none at exactly half, below half, or with nothing positive', () => {
    expect(dominantCategory(explanation([[0, 0.5], [1, 0.5]]), cats)).toBeUndefined();
    expect(dominantCategory(explanation([[0, 0.4], [1, 0.3], [2, 0.3]]), cats)).toBeUndefined();
    expect(dominantCategory(explanation([[0, -1]]), cats)).toBeUndefined();
    expect(dominantCategory(explanation([]), cats)).toBeUndefined();
  });

  it('never names the uncategorised bucket', () => {
    expect(dominantCategory(explanation([[2, 0.9], [0, 0.1]]), cats)).toBeUndefined();
  });
});
