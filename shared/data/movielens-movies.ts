// MovieLens movies.csv (movieId,title,genres): the item catalogue with titles and categories, parsed from its lines.
import { parseCsvRecord } from './csv';
import { DatasetError, show } from './dataset-error';

const MOVIES_HEADER = 'movieId,title,genres';
const NO_GENRES = '(no genres listed)';

/** A movie's title and categories (genres). */
export interface MetaEntry {
  title: string;
  categories: string[];
}

/** Parse the lines of movies.csv into metadata by movieId, in file order; a DatasetError names the file and line. */
export function parseMovieLensMovies(lines: readonly string[], file: string): Map<string, MetaEntry> {
  const movies = new Map<string, MetaEntry>();
  const firstLine = new Map<string, number>();
  let sawHeader = false;
  let pending = '';
  let pendingLine = 0;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (pending === '') {
      if (line.trim() === '') continue;
      pendingLine = n + 1;
    }
    // A quoted title may in principle span lines, so keep joining until the quotes close.
    const text = pending === '' ? line : `${pending}\n${line}`;
    const f = parseCsvRecord(text);
    if (f === undefined) {
      pending = text;
      continue;
    }
    pending = '';
    if (!sawHeader) {
      if (text.trim() !== MOVIES_HEADER) throw new DatasetError(file, pendingLine, `the header ${MOVIES_HEADER}`, show(text));
      sawHeader = true;
      continue;
    }
    if (text.trim() === MOVIES_HEADER) throw new DatasetError(file, pendingLine, 'a data row', 'a repeated header line');
    if (f.length !== 3) throw new DatasetError(file, pendingLine, `3 columns (${MOVIES_HEADER})`, String(f.length));
    const [id, title, genres] = f as [string, string, string];
    if (id === '') throw new DatasetError(file, pendingLine, 'a movieId', 'an empty field');
    const seen = firstLine.get(id);
    if (seen !== undefined) throw new DatasetError(file, pendingLine, 'each movieId once', `movieId ${id} again (first on line ${seen})`);
    firstLine.set(id, pendingLine);
    movies.set(id, { title, categories: genres === NO_GENRES ? [] : genres.split('|').filter((g) => g !== '') });
  }
  if (pending !== '') throw new DatasetError(file, pendingLine, 'a closing quote', 'an unterminated quoted field');
  if (movies.size === 0) throw new DatasetError(file, undefined, 'at least one movie', sawHeader ? 'a header line and no movies' : 'an empty file');
  return movies;
}
