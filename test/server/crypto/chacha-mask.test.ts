// The server's node:crypto mask stream is byte-identical to the devices' libsodium stream.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import _sodium from 'libsodium-wrappers';
import { nodeChachaMask } from '../../../server/crypto/chacha-mask';
import { expandMask } from '../../../shared/secagg/prg';

beforeAll(async () => {
  await _sodium.ready;
});

describe('nodeChachaMask', () => {
  it('equals libsodium randombytes_buf_deterministic for random seeds and lengths (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 5000 }), (seed, length) => {
        expect(Array.from(nodeChachaMask(seed, length))).toEqual(Array.from(expandMask(_sodium, seed, length)));
      }),
      { numRuns: 200 },
    );
  });

  it('matches over a long stream crossing the 32-bit block counter boundaries used in practice (300,000 words)', () => {
    const seed = Uint8Array.from({ length: 32 }, (_, n) => n * 7);
    expect(Buffer.from(nodeChachaMask(seed, 300_000).buffer).equals(Buffer.from(expandMask(_sodium, seed, 300_000).buffer))).toBe(true);
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => nodeChachaMask(new Uint8Array(16), 4)).toThrow(/32 bytes/);
  });
});
