// The decomposition adds up to the model's score, checked against an independent brute-force solve.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { explainItems, explainScore } from '../../../shared/explain/decompose';
import { topReasons } from '../../../shared/explain/reasons';
import { scoreItem, solveUser } from '../../../shared/model/reconstruct';
import type { ItemTable, ModelParams } from '../../../shared/model/reconstruct';
import { arbParams, arbProblem, bruteScore, bruteUserVector } from '../model/problems';

const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);

describe('explainScore', () => {
  it('offset + Σ contributions equals the brute-force score (implicit and explicit)', () => {
    fc.assert(
      fc.property(arbProblem(), arbParams, ({ table, history, target }, params) => {
        const expected = bruteScore(table, bruteUserVector(table, history, params), target, params);
        const e = explainScore(table, solveUser(table, history, params), target, params);
        const parts = e.offset + sum(e.contributions.map((c) => c.value));
        expect(Math.abs(parts - expected)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(expected)));
        expect(Math.abs(e.score - expected)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(expected)));
      }),
      { numRuns: 1000, seed: 20080814 },
    );
  });

  it('reports the model score and one contribution per history entry, in history order', () => {
    fc.assert(
      fc.property(arbProblem({ maxItems: 20, maxDim: 6 }), arbParams, ({ table, history, target }, params) => {
        const system = solveUser(table, history, params);
        const e = explainScore(table, system, target, params);
        const score = scoreItem(table, system, target, params);
        expect(Math.abs(e.score - score)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(score)));
        expect(e.item).toBe(target);
        expect(e.contributions.map((c) => c.item)).toEqual(history.items);
        expect(e.contributions.map((c) => c.target)).toEqual(Array.from(system.targets));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('explainItems matches explainScore item by item', () => {
    fc.assert(
      fc.property(arbProblem({ maxItems: 15, maxDim: 5 }), arbParams, ({ table, history }, params) => {
        const system = solveUser(table, history, params);
        const all = Array.from({ length: table.items }, (_, i) => i);
        expect(explainItems(table, system, all, params)).toEqual(all.map((i) => explainScore(table, system, i, params)));
      }),
      { numRuns: 100, seed: 11 },
    );
  });

  it('rejects item ids outside the table and systems from another model', () => {
    const table: ItemTable = { items: 3, dim: 2, vectors: Float32Array.of(1, 0, 0, 1, 1, 1), biases: new Float32Array(3) };
    const implicit: ModelParams = { kind: 'implicit', lambda: 0.1, alpha: 10, valueScale: 5 };
    const explicit: ModelParams = { kind: 'explicit', lambda: 0.1, lambdaBias: 0.1, globalMean: 3 };
    const system = solveUser(table, { items: [0], values: [5] }, implicit);
    for (const bad of [-1, 3, 1.5, Number.NaN]) {
      expect(() => explainScore(table, system, bad, implicit)).toThrow(/cannot explain item .* outside the item table \(0\.\.2\)/);
    }
    expect(() => explainItems(table, system, [0, 7], implicit)).toThrow(RangeError);
    expect(() => explainScore(table, system, 0, explicit)).toThrow(/lacks an intercept but params are 'explicit'/);
    const other: ItemTable = { items: 3, dim: 3, vectors: new Float32Array(9).fill(1), biases: new Float32Array(3) };
    expect(() => explainScore(other, system, 0, implicit)).toThrow(/size 2, item table needs 3/);
  });
});

describe('planted answer: two orthogonal clusters', () => {
  // Items 0..9 (cluster A) live in coordinates 0-1, items 10..19 (cluster B) in coordinates 2-3, so A and B
  // vectors are orthogonal. The user strongly liked five A items and weakly touched two B items.
  const dim = 4;
  const items = 20;
  const vectors = new Float32Array(items * dim);
  for (let i = 0; i < items; i++) {
    const base = i < 10 ? 0 : 2;
    const k = i % 10;
    vectors[i * dim + base] = 1;
    vectors[i * dim + base + 1] = 0.3 + 0.05 * k;
  }
  const table: ItemTable = { items, dim, vectors, biases: new Float32Array(items) };
  const history = { items: [0, 1, 2, 3, 4, 10, 11], values: [5, 5, 5, 5, 5, 1, 1] };
  const seen = new Set(history.items);
  const unseen = Array.from({ length: items }, (_, i) => i).filter((i) => !seen.has(i));
  const cases: ModelParams[] = [
    { kind: 'implicit', lambda: 0.1, alpha: 10, valueScale: 5 },
    { kind: 'explicit', lambda: 0.1, lambdaBias: 1, globalMean: 3 },
  ];

  for (const params of cases) {
    it(`${params.kind}: the top unseen item is from cluster A and so are its top reasons`, () => {
      const system = solveUser(table, history, params);
      const ranked = explainItems(table, system, unseen, params).sort((a, b) => b.score - a.score);
      const top = ranked[0]!;
      expect(top.item).toBeLessThan(10);
      const reasons = topReasons(top, 3);
      expect(reasons.length).toBe(3);
      for (const r of reasons) expect(r.item).toBeLessThan(10);
      if (params.kind === 'implicit') {
        // No intercept: A is block-diagonal, so B items contribute exactly nothing to an A item.
        for (const c of top.contributions) if (c.item >= 10) expect(c.value).toBe(0);
      }
    });
  }
});
