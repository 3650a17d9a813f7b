// A fresh store gets a reproducible version 1 (one table per shard); a store with shards keeps them.
import { describe, expect, it } from 'vitest';
import { ensureInitialModel, initialModel } from '../../../server/training/initial-model';
import { MemoryStore } from '../../../server/store/memory-store';
import { decodeModel, encodeModel } from '../../../models/serialize';
import { decodeServedFile } from '../../../models/served-file';

describe('initialModel', () => {
  it('is reproducible from its seed (anyone can rebuild version 1), differs by shard, and is small', () => {
    const a = initialModel({ items: 50, dim: 8, seed: 7 });
    expect(encodeModel(a)).toEqual(encodeModel(initialModel({ items: 50, dim: 8, seed: 7 })));
    expect(encodeModel(a)).not.toEqual(encodeModel(initialModel({ items: 50, dim: 8, seed: 8 })));
    expect(encodeModel(a)).not.toEqual(encodeModel(initialModel({ items: 50, dim: 8, seed: 7, shard: 1 })));
    expect(a.table).toMatchObject({ items: 50, dim: 8 });
    expect(Math.max(...a.table.vectors.map(Math.abs))).toBeLessThan(0.1);
    expect(a.table.biases.every((b) => b === 0)).toBe(true);
  });

  it('refuses an empty catalogue', () => {
    expect(() => initialModel({ items: 0 })).toThrow(/items/);
  });
});

describe('ensureInitialModel', () => {
  it('stores version 1 over every shard with initial provenance once, then leaves the store alone', async () => {
    const store = new MemoryStore();
    const created = await ensureInitialModel(store, { items: 20, shards: 3, now: () => 1000 });
    expect(created).toMatchObject({ created: true, version: { version: 1, createdAt: 1000, provenance: { cause: 'initial', round: null, epsilon: 0 } } });
    const stored = await store.latestModel();
    const shards = decodeServedFile(stored!.data);
    expect(shards.map((m) => m.table.items)).toEqual([20, 20, 20]);
    // Each shard starts from its own public table; its served table is its training table.
    const c2 = await store.currentCheckpoint(2);
    expect(decodeModel(c2.training)).toEqual(shards[2]);
    expect(c2.served).toEqual(c2.training);
    const again = await ensureInitialModel(store, { items: 99, shards: 3, now: () => 2000 });
    expect(again).toEqual({ created: false, version: created.version });
    expect((await store.listModelVersions(10)).length).toBe(1);
    await expect(ensureInitialModel(store, { items: 20, shards: 2, now: () => 3000 })).rejects.toMatchObject({ code: 'store.conflict' });
  });
});
