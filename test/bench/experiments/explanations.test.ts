// The explanations benchmark: its metrics on planted cases whose answers are known by construction, the batched
// scorer against the served ranking, and the shape of results.json.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../models/backend';
import { generateSynthetic } from '../../../bench/datasets';
import { runExplanations } from '../../../bench/experiments/explanations';
import { concatenatedCosine, cosineOrder } from '../../../bench/explain/explainers';
import { float32Ulp, measureFaithfulness } from '../../../bench/explain/faithfulness';
import { createServedBatchScorer, rankAmong } from '../../../bench/explain/served-ranks';
import { averageRanks, spearman } from '../../../bench/explain/stats';
import { createRng } from '../../../shared/math/random';
import type { ImplicitParams, ItemTable, ModelParams } from '../../../shared/model/reconstruct';
import { prepareServedTables, recommend, solveShards } from '../../../shared/recommend/recommend';

/** A one-shard table from rows of item vectors (biases 0). */
function table(vectors: number[][]): ItemTable {
  return { items: vectors.length, dim: vectors[0]!.length, vectors: Float32Array.from(vectors.flat()), biases: new Float32Array(vectors.length) };
}

// c = 1 + value, ridge λ = 1.
const PARAMS: ImplicitParams = { kind: 'implicit', lambda: 1, alpha: 1, valueScale: 1 };

/**
 * Planted: the target T = (1, 0) owes its score to one history item, A = (1, 0.2) with confidence 5. A decoy
 * D = (0.05, 0) points exactly along T (cosine 1, above A's 0.98) but is tiny, and three fillers (0, 1) hold up
 * three rivals R = (0, 0.5) that T outranks. By hand: u ≈ (0.718, 0.790), T scores 0.718, each rival 0.395.
 * Removing A leaves u ≈ (−0.03, 0.77): T falls below the three rivals (rank fall 3). Removing D leaves T at
 * about 0.70, still first (rank fall 0).
 */
const D = 0;
const A = 1;
const T = 5;
const planted = prepareServedTables(PARAMS, [table([[0.05, 0], [1, 0.2], [0, 1], [0, 1], [0, 1], [1, 0], [0, 0.5], [0, 0.5], [0, 0.5]])]);
const plantedHistory = { items: [D, A, 2, 3, 4], values: [1, 4, 1, 1, 1] };

describe('planted case: one history item makes the recommendation', () => {
  it('recommends T first, with A its largest share and D its most cosine-similar history item', () => {
    const [top] = recommend(planted, { history: plantedHistory, k: 1 });
    expect(top!.item).toBe(T);
    expect(top!.shares[0]!.item).toBe(A);
    expect(cosineOrder(concatenatedCosine(planted), T, [D, A, 2, 3, 4])[0]).toBe(D);
  });

  it('DEL@1: removing the largest share drops T below its three rivals; removing the cosine pick does not move it', () => {
    const m = measureFaithfulness(planted, [{ user: 0, history: plantedHistory }], { topK: 1, maxRemoved: 1, seed: 1 });
    expect(m.pairs).toBe(1);
    expect(m.del.shares.mean[0]).toBe(3);
    expect(m.del.cosine.mean[0]).toBe(0);
    expect([0, 3]).toContain(m.del.random.mean[0]); // random removes A (fall 3) or an item that barely matters (0)
    expect(m.sharesMinus.cosine.mean[0]).toBe(3);
    expect(m.firstItemAgreementSharesCosine).toBe(0);
    // The exact shares: bias 0 + Σ shares is the score to within a few float64 roundings, far inside float32.
    expect(m.maxShareGap).toBeLessThan(1e-14);
    expect(m.maxShareGapFloat32Ulps).toBeLessThan(1e-6);
  });

  it('counterfactual: with a one-item history, removing it takes away exactly its share (the score falls to the bias)', () => {
    // u = 0 without history, so score_after = bias and change = score − bias = the one share.
    const m = measureFaithfulness(planted, [{ user: 0, history: { items: [A], values: [4] } }], { topK: 1, maxRemoved: 1, seed: 1 });
    expect(m.pairs).toBe(1);
    expect(m.counterfactual.meanShare).toBeGreaterThan(0.1);
    expect(m.counterfactual.meanAbsGap).toBeLessThan(1e-15);
  });

  it('DEL@k over several k: removing every history item leaves T at its bias, below every positive rival', () => {
    const m = measureFaithfulness(planted, [{ user: 0, history: plantedHistory }], { topK: 1, maxRemoved: 5, seed: 1 });
    // With all five history items gone every score is 0 (biases are 0): T ties the rivals and outranks them by id (5 < 6).
    for (const e of ['shares', 'random', 'cosine'] as const) expect(m.del[e].mean[4]).toBe(0);
    expect(m.del.shares.mean[0]).toBe(3);
  });

  it('refuses a history with fewer distinct items than removals', () => {
    expect(() => measureFaithfulness(planted, [{ user: 7, history: { items: [A, A], values: [1, 1] } }], { topK: 1, maxRemoved: 2, seed: 1 })).toThrow(/user 7 has 1 distinct/);
  });
});

describe('the batched scorer is the served ranking', () => {
  const random = (rows: number, dim: number, seed: number): ItemTable => {
    const rng = createRng(seed);
    return { items: rows, dim, vectors: Float32Array.from({ length: rows * dim }, () => rng.normal() * 0.5), biases: Float32Array.from({ length: rows }, () => rng.normal() * 0.1) };
  };
  const kinds: ModelParams[] = [PARAMS, { kind: 'explicit', lambda: 1, lambdaBias: 2, globalMean: 3.5 }];
  it.each(kinds)('$kind, two shards: the same scores bit for bit, and the same order as recommend', (params) => {
    const served = prepareServedTables(params, [random(40, 3, 1), random(40, 3, 2)]);
    const scorer = createServedBatchScorer(served);
    const rng = createRng(3);
    // Five histories: one group of four (the unrolled loop) and one left over.
    const histories = Array.from({ length: 5 }, (_, h) => ({ items: [h, 10 + h, 20 + h], values: [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(5)] }));
    const scores = scorer.score(histories.map((h) => solveShards(served, h)));
    for (const [b, history] of histories.entries()) {
      const recs = recommend(served, { history, k: 37 }); // every candidate
      const candidate = new Uint8Array(40).fill(1);
      for (const i of history.items) candidate[i] = 0;
      for (const [r, rec] of recs.entries()) {
        expect(scores[b * 40 + rec.item]).toBe(rec.score);
        expect(rankAmong(scores, b, 40, rec.item, candidate)).toBe(r + 1);
      }
    }
  });
});

describe('statistics', () => {
  it('Spearman: 1 for any increasing relation, −1 for a decreasing one, mid-ranks for ties', () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(Array.from(averageRanks([5, 1, 5, 3]))).toEqual([3.5, 1, 3.5, 2]);
    // Ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5, so ρ = 4.5 / √22.5.
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
  });

  it('float32 ulp: the spacing of float32 values at x', () => {
    expect(float32Ulp(1)).toBe(2 ** -23);
    expect(float32Ulp(-0.75)).toBe(2 ** -24);
    expect(Math.fround(1 + float32Ulp(1))).not.toBe(1);
    expect(Math.fround(1 + float32Ulp(1) / 4)).toBe(1);
    expect(float32Ulp(0)).toBe(2 ** -149);
  });
});

describe('runExplanations: results.json', () => {
  let out: string;
  beforeAll(async () => {
    await initBackend();
    out = await mkdtemp(path.join(os.tmpdir(), 'confidant-explanations-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('has one row per explainer with DEL@1…5, the top-level figures, and a report with the curves (two shards)', async () => {
    const { data } = generateSynthetic({ users: 60, items: 80, categories: 4, dim: 4, meanInteractions: 15, seed: 5 });
    await runExplanations({ data, seed: 3, out, backend: 'test', users: 12, shards: 2, train: { dim: 4, epochs: 2 } });
    const r = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as Record<string, unknown> & { rows: { explainer: string; del: Record<string, number> }[] };
    expect(r.experiment).toBe('explanations');
    expect(r.rows.map((row) => row.explainer)).toEqual(['shares', 'random', 'cosine']);
    for (const row of r.rows) {
      expect(Object.keys(row.del)).toEqual(['1', '2', '3', '4', '5']);
      for (const v of Object.values(row.del)) expect(Number.isFinite(v)).toBe(true);
    }
    for (const key of ['maxShareGap', 'counterfactualMeanAbsGap', 'counterfactualRankCorrelation']) expect(typeof r[key]).toBe('number');
    expect(r.users).toBe(12);
    expect(r.pairs).toBe(120);
    expect(r.shareGapWithinFloat32).toBe(true); // exact across two shards too
    expect(r.model).toMatch(/2 user shards/);
    expect((r.config as { shards: number }).shards).toBe(2);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('DEL@3');
  });
});
