// Preparing a version from the one served before reuses the unchanged shards and gives exactly what preparing it
// from nothing gives; a changed shard is decoded and checked as a fresh one is.
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../../models/serialize';
import { encodeServedFile } from '../../../models/served-file';
import type { ItemTable, ModelParams } from '../../../shared/model/reconstruct';
import { createRng } from '../../../shared/math/random';
import { prepareServedModel } from '../../../server/serving/served-model';

const params: ModelParams = { kind: 'implicit', lambda: 0.1, alpha: 2, valueScale: 1 };

function table(seed: number, items = 40, dim = 4): ItemTable {
  const rng = createRng(seed);
  return { items, dim, vectors: Float32Array.from({ length: items * dim }, () => rng.normal()), biases: Float32Array.from({ length: items }, () => rng.normal()) };
}

const fileOf = (tables: ItemTable[], p: ModelParams = params) => encodeServedFile(tables.map((t) => encodeModel({ params: p, table: t })));

/** VᵀV by the textbook sum, independent of the code under test. */
function gram(t: ItemTable): number[] {
  const g = new Array<number>(t.dim * t.dim).fill(0);
  for (let i = 0; i < t.items; i++) for (let a = 0; a < t.dim; a++) for (let b = 0; b < t.dim; b++) g[a * t.dim + b]! += t.vectors[i * t.dim + a]! * t.vectors[i * t.dim + b]!;
  return g;
}

describe('prepareServedModel', () => {
  const before = [table(1), table(2), table(3)];
  const after = [before[0]!, table(22), before[2]!];
  const v1 = prepareServedModel({ version: 1, sha256: 'a'.repeat(64) }, fileOf(before));

  it('reuses the shards whose file is unchanged and re-derives the changed one', () => {
    const v2 = prepareServedModel({ version: 2, sha256: 'b'.repeat(64) }, fileOf(after), v1);
    expect(v2.tables.grams[0]).toBe(v1.tables.grams[0]);
    expect(v2.tables.grams[2]).toBe(v1.tables.grams[2]);
    expect(v2.tables.grams[1]).not.toBe(v1.tables.grams[1]);
    [...v2.tables.grams[1]!].forEach((x, n) => expect(x).toBeCloseTo(gram(after[1]!)[n]!, 9));
    expect([...v2.tables.shards[1]!.vectors]).toEqual([...after[1]!.vectors]);
  });

  it('gives exactly what preparing the version from nothing gives', () => {
    const reused = prepareServedModel({ version: 2, sha256: 'b'.repeat(64) }, fileOf(after), v1);
    const fresh = prepareServedModel({ version: 2, sha256: 'b'.repeat(64) }, fileOf(after));
    expect(reused.tables.grams).toEqual(fresh.tables.grams);
    expect(reused.tables.wide).toEqual(fresh.tables.wide);
    expect(reused.similarity.unit).toEqual(fresh.similarity.unit);
    expect(reused.biases).toEqual(fresh.biases);
    expect(reused.shardSha256).toEqual(fresh.shardSha256);
  });

  it('still checks every shard: a corrupted file or a changed shard of another shape is refused', () => {
    const file = fileOf(after);
    file[file.length - 1]! ^= 1;
    expect(() => prepareServedModel({ version: 2, sha256: 'b'.repeat(64) }, file, v1)).toThrow(/checksum/);
    const misshapen = fileOf([before[0]!, table(5, 41), before[2]!]);
    expect(() => prepareServedModel({ version: 2, sha256: 'b'.repeat(64) }, misshapen, v1)).toThrow(/different shape/);
  });
});
