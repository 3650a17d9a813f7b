// The PostgreSQL schema as an ordered list of migrations; the table schema_migrations records which were applied.
//
// Append only: never edit a migration that has shipped, add the next one. The tables are those of the SQLite store's
// latest schema (migrations.ts), in PostgreSQL's types: bigint for times, counts and ids (read as numbers), bytea for
// files and keys, json (kept verbatim) for provenance, accounts and receipts. There is no legacy to carry: a
// PostgreSQL store starts at version 1 of this list.
import type pg from 'pg';
import { StoreError } from './errors';

interface Migration {
  version: number;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- One row: the store's id (it names the device key store file paired with this database), the fingerprint of
      -- that key store's lookup secret (a different key store is refused), and the row every write that numbers
      -- something store-wide (model versions, the receipt chain, receipt keys) locks FOR UPDATE.
      CREATE TABLE store_meta (
        id              integer PRIMARY KEY CHECK (id = 1),
        store_id        text NOT NULL CHECK (store_id ~ '^[0-9a-f]{32}$'),
        key_fingerprint bytea CHECK (key_fingerprint IS NULL OR octet_length(key_fingerprint) = 32)
      );
      INSERT INTO store_meta (id, store_id) VALUES (1, replace(gen_random_uuid()::text, '-', ''));

      CREATE TABLE shards (
        shard   integer PRIMARY KEY CHECK (shard >= 0),
        lineage bigint NOT NULL CHECK (lineage >= 0),
        -- Every DP setting charged to the shard: only ever appended to, never refunded by a rollback.
        account json NOT NULL
      );

      CREATE TABLE rounds (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        shard       integer NOT NULL CHECK (shard >= 0),
        lineage     bigint NOT NULL CHECK (lineage >= 0),
        step        bigint NOT NULL CHECK (step >= 0),
        session_id  text NOT NULL,
        round       bigint NOT NULL CHECK (round >= 1),
        status      text NOT NULL CHECK (status IN ('started', 'completed', 'aborted')),
        reason      text,
        started_at  bigint NOT NULL,
        ended_at    bigint,
        cohort_size bigint NOT NULL CHECK (cohort_size >= 0),
        survivors   bigint CHECK (survivors >= 0),
        UNIQUE (session_id, round),
        CHECK ((status = 'started') = (ended_at IS NULL))
      );
      CREATE INDEX rounds_by_position ON rounds (shard, lineage, step);
      CREATE INDEX rounds_open ON rounds (id) WHERE status = 'started';

      -- Files live in their rows (bytea): see postgres-store.ts for why not in a shared directory.
      CREATE TABLE checkpoints (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        shard           integer NOT NULL REFERENCES shards (shard),
        lineage         bigint NOT NULL CHECK (lineage >= 0),
        step            bigint NOT NULL CHECK (step >= 0),
        created_at      bigint NOT NULL,
        round_id        bigint REFERENCES rounds (id),
        training        bytea NOT NULL,
        training_sha256 text NOT NULL CHECK (length(training_sha256) = 64),
        served          bytea NOT NULL,
        iterates        bigint NOT NULL CHECK (iterates >= 0),
        UNIQUE (shard, lineage, step)
      );
      CREATE INDEX checkpoints_by_step ON checkpoints (shard, step);

      -- Old versions keep their row (the model card lists them) but lose their file: disk use stays bounded.
      CREATE TABLE model_versions (
        version     bigint PRIMARY KEY CHECK (version >= 1),
        created_at  bigint NOT NULL,
        sha256      text NOT NULL CHECK (length(sha256) = 64),
        size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
        model       bytea CHECK (model IS NULL OR octet_length(model) = size_bytes),
        round_id    bigint REFERENCES rounds (id),
        -- The checkpoint ids, by shard, whose served tables the file bundles.
        composition json NOT NULL,
        provenance  json NOT NULL
      );

      CREATE TABLE server_identity (
        id          integer PRIMARY KEY CHECK (id = 1),
        public_key  bytea NOT NULL CHECK (octet_length(public_key) = 32),
        private_key bytea NOT NULL CHECK (octet_length(private_key) = 64),
        created_at  bigint NOT NULL
      );

      -- Devices: the public key is never stored. \`lookup\` is a keyed hash of it (the secret is in the device key
      -- store, outside the database) and \`sealed\` holds everything else under the device's own key (also there):
      -- destroying that key makes every copy of the row unreadable, dead tuples, WAL and backups included.
      CREATE TABLE devices (
        ref      text PRIMARY KEY CHECK (length(ref) = 22),
        lookup   bytea NOT NULL UNIQUE CHECK (octet_length(lookup) = 32),
        -- Set when its deletion is asked: it is in no round from then on.
        deleting boolean NOT NULL DEFAULT false,
        sealed   bytea NOT NULL
      );

      -- Which model of its shard each device trained on (the step of that model), for rollbacks and the
      -- once-per-model rule.
      CREATE TABLE contributions (
        ref   text NOT NULL REFERENCES devices (ref) ON DELETE CASCADE,
        shard integer NOT NULL REFERENCES shards (shard),
        step  bigint NOT NULL CHECK (step >= 0),
        PRIMARY KEY (ref, shard, step)
      );
      CREATE INDEX contributions_by_step ON contributions (shard, step);

      -- The deletion ledger: requests, and the receipt chain of those done.
      CREATE TABLE deletions (
        id           text PRIMARY KEY CHECK (length(id) = 22),
        key_hash     text NOT NULL CHECK (length(key_hash) = 64),
        nonce        bytea NOT NULL CHECK (octet_length(nonce) = 16),
        requested_at bigint NOT NULL,
        received_at  bigint NOT NULL,
        shard        integer NOT NULL CHECK (shard >= 0),
        -- While pending, the device's lookup hash (to finish the deletion after a restart); erased when done.
        lookup       bytea CHECK (lookup IS NULL OR octet_length(lookup) = 32),
        status       text NOT NULL CHECK (status IN ('pending', 'done')),
        completed_at bigint,
        chain_index  bigint UNIQUE CHECK (chain_index >= 0),
        receipt_hash text CHECK (receipt_hash IS NULL OR length(receipt_hash) = 64),
        receipt      json,
        UNIQUE (key_hash, nonce),
        CHECK ((status = 'done') = (receipt IS NOT NULL AND chain_index IS NOT NULL AND completed_at IS NOT NULL)),
        CHECK ((status = 'pending') = (lookup IS NOT NULL))
      );
      CREATE INDEX deletions_pending ON deletions (received_at) WHERE status = 'pending';

      -- Keys that sign receipts: one active, the retired ones still published so old receipts verify.
      CREATE TABLE receipt_keys (
        id          text PRIMARY KEY CHECK (length(id) = 16),
        public_key  bytea NOT NULL CHECK (octet_length(public_key) = 32),
        private_key bytea NOT NULL CHECK (octet_length(private_key) = 64),
        created_at  bigint NOT NULL,
        retired_at  bigint
      );
      CREATE UNIQUE INDEX receipt_keys_one_active ON receipt_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

      -- Enrollment tokens (--enrollment token): single-use, kept only as the SHA-256 of the token, so a copy of the
      -- database hands out no usable token. Which device used which token is not recorded (it would tie a person to
      -- a device key).
      CREATE TABLE enrollment_tokens (
        hash      bytea PRIMARY KEY CHECK (octet_length(hash) = 32),
        batch     text NOT NULL CHECK (length(batch) = 16),
        issued_at bigint NOT NULL CHECK (issued_at >= 0),
        status    text NOT NULL CHECK (status IN ('unused', 'used', 'revoked'))
      );
      CREATE INDEX enrollment_tokens_by_batch ON enrollment_tokens (batch, status);
    `,
  },
];

/** pg_advisory_xact_lock(LOCK_SPACE, n): the locks this store takes by number rather than on a row. */
export const LOCK_SPACE = 0x436f6e66; // 'Conf'
export const MIGRATION_LOCK = 1;
/** Registration holds it shared, the sweep of orphan keys exclusively: a key is never swept between its creation and its row's commit. */
export const KEY_SWEEP_LOCK = 2;

/**
 * Apply every migration above the recorded version, all in one transaction under an advisory lock (two servers
 * starting together migrate once). A database recorded at a newer version is refused: 'store.schema_too_new'.
 * Returns the versions it applied (none when the schema is current).
 */
export async function migratePostgres(client: pg.ClientBase): Promise<number[]> {
  const latest = POSTGRES_MIGRATIONS.length;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY CHECK (version >= 1), applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > latest) throw new StoreError('store.schema_too_new', `database schema version ${current} is newer than this server's ${latest}`);
    const applied: number[] = [];
    for (const m of POSTGRES_MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      // Recorded inside the transaction: a crash mid-migration rolls back the schema and the number together.
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
