// Evaluation steps shared by the benchmark experiments: dataset facts and beyond-accuracy metrics.
import type { InteractionData } from '../../shared/data/interactions';
import {
  coverageAtK,
  intraListDiversityByCategory,
  intraListDiversityByEmbedding,
  itemPopularity,
  noveltyAtK,
  topKLists,
  type Metrics,
} from '../../shared/metrics';
import type { MfModel } from '../../models/mf/model';
import type { DatasetSummary } from '../results';

/** Evaluation protocols of the bench. */
export type Protocol = 'loo' | 'full' | 'rating';
export const PROTOCOLS: readonly Protocol[] = ['loo', 'full', 'rating'];

/** Facts about a dataset for results.json. */
export function datasetSummary(data: InteractionData): DatasetSummary {
  return { name: data.name, users: data.users, items: data.items, interactions: data.user.length };
}

/**
 * Coverage, intra-list diversity and novelty of every user's top-10 over the items not in their training data.
 * Diversity is by category when the dataset has categories, else by the model's item embeddings.
 */
export function beyondAccuracy(
  _full: InteractionData,
  train: InteractionData,
  scoreAll: (user: number) => Float32Array | Float64Array,
  model: MfModel | undefined,
): Metrics {
  const lists = topKLists(train, scoreAll, 10);
  const out: Metrics = {
    'coverage@10': coverageAtK(lists, train.items),
    'novelty@10': noveltyAtK(lists, itemPopularity(train), train.users),
  };
  if (train.itemMeta) out['diversity@10'] = intraListDiversityByCategory(lists, train.itemMeta.map((m) => m.categories));
  else if (model) out['diversity@10'] = intraListDiversityByEmbedding(lists, model.table.vectors, model.table.dim);
  return out;
}
