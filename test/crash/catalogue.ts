// The crash suites' small generated catalogue: a movies.csv the server loads in milliseconds.
import { writeFileSync } from 'node:fs';

/** Write a movies.csv of `items` made-up titles to `file`; returns `file`. */
export function writeCatalogue(file: string, items: number): string {
  const rows = Array.from({ length: items }, (_, i) => `${i + 1},Movie ${i + 1} (${1950 + (i % 70)}),${i % 2 ? 'Drama' : 'Comedy|Romance'}`);
  writeFileSync(file, ['movieId,title,genres', ...rows].join('\n') + '\n');
  return file;
}
