// `npm start` (the launcher) as a process: --help, a bad flag, and a start that serves the built app at / beside the
// API, runs a demo fleet in a child process whose devices train the model, and says so on the model card.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { transparencyResponseSchema } from '../../shared/protocol/http';
import { ROOT, startLauncher } from '../e2e/launch';

const dir = mkdtempSync(join(tmpdir(), 'confidant-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'launcher/main.ts', ...args], { cwd: ROOT, env: { ...process.env, PORT: '', CONFIDANT_DATA_DIR: '', CONFIDANT_DEMO_DEVICES: '' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { exited: new Promise<number | null>((resolve) => child.on('exit', resolve)), out: () => out, err: () => err };
}

describe('npm start', () => {
  it('--help prints the server\'s options and the launcher\'s, and exits 0', async () => {
    const p = run(['--help']);
    expect(await p.exited).toBe(0);
    expect(p.out()).toMatch(/^usage: npm start -- \[options\]/);
    expect(p.out()).toContain('--rate-limit N');
    expect(p.out()).toContain('--demo-devices N');
  });

  it('a bad --demo-devices is one line on stderr and exit 1', async () => {
    const p = run(['--demo-devices', '-3']);
    expect(await p.exited).toBe(1);
    expect(p.err().trim().split('\n')).toEqual(['confidant: --demo-devices must be an integer in 0..610 (one device per vendored MovieLens user; 0 = no demo fleet), got "-3"']);
  });

  it('serves the app at /, and the demo fleet (a child process) trains the model; the card says demo devices did', async () => {
    const s = await startLauncher(['--port', '0', '--data-dir', join(dir, 'data'), '--round-interval', '1', '--demo-devices', '12', '--shards', '1', '--log-level', 'info']);
    try {
      const page = await fetch(`${s.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(await page.text()).toMatch(/<div id="app">/);
      await s.line(/^fleet: 12 devices connected over 1 shard\(s\)/);
      await s.line(/^fleet: round of shard \d completed, model version \d+/);
      const card = transparencyResponseSchema.parse(await (await fetch(`${s.url}/v1/transparency`)).json());
      expect(card.model.version).toBeGreaterThan(1);
      expect(card.rounds.completed).toBeGreaterThanOrEqual(1);
      expect(card.demo?.devices).toBe(12);
      expect(card.versions.some((v) => v.cause === 'round' && v.cohortSize >= 3)).toBe(true);
    } finally {
      await s.stop();
    }
    expect(s.err()).toContain('SIGTERM: shutting down');
  });
});
