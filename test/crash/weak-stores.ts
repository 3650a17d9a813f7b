// The stores the teeth test runs the server on: the real one, and two that break the durability promise in the
// two ways the crash suite must catch (a commit not fsynced; an acknowledgement sent before the commit).
import type { RunnableStore } from '../../server/run';
import { SqliteStore } from '../../server/store/sqlite-store';
import type { RoundCommit } from '../../server/store/store';

/** Which store the harness opens. */
export const STORE_VARIANTS = ['full', 'normal', 'ack-before-commit'] as const;
export type StoreVariant = (typeof STORE_VARIANTS)[number];

/** The variant named by `raw` (the harness's CONFIDANT_CRASH_STORE); throws naming the choices otherwise. */
export function storeVariant(raw: string | undefined): StoreVariant {
  if (!(STORE_VARIANTS as readonly (string | undefined)[]).includes(raw)) throw new Error(`CONFIDANT_CRASH_STORE must be one of ${STORE_VARIANTS.join(', ')}, got "${raw}"`);
  return raw as StoreVariant;
}

/**
 * A store whose commitRound resolves before its commit: the round's writes run inside a transaction left open (what
 * the server does next, such as pruning old files, runs inside it too), and COMMIT runs only when the next round
 * starts or the store closes. Devices hear "completed" while the round is not on disk (write-behind).
 */
export function acknowledgeBeforeCommit(store: SqliteStore): RunnableStore {
  let pending = false;
  const flush = (): void => {
    if (!pending) return;
    pending = false;
    store.db.exec('COMMIT');
  };
  const commitRound = async (c: RoundCommit): ReturnType<SqliteStore['commitRound']> => {
    flush();
    store.db.exec('BEGIN IMMEDIATE');
    try {
      // Inside an open transaction, better-sqlite3 runs the store's own transactions as savepoints.
      const result = await store.commitRound(c);
      pending = true;
      return result;
    } catch (err) {
      store.db.exec('ROLLBACK');
      throw err;
    }
  };
  const flushing = new Set<PropertyKey>(['roundStarted', 'close']);
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'commitRound') return commitRound;
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (flushing.has(property)) flush();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** How the harness opens the store of `variant`. */
export function storeOpener(variant: StoreVariant): (path: string) => RunnableStore {
  switch (variant) {
    case 'full':
      return (path) => SqliteStore.open(path);
    case 'normal':
      return (path) => SqliteStore.open(path, { synchronous: 'NORMAL' });
    case 'ack-before-commit':
      return (path) => acknowledgeBeforeCommit(SqliteStore.open(path));
  }
}
