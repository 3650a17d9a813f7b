// Centralized training of implicit-feedback MF: weighted ALS (Hu, Koren & Volinsky 2008) and a closed-form item bias.
import type { InteractionData } from '../../shared/data/interactions';
import type { ImplicitParams } from '../../shared/model/reconstruct';
import { confidence } from '../../shared/model/reconstruct';
import { createRng } from '../../shared/math/random';
import { buildHistories } from './histories';
import { solveSide, zeroSide, type FactorSide } from './als';
import { initialTable, type MfModel } from './model';
import { gramMatrix } from '../dense';

/** Settings of the implicit trainer. */
export interface ImplicitTrainConfig {
  dim: number;
  lambda: number;
  alpha: number;
  valueScale: number;
  epochs: number;
  seed: number;
  /** Standard deviation of the initial item vectors. */
  initStd: number;
  /** Ridge on the item bias fit (pseudo-count of zero-residual observations). */
  biasShrink: number;
}

/** Chosen on latest-small by a grid over λ ∈ {5,10,15,20,30}, α ∈ {3,5,10,20}, k ∈ {24,32,64} (bench/RESULTS.md). */
export const IMPLICIT_DEFAULTS: Omit<ImplicitTrainConfig, 'seed'> = {
  dim: 32,
  lambda: 20,
  alpha: 5,
  valueScale: 5,
  epochs: 15,
  initStd: 0.01,
  biasShrink: 0,
};

/** Called after each epoch with the weighted loss, so callers can plot a curve or evaluate. */
export type EpochHook = (epoch: number, info: { loss: number; users: FactorSide; model: MfModel }) => void;

/**
 * Weighted loss Σ_{u,i} c_ui (p_ui − u·v_i)² + λ(‖U‖² + ‖V‖²), computed without the dense score matrix:
 * Σ_all s² = tr(UᵀU · VᵀV), then each observed pair replaces s² with c(1 − s)².
 */
export function implicitLoss(data: InteractionData, users: FactorSide, items: FactorSide, params: ImplicitParams): number {
  const k = users.dim;
  const gu = gramMatrix(users.vectors, users.rows, k);
  const gv = gramMatrix(items.vectors, items.rows, k);
  let loss = 0;
  for (let n = 0; n < k * k; n++) loss += gu[n]! * gv[n]!;
  for (let n = 0; n < data.user.length; n++) {
    const uo = data.user[n]! * k;
    const io = data.item[n]! * k;
    let s = 0;
    for (let a = 0; a < k; a++) s += users.vectors[uo + a]! * items.vectors[io + a]!;
    const c = confidence(params, data.value[n]!);
    loss += c * (1 - s) * (1 - s) - s * s;
  }
  let norm = 0;
  for (let n = 0; n < k; n++) norm += gu[n * k + n]! + gv[n * k + n]!;
  return loss + params.lambda * norm;
}

/**
 * Item biases that minimise Σ_u c_ui (p_ui − u·v_i − b_i)² + shrink·b_i² with the factors fixed:
 * b_i = Σ_u c_ui (p_ui − s_ui) / (Σ_u c_ui + shrink), with Σ_u s_ui = v_i · Σ_u u for the dense part.
 */
export function fitItemBiases(data: InteractionData, users: FactorSide, items: FactorSide, params: ImplicitParams, shrink: number): Float32Array {
  const k = users.dim;
  const userSum = new Float64Array(k);
  for (let u = 0; u < users.rows; u++) for (let a = 0; a < k; a++) userSum[a]! += users.vectors[u * k + a]!;
  const num = new Float64Array(items.rows);
  const den = new Float64Array(items.rows).fill(users.rows + shrink);
  for (let i = 0; i < items.rows; i++) {
    let s = 0;
    for (let a = 0; a < k; a++) s += items.vectors[i * k + a]! * userSum[a]!;
    num[i] = -s; // every user contributes c=1, p=0: −s_ui
  }
  for (let n = 0; n < data.user.length; n++) {
    const u = data.user[n]!;
    const i = data.item[n]!;
    let s = 0;
    for (let a = 0; a < k; a++) s += users.vectors[u * k + a]! * items.vectors[i * k + a]!;
    const c = confidence(params, data.value[n]!);
    num[i]! += c * (1 - s) + s; // replace the c=1, p=0 term with c(1 − s)
    den[i]! += c - 1;
  }
  const out = new Float32Array(items.rows);
  for (let i = 0; i < items.rows; i++) out[i] = num[i]! / den[i]!;
  return out;
}

/** Train the implicit model on all interactions of `train` (values are ratings or event strengths). */
export function trainImplicit(train: InteractionData, config: ImplicitTrainConfig, onEpoch?: EpochHook): MfModel {
  const params: ImplicitParams = { kind: 'implicit', lambda: config.lambda, alpha: config.alpha, valueScale: config.valueScale };
  const rng = createRng(config.seed).fork('implicit-init');
  const table = initialTable(train.items, config.dim, config.initStd, rng.normal);
  const items: FactorSide = { rows: train.items, dim: config.dim, vectors: table.vectors, biases: new Float32Array(train.items) };
  const users = zeroSide(train.users, config.dim);
  const h = buildHistories(train);
  const model: MfModel = { params, table };
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    solveSide(items, users, h.byUser, params);
    solveSide(users, items, h.byItem, params);
    if (onEpoch) {
      solveSide(items, users, h.byUser, params);
      table.biases.set(fitItemBiases(train, users, items, params, config.biasShrink));
      onEpoch(epoch, { loss: implicitLoss(train, users, items, params), users, model });
    }
  }
  // The served user vector is the one a device would re-solve from the final table.
  solveSide(items, users, h.byUser, params);
  table.biases.set(fitItemBiases(train, users, items, params, config.biasShrink));
  return model;
}
