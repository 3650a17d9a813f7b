// The per-user ridge solve against brute-force normal equations and against the paper's loss.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { confidence, featureRow, itemGram, itemOffset, scoreItem, solveUser } from '../../../shared/model/reconstruct';
import type { ExplicitParams, ImplicitParams, ItemTable, ModelParams } from '../../../shared/model/reconstruct';
import { arbExplicit, arbImplicit, arbParams, arbProblem, bruteScore, bruteUserVector, row } from './problems';

const maxAbs = (xs: ArrayLike<number>): number => Array.from(xs).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, maxAbs(expected));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(rel * scale);
}

const implicit: ImplicitParams = { kind: 'implicit', lambda: 0.5, alpha: 40, valueScale: 5 };
const explicit: ExplicitParams = { kind: 'explicit', lambda: 0.5, lambdaBias: 0.2, globalMean: 3.5 };
const small: ItemTable = { items: 3, dim: 2, vectors: Float32Array.of(1, 0, 0, 1, 0.5, -0.5), biases: Float32Array.of(0.1, -0.2, 0.3) };

describe('confidence', () => {
  it('is 1 + alpha · value / valueScale', () => {
    expect(confidence(implicit, 0)).toBe(1);
    expect(confidence(implicit, 5)).toBe(41);
    expect(confidence(implicit, 2.5)).toBe(21);
    expect(confidence({ kind: 'implicit', lambda: 1, alpha: 0, valueScale: 5 }, 4)).toBe(1);
    expect(confidence({ kind: 'implicit', lambda: 1, alpha: 3, valueScale: 1 }, 2)).toBe(7);
  });
});

describe('itemGram', () => {
  it('equals VᵀV computed entry by entry', () => {
    fc.assert(
      fc.property(arbProblem({ maxItems: 30, maxDim: 8 }), ({ table }) => {
        const g = itemGram(table);
        const k = table.dim;
        const expected: number[] = [];
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) {
            let s = 0;
            for (let i = 0; i < table.items; i++) s += table.vectors[i * k + a]! * table.vectors[i * k + b]!;
            expected.push(s);
          }
        }
        expectClose(g, expected, 1e-12);
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) expect(g[a * k + b]).toBe(g[b * k + a]);
      }),
      { numRuns: 200, seed: 3 },
    );
  });
});

describe('featureRow and itemOffset', () => {
  it('prepends 1 only with an intercept', () => {
    expect(Array.from(featureRow(small, 2, false, new Float64Array(2)))).toEqual([0.5, -0.5]);
    expect(Array.from(featureRow(small, 2, true, new Float64Array(3)))).toEqual([1, 0.5, -0.5]);
  });

  it('is the item bias, plus the global mean for ratings', () => {
    expect(itemOffset(small, 1, implicit)).toBeCloseTo(-0.2, 7);
    expect(itemOffset(small, 1, explicit)).toBeCloseTo(3.3, 7);
  });
});

describe('solveUser', () => {
  it('matches the brute-force normal equations (implicit and explicit, repeated items allowed)', () => {
    fc.assert(
      fc.property(arbProblem(), arbParams, ({ table, history, target }, params) => {
        const system = solveUser(table, history, params);
        const u = bruteUserVector(table, history, params);
        expectClose(system.vector, u, 1e-7);
        expect(system.size).toBe(table.dim + (params.kind === 'explicit' ? 1 : 0));
        expect(system.intercept).toBe(params.kind === 'explicit');
        const s = bruteScore(table, u, target, params);
        expect(Math.abs(scoreItem(table, system, target, params) - s)).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(s)));
      }),
      { numRuns: 300, seed: 2008 },
    );
  });

  it('uses the gram it is given and the same one it would compute', () => {
    fc.assert(
      fc.property(arbProblem({ maxItems: 20, maxDim: 6 }), arbImplicit, ({ table, history }, params) => {
        expect(solveUser(table, history, params, itemGram(table)).vector).toEqual(solveUser(table, history, params).vector);
      }),
      { numRuns: 50, seed: 5 },
    );
  });

  it('implicit: zeroes the gradient of the whole-catalogue weighted loss (Hu et al. 2008, eq. 3)', () => {
    // L(u) = Σ_i c_i (p_i − v_iᵀu)² + λ‖u‖² with p = 1, c = confidence on history items and p = 0, c = 1 elsewhere.
    fc.assert(
      fc.property(arbProblem({ unique: true }), arbImplicit, ({ table, history }, params) => {
        const u = solveUser(table, history, params).vector;
        const c = new Array<number>(table.items).fill(1);
        const p = new Array<number>(table.items).fill(0);
        history.items.forEach((item, j) => {
          c[item] = confidence(params, history.values[j]!);
          p[item] = 1;
        });
        const grad = Array.from(u, (x) => params.lambda * x);
        let scale = 1;
        for (let i = 0; i < table.items; i++) {
          const x = row(table, i, false);
          const err = x.reduce((s, xi, a) => s + xi * u[a]!, 0) - p[i]!;
          for (let a = 0; a < x.length; a++) grad[a]! += c[i]! * err * x[a]!;
          scale += c[i]!;
        }
        expect(maxAbs(grad)).toBeLessThanOrEqual(1e-8 * scale);
      }),
      { numRuns: 200, seed: 13 },
    );
  });

  it('explicit: zeroes the gradient of the biased-MF rating loss in (b_u, p_u)', () => {
    // L = Σ_j (r_j − μ − b_j − b_u − v_jᵀp)² + λ‖p‖² + λ_b b_u².
    fc.assert(
      fc.property(arbProblem(), arbExplicit, ({ table, history }, params) => {
        const u = solveUser(table, history, params).vector;
        const grad = Array.from(u, (x, a) => (a === 0 ? params.lambdaBias : params.lambda) * x);
        let scale = 1;
        history.items.forEach((item, j) => {
          const x = row(table, item, true);
          const pred = params.globalMean + table.biases[item]! + x.reduce((s, xi, a) => s + xi * u[a]!, 0);
          const err = pred - history.values[j]!;
          for (let a = 0; a < x.length; a++) grad[a]! += err * x[a]!;
          scale += Math.abs(history.values[j]!) + 1;
        });
        expect(maxAbs(grad)).toBeLessThanOrEqual(1e-8 * scale);
      }),
      { numRuns: 200, seed: 17 },
    );
  });

  it('records the history and its targets: confidences (implicit), residual ratings (explicit)', () => {
    const h = { items: Int32Array.of(2, 0), values: Float32Array.of(5, 2) };
    const si = solveUser(small, h, implicit);
    expect(Array.from(si.items)).toEqual([2, 0]);
    expect(Array.from(si.targets)).toEqual([41, 17]);
    const se = solveUser(small, h, explicit);
    expect(se.targets[0]).toBeCloseTo(5 - 3.5 - 0.3, 6);
    expect(se.targets[1]).toBeCloseTo(2 - 3.5 - 0.1, 6);
  });

  it('solves an explicit user with no history to the zero vector', () => {
    expect(Array.from(solveUser(small, { items: [], values: [] }, explicit).vector)).toEqual([0, 0, 0]);
  });

  it('rejects bad histories and grams with clear messages', () => {
    const p: ModelParams = implicit;
    expect(() => solveUser(small, { items: [0, 1], values: [1] }, p)).toThrow(/history has 2 items but 1 values/);
    for (const bad of [-1, 3, 1.5]) {
      expect(() => solveUser(small, { items: [bad], values: [1] }, p)).toThrow(
        new RegExp(`history item ${bad} is outside the item table \\(0\\.\\.2\\)`),
      );
    }
    expect(() => solveUser(small, { items: [1], values: [Number.NaN] }, p)).toThrow(/history value for item 1 is not finite/);
    expect(() => solveUser(small, { items: [1], values: [Infinity] }, explicit)).toThrow(/not finite/);
    expect(() => solveUser(small, { items: [1], values: [1] }, p, new Float64Array(9))).toThrow(/gram must be 2×2/);
  });
});
