// When npm start rebuilds the app: no build, or any source newer than the last build's stamp.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STAMP, staleReason } from '../../launcher/build';

const root = mkdtempSync(join(tmpdir(), 'confidant-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

describe('staleReason', () => {
  const app = join(root, 'dist');
  const sources = ['index.html', 'client'];
  mkdirSync(join(root, 'client', 'app'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  writeFileSync(join(root, 'client', 'app', 'main.ts'), '');

  it('no build at all', () => {
    expect(staleReason(app, root, sources)).toBe('there is no build yet');
  });

  it('a build newer than every source is current; a source changed after it is named', () => {
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'index.html'), '');
    writeFileSync(join(app, STAMP), '');
    for (const p of [join(root, 'index.html'), join(root, 'client'), join(root, 'client', 'app'), join(root, 'client', 'app', 'main.ts')]) at(p, 1_000);
    at(join(app, STAMP), 2_000);
    expect(staleReason(app, root, sources)).toBeUndefined();
    at(join(root, 'client', 'app', 'main.ts'), 3_000);
    expect(staleReason(app, root, sources)).toBe('client changed since the last build');
  });

  it('a build whose index.html is missing is no build', () => {
    rmSync(join(app, 'index.html'));
    expect(staleReason(app, root, sources)).toBe('there is no build yet');
  });
});
