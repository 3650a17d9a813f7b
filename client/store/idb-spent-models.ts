// The browser's record of spent (model, purpose) pairs (client/rounds/spent-models.ts), in its own IndexedDB
// database: a deletion clears the device store but not this record, since a fresh identity contributing again to a
// model the old one contributed to would give a server two sums that differ by one device.
import { openDB, type DBSchema } from 'idb';
import { spentKeyText, type SpentModels } from '../rounds/spent-models';

export const SPENT_DB_NAME = 'confidant-spent';
const SPENT_DB_VERSION = 1;

interface Schema extends DBSchema {
  spent: { key: string; value: { key: string; at: number } };
}

/** Open the record; `now` stamps each entry (for an operator looking at the browser's storage, nothing reads it). */
export async function openIdbSpentModels(name = SPENT_DB_NAME, now: () => number = Date.now): Promise<SpentModels & { close(): void }> {
  const db = await openDB<Schema>(name, SPENT_DB_VERSION, {
    upgrade(d) {
      d.createObjectStore('spent', { keyPath: 'key' });
    },
  });
  return {
    has: async (key) => (await db.get('spent', spentKeyText(key))) !== undefined,
    async record(key) {
      // 'strict' durability: the transaction completes only once the browser has flushed it to disk.
      const tx = db.transaction('spent', 'readwrite', { durability: 'strict' });
      await tx.store.put({ key: spentKeyText(key), at: now() });
      await tx.done;
    },
    close: () => db.close(),
  };
}
