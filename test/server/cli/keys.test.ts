// `npm run keys -- rotate`: a new active receipt key each time, the old ones kept (retired) and still listed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../server/store/sqlite-store';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'confidant-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rotate(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/keys.ts', 'rotate', '--data-dir', dir], { cwd: root });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('keys rotate', () => {
  it('makes a new active key and keeps the retired ones', async () => {
    const first = await rotate();
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^new receipt key [0-9a-f]{16}; 0 retired key\(s\) stay published$/m);
    const second = await rotate();
    expect(second.out).toMatch(/; 1 retired key\(s\) stay published$/m);
    const store = SqliteStore.open(join(dir, 'confidant.sqlite'));
    try {
      const keys = await store.listReceiptKeys();
      expect(keys.map((k) => k.retiredAt === null)).toEqual([true, false]);
      expect(second.out).toContain(keys[0]!.id);
      expect(first.out).toContain(keys[1]!.id);
    } finally {
      await store.close();
    }
  });
});
