// The trained preference model: the federated item table plus the hyper-parameters needed to use it.
import type { ItemTable, ModelParams } from '../../shared/model/reconstruct';

/** A matrix-factorisation model. The user vectors are not part of it: each is re-solved from its owner's data. */
export interface MfModel {
  params: ModelParams;
  table: ItemTable;
}

/** A fresh item table with small seeded Gaussian vectors and zero biases. */
export function initialTable(items: number, dim: number, initStd: number, normal: () => number): ItemTable {
  const vectors = new Float32Array(items * dim);
  for (let n = 0; n < vectors.length; n++) vectors[n] = initStd * normal();
  return { items, dim, vectors, biases: new Float32Array(items) };
}
