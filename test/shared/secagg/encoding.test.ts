// Tuple encoding: distinct tuples never collide; bad integers are refused.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeTuple } from '../../../shared/secagg/encoding';
import type { TuplePart } from '../../../shared/secagg/encoding';
import { hex } from './helpers';

const arbPart: fc.Arbitrary<TuplePart> = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.nat({ max: 1000 }),
  fc.uint8Array({ maxLength: 6 }),
);
const key = (parts: TuplePart[]) => JSON.stringify(parts.map((p) => (p instanceof Uint8Array ? ['b', hex(p)] : [typeof p, p])));

describe('encodeTuple', () => {
  it('maps distinct tuples to distinct bytes', () => {
    fc.assert(
      fc.property(fc.array(arbPart, { maxLength: 4 }), fc.array(arbPart, { maxLength: 4 }), (a, b) => {
        if (key(a) === key(b)) expect(hex(encodeTuple(a))).toBe(hex(encodeTuple(b)));
        else expect(hex(encodeTuple(a))).not.toBe(hex(encodeTuple(b)));
      }),
      { numRuns: 300 },
    );
  });

  it('separates the classic ambiguities', () => {
    expect(hex(encodeTuple(['ab', 'c']))).not.toBe(hex(encodeTuple(['a', 'bc'])));
    expect(hex(encodeTuple([7]))).not.toBe(hex(encodeTuple(['7'])));
    expect(hex(encodeTuple([new Uint8Array([55])]))).not.toBe(hex(encodeTuple(['7'])));
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses the integer %s', (bad) => {
    expect(() => encodeTuple(['x', bad])).toThrow(expect.objectContaining({ code: 'encoding.bad_part' }));
  });
});
