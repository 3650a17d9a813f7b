// The curious server's item-inference attack: row energies follow the update layout, and a device's own update
// reveals its items while the attack on pure noise is at chance.
import { describe, expect, it } from 'vitest';
import { itemInferenceAuc, itemRowEnergy, popularityPriorAuc } from '../../../bench/privacy/item-inference';
import { updateLength } from '../../../models/federated/update-vector';
import { createRng } from '../../../shared/math/random';

const layout = { items: 50, dim: 3 };

describe('itemRowEnergy', () => {
  it('sums the squares of an item\'s vector row, bias, bias weight and curvature — and nothing else', () => {
    const v = new Float64Array(updateLength(layout));
    const i = 7;
    v.set([1, 2, 2], i * 3); // ‖row‖² = 9
    v[150 + i] = 1; // bias
    v[200 + i] = 2; // bias weight
    v[250 + i] = 1; // curvature
    v[300] = 100; // the Gram and the count are not per item
    const e = itemRowEnergy(v, layout);
    expect(e[i]).toBe(9 + 1 + 4 + 1);
    expect(Array.from(e).filter((x, n) => n !== i && x !== 0)).toEqual([]);
  });
});

describe('itemInferenceAuc', () => {
  it('is 1 on an update that moves exactly the target\'s rows, and near ½ on pure noise', () => {
    const rng = createRng(9);
    const items = Int32Array.of(1, 4, 9, 16, 25);
    const update = new Float64Array(updateLength(layout));
    for (const i of items) for (let a = 0; a < 3; a++) update[i * 3 + a] = 0.5 + rng.float();
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
