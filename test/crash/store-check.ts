// What the crash suites check after each kill: the database file itself (better-sqlite3, read-only, before the
// server opens it again), and the model the restarted server serves.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeServedFile } from '../../models/served-file';
import { decodeModel } from '../../models/serialize';

/** An acknowledged round: the version devices were told of, and what the server logged when it committed it. */
export interface AcknowledgedRound {
  modelVersion: number;
  /** From the round's `round.committed` line (absent if the line was never read, which the suites count as a fault). */
  roundId?: number;
  /** The first 12 hex characters of the version's SHA-256, from the same line. */
  sha12?: string;
}

/** The state of a database file after a kill. */
export interface StoreReport {
  /** PRAGMA integrity_check: 'ok' or SQLite's list of problems. */
  integrity: string;
  /** Acknowledged rounds the file does not hold as acknowledged, each with why. */
  lost: { round: AcknowledgedRound; why: string }[];
  /** Model files and checkpoints that are not whole (checksum or decoding fails). */
  broken: string[];
  /** Model versions in the file, and the highest. */
  versions: number;
  latestVersion: number;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

interface VersionRow {
  version: number;
  sha256: string;
  /** Null once an old version's file is dropped (only its row is kept). */
  model: Buffer | null;
  round_id: number | null;
  status: string | null;
}

/** PRAGMA integrity_check of one database file, opened read-only. */
function integrityOf(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check(20)') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

/**
 * Read `database` (read-only: no checkpoint, the WAL is left as the crash left it) and compare it with what was
 * acknowledged. Every other SQLite file beside it (the device key store) must pass integrity_check too.
 */
export function inspectStore(database: string, acknowledged: Iterable<AcknowledgedRound>): StoreReport {
  const dir = dirname(database);
  const files = [basename(database), ...readdirSync(dir).filter((f) => f.endsWith('.sqlite') && f !== basename(database))];
  const failing = files.map((f) => ({ f, result: integrityOf(join(dir, f)) })).filter((r) => r.result !== 'ok');
  const integrity = failing.length === 0 ? 'ok' : failing.map((r) => `${r.f}: ${r.result}`).join('; ');
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    const broken: string[] = [];
    const tables = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    const missing = ['model_versions', 'rounds', 'shards', 'checkpoints'].filter((t) => !tables.has(t));
    if (missing.length > 0) {
      // A schema that is not there was never durable (a fresh database's first commits, lost to a power cut).
      broken.push(`the database has no ${missing.join(', ')} table`);
      return { integrity, lost: [...acknowledged].map((round) => ({ round, why: 'the database has no schema' })), broken, versions: 0, latestVersion: 0 };
    }
    const rows = db.prepare('SELECT v.version, v.sha256, v.model, v.round_id, r.status FROM model_versions v LEFT JOIN rounds r ON r.id = v.round_id ORDER BY v.version').all() as VersionRow[];
    const byVersion = new Map(rows.map((r) => [r.version, r]));
    // No model half written: every version's file that is kept matches the checksum recorded with it, and decodes;
    // the latest (the one served) is kept.
    if (rows.length > 0 && rows.at(-1)!.model === null) broken.push(`the latest model version ${rows.at(-1)!.version} has no file`);
    for (const r of rows) {
      if (r.model === null) continue;
      if (sha256Hex(r.model) !== r.sha256) {
        broken.push(`model version ${r.version} does not match its recorded SHA-256`);
        continue;
      }
      try {
        decodeServedFile(r.model);
      } catch (err) {
        broken.push(`model version ${r.version} does not decode: ${(err as Error).message}`);
      }
    }
    // Each shard has a current checkpoint (the latest step of its lineage), and every kept checkpoint is whole
    // (the head is trained and served; the others are what a deletion rolls back to).
    const shards = db.prepare('SELECT shard, lineage FROM shards ORDER BY shard').all() as { shard: number; lineage: number }[];
    for (const { shard, lineage } of shards) {
      // Right after a rollback the current checkpoint is the target, of an earlier lineage: the new lineage has none yet.
      if (!db.prepare('SELECT 1 FROM checkpoints WHERE shard = ? AND lineage <= ?').get(shard, lineage)) broken.push(`shard ${shard} has no checkpoint in lineage ${lineage} or before`);
    }
    const checkpoints = db.prepare('SELECT shard, lineage, step, training, training_sha256, served FROM checkpoints ORDER BY shard, lineage, step').all() as {
      shard: number;
      lineage: number;
      step: number;
      training: Buffer | null;
      training_sha256: string;
      served: Buffer | null;
    }[];
    for (const c of checkpoints) {
      const where = `shard ${c.shard}'s checkpoint (lineage ${c.lineage}, step ${c.step})`;
      if (c.training === null || c.served === null) {
        broken.push(`${where} has no file`);
        continue;
      }
      if (sha256Hex(c.training) !== c.training_sha256) broken.push(`${where} does not match its training_sha256`);
      try {
        decodeModel(c.training);
        decodeModel(c.served);
      } catch (err) {
        broken.push(`${where} does not decode: ${(err as Error).message}`);
      }
    }
    const lost: StoreReport['lost'] = [];
    for (const round of acknowledged) {
      const row = byVersion.get(round.modelVersion);
      const why = !row
        ? 'its model version is missing'
        : round.sha12 === undefined || round.roundId === undefined
          ? 'no round.committed line was read for it'
          : !row.sha256.startsWith(round.sha12)
            ? `version ${round.modelVersion} holds another model (${row.sha256.slice(0, 12)}, committed ${round.sha12})`
            : row.round_id !== round.roundId
              ? `version ${round.modelVersion} belongs to round ${row.round_id}, not ${round.roundId}`
              : row.status !== 'completed'
                ? `round ${round.roundId} is '${row.status}'`
                : undefined;
      if (why) lost.push({ round, why });
    }
    return { integrity, lost, broken, versions: rows.length, latestVersion: rows.at(-1)?.version ?? 0 };
  } finally {
    db.close();
  }
}

/** GET /v1/model of a running server: its version and SHA-256, and whether the body matches its ETag and decodes. */
export async function fetchServedModel(url: string): Promise<{ version: number; sha256: string; problems: string[] }> {
  const res = await fetch(`${url}/v1/model`);
  const body = new Uint8Array(await res.arrayBuffer());
  const problems: string[] = [];
  if (res.status !== 200) problems.push(`GET /v1/model answered ${res.status}`);
  const etag = res.headers.get('etag');
  const sha = sha256Hex(body);
  if (etag !== `"${sha}"`) problems.push(`GET /v1/model: ETag ${etag} but the body's SHA-256 is ${sha}`);
  try {
    decodeServedFile(body);
  } catch (err) {
    problems.push(`GET /v1/model: the body does not decode: ${(err as Error).message}`);
  }
  return { version: Number(res.headers.get('x-model-version')), sha256: sha, problems };
}
