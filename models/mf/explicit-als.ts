// Centralized training of explicit rating prediction: biased MF by ALS (global mean, user and item biases).
import type { InteractionData } from '../../shared/data/interactions';
import type { ExplicitParams } from '../../shared/model/reconstruct';
import { createRng } from '../../shared/math/random';
import { buildHistories } from './histories';
import { solveSide, zeroSide, type FactorSide } from './als';
import { initialTable, type MfModel } from './model';

/** Settings of the rating trainer. */
export interface ExplicitTrainConfig {
  dim: number;
  lambda: number;
  lambdaBias: number;
  epochs: number;
  seed: number;
  initStd: number;
  /** Predictions are clipped to the rating range. */
  minRating: number;
  maxRating: number;
}

export const EXPLICIT_DEFAULTS: Omit<ExplicitTrainConfig, 'seed' | 'minRating' | 'maxRating'> = {
  dim: 32,
  lambda: 15,
  lambdaBias: 5,
  epochs: 10,
  initStd: 0.1,
};

/** Root-mean-square training error, for the training curve. */
export function explicitTrainRmse(data: InteractionData, users: FactorSide, items: FactorSide, mu: number): number {
  const k = users.dim;
  let se = 0;
  for (let n = 0; n < data.user.length; n++) {
    const u = data.user[n]!;
    const i = data.item[n]!;
    let s = mu + users.biases[u]! + items.biases[i]!;
    for (let a = 0; a < k; a++) s += users.vectors[u * k + a]! * items.vectors[i * k + a]!;
    se += (data.value[n]! - s) ** 2;
  }
  return Math.sqrt(se / Math.max(1, data.user.length));
}

/** Train biased MF by alternating ridge solves; each side's intercept is its bias. */
export function trainExplicit(
  train: InteractionData,
  config: ExplicitTrainConfig,
  onEpoch?: (epoch: number, info: { trainRmse: number; users: FactorSide; model: MfModel }) => void,
): MfModel {
  let sum = 0;
  for (let n = 0; n < train.value.length; n++) sum += train.value[n]!;
  const mu = train.value.length > 0 ? sum / train.value.length : 0;
  const params: ExplicitParams = { kind: 'explicit', lambda: config.lambda, lambdaBias: config.lambdaBias, globalMean: mu };
  const rng = createRng(config.seed).fork('explicit-init');
  const table = initialTable(train.items, config.dim, config.initStd, rng.normal);
  const items: FactorSide = { rows: train.items, dim: config.dim, vectors: table.vectors, biases: table.biases };
  const users = zeroSide(train.users, config.dim);
  const h = buildHistories(train);
  const model: MfModel = { params, table };
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    solveSide(items, users, h.byUser, params);
    solveSide(users, items, h.byItem, params);
    if (onEpoch) {
      solveSide(items, users, h.byUser, params);
      onEpoch(epoch, { trainRmse: explicitTrainRmse(train, users, items, mu), users, model });
    }
  }
  return model;
}
