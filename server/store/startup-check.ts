// What the server checks before it serves a store: the database's own integrity, and that every file it would
// hand out (served versions still kept, every kept checkpoint) is whole: its checksum matches what was recorded when
// it was committed, and it decodes.
import { decodeModel } from '../../models/serialize';
import { splitServedFile } from '../../models/served-file';
import type { Checkpoint, Store } from './store';
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

/** A checkpoint's problem, if any: its training file against its checksum, then both files decoded. */
function checkpointProblem(shard: number, c: Checkpoint): string | undefined {
  if (sha256Hex(c.training) !== c.trainingSha256) return `shard ${shard}'s training model (step ${c.step}) does not match its recorded SHA-256`;
  try {
    decodeModel(c.training);
    decodeModel(c.served);
  } catch (err) {
    return `shard ${shard}'s checkpoint (step ${c.step}) cannot be read: ${(err as Error).message}`;
  }
  return undefined;
}

/**
 * Every file the server may hand out: the model versions whose files are kept (the newest; older versions keep only
 * their row) and every kept checkpoint of each shard (the head is trained and served; the others are what a deletion
 * rolls back to and serves at once).
 */
async function fileProblems(store: Store): Promise<string[]> {
  const problems: string[] = [];
  const latest = await store.latestModelInfo();
  for (let version = latest?.version ?? 0; version >= 1; version--) {
    const model = await store.getModel(version);
    if (!model) {
      if (version === latest!.version) problems.push(`model version ${version}, the latest, has no file`);
      break;
    }
    if (sha256Hex(model.data) !== model.sha256) problems.push(`model version ${version} does not match its recorded SHA-256`);
    else {
      try {
        splitServedFile(model.data);
      } catch (err) {
        problems.push(`model version ${version} cannot be read: ${(err as Error).message}`);
      }
    }
  }
  for (const { shard } of await store.listShards()) {
    const head = await store.currentCheckpoint(shard);
    const headProblem = checkpointProblem(shard, head);
    if (headProblem) problems.push(headProblem);
    for (const info of await store.listCheckpoints(shard)) {
      if (info.id === head.id) continue;
      const c = await store.getCheckpoint(shard, info.step);
      const problem = c ? checkpointProblem(shard, c) : `shard ${shard}'s checkpoint at step ${info.step} is listed but cannot be read`;
      if (problem) problems.push(problem);
    }
  }
  return problems;
}
