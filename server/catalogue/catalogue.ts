// The shop's item catalogue (public: titles and categories, never anyone's data), read from a MovieLens movies.csv.
// Its order is the item order of every model the server trains: item i of the table is catalogue entry i.
import { readFile } from 'node:fs/promises';
import type { ItemMeta } from '../../shared/data/interactions';
import { DatasetError } from '../../shared/data/dataset-error';
import { parseMovieLensMovies } from '../../shared/data/movielens-movies';

/** The vendored MovieLens latest-small catalogue, the default of `npm start`. */
export const DEFAULT_CATALOGUE = new URL('../../data/ml-latest-small/movies.csv', import.meta.url);

/** Read a catalogue file; a missing or malformed file is a DatasetError naming the file (and line). */
export async function loadCatalogue(file: string | URL): Promise<ItemMeta[]> {
  const name = typeof file === 'string' ? file : file.pathname;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(name, undefined, 'an existing file', 'no such file or directory');
    if (code === 'EISDIR') throw new DatasetError(name, undefined, 'a file', 'a directory');
    if (code === 'EACCES') throw new DatasetError(name, undefined, 'a readable file', 'permission denied');
    throw err;
  }
  const movies = parseMovieLensMovies(text.replace(/^\uFEFF/, '').split(/\r?\n/), name);
  for (const id of movies.keys()) {
    // The API names items by these ids as JSON numbers: they must be exact integers.
    if (!/^[0-9]{1,16}$/.test(id) || !Number.isSafeInteger(Number(id))) throw new DatasetError(name, undefined, 'movieIds that are whole numbers below 2^53', `movieId ${JSON.stringify(id.slice(0, 40))}`);
  }
  return [...movies].map(([externalId, m]) => ({ externalId, title: m.title, categories: m.categories }));
}
