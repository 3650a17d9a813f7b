// MovieLens "latest" (and 20M/25M/32M) layout: ratings.csv with movies.csv beside it.
import { dirname, join } from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import { createColumns, createIdSpace, itemMetaFor, toInteractionData, type MetaEntry } from './columns';
import { parseCsvRecord, splitCsvLine } from './csv';
import { DatasetError, show } from './errors';
import { datasetName } from './naming';
import { readRatings, type RatingsLayout } from './ratingsFile';
import { pathKind, readLines } from './textFile';

const RATINGS: RatingsLayout = {
  names: ['userId', 'movieId', 'rating', 'timestamp'],
  split: splitCsvLine,
  columnCounts: [4],
  header: 'optional',
  exactHeader: 'userId,movieId,rating,timestamp',
};

const MOVIES_HEADER = 'movieId,title,genres';
const NO_GENRES = '(no genres listed)';

/** Parse movies.csv (quoted titles, pipe-separated genres) into metadata by movieId. */
export async function readMovieLensCsvMovies(file: string): Promise<Map<string, MetaEntry>> {
  const lines = await readLines(file, 'utf8');
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

/** Load ratings.csv, with titles and genres from movies.csv when that file is beside it. */
export async function loadMovieLensLatest(file: string, name = datasetName(file)): Promise<InteractionData> {
  const space = createIdSpace();
  const cols = createColumns();
  await readRatings(file, RATINGS, space, cols);
  const moviesFile = join(dirname(file), 'movies.csv');
  if ((await pathKind(moviesFile)) === undefined) return toInteractionData(name, space, cols);
  const movies = await readMovieLensCsvMovies(moviesFile);
  return toInteractionData(name, space, cols, itemMetaFor(space.itemIds, movies));
}
