// The start-up check: a damaged database file or a model whose bytes no longer match their checksum is reported,
// and `npm start` refuses such a store in one line naming the problem, with exit code 1.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../server/store/sqlite-store';
import { startupProblems } from '../../../server/store/startup-check';
import { ensureInitialModel } from '../../../server/training/initial-model';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ITEMS = 20;
const dir = mkdtempSync(join(tmpdir(), 'confidant-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const catalogue = join(dir, 'movies.csv');
writeFileSync(catalogue, ['movieId,title,genres', ...Array.from({ length: ITEMS }, (_, i) => `${i + 1},Movie ${i + 1} (2000),Drama`)].join('\n') + '\n');
let counter = 0;

/** A data directory holding a closed store with version 1 (its WAL checkpointed into the main file). */
async function dataDirWithModel(): Promise<{ dataDir: string; database: string }> {
  const dataDir = join(dir, `data-${counter++}`);
  const database = join(dataDir, 'confidant.sqlite');
  mkdirSync(dataDir);
  const store = SqliteStore.open(database);
  await ensureInitialModel(store, { items: ITEMS, shards: 1, now: () => 1_000 });
  await store.close();
  return { dataDir, database };
}

/** Overwrite `bytes` bytes of page `page` (1-based) at `offset` within it, on disk, as a bad sector or a stray write would. */
function overwritePage(database: string, page: number, offset: number, bytes: number): void {
  const db = new Database(database, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(database, 'r+');
  try {
    writeSync(fd, Buffer.alloc(bytes, 0xa5), 0, bytes, (page - 1) * pageSize + offset);
  } finally {
    closeSync(fd);
  }
}

/** The root page of table `name`. */
function rootPage(database: string, name: string): number {
  const db = new Database(database, { readonly: true });
  try {
    return (db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(name) as { rootpage: number }).rootpage;
  } finally {
    db.close();
  }
}

/** Run raw SQL on the database, behind the store's back. */
function rawSql(database: string, sql: string, ...params: unknown[]): void {
  const db = new Database(database);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** The ways a store can be damaged, each with what the check must say about it. */
const damages: { name: string; damage(database: string): void; says: RegExp }[] = [
  {
    name: "a table's b-tree page header overwritten",
    damage: (db) => overwritePage(db, rootPage(db, 'model_versions'), 0, 64),
    says: /^the database fails PRAGMA integrity_check: .*malformed/,
  },
  {
    name: "a table's cell pointers overwritten",
    damage: (db) => overwritePage(db, rootPage(db, 'checkpoints'), 8, 64),
    says: /^the database fails PRAGMA integrity_check: .*(Tree|page|malformed)/,
  },
  {
    name: "the model file's bytes no longer match its recorded SHA-256",
    damage: (db) => rawSql(db, 'UPDATE model_versions SET model = zeroblob(size_bytes) WHERE version = 1'),
    says: /^model version 1 does not match its recorded SHA-256$/,
  },
  {
    name: "an older served file still kept (version 1 of 2) no longer matches its recorded SHA-256",
    damage: (db) => {
      rawSql(db, 'INSERT INTO model_versions (version, created_at, sha256, size_bytes, model, round_id, composition, provenance) SELECT 2, created_at, sha256, size_bytes, model, round_id, composition, provenance FROM model_versions WHERE version = 1');
      rawSql(db, 'UPDATE model_versions SET model = zeroblob(size_bytes) WHERE version = 1');
    },
    says: /^model version 1 does not match its recorded SHA-256$/,
  },
  {
    name: 'the latest model version without its file',
    damage: (db) => rawSql(db, 'UPDATE model_versions SET model = NULL WHERE version = 1'),
    says: /^model version 1, the latest, has no file$/,
  },
  {
    name: "an older kept checkpoint (a deletion's rollback target) no longer matches its training_sha256",
    damage: (db) => {
      rawSql(db, 'INSERT INTO checkpoints (shard, lineage, step, created_at, round_id, training, training_sha256, served, iterates) SELECT shard, lineage, 1, created_at, round_id, training, training_sha256, served, iterates FROM checkpoints WHERE shard = 0 AND step = 0');
      rawSql(db, "UPDATE checkpoints SET training_sha256 = ? WHERE shard = 0 AND step = 0", 'f'.repeat(64));
    },
    says: /^shard 0's training model \(step 0\) does not match its recorded SHA-256$/,
  },
  {
    name: "a shard's training model no longer matches its training_sha256",
    damage: (db) => rawSql(db, "UPDATE checkpoints SET training_sha256 = ? WHERE shard = 0", '0'.repeat(64)),
    says: /^shard 0's training model \(step 0\) does not match its recorded SHA-256$/,
  },
];

describe('startupProblems', () => {
  it('finds nothing wrong with a healthy store', async () => {
    const { database } = await dataDirWithModel();
    const store = SqliteStore.open(database);
    try {
      expect(await startupProblems(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.each(damages)('reports $name, in one line', async ({ damage, says }) => {
    const { database } = await dataDirWithModel();
    damage(database);
    const store = SqliteStore.open(database);
    try {
      const problems = await startupProblems(store);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(says);
      expect(problems[0]).not.toContain('\n');
    } finally {
      await store.close();
    }
  });
});

/** `npm start` on `dataDir`; resolves with its exit code and stderr. */
function npmStart(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', '--data-dir', dataDir, '--catalogue', catalogue, '--round-interval', '0', '--shards', '1'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '', CONFIDANT_DATA_DIR: '' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('npm start on a damaged store', () => {
  it.each(damages)('refuses to serve when $name: one line, exit code 1', async ({ damage, says }) => {
    const { dataDir, database } = await dataDirWithModel();
    damage(database);
    const { code, stderr } = await npmStart(dataDir);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const prefix = `confidant: refusing to serve ${database}: `;
    expect(lines[0]!.startsWith(prefix), lines[0]).toBe(true);
    expect(lines[0]!.slice(prefix.length).split('. Restore it')[0]).toMatch(says);
  });

  it('refuses a database whose schema page is overwritten: cannot open it, one line, exit code 1', async () => {
    const { dataDir, database } = await dataDirWithModel();
    overwritePage(database, 1, 100, 2000);
    const { code, stderr } = await npmStart(dataDir);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([`confidant: cannot open the database ${database}: database disk image is malformed`]);
  });
});
