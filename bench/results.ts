// The results.json contract shared by every benchmark command.
import { mkdir, rename, open } from 'node:fs/promises';
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

/** Write a file atomically (temp file, fsync, rename) so a crash never leaves half a report. */
export async function writeFileAtomic(file: string, contents: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

/** Write results.json (pretty, stable key order as given). */
export async function writeResults(dir: string, results: object): Promise<string> {
  const file = path.join(dir, 'results.json');
  await writeFileAtomic(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

