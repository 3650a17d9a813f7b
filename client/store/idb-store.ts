// The device store in IndexedDB (through idb): the browser's. A full disk, a database blocked by another tab or a
// browser that refuses storage becomes a StorageError the app shows in words, never a blank page.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { ShopEvent } from '../core/events';
import { clonePermissions, defaultPermissions, type ConsentLogEntry, type Permissions } from '../core/permissions';
import type { StoredModel } from '../core/model';
import { StorageError, type DeviceStore, type SentRecord, type Settings, type StoredCatalogue, type StoredIdentity, type StoredReceipt } from './store';

/** The database's name and schema version. */
export const DB_NAME = 'confidant-device';
export const DB_VERSION = 1;

interface Schema extends DBSchema {
  events: { key: number; value: ShopEvent; indexes: { time: number } };
  consent: { key: number; value: ConsentLogEntry };
  sent: { key: number; value: SentRecord };
  receipts: { key: number; value: StoredReceipt };
  kv: { key: string; value: unknown };
}

/** The object stores, all cleared by a deletion but `receipts`. */
export const STORE_NAMES = ['events', 'consent', 'sent', 'receipts', 'kv'] as const;

/** A DOMException or idb failure as a StorageError with its reason. */
function storageError(err: unknown): unknown {
  if (err instanceof StorageError) return err;
  const name = (err as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') return new StorageError('full', 'the browser has no more room for this site\'s data');
  if (name === 'VersionError') return new StorageError('unavailable', 'this site\'s data was written by a newer version of the app: reload to get it');
  if (name === 'InvalidStateError' || name === 'SecurityError' || name === 'UnknownError' || name === 'NotAllowedError') {
    return new StorageError('unavailable', `the browser refused this site's storage (${name})`);
  }
  return err;
}

/** Run a store operation, turning storage failures into StorageErrors. */
async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw storageError(err);
  }
}

/** Open (or create) the device's database; rejects with a StorageError when it cannot. */
export async function openIdbStore(name = DB_NAME): Promise<DeviceStore> {
  if (!globalThis.indexedDB) throw new StorageError('unavailable', 'this browser has no IndexedDB (private mode or storage turned off)');
  let db: IDBPDatabase<Schema>;
  try {
    db = await new Promise<IDBPDatabase<Schema>>((resolve, reject) => {
      const opening = openDB<Schema>(name, DB_VERSION, {
        upgrade(d) {
          d.createObjectStore('events', { keyPath: 'id', autoIncrement: true }).createIndex('time', 'time');
          d.createObjectStore('consent', { keyPath: 'id', autoIncrement: true });
          d.createObjectStore('sent', { keyPath: 'id', autoIncrement: true });
          d.createObjectStore('receipts', { keyPath: 'id', autoIncrement: true });
          d.createObjectStore('kv');
        },
        blocked: () => reject(new StorageError('blocked', 'another tab of this app holds an older version of its database open: close it and reload')),
      });
      opening.then(resolve, reject);
    });
  } catch (err) {
    throw storageError(err);
  }
  // Another tab upgrading the schema: let it, and say so rather than fail later.
  db.addEventListener('versionchange', () => db.close());
  const kvGet = <T>(key: string) => guarded(async () => (await db.get('kv', key)) as T | undefined);
  const kvPut = (key: string, value: unknown) => guarded(async () => void (await db.put('kv', value, key)));

  return {
    addEvent: (event) => guarded(async () => {
      const { id: _id, ...rest } = event;
      return db.add('events', rest as ShopEvent);
    }),
    events: () => guarded(() => db.getAll('events')),
    deleteEvent: (id) => guarded(() => db.delete('events', id)),
    deleteOlderThan: (time) => guarded(async () => {
      const tx = db.transaction('events', 'readwrite');
      let n = 0;
      for (let cursor = await tx.store.index('time').openCursor(IDBKeyRange.upperBound(time, true)); cursor; cursor = await cursor.continue()) {
        await cursor.delete();
        n++;
      }
      await tx.done;
      return n;
    }),
    permissions: async () => clonePermissions((await kvGet<Permissions>('permissions')) ?? defaultPermissions()),
    setPermissions: (next, time) => guarded(async () => {
      const tx = db.transaction(['kv', 'consent'], 'readwrite');
      const before = clonePermissions(((await tx.objectStore('kv').get('permissions')) as Permissions | undefined) ?? defaultPermissions());
      const entry: ConsentLogEntry = { time, before, after: clonePermissions(next) };
      await tx.objectStore('kv').put(clonePermissions(next), 'permissions');
      entry.id = await tx.objectStore('consent').add(entry);
      await tx.done;
      return entry;
    }),
    consentLog: () => guarded(() => db.getAll('consent')),
    setting: (key) => kvGet(`setting:${key}`),
    setSetting: (key, value) => (value === undefined ? guarded(() => db.delete('kv', `setting:${key}`)) : kvPut(`setting:${key}`, value)),
    putSent: (record) => guarded(async () => {
      const tx = db.transaction('sent', 'readwrite');
      if (record.kind === 'round') {
        for (let cursor = await tx.store.openCursor(); cursor; cursor = await cursor.continue()) {
          const r = cursor.value;
          if (r.kind === 'round' && r.sessionId === record.sessionId) {
            await cursor.update({ ...record, id: r.id! });
            await tx.done;
            return;
          }
        }
      }
      const { id: _id, ...rest } = record;
      await tx.store.add(rest as SentRecord);
      await tx.done;
    }),
    sent: () => guarded(() => db.getAll('sent')),
    model: () => kvGet<StoredModel>('model'),
    putModel: (m) => kvPut('model', m),
    catalogue: () => kvGet<StoredCatalogue>('catalogue'),
    putCatalogue: (c) => kvPut('catalogue', c),
    identity: () => kvGet<StoredIdentity>('identity'),
    putIdentity: (i) => kvPut('identity', i),
    addReceipt: (r) => guarded(async () => {
      const { id: _id, ...rest } = r;
      await db.add('receipts', rest as StoredReceipt);
    }),
    receipts: () => guarded(() => db.getAll('receipts')),
    wipeExceptReceipts: () => guarded(async () => {
      const tx = db.transaction(['events', 'consent', 'sent', 'kv'], 'readwrite');
      await Promise.all([tx.objectStore('events').clear(), tx.objectStore('consent').clear(), tx.objectStore('sent').clear(), tx.objectStore('kv').clear()]);
      await tx.done;
    }),
    close: () => db.close(),
  };
}

export type { Settings, StoredCatalogue, StoredIdentity };
