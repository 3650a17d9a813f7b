// Small dense linear algebra on Float64Array (row-major k×k), for the per-user ridge solves.
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Cholesky factor L (lower, row-major) of a symmetric positive-definite k×k matrix; throws if not SPD. */
export function cholesky(a: Float64Array, k: number): Float64Array {
  if (a.length !== k * k) throw new RangeError(`cholesky: expected ${k * k} entries, got ${a.length}`);
  const l = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j]!;
    for (let p = 0; p < j; p++) d -= l[j * k + p]! * l[j * k + p]!;
    if (!(d > 0)) throw new RangeError(`cholesky: matrix is not positive definite (pivot ${j} = ${d})`);
    const ljj = Math.sqrt(d);
    l[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j]!;
      for (let p = 0; p < j; p++) s -= l[i * k + p]! * l[j * k + p]!;
      l[i * k + j] = s / ljj;
    }
  }
  return l;
}

/** Solve (L Lᵀ) x = b given the Cholesky factor L; returns a new vector. */
export function choleskySolve(l: Float64Array, k: number, b: ArrayLike<number>): Float64Array {
  if (l.length !== k * k) throw new RangeError(`choleskySolve: factor has ${l.length} entries, expected ${k * k}`);
  if (b.length !== k) throw new RangeError(`choleskySolve: right-hand side has length ${b.length}, expected ${k}`);
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let p = 0; p < i; p++) s -= l[i * k + p]! * y[p]!;
    y[i] = s / l[i * k + i]!;
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let p = i + 1; p < k; p++) s -= l[p * k + i]! * x[p]!;
    x[i] = s / l[i * k + i]!;
  }
  return x;
}

/** Solve A x = b for symmetric positive-definite A. */
export function solveSpd(a: Float64Array, k: number, b: ArrayLike<number>): Float64Array {
  return choleskySolve(cholesky(a, k), k, b);
}

/** Dot product of two length-k slices: x[xo..xo+k) · y[yo..yo+k). */
export function dot(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += x[xo + i]! * y[yo + i]!;
  return s;
}

/**
 * The nearest positive-semidefinite matrix to a symmetric-ised k×k matrix in Frobenius norm: eigenvalues below
 * zero set to zero (Higham 1988). A noisy sum of Gram matrices (DP noise) can be indefinite; this restores the
 * structure the true sum has, so a solve built on it stays well-posed.
 */
export function nearestPsd(a: ArrayLike<number>, k: number): Float64Array {
  if (a.length !== k * k) throw new RangeError(`nearestPsd: expected ${k * k} entries, got ${a.length}`);
  const rows = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (a[i * k + j]! + a[j * k + i]!) / 2));
  const eig = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const out = new Float64Array(k * k);
  for (let e = 0; e < k; e++) {
    const lambda = values[e]!;
    if (!(lambda > 0)) continue;
    for (let i = 0; i < k; i++) {
      const vi = vectors.get(i, e) * lambda;
      for (let j = 0; j < k; j++) out[i * k + j]! += vi * vectors.get(j, e);
    }
  }
  return out;
}
