// Helpers of the end-to-end suite: `npm start` (the launcher) as a child process, waited on by its own log lines,
// and Debian's Chromium driven by playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');

/** A running `npm start`. */
export interface Started {
  child: ChildProcess;
  url: string;
  out(): string;
  err(): string;
  /** Resolves when stdout has a line matching `pattern` (rejects if the process exits first). */
  line(pattern: RegExp): Promise<string>;
  stop(): Promise<void>;
}

/** Start the launcher with these arguments; resolves once the server listens. */
export async function startLauncher(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'launcher/main.ts', ...args], { cwd: ROOT, env: { ...process.env, PORT: '', CONFIDANT_DATA_DIR: '', CONFIDANT_DEMO_DEVICES: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    waiters.forEach((w) => w());
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = stdout.split('\n').find((l) => pattern.test(l));
        if (found !== undefined) resolve(found);
      };
      waiters.push(check);
      check();
      void exited.then((code) => reject(new Error(`npm start exited (${code}) before ${pattern}: ${stderr.slice(-2000)}`)));
    });
  const url = /"url":"(http:\/\/[^"]+)"/.exec(await line(/"url":"http:\/\/[^"]+"/))![1]!;
  return {
    child,
    url,
    out: () => stdout,
    err: () => stderr,
    line,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The Chromium to drive: CHROMIUM_PATH, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launch headless Chromium with the flags this machine needs. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium (apt-get install -y chromium), or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}
