// The web app's build for `npm start`: dist/app/, rebuilt with Vite when it is missing or older than any source.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (the launcher lives in launcher/). */
export const ROOT = join(import.meta.dirname, '..');
/** Where `npm start` builds the app. */
export const DEFAULT_APP_DIR = join(ROOT, 'dist', 'app');
/** Written after a build succeeds: its time is the build's. */
export const STAMP = '.built';

/** What the app is built from: files and folders under the root. */
export const APP_SOURCES = ['index.html', 'vite.config.ts', 'package-lock.json', 'launcher/build.ts', 'client', 'shared', 'models'];

/** The newest modification time (ms) under a file or folder. */
export function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why the build in `appDir` must be (re)made, or undefined when it is current. */
export function staleReason(appDir: string, root = ROOT, sources = APP_SOURCES): string | undefined {
  const stamp = join(appDir, STAMP);
  if (!existsSync(stamp) || !existsSync(join(appDir, 'index.html'))) return 'there is no build yet';
  const built = statSync(stamp).mtimeMs;
  for (const source of sources) {
    const p = join(root, source);
    if (existsSync(p) && newestMtime(p) > built) return `${source} changed since the last build`;
  }
  return undefined;
}

/** Run `vite build` into `appDir`; rejects with Vite's last lines when it fails. */
export function buildApp(appDir: string, root = ROOT, log: (line: string) => void = () => {}): Promise<void> {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  return new Promise((resolve, reject) => {
    // A production build whatever the caller's NODE_ENV (vitest sets it to "test", which Vite would honour).
    const child = spawn(process.execPath, [vite, 'build', '--outDir', appDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
    let output = '';
    const collect = (d: Buffer) => {
      output += d.toString();
      for (const line of d.toString().split('\n')) if (line.trim()) log(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`vite build failed (exit ${code}): ${output.trim().split('\n').slice(-5).join(' | ')}`));
      writeFileSync(join(appDir, STAMP), `${new Date().toISOString()}\n`);
      resolve();
    });
  });
}
