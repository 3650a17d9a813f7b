// MovieLens 100K layout: tab-separated u.data (and the u1..u5/ua/ub splits), u.item and u.genre beside them.
import { basename, dirname, join, resolve } from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import { createColumns, createIdSpace, itemMetaFor, toInteractionData, type MetaEntry } from './columns';
import { DatasetError, show } from './errors';
import { datasetName } from './naming';
import { readRatings, type RatingsLayout } from './ratingsFile';
import { pathKind, readLines } from './textFile';

const RATINGS: RatingsLayout = {
  names: ['user id', 'item id', 'rating', 'timestamp'],
  split: (line) => line.split('\t'),
  columnCounts: [4],
  header: 'none',
};

/** Genre names in u.item's flag order, used when u.genre is absent. */
export const ML100K_GENRES: readonly string[] = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
];

/** The predefined folds: u1..u5 (5-fold cross-validation) and ua/ub (10 test ratings per user). */
export type MovieLens100kFold = 1 | 2 | 3 | 4 | 5 | 'a' | 'b';

/** Genre names from u.genre ("name|index" lines), or the standard 19 when the file is absent. */
export async function readMovieLens100kGenres(dir: string): Promise<readonly string[]> {
  const file = join(dir, 'u.genre');
  if ((await pathKind(file)) === undefined) return ML100K_GENRES;
  const names: string[] = [];
  const lines = await readLines(file, 'latin1');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const f = line.split('|');
    if (f.length !== 2) throw new DatasetError(file, n + 1, '2 fields (name|index)', String(f.length));
    if (f[1] !== String(names.length)) throw new DatasetError(file, n + 1, `genre index ${names.length}`, show(f[1]!));
    names.push(f[0]!);
  }
  if (names.length === 0) throw new DatasetError(file, undefined, 'at least one genre', 'an empty file');
  return names;
}

/** Parse u.item (Latin-1, id|title|release|video release|url|one 0/1 flag per genre) into metadata by item id. */
export async function readMovieLens100kItems(file: string, genres: readonly string[]): Promise<Map<string, MetaEntry>> {
  const lines = await readLines(file, 'latin1');
  const items = new Map<string, MetaEntry>();
  const firstLine = new Map<string, number>();
  const columns = 5 + genres.length;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const f = line.split('|');
    if (f.length !== columns) {
      throw new DatasetError(file, n + 1, `${columns} columns (id|title|release date|video release date|url|${genres.length} genre flags)`, String(f.length));
    }
    const id = f[0]!;
    if (id === '') throw new DatasetError(file, n + 1, 'a movie id', 'an empty field');
    const seen = firstLine.get(id);
    if (seen !== undefined) throw new DatasetError(file, n + 1, 'each movie id once', `movie id ${id} again (first on line ${seen})`);
    firstLine.set(id, n + 1);
    const categories: string[] = [];
    for (let g = 0; g < genres.length; g++) {
      const flag = f[5 + g]!;
      if (flag === '1') categories.push(genres[g]!);
      else if (flag !== '0') throw new DatasetError(file, n + 1, `0 or 1 for genre ${genres[g]} (column ${6 + g})`, show(flag));
    }
    items.set(id, { title: f[1]!, categories });
  }
  if (items.size === 0) throw new DatasetError(file, undefined, 'at least one movie', 'an empty file');
  return items;
}

async function metadataBeside(dir: string): Promise<Map<string, MetaEntry> | undefined> {
  const itemFile = join(dir, 'u.item');
  if ((await pathKind(itemFile)) === undefined) return undefined;
  return readMovieLens100kItems(itemFile, await readMovieLens100kGenres(dir));
}

/** Load u.data (or any file in its layout), with titles and genres from u.item when that file is beside it. */
export async function loadMovieLens100k(file: string, name = datasetName(file)): Promise<InteractionData> {
  const space = createIdSpace();
  const cols = createColumns();
  await readRatings(file, RATINGS, space, cols);
  const meta = await metadataBeside(dirname(file));
  return toInteractionData(name, space, cols, meta && itemMetaFor(space.itemIds, meta));
}

/**
 * Load a predefined split (u1.base/u1.test … u5, ua, ub) from the ML-100K folder. Train and test share one id space
 * (train ids first, in order of appearance, then ids seen only in test), so both report the same users/items counts.
 */
export async function loadMovieLens100kSplit(
  dir: string,
  fold: MovieLens100kFold,
  name = basename(resolve(dir)),
): Promise<{ train: InteractionData; test: InteractionData }> {
  const space = createIdSpace();
  const trainCols = createColumns();
  const testCols = createColumns();
  await readRatings(join(dir, `u${fold}.base`), RATINGS, space, trainCols);
  await readRatings(join(dir, `u${fold}.test`), RATINGS, space, testCols);
  const meta = await metadataBeside(dir);
  const itemMeta = meta && itemMetaFor(space.itemIds, meta);
  return {
    train: toInteractionData(`${name} u${fold}.base`, space, trainCols, itemMeta),
    test: toInteractionData(`${name} u${fold}.test`, space, testCols, itemMeta),
  };
}
