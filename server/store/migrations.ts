// The SQLite schema as an ordered list of migrations; `PRAGMA user_version` records how many were applied.
//
// Append only: never edit a migration that has shipped, add the next one. Tables are STRICT so a wrong
// type is an error rather than a silently coerced value.
import type { Database } from 'better-sqlite3';
import { StoreError } from './errors';

interface Migration {
  version: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE devices (
        device_id        TEXT PRIMARY KEY CHECK (length(device_id) = 43),
        registered_at    INTEGER NOT NULL,
        last_seen        INTEGER NOT NULL,
        consent_training INTEGER NOT NULL DEFAULT 0 CHECK (consent_training IN (0, 1))
      ) STRICT;

      CREATE TABLE rounds (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id  TEXT NOT NULL,
        round       INTEGER NOT NULL CHECK (round >= 1),
        status      TEXT NOT NULL CHECK (status IN ('started', 'completed', 'aborted')),
        reason      TEXT,
        started_at  INTEGER NOT NULL,
        ended_at    INTEGER,
        cohort_size INTEGER NOT NULL CHECK (cohort_size >= 0),
        survivors   INTEGER CHECK (survivors >= 0),
        UNIQUE (session_id, round),
        CHECK ((status = 'started') = (ended_at IS NULL))
      ) STRICT;

      -- The model file lives in the row (see sqlite-store.ts for why not in a file beside the database).
      CREATE TABLE model_versions (
        version    INTEGER PRIMARY KEY CHECK (version >= 0),
        created_at INTEGER NOT NULL,
        sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
        size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
        model      BLOB NOT NULL CHECK (length(model) = size_bytes),
        round_id   INTEGER REFERENCES rounds(id),
        provenance TEXT NOT NULL CHECK (json_valid(provenance))
      ) STRICT;

      CREATE TABLE server_identity (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        public_key  BLOB NOT NULL CHECK (length(public_key) = 32),
        private_key BLOB NOT NULL CHECK (length(private_key) = 64),
        created_at  INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    sql: `
      -- Training per shard (SISA). A model version is now the served bundle of every shard's table; the
      -- single-table versions of schema 1 stay, unchanged, in legacy_model_versions (new numbers continue after them).
      ALTER TABLE model_versions RENAME TO legacy_model_versions;

      CREATE TABLE shards (
        shard   INTEGER PRIMARY KEY CHECK (shard >= 0),
        lineage INTEGER NOT NULL CHECK (lineage >= 0),
        -- Every DP setting charged to the shard: only ever appended to, never refunded by a rollback.
        account TEXT NOT NULL CHECK (json_valid(account))
      ) STRICT;

      CREATE TABLE checkpoints (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        shard           INTEGER NOT NULL REFERENCES shards(shard),
        lineage         INTEGER NOT NULL CHECK (lineage >= 0),
        step            INTEGER NOT NULL CHECK (step >= 0),
        created_at      INTEGER NOT NULL,
        round_id        INTEGER REFERENCES rounds(id),
        training        BLOB NOT NULL,
        training_sha256 TEXT NOT NULL CHECK (length(training_sha256) = 64),
        served          BLOB NOT NULL,
        iterates        INTEGER NOT NULL CHECK (iterates >= 0),
        UNIQUE (shard, lineage, step)
      ) STRICT;

      ALTER TABLE rounds ADD COLUMN shard INTEGER NOT NULL DEFAULT 0 CHECK (shard >= 0);

      CREATE TABLE model_versions (
        version     INTEGER PRIMARY KEY CHECK (version >= 1),
        created_at  INTEGER NOT NULL,
        sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
        size_bytes  INTEGER NOT NULL CHECK (size_bytes > 0),
        model       BLOB NOT NULL CHECK (length(model) = size_bytes),
        round_id    INTEGER REFERENCES rounds(id),
        -- The checkpoint ids, by shard, whose served tables the file bundles.
        composition TEXT NOT NULL CHECK (json_valid(composition)),
        provenance  TEXT NOT NULL CHECK (json_valid(provenance))
      ) STRICT;
    `,
  },
];

/** Apply every migration above the database's user_version, all in one transaction. */
export function migrate(db: Database): number {
  const latest = MIGRATIONS.length;
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) throw new StoreError('store.schema_too_new', `database schema version ${current} is newer than this server's ${latest}`);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      // user_version inside the transaction: a crash mid-migration rolls back the schema and the number together.
      db.pragma(`user_version = ${m.version}`);
    }
    return db.pragma('user_version', { simple: true }) as number;
  });
  return apply.immediate();
}
