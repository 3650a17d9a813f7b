// The catalogue loader: the vendored file in file order; a bad file is a DatasetError naming file and line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE, loadCatalogue } from '../../../server/catalogue/catalogue';
import { DatasetError } from '../../../shared/data/dataset-error';

const dir = mkdtempSync(join(tmpdir(), 'confidant-catalogue-'));

describe('loadCatalogue', () => {
  it('reads the vendored MovieLens catalogue in file order with titles and genres', async () => {
    const items = await loadCatalogue(DEFAULT_CATALOGUE);
    expect(items).toHaveLength(9742);
    expect(items[0]).toEqual({ externalId: '1', title: 'Toy Story (1995)', categories: ['Adventure', 'Animation', 'Children', 'Comedy', 'Fantasy'] });
  });

  it('keeps quoted titles with commas, handles a BOM and CRLF, and maps "(no genres listed)" to none', async () => {
    const file = join(dir, 'ok.csv');
    writeFileSync(file, '\uFEFFmovieId,title,genres\r\n7,"American President, The (1995)",Comedy|Drama|Romance\r\n9,Untitled,(no genres listed)\r\n');
    expect(await loadCatalogue(file)).toEqual([
      { externalId: '7', title: 'American President, The (1995)', categories: ['Comedy', 'Drama', 'Romance'] },
      { externalId: '9', title: 'Untitled', categories: [] },
    ]);
  });

  it.each([
    ['wrong header', 'id,name\n1,x\n', /line 1: expected the header movieId,title,genres/],
    ['repeated id', 'movieId,title,genres\n1,a,Drama\n1,b,Drama\n', /line 3: expected each movieId once, got movieId 1 again \(first on line 2\)/],
    ['missing column', 'movieId,title,genres\n1,a\n', /line 2: expected 3 columns/],
    ['empty', '', /expected at least one movie, got an empty file/],
  ])('refuses a file with a %s', async (_name, text, message) => {
    const file = join(dir, `${_name}.csv`);
    writeFileSync(file, text);
    await expect(loadCatalogue(file)).rejects.toThrow(DatasetError);
    await expect(loadCatalogue(file)).rejects.toThrow(message);
  });

  it('names a missing file and a directory', async () => {
    await expect(loadCatalogue(join(dir, 'nope.csv'))).rejects.toThrow(/nope\.csv: expected an existing file, got no such file or directory/);
    await expect(loadCatalogue(dir)).rejects.toThrow(/expected a file, got a directory/);
  });
});
