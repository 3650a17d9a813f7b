// The server's parallel mask applier gives the reference applier's exact result, word for word.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import _sodium from 'libsodium-wrappers';
import { blockAlignedRanges, createParallelMaskApplier, type ParallelMaskApplier } from '../../../server/crypto/parallel-masks';
import { applyMasks, type MaskTerm } from '../../../shared/secagg/masking';

let pool: ParallelMaskApplier;
beforeAll(async () => {
  await _sodium.ready;
  pool = createParallelMaskApplier(_sodium, { threads: 3 });
});
afterAll(async () => {
  await pool.close();
});

const termsArb = fc.array(fc.record({ seed: fc.uint8Array({ minLength: 32, maxLength: 32 }), sign: fc.constantFrom<1 | -1>(1, -1) }), { minLength: 1, maxLength: 40 });

describe('blockAlignedRanges', () => {
  it('covers [0, length) exactly, in order, each range starting on a 16-word block (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 64 }), (length, parts) => {
        const ranges = blockAlignedRanges(length, parts);
        let at = 0;
        for (const r of ranges) {
          expect(r.start).toBe(at);
          expect(r.start % 16).toBe(0);
          expect(r.end).toBeGreaterThan(r.start);
          at = r.end;
        }
        expect(at).toBe(length);
        expect(ranges.length).toBeLessThanOrEqual(parts);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('createParallelMaskApplier', () => {
  it('equals the libsodium reference on vectors large enough to use the workers (property)', () => {
    fc.assert(
      fc.property(termsArb, fc.integer({ min: 110_000, max: 200_000 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (terms, length, fill) => {
        if (terms.length * length < 1 << 22) terms = [...terms, ...Array.from({ length: Math.ceil((1 << 22) / length) }, (_, j) => ({ seed: new Uint8Array(32).fill(j), sign: 1 as const }))];
        const reference = new Uint32Array(length).fill(fill);
        applyMasks(_sodium, reference, terms);
        const parallel = new Uint32Array(length).fill(fill);
        pool.apply(parallel, terms);
        expect(Buffer.from(parallel.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
      }),
      { numRuns: 12 },
    );
  });

  it('equals the reference on small jobs, which stay on the calling thread (property)', () => {
    fc.assert(
      fc.property(termsArb, fc.integer({ min: 0, max: 3000 }), (terms, length) => {
        const reference = Uint32Array.from({ length }, (_, n) => n * 2654435761);
        const parallel = Uint32Array.from(reference);
        applyMasks(_sodium, reference, terms);
        pool.apply(parallel, terms);
        expect(Array.from(parallel)).toEqual(Array.from(reference));
      }),
      { numRuns: 200 },
    );
  });

  it('removes what it added: +PRG then −PRG gives back the vector', () => {
    const seed = Uint8Array.from({ length: 32 }, (_, n) => 255 - n);
    const original = Uint32Array.from({ length: 300_001 }, (_, n) => (n * 40503) >>> 0);
    const v = Uint32Array.from(original);
    const many: MaskTerm[] = Array.from({ length: 16 }, (_, j) => ({ seed: seed.map((b) => b ^ j), sign: 1 }));
    pool.apply(v, many);
    expect(Buffer.from(v.buffer).equals(Buffer.from(original.buffer))).toBe(false);
    pool.apply(v, many.map((t) => ({ ...t, sign: -1 })));
    expect(Buffer.from(v.buffer).equals(Buffer.from(original.buffer))).toBe(true);
  });

  it('refuses a seed that is not 32 bytes and a bad thread count', () => {
    expect(() => pool.apply(new Uint32Array(1 << 20), Array.from({ length: 8 }, () => ({ seed: new Uint8Array(16), sign: 1 as const })))).toThrow(/32 bytes/);
    expect(() => createParallelMaskApplier(_sodium, { threads: 0 })).toThrow(/threads/);
  });
});
