// Tests for the seeded synthetic generator: determinism, validity, requested statistics and recoverable structure.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../bench/datasets/index';
import { generateSynthetic, syntheticLike, type SyntheticDataset, type SyntheticOptions } from '../../../bench/datasets/synthetic';
import { meanAndMedian } from '../../../bench/datasets/sampling';
import type { InteractionData } from '../../../shared/data/interactions';

const BASE: SyntheticOptions = { users: 2000, items: 600, categories: 12, dim: 12, meanInteractions: 40, medianInteractions: 22, seed: 7 };
const base = generateSynthetic(BASE);

function perUserCounts(d: InteractionData): Int32Array {
  const counts = new Int32Array(d.users);
  for (const u of d.user) counts[u]!++;
  return counts;
}

function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function expectValid(set: SyntheticDataset, opts: SyntheticOptions): void {
  const { data: d, truth } = set;
  const min = opts.minInteractions ?? 5;
  expect([d.users, d.items, d.userIds.length, d.itemIds.length, d.itemMeta?.length]).toEqual([opts.users, opts.items, opts.users, opts.items, opts.items]);
  const n = d.user.length;
  expect([d.item.length, d.value.length, d.timestamp.length]).toEqual([n, n, n]);
  expect(truth.userFactors.length).toBe(opts.users * opts.dim);
  expect(truth.itemFactors.length).toBe(opts.items * opts.dim);
  expect(truth.itemCategory.length).toBe(opts.items);
  expect(truth.itemPopularity.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  expect(truth.itemPopularity.every((p) => p > 0)).toBe(true);
  expect(truth.itemCategory.every((c) => c >= 0 && c < opts.categories)).toBe(true);
  expect(perUserCounts(d).every((c) => c >= Math.min(min, opts.items) && c <= opts.items)).toBe(true);
  // Collect problems rather than calling expect per row, which would dominate the test's run time.
  const problems: string[] = [];
  const seen = new Set<number>();
  for (let k = 0; k < n && problems.length < 5; k++) {
    const u = d.user[k]!;
    const i = d.item[k]!;
    const v = d.value[k]!;
    if (!(u >= 0 && u < d.users && i >= 0 && i < d.items)) problems.push(`row ${k}: ids ${u},${i} out of range`);
    if (seen.has(u * d.items + i)) problems.push(`row ${k}: user ${u} has item ${i} twice`);
    seen.add(u * d.items + i);
    if (!(v >= 0.5 && v <= 5 && Number.isInteger(v * 2))) problems.push(`row ${k}: rating ${v}`);
    // Rows are grouped by user in time order.
    if (k > 0 && u < d.user[k - 1]!) problems.push(`row ${k}: user ${u} after ${d.user[k - 1]}`);
    if (k > 0 && u === d.user[k - 1] && !(d.timestamp[k]! > d.timestamp[k - 1]!)) problems.push(`row ${k}: time not increasing`);
  }
  expect(problems).toEqual([]);
  d.itemMeta?.forEach((m, i) => {
    expect(m.externalId).toBe(String(i));
    expect(m.title).toBe(`Item ${i}`);
    expect(m.categories.length === 1 || m.categories.length === 2).toBe(true);
    expect(m.categories[0]).toBe(`Category ${truth.itemCategory[i]}`);
    expect(new Set(m.categories).size).toBe(m.categories.length);
  });
}

describe('generateSynthetic', () => {
  it('is reproducible from the seed', () => {
    const again = generateSynthetic(BASE);
    // Byte comparison: toEqual over typed arrays of this size is slow.
    const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const arrays = (x: SyntheticDataset): ArrayBufferView[] => [
      x.data.user, x.data.item, x.data.value, x.data.timestamp,
      x.truth.userFactors, x.truth.itemFactors, x.truth.itemCategory, x.truth.itemPopularity, x.truth.categoryCentroids,
    ];
    arrays(again).forEach((a, k) => expect(bytes(a).equals(bytes(arrays(base)[k]!))).toBe(true));
    expect(again.data.itemMeta).toEqual(base.data.itemMeta);
    expect(again.truth.userCategories).toEqual(base.truth.userCategories);
    expect([again.data.name, again.data.userIds, again.data.itemIds]).toEqual([base.data.name, base.data.userIds, base.data.itemIds]);
  });

  it('changes with the seed', () => {
    const other = generateSynthetic({ ...BASE, seed: 8 });
    expect(other.data.item).not.toEqual(base.data.item);
    expect(other.truth.userFactors).not.toEqual(base.truth.userFactors);
  });

  it.each<[string, SyntheticOptions]>([
    ['the base settings', BASE],
    ['one category, one dimension', { users: 50, items: 30, categories: 1, dim: 1, seed: 1, meanInteractions: 8 }],
    ['users needing most of the items (exact path)', { users: 40, items: 25, categories: 5, dim: 4, seed: 2, minInteractions: 20, meanInteractions: 23 }],
    ['every user taking every item', { users: 5, items: 10, categories: 10, dim: 3, seed: 3, minInteractions: 10, meanInteractions: 10 }],
    ['a minimum above the item count (capped)', { users: 5, items: 4, categories: 2, dim: 3, seed: 4, minInteractions: 9, meanInteractions: 9 }],
  ])('produces valid data for %s', (_, opts) => {
    expectValid(opts === BASE ? base : generateSynthetic(opts), opts);
  });

  it.each<[string, Partial<SyntheticOptions>]>([
    ['users', { users: 0 }],
    ['items', { items: 2.5 }],
    ['dim', { dim: -1 }],
    ['categories', { categories: 700 }],
    ['meanInteractions', { meanInteractions: 3 }],
    ['medianInteractions', { medianInteractions: 60 }],
  ])('rejects a bad %s', (name, bad) => {
    expect(() => generateSynthetic({ ...BASE, ...bad })).toThrow(new RegExp(name));
  });

  it('matches the requested mean and median interactions per user', () => {
    const { mean, median } = meanAndMedian(perUserCounts(base.data));
    expect(Math.abs(mean / 40 - 1)).toBeLessThan(0.1);
    expect(Math.abs(median / 22 - 1)).toBeLessThan(0.1);
  });

  it('makes item popularity long-tailed and drives interactions with it', () => {
    const counts = new Float64Array(base.data.items);
    for (const i of base.data.item) counts[i]!++;
    const sorted = Array.from(counts).sort((a, b) => b - a);
    const top10 = sorted.slice(0, sorted.length / 10).reduce((a, b) => a + b, 0);
    expect(top10 / base.data.user.length).toBeGreaterThan(0.3);
    expect(correlation(Array.from(base.truth.itemPopularity, Math.log), Array.from(counts, (c) => Math.log(c + 1)))).toBeGreaterThan(0.5);
  });

  it("concentrates users' interactions on their preferred categories", () => {
    const { data: d, truth } = base;
    const share = new Float64Array(BASE.categories);
    for (const c of truth.itemCategory) share[c]! += 1 / d.items;
    let inPreferred = 0;
    let uniform = 0;
    for (let k = 0; k < d.user.length; k++) {
      const prefs = truth.userCategories[d.user[k]!]!;
      if (prefs.includes(truth.itemCategory[d.item[k]!]!)) inPreferred++;
      for (const c of prefs) uniform += share[c]!;
    }
    expect(inPreferred / uniform).toBeGreaterThan(2);
  });

  it('lets the categories be recovered from the data alone: a user\u2019s most frequent category is a preferred one', () => {
    const { data: d, truth } = base;
    const counts = new Int32Array(d.users * BASE.categories);
    for (let k = 0; k < d.user.length; k++) counts[d.user[k]! * BASE.categories + truth.itemCategory[d.item[k]!]!]!++;
    let hits = 0;
    for (let u = 0; u < d.users; u++) {
      const row = counts.subarray(u * BASE.categories, (u + 1) * BASE.categories);
      const top = row.indexOf(Math.max(...row));
      if (truth.userCategories[u]!.includes(top)) hits++;
    }
    expect(hits / d.users).toBeGreaterThan(0.8);
  });

  it('gives higher ratings to items closer to the user', () => {
    const { data: d, truth } = base;
    const affinity = Array.from(d.user, (u, k) => {
      let s = 0;
      for (let j = 0; j < BASE.dim; j++) s += truth.userFactors[u * BASE.dim + j]! * truth.itemFactors[d.item[k]! * BASE.dim + j]!;
      return s;
    });
    expect(correlation(affinity, d.value)).toBeGreaterThan(0.3);
  });

  it('generates 100,000 users with ~30 interactions each in a few seconds', () => {
    const t0 = performance.now();
    const { data } = generateSynthetic({ users: 100_000, items: 2000, categories: 18, dim: 16, meanInteractions: 30, seed: 11 });
    const seconds = (performance.now() - t0) / 1000;
    expect(Math.abs(data.user.length / data.users / 30 - 1)).toBeLessThan(0.1);
    expect(seconds).toBeLessThan(15);
  });
});

describe('syntheticLike', () => {
  it('copies sizes and per-user activity statistics from a dataset', () => {
    const d: InteractionData = {
      name: 'toy',
      users: 4,
      items: 30,
      user: Int32Array.from([0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
      item: new Int32Array(22),
      value: new Float32Array(22),
      timestamp: new Float64Array(22),
      userIds: ['a', 'b', 'c', 'd'],
      itemIds: Array.from({ length: 30 }, (_, i) => String(i)),
      itemMeta: Array.from({ length: 30 }, (_, i) => ({ externalId: String(i), title: '', categories: i % 2 ? ['x'] : ['y', 'z'] })),
    };
    expect(syntheticLike(d, { seed: 5 })).toEqual({
      users: 4,
      items: 30,
      categories: 3,
      dim: 16,
      name: 'synthetic-like-toy',
      minInteractions: 2,
      meanInteractions: 5.5,
      medianInteractions: 5,
      seed: 5,
    });
    expect(syntheticLike(d, { seed: 5, users: 100_000, dim: 8 })).toMatchObject({ users: 100_000, dim: 8, meanInteractions: 5.5 });
  });

  it('imitates ml-latest-small: mean ~165 and median ~70 interactions per user', async () => {
    const real = await loadDataset(fileURLToPath(new URL('../../../data/ml-latest-small', import.meta.url)));
    const opts = syntheticLike(real, { seed: 1 });
    expect(opts).toMatchObject({ users: 610, items: 9724, categories: 19, minInteractions: 20, medianInteractions: 70.5 });
    expect(opts.meanInteractions).toBeCloseTo(100836 / 610, 9);
    const fake = meanAndMedian(perUserCounts(generateSynthetic(opts).data));
    expect(Math.abs(fake.mean / opts.meanInteractions! - 1)).toBeLessThan(0.1);
    expect(Math.abs(fake.median / 70.5 - 1)).toBeLessThan(0.1);
  });
});
