// Power loss, simulated: build the fsync-recorder shim (fsync-recorder.c), run the server under it, and after a
// SIGKILL keep only what was fsynced (the WAL as of its last fsync; the -shm cache dropped).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = join(import.meta.dirname, 'fsync-recorder.c');

/** Compile the shim into `dir`; throws (never skips) with the compiler's words when it cannot be built. */
export function buildFsyncRecorder(dir: string): string {
  const out = join(dir, 'fsync-recorder.so');
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', out, SOURCE, '-ldl'], { stdio: 'pipe' });
  } catch (err) {
    const e = err as { message: string; stderr?: Buffer };
    throw new Error(`cannot compile ${SOURCE} with cc (gcc is needed, as for better-sqlite3's node-gyp build): ${e.stderr?.toString().trim() || e.message}`, { cause: err });
  }
  return out;
}

/** The environment that runs a child under the shim, recording into `logFile`. */
export function recorderEnv(shim: string, logFile: string): Record<string, string> {
  return { LD_PRELOAD: shim, CONFIDANT_FSYNC_LOG: logFile };
}

/** The fsyncs the shim recorded, in order: the file and its size when its fsync returned. */
export function readFsyncLog(logFile: string): { path: string; bytes: number }[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [path, bytes] = l.split('\t');
      return { path: path!, bytes: Number(bytes) };
    });
}

/** What a simulated power cut did to the WAL files. */
export interface PowerCut {
  /** Bytes of WAL the killed process left (page cache included). */
  walBefore: number;
  /** Bytes kept: each WAL as of its last fsync (0 for one that never was). */
  walAfter: number;
}

/**
 * After a SIGKILL, make the SQLite files in `dataDir` what a power cut would have left: each WAL back to its content
 * at its last fsync (unsynced frames gone, even those that overwrote older frames in place; empty if it never was
 * synced) and no -shm (a cache SQLite rebuilds). Main files are left as they are: SQLite writes one only in a
 * checkpoint, after the WAL's fsync, so any of it the cut could lose is still in the synced WAL.
 */
export function cutPower(dataDir: string): PowerCut {
  let walBefore = 0;
  let walAfter = 0;
  for (const name of readdirSync(dataDir)) {
    const file = join(dataDir, name);
    if (name.endsWith('-shm') || name.endsWith('-wal.synced.tmp')) rmSync(file, { force: true });
    if (!name.endsWith('-wal')) continue;
    walBefore += statSync(file).size;
    if (existsSync(`${file}.synced`)) copyFileSync(`${file}.synced`, file);
    else truncateSync(file, 0);
    walAfter += statSync(file).size;
  }
  return { walBefore, walAfter };
}
