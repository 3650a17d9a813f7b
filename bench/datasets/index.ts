// Entry point for benchmark datasets: loadDataset picks the loader for a path; the loaders and generator are re-exported.
import type { InteractionData } from '../../shared/data/interactions';
import { resolveDataset, type DatasetFormat } from './detect';
import { loadCsvInteractions } from './genericCsv';
import { loadMovieLens100k } from './movielens100k';
import { loadMovieLensDat } from './movielensDat';
import { loadMovieLensLatest } from './movielensLatest';
import { datasetName } from './naming';

export { DATASET_FORMATS, formatOfFileName, isDatasetFormat, resolveDataset, type DatasetFormat } from './detect';
export { DatasetError } from './errors';
export { loadCsvInteractions } from './genericCsv';
export { loadMovieLens100k, loadMovieLens100kSplit, ML100K_GENRES, type MovieLens100kFold } from './movielens100k';
export { loadMovieLensDat } from './movielensDat';
export { loadMovieLensLatest } from './movielensLatest';
export { generateSynthetic, syntheticLike, type SyntheticOptions, type SyntheticDataset, type SyntheticTruth } from './synthetic';

/** Options for loadDataset. */
export interface LoadOptions {
  /** Overrides detection from the file name; a string outside DATASET_FORMATS is rejected with the list. */
  format?: DatasetFormat;
  /** Dataset name; defaults to the MovieLens folder name or the file's stem. */
  name?: string;
}

/** Load a dataset from a ratings file or a folder holding one; bad input stops with a DatasetError. */
export async function loadDataset(path: string, options: LoadOptions = {}): Promise<InteractionData> {
  const { file, format } = await resolveDataset(path, options.format);
  const name = options.name ?? datasetName(file);
  switch (format) {
    case 'ml-100k':
      return loadMovieLens100k(file, name);
    case 'ml-1m':
      return loadMovieLensDat(file, name);
    case 'ml-latest':
      return loadMovieLensLatest(file, name);
    case 'csv':
      return loadCsvInteractions(file, name);
  }
}
