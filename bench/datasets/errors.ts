// DatasetError: bad or missing dataset input, named by file, line and what was expected.

/** A dataset file could not be read or did not match its format. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  /** The path as the caller gave it (possibly relative). */
  readonly file: string;
  /** 1-based line number, or undefined when the problem is the whole file. */
  readonly line: number | undefined;
  readonly expected: string;
  readonly got: string | undefined;

  constructor(file: string, line: number | undefined, expected: string, got?: string) {
    const where = line === undefined ? file : `${file} line ${line}`;
    super(`${where}: expected ${expected}${got === undefined ? '' : `, got ${got}`}`);
    this.file = file;
    this.line = line;
    this.expected = expected;
    this.got = got;
  }
}

/** Turn a file-system error into a DatasetError, or rethrow anything else. */
export function fileError(file: string, err: unknown): DatasetError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new DatasetError(file, undefined, 'an existing file', 'no such file or directory');
  if (code === 'EISDIR') return new DatasetError(file, undefined, 'a file', 'a directory');
  if (code === 'EACCES') return new DatasetError(file, undefined, 'a readable file', 'permission denied');
  throw err;
}

/** Quote a field for an error message, shortened so a stray binary line cannot flood the terminal. */
export function show(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
