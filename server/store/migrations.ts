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
  {
    version: 3,
    sql: `
      -- Exact forgetting. Devices: the public key is no longer stored. \`lookup\` is a keyed hash of it (the secret is
      -- in device-keys.sqlite, beside this file) and \`sealed\` holds everything else under the device's own key (also
      -- there): destroying that key makes every copy of the row unreadable. Schema-2 rows are sealed by the store
      -- when it opens (sqlite-store.ts), then dropped.
      ALTER TABLE devices RENAME TO legacy_devices;
      CREATE TABLE devices (
        ref      TEXT PRIMARY KEY CHECK (length(ref) = 22),
        lookup   BLOB NOT NULL UNIQUE CHECK (length(lookup) = 32),
        -- Set when its deletion is asked: it is in no round from then on.
        deleting INTEGER NOT NULL DEFAULT 0 CHECK (deleting IN (0, 1)),
        sealed   BLOB NOT NULL
      ) STRICT;

      -- Which model of its shard each device trained on (the step of that model), for rollbacks and the
      -- once-per-model rule.
      CREATE TABLE contributions (
        ref   TEXT NOT NULL REFERENCES devices(ref) ON DELETE CASCADE,
        shard INTEGER NOT NULL REFERENCES shards(shard),
        step  INTEGER NOT NULL CHECK (step >= 0),
        PRIMARY KEY (ref, shard, step)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX contributions_by_step ON contributions (shard, step);

      -- Where a round trained: the shard's lineage and step (its sampling seed derives from them).
      ALTER TABLE rounds ADD COLUMN lineage INTEGER NOT NULL DEFAULT 0 CHECK (lineage >= 0);
      ALTER TABLE rounds ADD COLUMN step INTEGER NOT NULL DEFAULT 0 CHECK (step >= 0);

      -- Old versions keep their row (the model card lists them) but lose their file: disk use stays bounded.
      CREATE TABLE model_versions_v3 (
        version     INTEGER PRIMARY KEY CHECK (version >= 1),
        created_at  INTEGER NOT NULL,
        sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
        size_bytes  INTEGER NOT NULL CHECK (size_bytes > 0),
        model       BLOB CHECK (model IS NULL OR length(model) = size_bytes),
        round_id    INTEGER REFERENCES rounds(id),
        composition TEXT NOT NULL CHECK (json_valid(composition)),
        provenance  TEXT NOT NULL CHECK (json_valid(provenance))
      ) STRICT;
      INSERT INTO model_versions_v3 SELECT * FROM model_versions;
      DROP TABLE model_versions;
      ALTER TABLE model_versions_v3 RENAME TO model_versions;

      -- The deletion ledger: requests, and the receipt chain of those done.
      CREATE TABLE deletions (
        id           TEXT PRIMARY KEY CHECK (length(id) = 22),
        key_hash     TEXT NOT NULL CHECK (length(key_hash) = 64),
        nonce        BLOB NOT NULL CHECK (length(nonce) = 16),
        requested_at INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        shard        INTEGER NOT NULL CHECK (shard >= 0),
        -- While pending, the device's lookup hash (to finish the deletion after a restart); erased when done.
        lookup       BLOB CHECK (lookup IS NULL OR length(lookup) = 32),
        status       TEXT NOT NULL CHECK (status IN ('pending', 'done')),
        completed_at INTEGER,
        chain_index  INTEGER UNIQUE CHECK (chain_index >= 0),
        receipt_hash TEXT CHECK (receipt_hash IS NULL OR length(receipt_hash) = 64),
        receipt      TEXT CHECK (receipt IS NULL OR json_valid(receipt)),
        UNIQUE (key_hash, nonce),
        CHECK ((status = 'done') = (receipt IS NOT NULL AND chain_index IS NOT NULL AND completed_at IS NOT NULL)),
        CHECK ((status = 'pending') = (lookup IS NOT NULL))
      ) STRICT;

      -- Keys that sign receipts: one active, the retired ones still published so old receipts verify.
      CREATE TABLE receipt_keys (
        id          TEXT PRIMARY KEY CHECK (length(id) = 16),
        public_key  BLOB NOT NULL CHECK (length(public_key) = 32),
        private_key BLOB NOT NULL CHECK (length(private_key) = 64),
        created_at  INTEGER NOT NULL,
        retired_at  INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX receipt_keys_one_active ON receipt_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
    `,
  },
  {
    version: 4,
    sql: `
      -- Enrollment tokens (--enrollment token): single-use, kept only as the SHA-256 of the token, so a copy of this
      -- file hands out no usable token. Which device used which token is not recorded: the operator knows who got
      -- each token (one per shop account, say), and that link would tie a person to a device key.
      CREATE TABLE enrollment_tokens (
        hash      BLOB PRIMARY KEY CHECK (length(hash) = 32),
        batch     TEXT NOT NULL CHECK (length(batch) = 16),
        issued_at INTEGER NOT NULL CHECK (issued_at >= 0),
        status    TEXT NOT NULL CHECK (status IN ('unused', 'used', 'revoked'))
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX enrollment_tokens_by_batch ON enrollment_tokens (batch, status);
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
