// The device key store: each device's data key and the lookup secret, in their own SQLite file beside the
// database (not in it, so that a backup of the database holds no key). Deleting a device destroys its key here:
// secure_delete overwrites the row, and a TRUNCATE checkpoint empties the WAL.
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { DEVICE_KEY_BYTES, newDeviceKey } from './device-sealing';

/** Where device keys live. */
export interface DeviceKeyStore {
  /** The secret of the lookup hash (made on first use). */
  lookupSecret(): Uint8Array;
  /** A new key for `ref`, durable before this returns. */
  create(ref: string): Uint8Array;
  get(ref: string): Uint8Array | undefined;
  /** Destroy the key of `ref` and scrub it from the file and its WAL. */
  destroy(ref: string): void;
  /** Every reference that has a key (to sweep keys whose device row is gone). */
  refs(): string[];
  close(): void;
}

/** Keys in memory (tests and benchmarks with the memory store). */
export function memoryDeviceKeys(): DeviceKeyStore {
  const keys = new Map<string, Uint8Array>();
  const secret = new Uint8Array(randomBytes(32));
  return {
    lookupSecret: () => secret,
    create(ref) {
      const key = newDeviceKey();
      keys.set(ref, key);
      return key;
    },
    get: (ref) => keys.get(ref),
    destroy(ref) {
      keys.get(ref)?.fill(0);
      keys.delete(ref);
    },
    refs: () => [...keys.keys()],
    close() {},
  };
}

/** Keys in a SQLite file (WAL, synchronous=FULL, secure_delete). */
export function sqliteDeviceKeys(path: string, synchronous: 'FULL' | 'NORMAL' | 'OFF' = 'FULL'): DeviceKeyStore {
  const db: Db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('secure_delete = ON');
  db.exec(`
    CREATE TABLE IF NOT EXISTS device_keys (ref TEXT PRIMARY KEY, key BLOB NOT NULL CHECK (length(key) = ${DEVICE_KEY_BYTES})) STRICT;
    CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
  `);
  const statements = new Map<string, Statement>();
  const q = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  let secret: Uint8Array | undefined;
  return {
    lookupSecret() {
      if (secret) return secret;
      q("INSERT INTO secrets (name, value) VALUES ('lookup', ?) ON CONFLICT (name) DO NOTHING").run(randomBytes(32));
      secret = new Uint8Array((q("SELECT value FROM secrets WHERE name = 'lookup'").get() as { value: Buffer }).value);
      return secret;
    },
    create(ref) {
      const key = newDeviceKey();
      q('INSERT INTO device_keys (ref, key) VALUES (?, ?)').run(ref, Buffer.from(key));
      return key;
    },
    get(ref) {
      const row = q('SELECT key FROM device_keys WHERE ref = ?').get(ref) as { key: Buffer } | undefined;
      return row && new Uint8Array(row.key);
    },
    destroy(ref) {
      q('DELETE FROM device_keys WHERE ref = ?').run(ref);
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    refs: () => (q('SELECT ref FROM device_keys').all() as { ref: string }[]).map((r) => r.ref),
    close() {
      if (db.open) db.close();
    },
  };
}
