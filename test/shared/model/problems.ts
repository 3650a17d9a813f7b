// Test helpers: random model problems (fast-check) and brute-force solutions that share no code with shared/.
import fc from 'fast-check';
import type { ExplicitParams, ImplicitParams, ItemTable, ModelParams } from '../../../shared/model/reconstruct';

/** A random item table, history and item to score. */
export interface Problem {
  table: ItemTable;
  history: { items: number[]; values: number[] };
  target: number;
}

const unit = fc.double({ min: -1, max: 1, noNaN: true });

/** Tables of 1..maxItems items, dim 1..maxDim, entries in [-1, 1]; histories of 1..maxHistory entries, values in [0, 5]. */
export function arbProblem({ maxItems = 60, maxDim = 12, maxHistory = 30, unique = false } = {}): fc.Arbitrary<Problem> {
  return fc
    .record({ items: fc.integer({ min: 1, max: maxItems }), dim: fc.integer({ min: 1, max: maxDim }) })
    .chain(({ items, dim }) => {
      const entry = fc.record({ item: fc.integer({ min: 0, max: items - 1 }), value: fc.double({ min: 0, max: 5, noNaN: true }) });
      const history = unique
        ? fc.uniqueArray(entry, { minLength: 1, maxLength: Math.min(maxHistory, items), selector: (e) => e.item })
        : fc.array(entry, { minLength: 1, maxLength: maxHistory });
      return fc.record({
        vectors: fc.array(unit, { minLength: items * dim, maxLength: items * dim }),
        biases: fc.array(unit, { minLength: items, maxLength: items }),
        history,
        target: fc.integer({ min: 0, max: items - 1 }),
      }).map(({ vectors, biases, history, target }) => ({
        table: { items, dim, vectors: Float32Array.from(vectors), biases: Float32Array.from(biases) },
        history: { items: history.map((e) => e.item), values: history.map((e) => e.value) },
        target,
      }));
    });
}

const ridge = fc.double({ min: 0.01, max: 10, noNaN: true });

export const arbImplicit: fc.Arbitrary<ImplicitParams> = fc.record({
  kind: fc.constant('implicit' as const),
  lambda: ridge,
  alpha: fc.double({ min: 0, max: 40, noNaN: true }),
  valueScale: fc.constant(5),
});

export const arbExplicit: fc.Arbitrary<ExplicitParams> = fc.record({
  kind: fc.constant('explicit' as const),
  lambda: ridge,
  lambdaBias: ridge,
  globalMean: fc.double({ min: 1, max: 5, noNaN: true }),
});

export const arbParams: fc.Arbitrary<ModelParams> = fc.oneof(arbImplicit, arbExplicit);

/** Solve A x = b by Gaussian elimination with partial pivoting (A is n×n row-major; not modified). */
export function gaussSolve(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number[] {
  const m = Array.from({ length: n }, (_, r) => [...Array.from({ length: n }, (_, c) => a[r * n + c]!), b[r]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]!;
    if (p[col] === 0) throw new Error('gaussSolve: singular matrix');
    for (let r = col + 1; r < n; r++) {
      const row = m[r]!;
      const f = row[col]! / p[col]!;
      for (let c = col; c <= n; c++) row[c]! -= f * p[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let c = r + 1; c < n; c++) s -= m[r]![c]! * x[c]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/** Item i's row as the paper writes it: [1, v_i] with a user bias, else v_i. */
export function row(table: ItemTable, i: number, intercept: boolean): number[] {
  const v = Array.from(table.vectors.subarray(i * table.dim, (i + 1) * table.dim));
  return intercept ? [1, ...v] : v;
}

/**
 * The user vector from the normal equations, built per catalogue item: implicit (Hu et al. 2008, eq. 4)
 * weighs every item by 1 + Σ (c − 1) over its history entries and adds c · x to the right-hand side per
 * entry; explicit (biased MF) regresses r − μ − b_j on [1, v_j] with separate ridges for bias and vector.
 */
export function bruteUserVector(table: ItemTable, history: Problem['history'], params: ModelParams): number[] {
  const intercept = params.kind === 'explicit';
  const n = table.dim + (intercept ? 1 : 0);
  const a = new Array<number>(n * n).fill(0);
  const b = new Array<number>(n).fill(0);
  const weight = new Array<number>(table.items).fill(params.kind === 'implicit' ? 1 : 0);
  history.items.forEach((item, j) => {
    const value = history.values[j]!;
    const x = row(table, item, intercept);
    let t: number;
    if (params.kind === 'implicit') {
      const c = 1 + (params.alpha * value) / params.valueScale;
      weight[item]! += c - 1;
      t = c;
    } else {
      weight[item]! += 1;
      t = value - params.globalMean - table.biases[item]!;
    }
    for (let p = 0; p < n; p++) b[p]! += t * x[p]!;
  });
  for (let i = 0; i < table.items; i++) {
    const x = row(table, i, intercept);
    for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) a[p * n + q]! += weight[i]! * x[p]! * x[q]!;
  }
  for (let p = 0; p < n; p++) a[p * n + p]! += params.kind === 'explicit' && p === 0 ? params.lambdaBias : params.lambda;
  return gaussSolve(a, b, n);
}

/** The score of item i from a brute-force user vector: offset + row · u. */
export function bruteScore(table: ItemTable, u: number[], i: number, params: ModelParams): number {
  const x = row(table, i, params.kind === 'explicit');
  let s = table.biases[i]! + (params.kind === 'explicit' ? params.globalMean : 0);
  for (let p = 0; p < x.length; p++) s += x[p]! * u[p]!;
  return s;
}
