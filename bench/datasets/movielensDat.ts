// MovieLens 1M / 10M layout: "::"-separated ratings.dat with movies.dat beside it.
import { dirname, join } from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import { createColumns, createIdSpace, itemMetaFor, toInteractionData, type MetaEntry } from './columns';
import { DatasetError } from './errors';
import { datasetName } from './naming';
import { readRatings, type RatingsLayout } from './ratingsFile';
import { pathKind, readLines } from './textFile';

const RATINGS: RatingsLayout = {
  names: ['UserID', 'MovieID', 'Rating', 'Timestamp'],
  split: (line) => line.split('::'),
  columnCounts: [4],
  header: 'none',
};

/** Parse movies.dat (MovieID::Title::Genres; 1M is Latin-1, 10M UTF-8) into metadata by MovieID. */
export async function readMovieLensDatMovies(file: string): Promise<Map<string, MetaEntry>> {
  const lines = await readLines(file, 'auto');
  const movies = new Map<string, MetaEntry>();
  const firstLine = new Map<string, number>();
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    // Split at the first and last separator so a title containing "::" cannot shift the genres.
    const a = line.indexOf('::');
    const b = line.lastIndexOf('::');
    if (a === -1 || a === b) throw new DatasetError(file, n + 1, '3 fields (MovieID::Title::Genres)', String(line.split('::').length));
    const id = line.slice(0, a);
    if (id === '') throw new DatasetError(file, n + 1, 'a MovieID', 'an empty field');
    const seen = firstLine.get(id);
    if (seen !== undefined) throw new DatasetError(file, n + 1, 'each MovieID once', `MovieID ${id} again (first on line ${seen})`);
    firstLine.set(id, n + 1);
    const genres = line.slice(b + 2);
    movies.set(id, {
      title: line.slice(a + 2, b),
      categories: genres === '(no genres listed)' ? [] : genres.split('|').filter((g) => g !== ''),
    });
  }
  if (movies.size === 0) throw new DatasetError(file, undefined, 'at least one movie', 'an empty file');
  return movies;
}

/** Load ratings.dat, with titles and genres from movies.dat when that file is beside it. */
export async function loadMovieLensDat(file: string, name = datasetName(file)): Promise<InteractionData> {
  const space = createIdSpace();
  const cols = createColumns();
  await readRatings(file, RATINGS, space, cols);
  const moviesFile = join(dirname(file), 'movies.dat');
  if ((await pathKind(moviesFile)) === undefined) return toInteractionData(name, space, cols);
  return toInteractionData(name, space, cols, itemMetaFor(space.itemIds, await readMovieLensDatMovies(moviesFile)));
}
