// Tests for format detection from file names, folders and explicit formats.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_FORMATS, formatOfFileName, isDatasetFormat, loadDataset, resolveDataset } from '../../../bench/datasets/index';
import { lines, scratch, type Scratch } from './fixtures';

let s: Scratch;
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  await s.cleanup();
});

describe('formatOfFileName', () => {
  it.each([
    ['data/ml-100k/u.data', 'ml-100k'],
    ['ml-100k/u3.base', 'ml-100k'],
    ['ml-100k/ub.test', 'ml-100k'],
    ['ml-1m/ratings.dat', 'ml-1m'],
    ['ml-10M100K/ratings.dat', 'ml-1m'],
    ['ml-latest-small/ratings.csv', 'ml-latest'],
    ['exports/plays.csv', 'csv'],
    ['exports/PLAYS.CSV', 'csv'],
    ['ml-1m/movies.dat', undefined],
    ['notes.txt', undefined],
    ['u6.base', undefined],
  ])('%s -> %s', (file, format) => {
    expect(formatOfFileName(file)).toBe(format);
  });
});

describe('resolveDataset', () => {
  it.each([
    [{ 'u.data': '' }, 'u.data', 'ml-100k'],
    [{ 'ratings.dat': '' }, 'ratings.dat', 'ml-1m'],
    [{ 'ratings.csv': '' }, 'ratings.csv', 'ml-latest'],
    // u.data wins over ratings.csv when a folder somehow holds both.
    [{ 'ratings.csv': '', 'u.data': '' }, 'u.data', 'ml-100k'],
  ])('finds the ratings file inside a folder (%j)', async (files, file, format) => {
    const dir = await s.write(files);
    expect(await resolveDataset(dir)).toEqual({ file: join(dir, file), format });
  });

  it('lets an explicit format override the file name', async () => {
    const dir = await s.write({ 'ratings.csv': '', 'weird.txt': '' });
    expect(await resolveDataset(join(dir, 'ratings.csv'), 'csv')).toEqual({ file: join(dir, 'ratings.csv'), format: 'csv' });
    expect(await resolveDataset(join(dir, 'weird.txt'), 'ml-1m')).toEqual({ file: join(dir, 'weird.txt'), format: 'ml-1m' });
    expect(await resolveDataset(dir, 'csv')).toEqual({ file: join(dir, 'ratings.csv'), format: 'csv' });
  });

  it('knows exactly the four formats', () => {
    expect(DATASET_FORMATS).toEqual(['ml-100k', 'ml-1m', 'ml-latest', 'csv']);
    expect(DATASET_FORMATS.every(isDatasetFormat)).toBe(true);
    expect(isDatasetFormat('ml-10m')).toBe(false);
  });
});

describe('loadDataset', () => {
  it('parses a ratings.csv as generic CSV when told to (a header with other names is then fine)', async () => {
    const dir = await s.write({ 'ratings.csv': lines('u,i,r,t', 'a,b,1,2') }, 'renamed');
    await expect(loadDataset(join(dir, 'ratings.csv'))).rejects.toThrow(/expected the header userId,movieId,rating,timestamp/);
    const d = await loadDataset(join(dir, 'ratings.csv'), { format: 'csv' });
    expect([d.name, d.users, d.items, d.userIds[0], d.timestamp[0]]).toEqual(['renamed', 1, 1, 'a', 2]);
  });

  it('loads from a folder with a name override', async () => {
    const dir = await s.write({ 'u.data': lines('1\t2\t3\t4') });
    const d = await loadDataset(dir, { name: 'tiny' });
    expect([d.name, d.users, d.items, d.value[0]]).toEqual(['tiny', 1, 1, 3]);
  });
});
