// The private user vector, re-computed from the user's own items by ridge regression (the ALS user step).
//
// Both tasks share one form. With x_j the feature row of history item j (the item vector, with a
// leading 1 when the model has a user intercept), per-item Gram weights w_j and targets t_j:
//     A = P + Σ_j w_j x_j x_jᵀ + diag(ridge),   u = A⁻¹ Σ_j t_j x_j
// Implicit (Hu, Koren & Volinsky 2008, eq. 4): P = VᵀV, w_j = c_j − 1, t_j = c_j, no intercept.
// Explicit (biased MF): P = 0, w_j = 1, t_j = r_j − μ − b_j, intercept = the user bias.
// Because u is linear in the targets, every score splits exactly into one term per history item.
import { cholesky, choleskySolve } from '../math/linalg';

/** The federated part of a model as flat arrays: item vectors (row-major, items × dim) and item biases. */
export interface ItemTable {
  items: number;
  dim: number;
  vectors: Float32Array;
  biases: Float32Array;
}

/** A user's history as the model sees it: item ids with their raw values (rating or event strength). */
export interface History {
  items: Int32Array | readonly number[];
  values: Float32Array | readonly number[];
}

/** Hyper-parameters of implicit-feedback MF (weighted whole-catalogue loss). */
export interface ImplicitParams {
  kind: 'implicit';
  /** Ridge λ on the user vector. */
  lambda: number;
  /** Confidence slope: c = 1 + alpha · value / valueScale. */
  alpha: number;
  /** Value that maps to full confidence (5 for star ratings). */
  valueScale: number;
}

/** Hyper-parameters of explicit rating prediction (biased MF). */
export interface ExplicitParams {
  kind: 'explicit';
  /** Ridge λ on the user vector. */
  lambda: number;
  /** Ridge on the user bias. */
  lambdaBias: number;
  /** Global mean rating μ. */
  globalMean: number;
}

export type ModelParams = ImplicitParams | ExplicitParams;

/** The ridge system of one user, ready to solve and to explain. */
export interface UserSystem {
  /** Feature dimension: dim, or dim + 1 with an intercept. */
  size: number;
  intercept: boolean;
  /** Cholesky factor of A. */
  factor: Float64Array;
  /** History item ids and their targets t_j. */
  items: Int32Array;
  targets: Float64Array;
  /** u = A⁻¹ Σ t_j x_j (with the user bias first when intercept). */
  vector: Float64Array;
}

/** Implicit confidence c = 1 + α · value / valueScale (Hu et al. 2008, eq. 6, linear form). */
export function confidence(params: ImplicitParams, value: number): number {
  return 1 + (params.alpha * value) / params.valueScale;
}

/** Gram matrix VᵀV of an item table (dim × dim, Float64). */
export function itemGram(table: ItemTable): Float64Array {
  const k = table.dim;
  const g = new Float64Array(k * k);
  const v = table.vectors;
  for (let i = 0; i < table.items; i++) {
    const o = i * k;
    for (let a = 0; a < k; a++) {
      const va = v[o + a]!;
      if (va === 0) continue;
      for (let b = a; b < k; b++) g[a * k + b]! += va * v[o + b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) g[a * k + b] = g[b * k + a]!;
  return g;
}

/** Write item i's feature row (with a leading 1 when intercept) into out. */
export function featureRow(table: ItemTable, item: number, intercept: boolean, out: Float64Array): Float64Array {
  if (!Number.isInteger(item) || item < 0 || item >= table.items) throw new RangeError(`item ${item} is outside the item table (0..${table.items - 1})`);
  const k = table.dim;
  const o = item * k;
  if (intercept) {
    out[0] = 1;
    for (let a = 0; a < k; a++) out[a + 1] = table.vectors[o + a]!;
  } else {
    for (let a = 0; a < k; a++) out[a] = table.vectors[o + a]!;
  }
  return out;
}

/** Throw a RangeError naming the problem when a history does not fit the table. */
export function checkHistory(table: ItemTable, history: History): void {
  if (history.items.length !== history.values.length) {
    throw new RangeError(`history has ${history.items.length} items but ${history.values.length} values`);
  }
  for (let j = 0; j < history.items.length; j++) {
    const it = history.items[j]!;
    if (!Number.isInteger(it) || it < 0 || it >= table.items) {
      throw new RangeError(`history item ${it} is outside the item table (0..${table.items - 1})`);
    }
    if (!Number.isFinite(history.values[j]!)) throw new RangeError(`history value for item ${it} is not finite`);
  }
}

/**
 * Build and solve one user's ridge system (see the file comment for the form).
 * `gram` is VᵀV for implicit models (pass it in: it is shared by every user of a table).
 */
export function solveUser(table: ItemTable, history: History, params: ModelParams, gram?: Float64Array): UserSystem {
  checkHistory(table, history);
  const intercept = params.kind === 'explicit';
  const k = table.dim;
  const size = intercept ? k + 1 : k;
  const a = new Float64Array(size * size);
  if (params.kind === 'implicit') {
    const g = gram ?? itemGram(table);
    if (g.length !== k * k) throw new RangeError(`gram must be ${k}×${k}`);
    a.set(g);
  }
  const n = history.items.length;
  const targets = new Float64Array(n);
  const rhs = new Float64Array(size);
  const x = new Float64Array(size);
  for (let j = 0; j < n; j++) {
    const item = history.items[j]!;
    const value = history.values[j]!;
    let w: number;
    let t: number;
    if (params.kind === 'implicit') {
      const c = confidence(params, value);
      w = c - 1;
      t = c;
    } else {
      w = 1;
      t = value - params.globalMean - table.biases[item]!;
    }
    targets[j] = t;
    featureRow(table, item, intercept, x);
    for (let p = 0; p < size; p++) {
      const xp = x[p]!;
      rhs[p]! += t * xp;
      if (w === 0) continue;
      const wxp = w * xp;
      const row = p * size;
      for (let q = p; q < size; q++) a[row + q]! += wxp * x[q]!; // upper triangle; mirrored below
    }
  }
  for (let p = 0; p < size; p++) for (let q = 0; q < p; q++) a[p * size + q] = a[q * size + p]!;
  for (let p = 0; p < size; p++) {
    a[p * size + p]! += intercept && p === 0 ? (params as ExplicitParams).lambdaBias : params.lambda;
  }
  const factor = cholesky(a, size);
  const vector = choleskySolve(factor, size, rhs);
  return { size, intercept, factor, items: Int32Array.from(history.items), targets, vector };
}

/** The part of a score that does not depend on the user's history: item bias (plus μ for ratings). */
export function itemOffset(table: ItemTable, item: number, params: ModelParams): number {
  return table.biases[item]! + (params.kind === 'explicit' ? params.globalMean : 0);
}

/** Score of one item for a solved user: offset + x_iᵀ u. */
export function scoreItem(table: ItemTable, system: UserSystem, item: number, params: ModelParams): number {
  const x = featureRow(table, item, system.intercept, new Float64Array(system.size));
  let s = itemOffset(table, item, params);
  for (let p = 0; p < system.size; p++) s += x[p]! * system.vector[p]!;
  return s;
}
