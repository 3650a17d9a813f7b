// `npm run tokens`: issue (printed once, or to a 0600 file never overwritten), list (counts only), revoke; the data
// directory holds no token, and an issued token registers exactly one device on a server with --enrollment token.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { formatBatches, tokensProgram } from '../../../server/cli/tokens';
import { enrollmentTokenHash } from '../../../server/enrollment/tokens';
import { createServer } from '../../../server/server';
import { SqliteStore } from '../../../server/store/sqlite-store';
import { authMessage, capturedLogger, HostDouble, newDevice, TestClient, sodium } from '../helpers';

vi.setConfig({ testTimeout: 30_000 });

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'confidant-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => join(dir, `data-${counter++}`);

/** Run the program in this process; resolves with what it wrote, or rejects with its error. */
async function tokens(...args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  await tokensProgram({ stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} }).parseAsync(['node', 'tokens', ...args]);
  return { out, err };
}

const tokenLines = (text: string) => text.split('\n').filter((l) => l.length > 0);

describe('tokens issue', () => {
  it('prints N fresh tokens once, on stdout, and stores only their hashes: no file of the data directory contains one', async () => {
    const dataDir = freshDir();
    const { out, err } = await tokens('issue', '3', '--data-dir', dataDir);
    const issued = tokenLines(out);
    expect(issued).toHaveLength(3);
    for (const t of issued) expect(t).toMatch(/^cet1\.[A-Za-z0-9_-]{43}$/);
    expect(new Set(issued).size).toBe(3);
    expect(err).toMatch(/^issued 3 enrollment token\(s\) in batch [0-9a-f]{16}; they are shown only now/);
    for (const f of readdirSync(dataDir)) {
      const bytes = readFileSync(join(dataDir, f));
      for (const t of issued) expect(bytes.includes(Buffer.from(t)), f).toBe(false);
    }
  });

  it('--out writes them to a new file of mode 0600, and never over an existing file', async () => {
    const dataDir = freshDir();
    const out = join(dir, `tokens-${counter++}.txt`);
    const first = await tokens('issue', '2', '--data-dir', dataDir, '--out', out);
    expect(first.out).toBe('');
    expect(tokenLines(readFileSync(out, 'utf8'))).toHaveLength(2);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const before = readFileSync(out, 'utf8');
    await expect(tokens('issue', '5', '--data-dir', dataDir, '--out', out)).rejects.toThrow(`--out ${out} already exists`);
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(tokenLines((await tokens('list', '--data-dir', dataDir)).out).at(-1)).toMatch(/^total\s+2\s+0\s+0\s+2$/); // the refused issue stored nothing
  });

  it.each(['0', '100001', 'ten', '-1', '2.5'])('refuses N = %s, naming it', async (n) => {
    await expect(tokens('issue', n, '--data-dir', freshDir())).rejects.toThrow(`N must be an integer in 1..100000, got "${n}"`);
  });
});

describe('a token on a server with --enrollment token', () => {
  it('registers one device; the same token again is refused; list counts it used', async () => {
    const dataDir = freshDir();
    const [token] = tokenLines((await tokens('issue', '2', '--data-dir', dataDir)).out);
    const store = SqliteStore.open(join(dataDir, 'confidant.sqlite'));
    const server = await createServer({ store, host: new HostDouble(), port: 0, sodium, logger: capturedLogger().logger, limits: { vectorLength: 8 }, enrollment: 'token' });
    try {
      const attempt = async () => {
        const client = await TestClient.open(server.wsUrl);
        const challenge = (await client.next()) as unknown as { nonce: string; serverKey: string };
        client.send({ ...authMessage(newDevice(), challenge), token });
        const answer = await client.next();
        await client.close();
        return answer;
      };
      expect(await attempt()).toMatchObject({ type: 'welcome', registered: true });
      expect(await attempt()).toMatchObject({ type: 'refused', code: 'auth.token_used' });
      // The CLI reads the store beside the running server.
      expect(tokenLines((await tokens('list', '--data-dir', dataDir)).out).at(-1)).toMatch(/^total\s+2\s+1\s+0\s+1$/);
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe('tokens revoke', () => {
  it('revokes named tokens, a file of them, a batch, or every unused one; a used token stays used', async () => {
    const dataDir = freshDir();
    const a = tokenLines((await tokens('issue', '3', '--data-dir', dataDir)).out);
    const issuedB = await tokens('issue', '2', '--data-dir', dataDir);
    const batchB = /batch ([0-9a-f]{16})/.exec(issuedB.err)![1]!;
    const store = SqliteStore.open(join(dataDir, 'confidant.sqlite'), { sweepKeys: false });
    await store.registerDeviceWithToken(newDevice().deviceId, 1, enrollmentTokenHash(a[0]!)!);
    await store.close();

    expect((await tokens('revoke', a[0]!, a[1]!, '--data-dir', dataDir)).out).toBe('revoked 1 unused token(s)\n'); // a[0] was used
    const file = join(dir, `revoke-${counter++}.txt`);
    writeFileSync(file, `# leaked\n\n${a[2]}\n`);
    expect((await tokens('revoke', '--file', file, '--data-dir', dataDir)).out).toBe('revoked 1 unused token(s)\n');
    expect((await tokens('revoke', '--batch', batchB, '--data-dir', dataDir)).out).toBe('revoked 2 unused token(s)\n');
    expect((await tokens('revoke', '--all-unused', '--data-dir', dataDir)).out).toBe('revoked 0 unused token(s)\n');
    const table = tokenLines((await tokens('list', '--data-dir', dataDir)).out);
    expect(table[0]).toMatch(/^batch\s+issued at\s+issued\s+used\s+revoked\s+unused$/);
    expect(table.at(-1)).toMatch(/^total\s+5\s+1\s+4\s+0$/);
  });

  it.each([
    [[], 'revoke takes exactly one of'],
    [['--all-unused', '--batch', '0123456789abcdef'], 'revoke takes exactly one of'],
    [['--batch', 'B1'], '--batch must be a batch id (16 hex characters, as tokens list shows), got "B1"'],
    [['cet1.short'], 'argument 1 is not an enrollment token'],
  ])('refuses %j: %s', async (args, message) => {
    await expect(tokens('revoke', ...args, '--data-dir', freshDir())).rejects.toThrow(message);
  });
});

describe('tokens list', () => {
  it('formats batches and a total, with counts only', () => {
    expect(formatBatches([{ batchId: '00000000000000aa', issuedAt: 0, issued: 10, used: 3, revoked: 2 }])).toBe(
      ['batch             issued at                 issued  used  revoked  unused', '00000000000000aa  1970-01-01T00:00:00.000Z      10     3        2       5', `${'total'.padEnd(44)}    10     3        2       5`, ''].join('\n'), // columns aligned under the headers
    );
  });
});

describe('npm run tokens', () => {
  it('runs as a program: tokens on stdout and exit 0; a mistake is one line on stderr and exit 1', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/tokens.ts', ...args], { cwd: root, env: { ...process.env, CONFIDANT_DATA_DIR: '', CONFIDANT_DATABASE_URL: '' } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    const dataDir = freshDir();
    const ok = await run(['issue', '2', '--data-dir', dataDir]);
    expect(ok.code).toBe(0);
    expect(tokenLines(ok.out)).toHaveLength(2);
    const bad = await run(['issue', 'two', '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('tokens: N must be an integer in 1..100000, got "two"\n');
  });
});
