// writeFileAtomic: the file is whole, no temporary file is left (not even after a failure or beside a concurrent
// write), and the order on disk is write → fsync(file) → rename → fsync(directory), checked with the fsync recorder.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeResults } from '../../bench/results';
import { buildFsyncRecorder, readFsyncLog, recorderEnv } from '../crash/power-loss';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'confidant-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => join(dir, `case-${counter++}`);

describe('writeFileAtomic', () => {
  it.each([
    ['empty text', ''],
    ['text', 'hello\n'],
    ['1 MiB of bytes', Uint8Array.from({ length: 1 << 20 }, (_, n) => (n * 31) % 256)],
  ])('writes %s whole, into directories it creates, and leaves only the file', async (_name, contents) => {
    const target = join(freshDir(), 'nested', 'deeper', 'out.bin');
    await writeFileAtomic(target, contents);
    const expected = typeof contents === 'string' ? Buffer.from(contents) : Buffer.from(contents);
    expect(readFileSync(target).equals(expected)).toBe(true);
    expect(readdirSync(join(target, '..'))).toEqual(['out.bin']);
  });

  it('replaces an existing file', async () => {
    const target = join(freshDir(), 'results.json');
    await writeFileAtomic(target, 'old, and longer than the new content');
    await writeFileAtomic(target, 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(readdirSync(join(target, '..'))).toEqual(['results.json']);
  });

  it('gives concurrent writes of one file their own temporary files: the result is one of them, whole', async () => {
    const target = join(freshDir(), 'results.json');
    const versions = Array.from({ length: 8 }, (_, k) => `${String(k).repeat(100_000 + k)}\n`);
    await Promise.all(versions.map((v) => writeFileAtomic(target, v)));
    expect(versions).toContain(readFileSync(target, 'utf8'));
    expect(readdirSync(join(target, '..'))).toEqual(['results.json']);
  });

  it('removes its temporary file when the rename fails, and throws', async () => {
    const target = join(freshDir(), 'taken');
    mkdirSync(join(target, 'inside'), { recursive: true }); // a non-empty directory cannot be renamed over
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect(readdirSync(join(target, '..'))).toEqual(['taken']);
  });

  it('writeResults writes results.json as pretty JSON with a final newline', async () => {
    const out = freshDir();
    const file = await writeResults(out, { experiment: 'x', n: [1, 2] });
    expect(file).toBe(join(out, 'results.json'));
    expect(readFileSync(file, 'utf8')).toBe('{\n  "experiment": "x",\n  "n": [\n    1,\n    2\n  ]\n}\n');
  });

  it('fsyncs the file before the rename and its directory after (and each directory it created, in its parent)', () => {
    const shim = buildFsyncRecorder(dir);
    const log = join(dir, 'fsyncs');
    writeFileSync(log, '');
    const base = freshDir();
    mkdirSync(base);
    const target = join(base, 'made', 'out.json');
    const script = "const { writeFileAtomic } = await import('./bench/results.ts'); await writeFileAtomic(process.argv[1], 'done');";
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, target], { cwd: ROOT, env: { ...process.env, ...recorderEnv(shim, log) } });
    const synced = readFsyncLog(log).map((r) => r.path.replace(`${base}/`, ''));
    expect(readFileSync(target, 'utf8')).toBe('done');
    // The temporary file (named before its rename), then the new directory's entry in base, then the file's entry.
    expect(synced).toEqual([expect.stringMatching(/^made\/\.out\.json\.[0-9]+\.[0-9a-f-]+\.tmp$/), base, 'made']);
  });
});
