// Tests that every kind of bad input stops with a DatasetError naming the file, the line and what was expected.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, loadDataset, loadMovieLens100kSplit, type DatasetFormat } from '../../../bench/datasets/index';
import { lines, scratch, type Scratch } from './fixtures';

let s: Scratch;
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  await s.cleanup();
});

interface BadCase {
  what: string;
  files: Record<string, string | Buffer>;
  /** What to load, relative to the case folder ('' = the folder). */
  path: string;
  format?: string;
  /** The file the error must name (relative to the case folder) and its line. */
  file: string;
  line: number | undefined;
  /** Text the message must contain after "<file>[ line N]: ". */
  message: string;
}

const H = 'userId,movieId,rating,timestamp';
const MOVIES = lines('movieId,title,genres', '1,Toy Story (1995),Animation');
const flags = Array.from({ length: 19 }, () => '0').join('|');

const cases: BadCase[] = [
  { what: 'a missing file', files: {}, path: 'ratings.csv', file: 'ratings.csv', line: undefined, message: 'expected an existing file or directory, got no such file or directory' },
  { what: 'a folder with no known ratings file', files: { 'notes.txt': 'x' }, path: '', file: '', line: undefined, message: 'expected a directory containing u.data, ratings.dat or ratings.csv, got none of them' },
  { what: 'a folder without the file of an explicit format', files: { 'u.data': 'x' }, path: '', format: 'ml-1m', file: '', line: undefined, message: 'expected a directory containing ratings.dat (format ml-1m)' },
  { what: 'an unknown format string', files: { 'ratings.csv': '' }, path: 'ratings.csv', format: 'ml-20m', file: 'ratings.csv', line: undefined, message: 'expected a format among ml-100k, ml-1m, ml-latest, csv, got "ml-20m"' },
  { what: 'a file name that says nothing', files: { 'ratings.txt': '' }, path: 'ratings.txt', file: 'ratings.txt', line: undefined, message: 'or an explicit format (ml-100k, ml-1m, ml-latest, csv), got "ratings.txt"' },
  { what: 'too few columns', files: { 'ratings.csv': lines(H, '1,1,4,5', '1,2,4') }, path: 'ratings.csv', file: 'ratings.csv', line: 3, message: 'expected 4 columns (userId,movieId,rating,timestamp), got 3' },
  { what: 'too many columns', files: { 'ratings.csv': lines(H, '1,2,4,5,6') }, path: 'ratings.csv', file: 'ratings.csv', line: 2, message: 'expected 4 columns (userId,movieId,rating,timestamp), got 5' },
  { what: 'a non-numeric rating', files: { 'ratings.csv': lines(H, '1,1,4,5', '', '1,2,four,5') }, path: 'ratings.csv', file: 'ratings.csv', line: 4, message: 'expected a numeric rating, got "four"' },
  { what: 'a blank rating', files: { 'ratings.csv': lines(H, '1,1, ,5') }, path: 'ratings.csv', file: 'ratings.csv', line: 2, message: 'expected a numeric rating, got " "' },
  { what: 'a non-numeric timestamp', files: { 'ratings.csv': lines(H, '1,1,4,2001-01-01') }, path: 'ratings.csv', file: 'ratings.csv', line: 2, message: 'expected a numeric timestamp, got "2001-01-01"' },
  { what: 'an infinite rating', files: { 'ratings.csv': lines(H, '1,1,Infinity,5') }, path: 'ratings.csv', file: 'ratings.csv', line: 2, message: 'expected a finite rating, got "Infinity"' },
  { what: 'an overflowing timestamp', files: { 'ratings.csv': lines(H, '1,1,4,1e999') }, path: 'ratings.csv', file: 'ratings.csv', line: 2, message: 'expected a finite timestamp, got "1e999"' },
  { what: 'an empty user id', files: { 'ratings.csv': lines(H, ',1,4,5') }, path: 'ratings.csv', file: 'ratings.csv', line: 2, message: 'expected a userId, got an empty field' },
  { what: 'an empty file', files: { 'ratings.csv': '' }, path: 'ratings.csv', file: 'ratings.csv', line: undefined, message: 'expected at least one interaction, got no interactions' },
  { what: 'a header and nothing else', files: { 'ratings.csv': lines(H) }, path: 'ratings.csv', file: 'ratings.csv', line: undefined, message: 'got a header line and no interactions' },
  { what: 'a repeated header', files: { 'ratings.csv': lines(H, '1,1,4,5', H, '1,2,4,5') }, path: 'ratings.csv', file: 'ratings.csv', line: 3, message: 'expected a data row, got a repeated header line' },
  { what: 'a foreign header', files: { 'ratings.csv': lines('user,movie,stars,time', '1,1,4,5') }, path: 'ratings.csv', file: 'ratings.csv', line: 1, message: 'expected the header userId,movieId,rating,timestamp, got "user,movie,stars,time"' },
  { what: 'u.data with a missing column', files: { 'u.data': lines('1\t2\t3\t4', '1\t3\t4') }, path: 'u.data', file: 'u.data', line: 2, message: 'expected 4 columns (user id,item id,rating,timestamp), got 3' },
  { what: 'u.data separated by spaces', files: { 'u.data': lines('1 2 3 4') }, path: 'u.data', file: 'u.data', line: 1, message: 'expected 4 columns (user id,item id,rating,timestamp), got 1' },
  { what: 'ratings.dat with a bad rating', files: { 'ratings.dat': lines('1::2::3::4', '1::3::x::4') }, path: 'ratings.dat', file: 'ratings.dat', line: 2, message: 'expected a numeric Rating, got "x"' },
  { what: 'ratings.dat with commas', files: { 'ratings.dat': lines('1,2,3,4') }, path: 'ratings.dat', file: 'ratings.dat', line: 1, message: 'expected 4 columns (UserID,MovieID,Rating,Timestamp), got 1' },
  { what: 'a CSV with five columns', files: { 'x.csv': lines('a,b,1,2,3') }, path: 'x.csv', file: 'x.csv', line: 1, message: 'expected 3 or 4 columns (user,item,value[,timestamp]), got 5' },
  { what: 'a CSV changing its column count', files: { 'x.csv': lines('a,b,1,2', 'a,c,1') }, path: 'x.csv', file: 'x.csv', line: 2, message: 'expected 4 columns (user,item,value,timestamp), got 3' },
  { what: 'a CSV with a bad value under its own header', files: { 'x.csv': lines('who,what,score', 'a,b,high') }, path: 'x.csv', file: 'x.csv', line: 2, message: 'expected a numeric score, got "high"' },
  { what: 'a CSV with an open quote', files: { 'x.csv': lines('a,b,1', '"a,b,1') }, path: 'x.csv', file: 'x.csv', line: 2, message: 'expected a closing quote, got an unterminated quoted field' },
  { what: 'a CSV with a repeated header', files: { 'x.csv': lines('u,i,v', 'a,b,1', 'u,i,v') }, path: 'x.csv', file: 'x.csv', line: 3, message: 'expected a data row, got a repeated header line' },
  { what: 'a header-only CSV', files: { 'x.csv': lines('u,i,v') }, path: 'x.csv', file: 'x.csv', line: undefined, message: 'got a header line and no interactions' },
  // Metadata files get the same treatment.
  { what: 'movies.csv with a missing column', files: { 'ratings.csv': lines(H, '1,1,4,5'), 'movies.csv': lines('movieId,title,genres', '1,Toy Story (1995),Animation', '2,Jumanji (1995)') }, path: 'ratings.csv', file: 'movies.csv', line: 3, message: 'expected 3 columns (movieId,title,genres), got 2' },
  { what: 'movies.csv with an unquoted comma', files: { 'ratings.csv': lines(H, '1,1,4,5'), 'movies.csv': lines('movieId,title,genres', '1,American President, The (1995),Comedy') }, path: 'ratings.csv', file: 'movies.csv', line: 2, message: 'expected 3 columns (movieId,title,genres), got 4' },
  { what: 'movies.csv without its header', files: { 'ratings.csv': lines(H, '1,1,4,5'), 'movies.csv': lines('1,Toy Story (1995),Animation') }, path: 'ratings.csv', file: 'movies.csv', line: 1, message: 'expected the header movieId,title,genres' },
  { what: 'movies.csv with a repeated header', files: { 'ratings.csv': lines(H, '1,1,4,5'), 'movies.csv': MOVIES + lines('movieId,title,genres') }, path: 'ratings.csv', file: 'movies.csv', line: 3, message: 'expected a data row, got a repeated header line' },
  { what: 'movies.csv listing a movie twice', files: { 'ratings.csv': lines(H, '1,1,4,5'), 'movies.csv': MOVIES + lines('1,Toy Story again,Comedy') }, path: 'ratings.csv', file: 'movies.csv', line: 3, message: 'expected each movieId once, got movieId 1 again (first on line 2)' },
  { what: 'movies.csv with an open quote at the end', files: { 'ratings.csv': lines(H, '1,1,4,5'), 'movies.csv': MOVIES + lines('2,"Jumanji (1995),Adventure') }, path: 'ratings.csv', file: 'movies.csv', line: 3, message: 'expected a closing quote' },
  { what: 'a header-only movies.csv', files: { 'ratings.csv': lines(H, '1,1,4,5'), 'movies.csv': lines('movieId,title,genres') }, path: 'ratings.csv', file: 'movies.csv', line: undefined, message: 'expected at least one movie, got a header line and no movies' },
  { what: 'movies.dat with a missing field', files: { 'ratings.dat': lines('1::1::4::5'), 'movies.dat': lines('1::Toy Story (1995)::Animation', '2::Jumanji (1995)') }, path: 'ratings.dat', file: 'movies.dat', line: 2, message: 'expected 3 fields (MovieID::Title::Genres), got 2' },
  { what: 'an empty movies.dat', files: { 'ratings.dat': lines('1::1::4::5'), 'movies.dat': '' }, path: 'ratings.dat', file: 'movies.dat', line: undefined, message: 'expected at least one movie, got an empty file' },
  { what: 'u.item with too few genre flags', files: { 'u.data': lines('1\t1\t4\t5'), 'u.item': lines('1|Toy Story (1995)|01-Jan-1995||url|0|1') }, path: 'u.data', file: 'u.item', line: 1, message: 'expected 24 columns (id|title|release date|video release date|url|19 genre flags), got 7' },
  { what: 'u.item with a bad flag', files: { 'u.data': lines('1\t1\t4\t5'), 'u.item': lines(`1|Toy Story (1995)|01-Jan-1995||url|${flags.replace(/0$/, 'y')}`) }, path: 'u.data', file: 'u.item', line: 1, message: 'expected 0 or 1 for genre Western (column 24), got "y"' },
  { what: 'u.genre out of order', files: { 'u.data': lines('1\t1\t4\t5'), 'u.item': lines(`1|T|||url|${flags}`), 'u.genre': lines('unknown|0', 'Action|2') }, path: 'u.data', file: 'u.genre', line: 2, message: 'expected genre index 1, got "2"' },
];

describe.each(cases)('bad input: $what', (c) => {
  it(`stops with a DatasetError naming ${c.file || 'the folder'}${c.line === undefined ? '' : ` line ${c.line}`}`, async () => {
    const dir = await s.write(c.files);
    const err = await loadDataset(join(dir, c.path), { format: c.format as DatasetFormat | undefined }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatasetError);
    const e = err as DatasetError;
    expect(e.file).toBe(join(dir, c.file));
    expect(e.line).toBe(c.line);
    const where = c.line === undefined ? `${e.file}: ` : `${e.file} line ${c.line}: `;
    expect(e.message.startsWith(where)).toBe(true);
    expect(e.message).toContain(c.message);
    expect(e.message).toContain(`expected ${e.expected}`);
  });
});

describe('the split loader', () => {
  it('names a missing fold file', async () => {
    const dir = await s.write({ 'u1.base': lines('1\t1\t4\t5') });
    await expect(loadMovieLens100kSplit(dir, 1)).rejects.toThrow(`${join(dir, 'u1.test')}: expected an existing file, got no such file or directory`);
  });
});
