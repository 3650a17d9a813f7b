// Which loader a path needs: from the file name, from the files inside a directory, or from an explicit format.
import { basename, join } from 'node:path';
import { DatasetError } from './errors';
import { pathKind } from './textFile';

/** The dataset layouts loadDataset understands. */
export const DATASET_FORMATS = ['ml-100k', 'ml-1m', 'ml-latest', 'csv'] as const;

/** One of DATASET_FORMATS ('ml-1m' also covers MovieLens 10M, which shares the layout). */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** Whether a string (e.g. a CLI option) names a known format. */
export function isDatasetFormat(text: string): text is DatasetFormat {
  return (DATASET_FORMATS as readonly string[]).includes(text);
}

/** The ratings file each format expects inside a dataset folder, in the order a folder is searched. */
const RATINGS_FILE: Record<DatasetFormat, string> = { 'ml-100k': 'u.data', 'ml-1m': 'ratings.dat', 'ml-latest': 'ratings.csv', csv: 'ratings.csv' };
const SEARCH_ORDER: DatasetFormat[] = ['ml-100k', 'ml-1m', 'ml-latest'];

/** The format a file name implies, or undefined when the name says nothing. */
export function formatOfFileName(file: string): DatasetFormat | undefined {
  const name = basename(file);
  if (name === 'u.data' || /^u[1-5ab]\.(base|test)$/.test(name)) return 'ml-100k';
  if (name === 'ratings.dat') return 'ml-1m';
  if (name === 'ratings.csv') return 'ml-latest';
  if (name.toLowerCase().endsWith('.csv')) return 'csv';
  return undefined;
}

/** Resolve a file or folder path, and an optional explicit format (which wins over the name), to a ratings file and format. */
export async function resolveDataset(path: string, format?: string): Promise<{ file: string; format: DatasetFormat }> {
  if (format !== undefined && !isDatasetFormat(format)) {
    throw new DatasetError(path, undefined, `a format among ${DATASET_FORMATS.join(', ')}`, JSON.stringify(format));
  }
  const kind = await pathKind(path);
  if (kind === undefined) throw new DatasetError(path, undefined, 'an existing file or directory', 'no such file or directory');
  if (kind === 'directory') {
    if (format !== undefined) {
      const file = join(path, RATINGS_FILE[format]);
      if ((await pathKind(file)) !== 'file') throw new DatasetError(path, undefined, `a directory containing ${RATINGS_FILE[format]} (format ${format})`, 'no such file');
      return { file, format };
    }
    for (const f of SEARCH_ORDER) {
      const file = join(path, RATINGS_FILE[f]);
      if ((await pathKind(file)) === 'file') return { file, format: f };
    }
    throw new DatasetError(path, undefined, 'a directory containing u.data, ratings.dat or ratings.csv', 'none of them');
  }
  const detected = format ?? formatOfFileName(path);
  if (detected === undefined) {
    throw new DatasetError(path, undefined, `a file named u.data, ratings.dat, ratings.csv or *.csv, or an explicit format (${DATASET_FORMATS.join(', ')})`, JSON.stringify(basename(path)));
  }
  return { file: path, format: detected };
}
