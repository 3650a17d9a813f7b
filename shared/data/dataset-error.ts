// DatasetError: bad dataset input, named by file, line and what was expected (pure: parsers in shared/ throw it too).

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

/** Quote a field for an error message, shortened so a stray binary line cannot flood the terminal. */
export function show(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
