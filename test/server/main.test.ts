// `npm start` end to end: a bad flag is one line and exit 1; a good start serves, creates its data dir and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'confidant-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], { cwd: root, env: { ...process.env, PORT: '', CONFIDANT_DATA_DIR: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('server/main.ts', () => {
  it('a bad port is one clear line on stderr and exit code 1', async () => {
    const p = run(['--port', 'http']);
    expect(await p.exited).toBe(1);
    expect(p.err().trim().split('\n')).toEqual(['confidant: --port must be an integer in 0..65535, got "http"']);
  });

  it('starts on port 0 with a fresh data dir, serves /v1/health, and exits 0 on SIGTERM', async () => {
    const dataDir = join(dir, 'fresh', 'nested');
    const p = run(['--port', '0', '--data-dir', dataDir, '--log-level', 'info']);
    const url = await new Promise<string>((resolve, reject) => {
      p.child.stdout.on('data', () => {
        const m = /"url":"(http:\/\/[^"]+)"/.exec(p.out());
        if (m) resolve(m[1]!);
      });
      void p.exited.then((code) => reject(new Error(`exited ${code}: ${p.err()}`)));
    });
    try {
      expect(await (await fetch(`${url}/v1/health`)).json()).toEqual({ status: 'ok' });
      expect(existsSync(join(dataDir, 'confidant.sqlite'))).toBe(true);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });
});
