// Tests for the generator's sampling primitives.
import { describe, expect, it } from 'vitest';
import {
  buildAlias,
  inverseNormalCdf,
  logNormalFromMeanMedian,
  meanAndMedian,
  sampleAlias,
  searchCumulative,
  stratifiedNormals,
} from '../../../bench/datasets/sampling';
import { createRng } from '../../../shared/math/random';

describe('alias table', () => {
  it.each([[[1, 2, 3, 4]], [[0, 5, 0, 1]], [[7]], [[1e-9, 1, 1e9]]])('draws in proportion to %j', (weights) => {
    const table = buildAlias(weights);
    const rng = createRng(1);
    const hits = new Float64Array(weights.length);
    const n = 100_000;
    for (let k = 0; k < n; k++) hits[sampleAlias(table, rng)]!++;
    const total = weights.reduce((a, b) => a + b, 0);
    weights.forEach((w, i) => expect(Math.abs(hits[i]! / n - w / total)).toBeLessThan(0.01));
    weights.forEach((w, i) => w === 0 && expect(hits[i]).toBe(0));
  });

  it('rejects all-zero weights', () => {
    expect(() => buildAlias([0, 0])).toThrow(RangeError);
  });
});

describe('searchCumulative', () => {
  it.each([
    [0, 0],
    [0.99, 0],
    [1, 2],
    [2.5, 2],
    [5.9, 3],
  ])('target %d -> index %d', (target, index) => {
    expect(searchCumulative(Float64Array.from([1, 1, 3, 6]), 4, target)).toBe(index);
  });
});

describe('log-normal and normal helpers', () => {
  it('matches mean and median', () => {
    const { mu, sigma } = logNormalFromMeanMedian(145, 50);
    expect(Math.exp(mu)).toBeCloseTo(50, 9);
    expect(Math.exp(mu + (sigma * sigma) / 2)).toBeCloseTo(145, 9);
    expect(logNormalFromMeanMedian(10, 10).sigma).toBe(0);
    expect(() => logNormalFromMeanMedian(5, 10)).toThrow(RangeError);
  });

  it.each([
    [0.5, 0],
    [0.975, 1.959963985],
    [0.025, -1.959963985],
    [0.001, -3.090232306],
    [1e-10, -6.361340902],
  ])('inverseNormalCdf(%d) = %d', (p, z) => {
    expect(inverseNormalCdf(p)).toBeCloseTo(z, 6);
  });

  it('stratified normals have mean ~0, sd ~1 and one draw per probability bin', () => {
    const z = stratifiedNormals(1000, createRng(3));
    const { mean, median } = meanAndMedian(z);
    let sq = 0;
    for (const x of z) sq += x * x;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(median)).toBeLessThan(0.01);
    expect(Math.sqrt(sq / z.length)).toBeGreaterThan(0.95);
    expect(Math.sqrt(sq / z.length)).toBeLessThan(1.05);
  });

  it('meanAndMedian handles odd, even and empty lists', () => {
    expect(meanAndMedian([3, 1, 2])).toEqual({ mean: 2, median: 2 });
    expect(meanAndMedian([4, 1, 2, 10])).toEqual({ mean: 4.25, median: 3 });
    expect(meanAndMedian([])).toEqual({ mean: 0, median: 0 });
  });
});
