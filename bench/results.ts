// The results.json contract shared by every benchmark command.
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Metrics } from '../shared/metrics';

/** Dataset facts recorded with every result. */
export interface DatasetSummary {
  name: string;
  users: number;
  items: number;
  interactions: number;
}

/** The common part of every results.json. */
export interface ResultsBase {
  experiment: string;
  dataset: DatasetSummary;
  protocol: string;
  config: Record<string, unknown>;
  backend: string;
  /** Wall-clock seconds per phase. */
  timings: Record<string, number>;
}

/** results.json of a single-model experiment (centralized, federated). */
export interface ModelResults extends ResultsBase {
  metrics: Metrics;
  baselines: Record<string, Metrics>;
  curve: { epoch: number; [key: string]: number }[];
}

/** fsync a directory, so the entries created or renamed in it are on disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Write a file atomically so a crash never leaves half a report: write a uniquely named temporary file beside it,
 * fsync it, rename it over `file`, then fsync the directory (the rename is durable only once its directory is).
 * Directories it had to create are fsynced in their parents too.
 */
export async function writeFileAtomic(file: string, contents: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const created = await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomUUID()}.tmp`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (created !== undefined) {
    // mkdir made `created` and everything below it down to `dir`: each new entry lives in its parent.
    for (let d = dir; d !== path.dirname(created); d = path.dirname(d)) await syncDirectory(path.dirname(d));
  }
  await syncDirectory(dir);
}

/** Write results.json (pretty, stable key order as given). */
export async function writeResults(dir: string, results: object): Promise<string> {
  const file = path.join(dir, 'results.json');
  await writeFileAtomic(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

