// The server's step on a round's summed update: a Newton-style step preconditioned by the cohort's Gram.
//
// For the item table, the full objective Σ_u L_u + λ‖V‖² has gradient rows −2(Σ_u r_ui u − λ v_i) and a
// Hessian per row 2(Σ_u u uᵀ + Σ_{u∋i} (c_ui − 1) u uᵀ + λI). The first sum is shared by all rows; the
// second would need an items × dim × dim sum, so devices send its trace per item, s_i = Σ (c−1)‖u‖²/dim,
// and the server uses s_i·I in its place. A cohort is a sample of the population, so its sums are scaled
// by N/|cohort|; dividing through gives
//   v_i ← v_i + η · (H + s_i I)⁻¹ (ΣΔ_i/lr − ρλ v_i),   H = Σ u uᵀ + ρλI,   ρ = |cohort| / N.
// Item biases take the exact per-item Newton step b_i ← b_i + η_b Σ r_bi / (|cohort| + Σ(c_i − 1)).
import type { MfModel } from '../mf/model';
import { cholesky, choleskySolve, nearestPsd } from '../../shared/math/linalg';
import type { AggregateUpdate } from './update-vector';

/** Settings of the server step. */
export interface ServerStepConfig {
  /** Step size η on the item table (1 = full Newton step of the approximation). */
  serverLearningRate: number;
  /** Step size on the item biases. */
  biasLearningRate: number;
  /** The devices' local learning rate, to undo its scaling of the deltas. */
  localLearningRate: number;
  /** Ridge λ of the objective (the model's). */
  lambda: number;
  /** Size of the training population N (devices that could be sampled). */
  population: number;
  /**
   * Standard deviation of the DP noise on each coordinate of the summed item deltas (model units), or 0. Each
   * item's summed delta is then shrunk by the positive-part James–Stein factor 1 − (k − 2)·σ²/‖ΣΔ_i‖²: rows
   * that are mostly noise (items few devices touched) barely move, well-supported rows move fully. Post-
   * processing of the released sum with the publicly known σ, so it costs no privacy.
   */
  deltaNoiseStd?: number;
}

/** The positive-part James–Stein factor for a k-vector observed with per-coordinate noise variance `noiseVar`. */
export function jamesSteinFactor(energy: number, k: number, noiseVar: number): number {
  if (!(noiseVar > 0) || k < 3) return 1;
  return energy > 0 ? Math.max(0, 1 - ((k - 2) * noiseVar) / energy) : 0;
}

/** Apply one round's aggregate to a model, returning a new model (the input is not modified). */
export function applyServerStep(model: MfModel, agg: AggregateUpdate, config: ServerStepConfig): MfModel {
  const { items, dim: k } = model.table;
  if (!(agg.count >= 1)) throw new RangeError(`aggregate has no contributions (count ${agg.count})`);
  const rho = Math.min(1, agg.count / config.population);
  // A noisy (DP) sum of Gram matrices can be indefinite: use the nearest PSD matrix, as the true sum is.
  const h = nearestPsd(agg.userGram, k);
  if (model.params.kind === 'explicit') h.fill(0); // ratings: no whole-catalogue term
  for (let a = 0; a < k; a++) h[a * k + a]! += rho * config.lambda;
  const vectors = Float32Array.from(model.table.vectors);
  const noiseVar = (config.deltaNoiseStd ?? 0) ** 2;
  const g = new Float64Array(k);
  const hi = new Float64Array(k * k);
  for (let i = 0; i < items; i++) {
    const o = i * k;
    let energy = 0;
    for (let a = 0; a < k; a++) energy += agg.itemDelta[o + a]! ** 2;
    const shrink = jamesSteinFactor(energy, k, noiseVar);
    for (let a = 0; a < k; a++) g[a] = (shrink * agg.itemDelta[o + a]!) / config.localLearningRate - rho * config.lambda * model.table.vectors[o + a]!;
    // H_i = H + s_i I: the item's own curvature (trace estimate) on top of the shared part.
    hi.set(h);
    for (let a = 0; a < k; a++) hi[a * k + a]! += Math.max(0, agg.itemCurvature[i]!);
    const step = choleskySolve(cholesky(hi, k), k, g); // H_i symmetric: g H_i⁻¹ = (H_i⁻¹ g)ᵀ
    for (let a = 0; a < k; a++) vectors[o + a]! += config.serverLearningRate * step[a]!;
  }
  const biases = new Float32Array(items);
  for (let i = 0; i < items; i++) {
    const denom = agg.count + Math.max(0, agg.biasWeight[i]!); // Σ(c − 1) ≥ 0; noise can make the sum negative
    biases[i] = model.table.biases[i]! + config.biasLearningRate * (denom > 0 ? agg.biasDelta[i]! / denom : 0);
  }
  return { params: model.params, table: { items, dim: k, vectors, biases } };
}

/**
 * The served model: an exponential moving average of the training iterates (Polyak–Ruppert averaging).
 * Partial cohorts make each round's step noisy; averaging the iterates removes most of that noise while
 * devices keep training on the latest iterate. `decay` 0 serves the latest iterate unchanged.
 */
export function averageModels(previous: MfModel | undefined, latest: MfModel, decay: number): MfModel {
  if (!(decay >= 0 && decay < 1)) throw new RangeError(`decay must be in [0, 1), got ${decay}`);
  if (!previous || decay === 0) return latest;
  const { items, dim } = latest.table;
  if (previous.table.items !== items || previous.table.dim !== dim) throw new RangeError('averageModels: tables differ in shape');
  const mix = (a: Float32Array, b: Float32Array) => Float32Array.from(a, (x, n) => decay * x + (1 - decay) * b[n]!);
  return { params: latest.params, table: { items, dim, vectors: mix(previous.table.vectors, latest.table.vectors), biases: mix(previous.table.biases, latest.table.biases) } };
}
