// The server under crash test as a child process: bundled once per suite with esbuild (a restart then costs
// ~0.7 s instead of ~2 s under tsx), its JSON log lines on stdout read as events, killed on the one it waits for.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..', '..');

/** One pino line of the server's stdout (`msg` is the event). */
export interface LogLine {
  msg: string;
  [field: string]: unknown;
}

/** Entry files bundled into one directory, each run as `node <dir>/<name>.mjs`. */
export interface Bundle {
  entry(name: string): string;
  dispose(): void;
}

/**
 * Bundle `entries` (name → path from the repository root) with esbuild; packages stay external, resolved through a
 * `node_modules` link to the repository's. The mask workers' file is copied beside the bundle, where
 * `new URL('./mask-worker.mjs', import.meta.url)` looks for it.
 */
export async function bundleServer(entries: Record<string, string>): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), 'confidant-crash-bundle-'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  copyFileSync(join(ROOT, 'server', 'crypto', 'mask-worker.mjs'), join(dir, 'mask-worker.mjs'));
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, join(ROOT, path)])),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  return {
    entry: (name) => join(dir, `${basename(name)}.mjs`),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A running server child. */
export interface ServerProcess {
  child: ChildProcess;
  /** The URL from its `listening` line; rejects if it exits first. */
  url: Promise<string>;
  /** Resolves once the process has exited and its stdout and stderr are fully read. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** The lines it printed that are not JSON (there should be none). */
  strayLines(): string[];
}

/** Start `node <entry> ...args`; `onLine` sees each log line the moment it is read, so it can SIGKILL at once. */
export function startServer(o: { entry: string; args: string[]; env?: Record<string, string>; onLine(line: LogLine): void }): ServerProcess {
  const child = spawn(process.execPath, [o.entry, ...o.args], { cwd: ROOT, env: { ...process.env, PORT: '', CONFIDANT_DATA_DIR: '', ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let pending = '';
  const stray: string[] = [];
  let resolveUrl: (url: string) => void = () => {};
  let rejectUrl: (err: Error) => void = () => {};
  const url = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, end);
      pending = pending.slice(end + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        stray.push(text);
        continue;
      }
      o.onLine(line);
      if (line.msg === 'listening' && typeof line.url === 'string') resolveUrl(line.url);
    }
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      rejectUrl(new Error(`the server exited (${code ?? signal}) before listening: ${stderr.trim()}`));
      resolve({ code, signal });
    });
  });
  return { child, url, closed, stderr: () => stderr, strayLines: () => stray };
}
