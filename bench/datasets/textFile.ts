// Reading dataset files: streamed line by line for big rating files, whole for small metadata files.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { DatasetError, fileError } from './errors';

/**
 * Call onLine for every line (1-based numbers, '\r\n' tolerated, BOM dropped), streaming in 1 MiB chunks so that
 * 10M-line files never exist as one string. Errors thrown by onLine stop the read and propagate.
 */
export async function forEachLine(file: string, onLine: (line: string, lineNo: number) => void): Promise<void> {
  let rest = '';
  let lineNo = 0;
  const emit = (line: string): void => {
    lineNo++;
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    onLine(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line, lineNo);
  };
  try {
    const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = rest + chunk;
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) !== -1) {
        emit(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw fileError(file, err);
  }
  if (rest.length > 0) emit(rest);
}

/** How a small text file is decoded: 'auto' tries UTF-8 and falls back to Latin-1 if that produced replacement characters. */
export type TextEncoding = 'utf8' | 'latin1' | 'auto';

/** Read a whole (small) file as lines, '\r\n' tolerated, BOM dropped. */
export async function readLines(file: string, encoding: TextEncoding): Promise<string[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw fileError(file, err);
  }
  let text = bytes.toString(encoding === 'latin1' ? 'latin1' : 'utf8');
  // MovieLens 1M ships Latin-1 and 10M UTF-8 under the same file name, so guess from whether UTF-8 decoding failed.
  if (encoding === 'auto' && text.includes('\ufffd')) text = bytes.toString('latin1');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.split(/\r?\n/);
}

/** What is at a path: 'file', 'directory' or undefined when nothing is. */
export async function pathKind(path: string): Promise<'file' | 'directory' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}
