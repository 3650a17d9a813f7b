// What the server checks before it serves a store: the database's own integrity, and that every file it would
// hand out is whole (its checksum matches what was recorded when it was committed).
import { decodeModel } from '../../models/serialize';
import { splitServedFile } from '../../models/served-file';
import type { Store } from './store';
import { sha256Hex } from './validate';

/** One line of SQLite's report (integrity_check puts newlines inside its rows), at most 300 characters. */
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, '; ').slice(0, 300);

/** Why a store cannot be served, one line per problem (empty: it can). */
export async function startupProblems(store: Store & { integrityCheck?: () => string }): Promise<string[]> {
  if (store.integrityCheck) {
    let result: string;
    try {
      result = store.integrityCheck();
    } catch (err) {
      // A damaged b-tree page can make the check itself fail (SQLITE_CORRUPT) rather than report.
      result = (err as Error).message;
    }
    if (result !== 'ok') return [`the database fails PRAGMA integrity_check: ${oneLine(result)}`];
  }
  try {
    return await fileProblems(store);
  } catch (err) {
    return [`the database cannot be read: ${oneLine((err as Error).message)}`];
  }
}

/** The latest model version and each shard's current checkpoint: checksums and decoding. */
async function fileProblems(store: Store): Promise<string[]> {
  const problems: string[] = [];
  const latest = await store.latestModel();
  if (latest) {
    if (sha256Hex(latest.data) !== latest.sha256) problems.push(`model version ${latest.version} does not match its recorded SHA-256`);
    else {
      try {
        splitServedFile(latest.data);
      } catch (err) {
        problems.push(`model version ${latest.version} cannot be read: ${(err as Error).message}`);
      }
    }
  }
  for (const { shard } of await store.listShards()) {
    const c = await store.currentCheckpoint(shard);
    if (sha256Hex(c.training) !== c.trainingSha256) {
      problems.push(`shard ${shard}'s training model (step ${c.step}) does not match its recorded SHA-256`);
      continue;
    }
    try {
      decodeModel(c.training);
      decodeModel(c.served);
    } catch (err) {
      problems.push(`shard ${shard}'s checkpoint (step ${c.step}) cannot be read: ${(err as Error).message}`);
    }
  }
  return problems;
}
