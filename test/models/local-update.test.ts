// The tfjs local update agrees with the plain-loop reference on random models and histories.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initBackend } from '../../models/backend';
import { localUpdate, prepareTable } from '../../models/local-update';
import { localUpdateReference } from '../../models/local-update-reference';
import type { MfModel } from '../../models/mf/model';
import type { ModelParams } from '../../shared/model/reconstruct';
import { createRng } from '../../shared/math/random';

beforeAll(async () => {
  await initBackend();
});

function randomModel(seed: number, items: number, dim: number, params: ModelParams): MfModel {
  const rng = createRng(seed);
  const vectors = Float32Array.from({ length: items * dim }, () => 0.3 * rng.normal());
  const biases = Float32Array.from({ length: items }, () => 0.1 * rng.normal());
  return { params, table: { items, dim, vectors, biases } };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-3;
  for (let x = 0; x < a.length; x++) scale = Math.max(scale, Math.abs(b[x]!));
  let d = 0;
  for (let x = 0; x < a.length; x++) d = Math.max(d, Math.abs(a[x]! - b[x]!));
  return d / scale;
}

const paramsArb = fc.oneof(
  fc.record({ kind: fc.constant('implicit' as const), lambda: fc.double({ min: 0.5, max: 20, noNaN: true }), alpha: fc.double({ min: 0, max: 20, noNaN: true }), valueScale: fc.constant(5) }),
  fc.record({ kind: fc.constant('explicit' as const), lambda: fc.double({ min: 0.5, max: 20, noNaN: true }), lambdaBias: fc.double({ min: 0.5, max: 10, noNaN: true }), globalMean: fc.double({ min: 1, max: 4, noNaN: true }) }),
);

describe('localUpdate', () => {
  it('matches the reference implementation (property, both tasks, 1–3 epochs)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        paramsArb,
        (seed, items, dim, epochs, params) => {
          const model = randomModel(seed, items, dim, params);
          const rng = createRng(seed + 1);
          const m = 1 + rng.int(Math.min(items, 12));
          const chosen = new Set<number>();
          while (chosen.size < m) chosen.add(rng.int(items));
          const history = { items: Int32Array.from(chosen), values: Float32Array.from(chosen, () => 0.5 + 0.5 * rng.int(10)) };
          const config = { epochs, learningRate: 0.05 };
          const prepared = prepareTable(model);
          try {
            const fast = localUpdate(prepared, history, config);
            const slow = localUpdateReference(model, history, config);
            expect(maxRelDiff(fast.itemDelta, slow.itemDelta)).toBeLessThan(2e-3);
            expect(maxRelDiff(fast.biasDelta, slow.biasDelta)).toBeLessThan(2e-3);
            expect(Array.from(fast.biasWeight)).toEqual(Array.from(slow.biasWeight));
            expect(maxRelDiff(fast.itemCurvature, slow.itemCurvature)).toBeLessThan(2e-3);
            expect(maxRelDiff(fast.userGram, slow.userGram)).toBeLessThan(2e-3);
          } finally {
            prepared.dispose();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is dense for implicit feedback: rows the user never touched change too', () => {
    const model = randomModel(3, 30, 4, { kind: 'implicit', lambda: 1, alpha: 10, valueScale: 5 });
    const prepared = prepareTable(model);
    const up = localUpdate(prepared, { items: [2, 5], values: [5, 4] }, { epochs: 1, learningRate: 0.1 });
    prepared.dispose();
    let touchedRows = 0;
    for (let i = 0; i < 30; i++) if (up.itemDelta.subarray(i * 4, i * 4 + 4).some((x) => x !== 0)) touchedRows++;
    expect(touchedRows).toBe(30);
  });

  it('refuses bad settings and bad histories with clear errors', () => {
    const model = randomModel(4, 10, 3, { kind: 'implicit', lambda: 1, alpha: 10, valueScale: 5 });
    const prepared = prepareTable(model);
    try {
      expect(() => localUpdate(prepared, { items: [1], values: [5] }, { epochs: 0, learningRate: 0.1 })).toThrow(/epochs/);
      expect(() => localUpdate(prepared, { items: [1], values: [5] }, { epochs: 1, learningRate: Number.NaN })).toThrow(/learningRate/);
      expect(() => localUpdate(prepared, { items: [10], values: [5] }, { epochs: 1, learningRate: 0.1 })).toThrow(/outside the item table/);
      expect(() => localUpdate(prepared, { items: [1, 2], values: [5] }, { epochs: 1, learningRate: 0.1 })).toThrow(/values/);
    } finally {
      prepared.dispose();
    }
  });
});
