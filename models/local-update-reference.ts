// The local update written as plain loops over Float64 arrays: slow and obvious, the oracle for the tfjs path.
import type { History, ModelParams } from '../shared/model/reconstruct';
import { confidence, solveUser } from '../shared/model/reconstruct';
import type { MfModel } from './mf/model';
import type { LocalTrainConfig, LocalUpdate } from './local-update';

function predict(params: ModelParams, vectors: Float64Array, u: Float64Array, item: number, k: number): number {
  const off = params.kind === 'explicit' ? 1 : 0;
  let s = params.kind === 'explicit' ? u[0]! : 0;
  for (let a = 0; a < k; a++) s += vectors[item * k + a]! * u[a + off]!;
  return s;
}

/** Same contract as localUpdate, computed naively over the full table each epoch. */
export function localUpdateReference(model: MfModel, history: History, config: LocalTrainConfig): LocalUpdate {
  const { table, params } = model;
  const { items: n, dim: k } = table;
  const vectors = Float64Array.from(table.vectors);
  const current = () => ({ items: n, dim: k, vectors: Float32Array.from(vectors), biases: table.biases });
  const off = params.kind === 'explicit' ? 1 : 0;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const u = solveUser(current(), history, params).vector;
    const r = new Float64Array(n);
    if (params.kind === 'implicit') for (let i = 0; i < n; i++) r[i] = -predict(params, vectors, u, i, k);
    for (let j = 0; j < history.items.length; j++) {
      const i = history.items[j]!;
      const s = predict(params, vectors, u, i, k);
      if (params.kind === 'implicit') {
        const c = confidence(params, history.values[j]!);
        r[i] = c * (1 - s);
      } else {
        r[i] = history.values[j]! - params.globalMean - table.biases[i]! - s;
      }
    }
    for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) vectors[i * k + a]! += config.learningRate * r[i]! * u[a + off]!;
  }
  const u = solveUser(current(), history, params).vector;
  const itemDelta = new Float32Array(n * k);
  for (let x = 0; x < n * k; x++) itemDelta[x] = vectors[x]! - table.vectors[x]!;
  const biasDelta = new Float32Array(n);
  const biasWeight = new Float32Array(n);
  if (params.kind === 'implicit') for (let i = 0; i < n; i++) biasDelta[i] = -(predict(params, vectors, u, i, k) + table.biases[i]!);
  for (let j = 0; j < history.items.length; j++) {
    const i = history.items[j]!;
    const s = predict(params, vectors, u, i, k);
    if (params.kind === 'implicit') {
      const c = confidence(params, history.values[j]!);
      biasDelta[i] = c * (1 - s - table.biases[i]!);
      biasWeight[i] = c - 1;
    } else {
      biasDelta[i] = history.values[j]! - params.globalMean - table.biases[i]! - s;
    }
  }
  const userGram = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) userGram[a * k + b] = u[a + off]! * u[b + off]!;
  const itemCurvature = new Float32Array(n);
  let normSq = 0;
  for (let a = 0; a < k; a++) normSq += u[a + off]! ** 2;
  for (let j = 0; j < history.items.length; j++) {
    const w = params.kind === 'implicit' ? confidence(params, history.values[j]!) - 1 : 1;
    itemCurvature[history.items[j]!] = (w * normSq) / k;
  }
  return { itemDelta, biasDelta, biasWeight, itemCurvature, userGram };
}
