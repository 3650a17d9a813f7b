// The device store contract run against both implementations, and IndexedDB's own failures in words.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openIdbStore } from '../../../client/store/idb-store';
import { createMemoryStore } from '../../../client/store/memory-store';
import { StorageError } from '../../../client/store/store';
import { storeContract } from './store.conformance';

storeContract('memory', async () => createMemoryStore());
let databases = 0;
storeContract('IndexedDB', async () => openIdbStore(`contract-${databases++}`));

describe('IndexedDB failures are StorageErrors with a reason', () => {
  it('no IndexedDB at all: unavailable', async () => {
    const saved = globalThis.indexedDB;
    try {
      (globalThis as { indexedDB?: IDBFactory }).indexedDB = undefined;
      await expect(openIdbStore()).rejects.toMatchObject({ name: 'StorageError', reason: 'unavailable' });
    } finally {
      globalThis.indexedDB = saved;
    }
  });

  it('a full disk while writing: full', async () => {
    const store = await openIdbStore('full-db');
    const real = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function () {
      throw new DOMException('quota', 'QuotaExceededError');
    };
    try {
      const err = await store.addEvent({ type: 'view', item: 1, categories: [], time: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect(err).toMatchObject({ reason: 'full' });
    } finally {
      IDBObjectStore.prototype.add = real;
    }
  });

  it('a database written by a newer version of the app: unavailable, saying so', async () => {
    await new Promise<void>((resolve) => {
      const r = indexedDB.open('newer-db', 7);
      r.onsuccess = () => {
        r.result.close();
        resolve();
      };
    });
    await expect(openIdbStore('newer-db')).rejects.toMatchObject({ name: 'StorageError', reason: 'unavailable', message: expect.stringContaining('newer version') });
  });
});
