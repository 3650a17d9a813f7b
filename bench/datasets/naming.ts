// Default dataset names: the folder for MovieLens files (ml-latest-small), the file stem otherwise.
import { basename, dirname, extname, resolve } from 'node:path';

const MOVIELENS_FILES = /^(u\.data|u[1-5ab]\.(base|test)|ratings\.dat|ratings\.csv)$/;

/** A readable name for the dataset in a file. */
export function datasetName(file: string): string {
  const base = basename(file);
  if (MOVIELENS_FILES.test(base)) return basename(dirname(resolve(file)));
  return base.slice(0, base.length - extname(base).length) || base;
}
