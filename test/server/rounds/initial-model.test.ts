// A fresh store gets a reproducible version 1; a store with a model keeps it.
import { describe, expect, it } from 'vitest';
import { ensureInitialModel, initialModel } from '../../../server/rounds/initial-model';
import { MemoryStore } from '../../../server/store/memory-store';
import { decodeModel, encodeModel } from '../../../models/serialize';

describe('initialModel', () => {
  it('is reproducible from its seed (anyone can rebuild version 1) and small', () => {
    const a = initialModel({ items: 50, dim: 8, seed: 7 });
    expect(encodeModel(a)).toEqual(encodeModel(initialModel({ items: 50, dim: 8, seed: 7 })));
    expect(encodeModel(a)).not.toEqual(encodeModel(initialModel({ items: 50, dim: 8, seed: 8 })));
    expect(a.table).toMatchObject({ items: 50, dim: 8 });
    expect(Math.max(...a.table.vectors.map(Math.abs))).toBeLessThan(0.1);
    expect(a.table.biases.every((b) => b === 0)).toBe(true);
  });

  it('refuses an empty catalogue', () => {
    expect(() => initialModel({ items: 0 })).toThrow(/items/);
  });
});

describe('ensureInitialModel', () => {
  it('stores version 1 with null-round provenance once, then leaves the store alone', async () => {
    const store = new MemoryStore();
    expect(await ensureInitialModel(store, { items: 20, now: () => 1000 })).toEqual({ version: 1, created: true });
    const stored = await store.latestModel();
    expect(stored).toMatchObject({ version: 1, createdAt: 1000, provenance: { round: null, epsilon: null } });
    expect(decodeModel(stored!.data).table.items).toBe(20);
    expect(await ensureInitialModel(store, { items: 99, now: () => 2000 })).toEqual({ version: 1, created: false });
    expect((await store.listModelVersions(10)).length).toBe(1);
  });
});
