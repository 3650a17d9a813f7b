// MovieLens "latest" (and 20M/25M/32M) layout: ratings.csv with movies.csv beside it.
import { dirname, join } from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import { createColumns, createIdSpace, itemMetaFor, toInteractionData, type MetaEntry } from './columns';
import { splitCsvLine } from '../../shared/data/csv';
import { parseMovieLensMovies } from '../../shared/data/movielens-movies';
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


/** Read movies.csv (quoted titles, pipe-separated genres) into metadata by movieId, in file order. */
export async function readMovieLensCsvMovies(file: string): Promise<Map<string, MetaEntry>> {
  return parseMovieLensMovies(await readLines(file, 'utf8'), file);
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
