// The curious server's item-inference attack: scores read the update layout's per-item bias weight and curvature,
// and a device's own update reveals its items while the attack on pure noise is at chance.
import { describe, expect, it } from 'vitest';
import { itemInferenceAuc, itemTouchScore, popularityPriorAuc } from '../../../bench/privacy/item-inference';
import { updateLength } from '../../../models/federated/update-vector';
import { createRng } from '../../../shared/math/random';

const layout = { items: 50, dim: 3 };

describe('itemTouchScore', () => {
  it('sums the squares of an item\'s bias weight and curvature — the entries that are zero for untouched items', () => {
    const v = new Float64Array(updateLength(layout)).fill(3); // item rows, biases, the Gram: ignored
    v.fill(0, 200, 300);
    const i = 7;
    v[200 + i] = 2; // bias weight
    v[250 + i] = 1; // curvature
    const e = itemTouchScore(v, layout);
    expect(e[i]).toBe(4 + 1);
    expect(Array.from(e).filter((x, n) => n !== i && x !== 0)).toEqual([]);
  });
});

describe('itemInferenceAuc', () => {
  it('is 1 on an update that moves exactly the target\'s rows, and near ½ on pure noise', () => {
    const rng = createRng(9);
    const items = Int32Array.of(1, 4, 9, 16, 25);
    const update = new Float64Array(updateLength(layout));
    for (const i of items) update[200 + i] = 0.5 + rng.float();
    expect(itemInferenceAuc(update, layout, items)).toBe(1);
    let sum = 0;
    for (let t = 0; t < 200; t++) sum += itemInferenceAuc(Float64Array.from({ length: updateLength(layout) }, () => rng.normal()), layout, items);
    expect(Math.abs(sum / 200 - 0.5)).toBeLessThan(0.05);
  });

  it('the popularity prior ranks by popularity alone', () => {
    const popularity = Float64Array.from({ length: 10 }, (_, i) => i);
    expect(popularityPriorAuc(popularity, Int32Array.of(8, 9))).toBe(1);
    expect(popularityPriorAuc(popularity, Int32Array.of(0, 1))).toBe(0);
  });
});
