// The round's update vector layout and the server step: sums round-trip, and federated rounds learn planted tastes.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../models/backend';
import { PART_WEIGHTS, flattenUpdate, splitAggregate, updateLength } from '../../../models/federated/update-vector';
import { applyServerStep, averageModels, jamesSteinFactor } from '../../../models/federated/server-step';
import { localUpdate, prepareTable } from '../../../models/local-update';
import { initialTable, type MfModel } from '../../../models/mf/model';
import { buildHistories } from '../../../models/mf/histories';
import { solveUsers, scorePair } from '../../../models/mf/scoring';
import { generateSynthetic } from '../../../bench/datasets';
import { evaluateLeaveOneOut, itemPopScorer, leaveOneOutSplit, sampleNegatives } from '../../../shared/metrics';
import { createRng } from '../../../shared/math/random';

beforeAll(async () => {
  await initBackend();
});

describe('update vector', () => {
  it('flattens a local update and splits a sum back into its parts', () => {
    const layout = { items: 3, dim: 2 };
    const up = {
      itemDelta: Float32Array.from([1, 2, 3, 4, 5, 6]),
      biasDelta: Float32Array.from([7, 8, 9]),
      biasWeight: Float32Array.from([0, 1, 0]),
      itemCurvature: Float32Array.from([0, 2, 0]),
      userGram: Float64Array.from([1, 0.5, 0.5, 2]),
    };
    const flat = flattenUpdate(up, layout);
    expect(flat.length).toBe(updateLength(layout));
    const sum = Float64Array.from(flat, (x) => 2 * x); // two identical devices
    const agg = splitAggregate(sum, layout);
    expect(Array.from(agg.itemDelta)).toEqual([2, 4, 6, 8, 10, 12]);
    // Weighted parts go through float32 on the device: equal to the float32 rounding of the weight.
    const close = (got: ArrayLike<number>, want: number[]) => want.forEach((w, n) => expect(got[n]).toBeCloseTo(w, 6));
    close(agg.biasWeight, [0, 2, 0]);
    close(agg.itemCurvature, [0, 4, 0]);
    close(agg.userGram, [2, 1, 1, 4]);
    // On the wire each part carries its weight (PART_WEIGHTS), so the parts share the clipping norm as intended.
    expect(flat[6 + 3 + 1]).toBeCloseTo(PART_WEIGHTS.biasWeight, 6);
    expect(flat[6 + 3 + 3 + 1]).toBeCloseTo(2 * PART_WEIGHTS.itemCurvature, 5);
    expect(flat[6 + 3 + 3 + 3 + 3]).toBeCloseTo(2 * PART_WEIGHTS.userGram, 5);
    expect(agg.count).toBe(2);
    expect(agg.clipped).toBe(0);
    expect(() => splitAggregate(new Float64Array(3), layout)).toThrow(/expected/);
  });
});

describe('server step', () => {
  it('refuses an empty aggregate', () => {
    const model: MfModel = { params: { kind: 'implicit', lambda: 1, alpha: 1, valueScale: 5 }, table: initialTable(2, 2, 0.1, () => 1) };
    const layout = { items: 2, dim: 2 };
    expect(() => applyServerStep(model, splitAggregate(new Float64Array(updateLength(layout)), layout), { serverLearningRate: 1, biasLearningRate: 1, localLearningRate: 0.1, lambda: 1, population: 5 })).toThrow(/no contributions/);
  });

  it('averages iterates with the given decay', () => {
    const a: MfModel = { params: { kind: 'implicit', lambda: 1, alpha: 1, valueScale: 5 }, table: { items: 1, dim: 1, vectors: Float32Array.of(0), biases: Float32Array.of(1) } };
    const b: MfModel = { ...a, table: { items: 1, dim: 1, vectors: Float32Array.of(10), biases: Float32Array.of(0) } };
    const avg = averageModels(a, b, 0.9);
    expect(avg.table.vectors[0]).toBeCloseTo(1, 5);
    expect(avg.table.biases[0]).toBeCloseTo(0.9, 5);
    expect(averageModels(undefined, b, 0.9)).toBe(b);
    expect(() => averageModels(a, b, 1)).toThrow(/decay/);
  });

  it('federated rounds of local updates learn planted tastes (beats ItemPop on leave-one-out)', () => {
    const data = generateSynthetic({ users: 200, items: 120, categories: 5, dim: 5, meanInteractions: 20, seed: 3, popularityWeight: 0.3, temperature: 0.1 }).data;
    const { train, test } = leaveOneOutSplit(data);
    const negatives = sampleNegatives(data, test, { count: 99, seed: 1 });
    const histories = buildHistories(train).byUser;
    const rng = createRng(4);
    const layout = { items: train.items, dim: 6 };
    let model: MfModel = { params: { kind: 'implicit', lambda: 20, alpha: 5, valueScale: 5 }, table: initialTable(train.items, 6, 0.01, rng.normal) };
    let served: MfModel | undefined;
    for (let round = 0; round < 15; round++) {
      const prepared = prepareTable(model);
      const sum = new Float64Array(updateLength(layout));
      for (let u = 0; u < train.users; u++) {
        if (rng.float() >= 0.5) continue; // Poisson sampling, rate 0.5
        const flat = flattenUpdate(localUpdate(prepared, histories[u]!, { epochs: 1, learningRate: 0.01 }), layout);
        for (let n = 0; n < sum.length; n++) sum[n]! += flat[n]!;
      }
      prepared.dispose();
      model = applyServerStep(model, splitAggregate(sum, layout), { serverLearningRate: 0.5, biasLearningRate: 1, localLearningRate: 0.01, lambda: 20, population: train.users });
      served = averageModels(served, model, 0.8);
    }
    const users = solveUsers(served!, train);
    const fed = evaluateLeaveOneOut({ test, negatives, score: (u, items) => Float64Array.from(items, (i) => scorePair(served!, users, u, i)) });
    const pop = evaluateLeaveOneOut({ test, negatives, score: itemPopScorer(train).score });
    expect(fed['HR@10']).toBeGreaterThan(pop['HR@10'] + 0.1);
  });
});

describe('jamesSteinFactor (DP post-processing of the item deltas)', () => {
  it('lowers the squared error of noisy rows on average, for weak and strong signals alike (k = 32, fixed seed)', () => {
    const rng = createRng(17);
    const k = 32;
    for (const strength of [0.1, 1, 5]) {
      let raw = 0;
      let shrunk = 0;
      for (let t = 0; t < 400; t++) {
        const signal = Array.from({ length: k }, () => strength * rng.normal());
        const noisy = signal.map((x) => x + rng.normal()); // noise variance 1
        const energy = noisy.reduce((a, x) => a + x * x, 0);
        const a = jamesSteinFactor(energy, k, 1);
        raw += noisy.reduce((acc, x, n) => acc + (x - signal[n]!) ** 2, 0);
        shrunk += noisy.reduce((acc, x, n) => acc + (a * x - signal[n]!) ** 2, 0);
      }
      expect(shrunk).toBeLessThan(raw);
    }
  });

  it('is 1 without noise or below three dimensions, 0 for a zero row, and within [0, 1]', () => {
    expect(jamesSteinFactor(5, 32, 0)).toBe(1);
    expect(jamesSteinFactor(5, 2, 1)).toBe(1);
    expect(jamesSteinFactor(0, 32, 1)).toBe(0);
    expect(jamesSteinFactor(10, 32, 1)).toBe(0);
    expect(jamesSteinFactor(3000, 32, 1)).toBeCloseTo(1 - 30 / 3000, 12);
  });
});
