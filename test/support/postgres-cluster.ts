// A throwaway PostgreSQL cluster: initdb in a temporary directory, the server on a free loopback port (socket in that
// directory too), run as an unprivileged user when we are root (PostgreSQL refuses to run as root), stopped and
// removed afterwards. Used by the PostgreSQL store's tests, and by .ci/run through the command line:
//   npx tsx test/support/postgres-cluster.ts start      prints `export CONFIDANT_TEST_DATABASE_URL=… CONFIDANT_TEST_POSTGRES_DIR=…`
//   npx tsx test/support/postgres-cluster.ts stop DIR   stops the cluster in DIR and removes DIR
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The user the cluster runs as when we are root. */
const UNPRIVILEGED_USER = 'nobody';
/** The cluster's superuser (trust authentication on loopback only: a throwaway cluster). */
export const SUPERUSER = 'postgres';
const PORT_ATTEMPTS = 5;

/** The directory holding initdb, pg_ctl and pg_dump: $POSTGRES_BIN, Debian's newest /usr/lib/postgresql/N/bin, or initdb's directory on PATH. */
export function postgresBinDir(): string | undefined {
  const given = process.env.POSTGRES_BIN;
  if (given) return existsSync(join(given, 'initdb')) ? given : undefined;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^[0-9]+$/.test(v) && existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'initdb'))) return dir;
  return undefined;
}

/** A running throwaway cluster. */
export interface Cluster {
  /** The superuser's URL of the `postgres` database. */
  url: string;
  dir: string;
  binDir: string;
  /** Stop the server and remove its directory. */
  stop(): Promise<void>;
}

const asRoot = () => process.getuid?.() === 0;

/** Run a PostgreSQL program as the unprivileged user (directly when we are not root). */
async function runAsServerUser(binDir: string, program: string, args: string[], cwd: string): Promise<string> {
  const [file, argv] = asRoot() ? ['runuser', ['-u', UNPRIVILEGED_USER, '--', join(binDir, program), ...args]] : [join(binDir, program), args];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
  try {
    const { stdout } = await run(file, argv, { cwd, env });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${program} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}

/** A port nobody listens on right now (the server may still lose a race for it: startCluster retries). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function stopSync(dir: string, binDir: string): void {
  const data = join(dir, 'data');
  if (existsSync(join(data, 'postmaster.pid'))) {
    const args = ['-D', data, '-m', 'fast', '-w', 'stop'];
    const [file, argv] = asRoot() ? ['runuser', ['-u', UNPRIVILEGED_USER, '--', join(binDir, 'pg_ctl'), ...args]] : [join(binDir, 'pg_ctl'), args];
    spawnSync(file, argv, { cwd: dir, stdio: 'ignore' });
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * initdb and start a cluster in a fresh temporary directory; `stopOnExit` also stops it when this process exits
 * (for tests; the command line leaves it running for .ci/run to stop).
 */
export async function startCluster(options: { stopOnExit?: boolean } = {}): Promise<Cluster> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error('initdb not found (install PostgreSQL, e.g. apt-get install postgresql, or set POSTGRES_BIN)');
  const dir = mkdtempSync(join(tmpdir(), 'confidant-pg-'));
  const stopHook = () => stopSync(dir, binDir);
  if (options.stopOnExit) process.once('exit', stopHook);
  try {
    if (asRoot()) {
      const uid = Number(execFileSync('id', ['-u', UNPRIVILEGED_USER]).toString());
      const gid = Number(execFileSync('id', ['-g', UNPRIVILEGED_USER]).toString());
      chownSync(dir, uid, gid);
    }
    const data = join(dir, 'data');
    // --no-sync: the throwaway cluster's files need not survive a power cut; the server itself runs with fsync on.
    await runAsServerUser(binDir, 'initdb', ['-D', data, '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--no-locale', '--no-sync'], dir);
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const port = await freePort();
      try {
        await runAsServerUser(binDir, 'pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-w', '-t', '60', 'start'], dir);
        const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
        writeFileSync(join(dir, 'url'), url);
        return {
          url,
          dir,
          binDir,
          async stop() {
            process.removeListener('exit', stopHook);
            stopSync(dir, binDir);
          },
        };
      } catch (err) {
        lastError = new Error(`${(err as Error).message}\n${existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : ''}`);
      }
    }
    throw lastError!;
  } catch (err) {
    process.removeListener('exit', stopHook);
    stopSync(dir, binDir);
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, dir] = process.argv.slice(2);
  if (command === 'start') {
    const cluster = await startCluster();
    process.stdout.write(`export CONFIDANT_TEST_DATABASE_URL=${cluster.url} CONFIDANT_TEST_POSTGRES_DIR=${cluster.dir}\n`);
  } else if (command === 'stop' && dir) {
    const binDir = postgresBinDir();
    if (!binDir) throw new Error('pg_ctl not found');
    stopSync(dir, binDir);
  } else {
    process.stderr.write('usage: postgres-cluster.ts start | stop DIR\n');
    process.exit(2);
  }
}
