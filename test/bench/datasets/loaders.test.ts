// Tests for each dataset loader on tiny hand-made files: exact ids, values, timestamps and metadata.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadCsvInteractions,
  loadDataset,
  loadMovieLens100k,
  loadMovieLens100kSplit,
  loadMovieLensDat,
  loadMovieLensLatest,
} from '../../../bench/datasets/index';
import type { InteractionData } from '../../../shared/data/interactions';
import { lines, scratch, type Scratch } from './fixtures';
import { join } from 'node:path';

let s: Scratch;
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  await s.cleanup();
});

/** Rows as [userExternal, itemExternal, value, timestamp] for readable assertions. */
function rows(d: InteractionData): [string, string, number, number][] {
  return Array.from(d.user, (u, n) => [d.userIds[u]!, d.itemIds[d.item[n]!]!, d.value[n]!, d.timestamp[n]!]);
}

function flags(...on: number[]): string {
  return Array.from({ length: 19 }, (_, g) => (on.includes(g) ? '1' : '0')).join('|');
}

describe('MovieLens 100K', () => {
  const uData = lines('196\t242\t3\t881250949', '186\t302\t3\t891717742', '196\t377\t1\t878887116', '22\t242\t5\t878887117');
  const uItem = Buffer.from(
    lines(
      `242|Kolya (1996)|24-Jan-1997||http://x|${flags(5)}`,
      `302|L.A. Confidential (1997)|01-Jan-1997||http://x|${flags(6, 10, 11, 16)}`,
      `377|Caf\u00e9 (1994)|01-Jan-1994||http://x|${flags(0)}`,
    ),
    'latin1',
  );

  it('assigns dense ids in order of first appearance and keeps external ids', async () => {
    const dir = await s.write({ 'u.data': uData, 'u.item': uItem }, 'ml-100k');
    const d = await loadMovieLens100k(join(dir, 'u.data'));
    expect(d.name).toBe('ml-100k');
    expect([d.users, d.items]).toEqual([3, 3]);
    expect(d.userIds).toEqual(['196', '186', '22']);
    expect(d.itemIds).toEqual(['242', '302', '377']);
    expect(Array.from(d.user)).toEqual([0, 1, 0, 2]);
    expect(Array.from(d.item)).toEqual([0, 1, 2, 0]);
    expect(rows(d)[3]).toEqual(['22', '242', 5, 878887117]);
  });

  it('reads Latin-1 titles and genre flags with the standard names when u.genre is absent', async () => {
    const dir = await s.write({ 'u.data': uData, 'u.item': uItem });
    const d = await loadMovieLens100k(join(dir, 'u.data'));
    expect(d.itemMeta).toEqual([
      { externalId: '242', title: 'Kolya (1996)', categories: ['Comedy'] },
      { externalId: '302', title: 'L.A. Confidential (1997)', categories: ['Crime', 'Film-Noir', 'Horror', 'Thriller'] },
      { externalId: '377', title: 'Caf\u00e9 (1994)', categories: ['unknown'] },
    ]);
  });

  it('takes genre names from u.genre when present', async () => {
    const names = Array.from({ length: 19 }, (_, g) => `G${g}`);
    const dir = await s.write({ 'u.data': uData, 'u.item': uItem, 'u.genre': lines(...names.map((n, g) => `${n}|${g}`), '') });
    const d = await loadMovieLens100k(join(dir, 'u.data'));
    expect(d.itemMeta?.[0]?.categories).toEqual(['G5']);
  });

  it('loads without metadata when u.item is absent', async () => {
    const dir = await s.write({ 'u.data': uData });
    expect((await loadMovieLens100k(join(dir, 'u.data'))).itemMeta).toBeUndefined();
  });

  it('loads a predefined split into train and test sharing one id space', async () => {
    const dir = await s.write(
      {
        'u1.base': lines('1\t10\t4\t100', '2\t20\t3\t101', '1\t20\t5\t102'),
        'u1.test': lines('3\t10\t2\t103', '2\t30\t1\t104'),
        'u.item': lines(`10|Ten|||x|${flags(1)}`, `20|Twenty|||x|${flags(2)}`, `30|Thirty|||x|${flags(3)}`),
      },
      'ml-100k-split',
    );
    const { train, test } = await loadMovieLens100kSplit(dir, 1);
    expect(train.name).toBe('ml-100k-split u1.base');
    expect(test.name).toBe('ml-100k-split u1.test');
    for (const d of [train, test]) {
      expect([d.users, d.items]).toEqual([3, 3]);
      expect(d.userIds).toEqual(['1', '2', '3']);
      expect(d.itemIds).toEqual(['10', '20', '30']);
      expect(d.itemMeta?.map((m) => m.title)).toEqual(['Ten', 'Twenty', 'Thirty']);
    }
    expect(rows(train)).toEqual([['1', '10', 4, 100], ['2', '20', 3, 101], ['1', '20', 5, 102]]);
    expect(Array.from(test.user)).toEqual([2, 1]);
    expect(Array.from(test.item)).toEqual([0, 2]);
  });
});

describe('MovieLens 1M / 10M', () => {
  const ratings = lines('1::1193::5::978300760', '1::661::3::978302109', '2::1193::4.5::978298413');

  it('reads ratings.dat and a Latin-1 movies.dat (1M)', async () => {
    const movies = Buffer.from(lines('1193::One Flew Over the Cuckoo\'s Nest (1975)::Drama', '661::Fête (1996)::Animation|Children\'s|Musical'), 'latin1');
    const dir = await s.write({ 'ratings.dat': ratings, 'movies.dat': movies }, 'ml-1m');
    const d = await loadMovieLensDat(join(dir, 'ratings.dat'));
    expect(d.name).toBe('ml-1m');
    expect(rows(d)).toEqual([['1', '1193', 5, 978300760], ['1', '661', 3, 978302109], ['2', '1193', 4.5, 978298413]]);
    expect(d.itemMeta).toEqual([
      { externalId: '1193', title: "One Flew Over the Cuckoo's Nest (1975)", categories: ['Drama'] },
      { externalId: '661', title: 'Fête (1996)', categories: ['Animation', "Children's", 'Musical'] },
    ]);
  });

  it('reads a UTF-8 movies.dat (10M) and "(no genres listed)" as no categories', async () => {
    const movies = lines('1193::Amélie (2001)::(no genres listed)', '661::Crouching Tiger :: Hidden Dragon (2000)::Action|Drama');
    const dir = await s.write({ 'ratings.dat': ratings, 'movies.dat': movies });
    const d = await loadMovieLensDat(join(dir, 'ratings.dat'));
    expect(d.itemMeta).toEqual([
      { externalId: '1193', title: 'Amélie (2001)', categories: [] },
      { externalId: '661', title: 'Crouching Tiger :: Hidden Dragon (2000)', categories: ['Action', 'Drama'] },
    ]);
  });
});

describe('MovieLens latest', () => {
  it('reads ratings.csv and movies.csv with quoted titles, doubled quotes and genre lists', async () => {
    const dir = await s.write(
      {
        'ratings.csv': lines('userId,movieId,rating,timestamp', '1,11,4.0,964982703', '1,7789,0.5,964981247', '5,11,3.5,847434962', '5,99,2,847434963'),
        'movies.csv': lines(
          'movieId,title,genres',
          '11,"American President, The (1995)",Comedy|Drama|Romance',
          '7789,"11\'09""01 - September 11 (2002)",(no genres listed)',
          '12,Unrated (1999),Drama',
        ),
      },
      'ml-latest-tiny',
    );
    const d = await loadMovieLensLatest(join(dir, 'ratings.csv'));
    expect(d.name).toBe('ml-latest-tiny');
    expect(rows(d)).toEqual([['1', '11', 4, 964982703], ['1', '7789', 0.5, 964981247], ['5', '11', 3.5, 847434962], ['5', '99', 2, 847434963]]);
    expect(d.itemMeta).toEqual([
      { externalId: '11', title: 'American President, The (1995)', categories: ['Comedy', 'Drama', 'Romance'] },
      { externalId: '7789', title: '11\'09"01 - September 11 (2002)', categories: [] },
      // Rated but missing from movies.csv: a placeholder keeps itemMeta indexable by dense id.
      { externalId: '99', title: 'Item 99', categories: [] },
    ]);
  });

  it('tolerates CRLF line endings, a BOM and blank lines', async () => {
    const dir = await s.write({ 'ratings.csv': '\ufeffuserId,movieId,rating,timestamp\r\n1,2,3,4\r\n\r\n5,6,7,8\r\n' });
    const d = await loadMovieLensLatest(join(dir, 'ratings.csv'));
    expect(rows(d)).toEqual([['1', '2', 3, 4], ['5', '6', 7, 8]]);
    expect(d.itemMeta).toBeUndefined();
  });

  it('accepts a title spanning two lines inside quotes', async () => {
    const dir = await s.write({
      'ratings.csv': lines('userId,movieId,rating,timestamp', '1,2,3,4'),
      'movies.csv': lines('movieId,title,genres', '2,"Line one', 'line two (2000)",Drama'),
    });
    expect((await loadMovieLensLatest(join(dir, 'ratings.csv'))).itemMeta?.[0]?.title).toBe('Line one\nline two (2000)');
  });
});

describe('generic CSV', () => {
  it.each([
    ['with a header', lines('who,what,score,when', 'alice,x,1.5,10', 'bob,y,-2,11', 'alice,y,0,12'), [10, 11, 12]],
    ['without a header', lines('alice,x,1.5,10', 'bob,y,-2,11', 'alice,y,0,12'), [10, 11, 12]],
    ['with three columns', lines('alice,x,1.5', 'bob,y,-2', 'alice,y,0'), [0, 0, 0]],
    ['with quoted ids', lines('"alice",x,1.5', '"bob",y,-2', 'alice,"y",0'), [0, 0, 0]],
  ])('reads a file %s', async (_, text, timestamps) => {
    const dir = await s.write({ 'plays.csv': text });
    const d = await loadCsvInteractions(join(dir, 'plays.csv'));
    expect(d.name).toBe('plays');
    expect(d.userIds).toEqual(['alice', 'bob']);
    expect(d.itemIds).toEqual(['x', 'y']);
    expect(Array.from(d.user)).toEqual([0, 1, 0]);
    expect(Array.from(d.item)).toEqual([0, 1, 1]);
    expect(Array.from(d.value)).toEqual([1.5, -2, 0]);
    expect(Array.from(d.timestamp)).toEqual(timestamps);
    expect(d.itemMeta).toBeUndefined();
  });

  it('grows its columns past the initial capacity', async () => {
    const many = Array.from({ length: 70_000 }, (_, n) => `${n % 700},${n % 13},${n % 5},${n}`);
    const dir = await s.write({ 'big.csv': lines(...many) });
    const d = await loadDataset(join(dir, 'big.csv'), { name: 'big' });
    expect([d.name, d.users, d.items, d.user.length]).toEqual(['big', 700, 13, 70_000]);
    expect(d.timestamp[69_999]).toBe(69_999);
    expect(d.value[69_999]).toBe(69_999 % 5);
  });
});
