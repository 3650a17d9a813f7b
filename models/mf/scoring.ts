// Scoring with a trained model: re-solve user vectors from their histories, then score items densely on tfjs.
import type { InteractionData } from '../../shared/data/interactions';
import { buildHistories } from './histories';
import { solveSide, zeroSide, type FactorSide } from './als';
import type { MfModel } from './model';
import { scoreMatrix } from '../dense';

/** Every user's vector, re-solved from their training data exactly as a device would. */
export function solveUsers(model: MfModel, train: InteractionData): FactorSide {
  const items: FactorSide = { rows: model.table.items, dim: model.table.dim, vectors: model.table.vectors, biases: model.table.biases };
  const users = zeroSide(train.users, model.table.dim);
  solveSide(items, users, buildHistories(train).byUser, model.params);
  return users;
}

/** Score of one (user, item) pair: offset + u·v (+ user bias and μ for ratings). */
export function scorePair(model: MfModel, users: FactorSide, user: number, item: number): number {
  const k = model.table.dim;
  let s = model.table.biases[item]! + users.biases[user]!;
  if (model.params.kind === 'explicit') s += model.params.globalMean;
  for (let a = 0; a < k; a++) s += users.vectors[user * k + a]! * model.table.vectors[item * k + a]!;
  return s;
}

/** Scores of a block of users over the whole catalogue (rows × items), one tfjs matMul. */
export function scoreUsersBlock(model: MfModel, users: FactorSide, from: number, to: number): Float32Array {
  const k = model.table.dim;
  const n = model.table.items;
  const s = scoreMatrix(users.vectors.subarray(from * k, to * k), to - from, model.table.vectors, n, k);
  const mu = model.params.kind === 'explicit' ? model.params.globalMean : 0;
  for (let r = 0; r < to - from; r++) {
    const ub = users.biases[from + r]! + mu;
    for (let i = 0; i < n; i++) s[r * n + i]! += model.table.biases[i]! + ub;
  }
  return s;
}

/** A scoreAll(user) function that scores users in blocks of `blockSize` and caches the current block. */
export function denseScorer(model: MfModel, users: FactorSide, blockSize = 256): (user: number) => Float32Array {
  let block: { from: number; to: number; scores: Float32Array } | undefined;
  const n = model.table.items;
  return (user) => {
    if (!block || user < block.from || user >= block.to) {
      const from = Math.floor(user / blockSize) * blockSize;
      const to = Math.min(users.rows, from + blockSize);
      block = { from, to, scores: scoreUsersBlock(model, users, from, to) };
    }
    return block.scores.subarray((user - block.from) * n, (user - block.from + 1) * n);
  };
}
