// A device's local update: re-solve the private user vector, train the item table on local data, return the change.
//
// Loss of one user (implicit, Hu et al. 2008): L = Σ_i c_i (p_i − u·v_i)², over the WHOLE catalogue
// (p_i = 0, c_i = 1 for items the user never touched), so the change is dense: a sparse change would
// reveal which items the user touched. Half the negative gradient for row i is r_i·u with residual
//   r_i = c_i (p_i − s_i),  s = V u   →   r = −s, then r_j = c_j − (c_j − 1)·s_j on history items j.
// Explicit (ratings): only rated items carry loss, r_j = rating_j − prediction_j, zero elsewhere.
// One local epoch: u ← ridge solve (shared/model/reconstruct), V ← V + lr · r uᵀ.
// The item-bias part is the residual of the final epoch, r^b_i = c_i (p_i − s_i − b_i), with its
// Newton weight c_i − 1 on history items, so the server can take an exact per-item step.
import type { History, ItemTable, ModelParams } from '../shared/model/reconstruct';
import { checkHistory, confidence, itemGram, solveUser } from '../shared/model/reconstruct';
import type { MfModel } from './mf/model';
import { tf } from './backend';

/** Settings of local training. */
export interface LocalTrainConfig {
  /** Local epochs (≥ 1). */
  epochs: number;
  /** Step size of the local item-table update. */
  learningRate: number;
}

/** What a device computes from its data; every array is dense over the whole catalogue. */
export interface LocalUpdate {
  /** Change of the item vectors (items × dim, row-major). */
  itemDelta: Float32Array;
  /** Residuals for the item biases (c_i (p_i − s_i − b_i); explicit: rating residuals). */
  biasDelta: Float32Array;
  /** Extra Newton weight per item for the bias step (c_i − 1 on history items, else 0). */
  biasWeight: Float32Array;
  /**
   * Per-item curvature the shared Gram misses, as a trace estimate: w_i ‖u‖² / dim on history items
   * (w = c − 1 implicit, 1 explicit), so the server can precondition each item row separately.
   */
  itemCurvature: Float32Array;
  /** u uᵀ at the final user vector (dim × dim), for the server's preconditioner. */
  userGram: Float64Array;
}

/** An item table loaded on the tfjs backend, with its Gram matrix cached (it is shared by every user). */
export interface PreparedTable {
  model: MfModel;
  gram: Float64Array;
  vectors: tf.Tensor2D;
  biases: tf.Tensor1D;
  dispose(): void;
}

/** Load a model's table into tensors once; reuse it for every local update against that version. */
export function prepareTable(model: MfModel): PreparedTable {
  const { items, dim } = model.table;
  const vectors = tf.tensor2d(model.table.vectors, [items, dim]);
  const biases = tf.tensor1d(model.table.biases);
  return {
    model,
    gram: itemGram(model.table),
    vectors,
    biases,
    dispose: () => {
      vectors.dispose();
      biases.dispose();
    },
  };
}

function checkConfig(config: LocalTrainConfig): void {
  if (!Number.isInteger(config.epochs) || config.epochs < 1) throw new RangeError(`epochs must be an integer ≥ 1, got ${config.epochs}`);
  if (!(config.learningRate > 0) || !Number.isFinite(config.learningRate)) {
    throw new RangeError(`learningRate must be a positive finite number, got ${config.learningRate}`);
  }
}

/** Sparse part of the residual on the history rows, given their current scores. */
function historyResidual(params: ModelParams, history: History, scores: Float32Array, biases: Float32Array): Float32Array {
  const out = new Float32Array(history.items.length);
  for (let j = 0; j < out.length; j++) {
    const item = history.items[j]!;
    const v = history.values[j]!;
    if (params.kind === 'implicit') {
      const c = confidence(params, v);
      out[j] = c - (c - 1) * scores[j]!; // c(1 − s) minus the −s already in the dense part
    } else {
      out[j] = v - params.globalMean - biases[item]! - scores[j]!;
    }
  }
  return out;
}

/** Compute one user's local update with tfjs (the function the federated client calls). */
export function localUpdate(prepared: PreparedTable, history: History, config: LocalTrainConfig): LocalUpdate {
  checkConfig(config);
  const { table, params } = prepared.model;
  checkHistory(table, history);
  const { items: n, dim: k } = table;
  const explicit = params.kind === 'explicit';
  const m = history.items.length;
  // The ridge solve reads only history rows: keep them (and the Gram) in JS, updated in step with V.
  const localRows = new Float32Array(m * k);
  for (let j = 0; j < m; j++) localRows.set(table.vectors.subarray(history.items[j]! * k, history.items[j]! * k + k), j * k);
  const localTable: ItemTable = { items: m, dim: k, vectors: localRows, biases: new Float32Array(m) };
  for (let j = 0; j < m; j++) localTable.biases[j] = table.biases[history.items[j]!]!;
  const localHistory: History = { items: Int32Array.from({ length: m }, (_, j) => j), values: history.values };
  const gram = Float64Array.from(prepared.gram);
  const indices = tf.tensor2d(Int32Array.from(history.items), [m, 1], 'int32');
  let v: tf.Tensor2D = prepared.vectors;
  let u: Float64Array;
  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      u = solveUser(localTable, localHistory, params, gram).vector;
      const uk = explicit ? u.subarray(1) : u;
      const userBias = explicit ? u[0]! : 0;
      const uT = tf.tensor2d(Float32Array.from(uk), [k, 1]);
      // Scores on history rows (s_j = v_j · u), computed from the tracked rows.
      const sH = new Float32Array(m);
      for (let j = 0; j < m; j++) {
        let s = userBias;
        for (let a = 0; a < k; a++) s += localRows[j * k + a]! * uk[a]!;
        sH[j] = s;
      }
      const corr = historyResidual(params, history, sH, table.biases);
      const next = tf.tidy(() => {
        const sparse = tf.scatterND(indices, tf.tensor1d(corr), [n]);
        const r = explicit ? sparse : tf.sub(sparse, tf.reshape(tf.matMul(v, uT), [n])); // dense residual
        const step = tf.mul(tf.matMul(tf.reshape(r, [n, 1]), uT, false, true), config.learningRate);
        // Gram after the step, exactly: G' = G + lr(Vᵀr uᵀ + u rᵀV) + lr²‖r‖² u uᵀ (implicit only needs it).
        const vtr = explicit ? undefined : tf.reshape(tf.matMul(tf.reshape(r, [1, n]), v), [k]);
        const rr = explicit ? undefined : tf.sum(tf.square(r));
        return { v: tf.add(v, step) as tf.Tensor2D, vtr, rr };
      });
      uT.dispose();
      if (!explicit) {
        const vtr = next.vtr!.dataSync();
        const rr = next.rr!.dataSync()[0]!;
        const lr = config.learningRate;
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) {
            gram[a * k + b]! += lr * (vtr[a]! * uk[b]! + uk[a]! * vtr[b]!) + lr * lr * rr * uk[a]! * uk[b]!;
          }
        }
        next.vtr!.dispose();
        next.rr!.dispose();
      }
      // Rows of the history move by lr · r_j · u (r_j = corr_j − s_j for implicit).
      for (let j = 0; j < m; j++) {
        const rj = explicit ? corr[j]! : corr[j]! - sH[j]!;
        for (let a = 0; a < k; a++) localRows[j * k + a]! += config.learningRate * rj * uk[a]!;
      }
      if (v !== prepared.vectors) v.dispose();
      v = next.v;
    }
    // Final user vector against the locally trained rows, then the bias residuals and the Gram of u.
    u = solveUser(localTable, localHistory, params, gram).vector;
    const uk = explicit ? u.subarray(1) : u;
    const userBias = explicit ? u[0]! : 0;
    const out = tf.tidy(() => {
      const delta = tf.sub(v, prepared.vectors);
      const s = tf.add(tf.reshape(tf.matMul(v, tf.tensor2d(Float32Array.from(uk), [k, 1])), [n]), userBias);
      return { delta, s };
    });
    const itemDelta = out.delta.dataSync() as Float32Array;
    const scores = out.s.dataSync() as Float32Array;
    out.delta.dispose();
    out.s.dispose();
    const biasDelta = new Float32Array(n);
    const biasWeight = new Float32Array(n);
    if (!explicit) for (let i = 0; i < n; i++) biasDelta[i] = -(scores[i]! + table.biases[i]!);
    for (let j = 0; j < m; j++) {
      const item = history.items[j]!;
      const value = history.values[j]!;
      if (params.kind === 'implicit') {
        const c = confidence(params, value);
        biasDelta[item] = c * (1 - scores[item]! - table.biases[item]!);
        biasWeight[item] = c - 1;
      } else {
        biasDelta[item] = value - params.globalMean - table.biases[item]! - scores[item]!;
      }
    }
    const userGram = new Float64Array(k * k);
    let normSq = 0;
    for (let a = 0; a < k; a++) {
      normSq += uk[a]! * uk[a]!;
      for (let b = 0; b < k; b++) userGram[a * k + b] = uk[a]! * uk[b]!;
    }
    const itemCurvature = new Float32Array(n);
    for (let j = 0; j < m; j++) {
      const w = params.kind === 'implicit' ? confidence(params, history.values[j]!) - 1 : 1;
      itemCurvature[history.items[j]!] = (w * normSq) / k;
    }
    return { itemDelta, biasDelta, biasWeight, itemCurvature, userGram };
  } finally {
    indices.dispose();
    if (v !== prepared.vectors) v.dispose();
  }
}
