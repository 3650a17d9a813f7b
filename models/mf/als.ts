// One alternating-least-squares half-step: re-solve every row of one side with the other side fixed.
// The user half-step calls the same solveUser that a device runs on its own data, so centralized and
// federated training share their math; the item half-step is the same ridge regression with roles swapped.
import type { ItemTable, ModelParams, History } from '../../shared/model/reconstruct';
import { solveUser } from '../../shared/model/reconstruct';
import { gramMatrix } from '../dense';

/** Rows of one side of the factorisation (users or items). */
export interface FactorSide {
  rows: number;
  dim: number;
  vectors: Float32Array;
  /** Per-row intercepts (biases); zero for the implicit model's users. */
  biases: Float32Array;
}

/** An empty (zero) side. */
export function zeroSide(rows: number, dim: number): FactorSide {
  return { rows, dim, vectors: new Float32Array(rows * dim), biases: new Float32Array(rows) };
}

/** View a factor side as the "table" the ridge solve reads from. */
export function asTable(side: FactorSide): ItemTable {
  return { items: side.rows, dim: side.dim, vectors: side.vectors, biases: side.biases };
}

/**
 * Solve every row of `target` from its interactions with the fixed side, writing into `target`.
 * Rows with no interactions get zero vectors (the ridge solution of an empty system).
 * For implicit params the Gram of the fixed side is computed once (one tfjs matMul) and shared.
 */
export function solveSide(fixed: FactorSide, target: FactorSide, histories: History[], params: ModelParams): void {
  const table = asTable(fixed);
  const gram = params.kind === 'implicit' ? gramMatrix(fixed.vectors, fixed.rows, fixed.dim) : undefined;
  const k = target.dim;
  for (let r = 0; r < target.rows; r++) {
    const h = histories[r]!;
    if (h.items.length === 0) {
      target.vectors.fill(0, r * k, (r + 1) * k);
      target.biases[r] = 0;
      continue;
    }
    const sys = solveUser(table, h, params, gram);
    const off = sys.intercept ? 1 : 0;
    for (let a = 0; a < k; a++) target.vectors[r * k + a] = sys.vector[a + off]!;
    if (sys.intercept) target.biases[r] = sys.vector[0]!;
  }
}
