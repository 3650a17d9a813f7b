// File-system failures as DatasetErrors (the error itself lives in shared/data/dataset-error.ts).
import { DatasetError } from '../../shared/data/dataset-error';

export { DatasetError, show } from '../../shared/data/dataset-error';

/** Turn a file-system error into a DatasetError, or rethrow anything else. */
export function fileError(file: string, err: unknown): DatasetError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new DatasetError(file, undefined, 'an existing file', 'no such file or directory');
  if (code === 'EISDIR') return new DatasetError(file, undefined, 'a file', 'a directory');
  if (code === 'EACCES') return new DatasetError(file, undefined, 'a readable file', 'permission denied');
  throw err;
}
