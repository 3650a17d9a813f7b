// The server's node:crypto mask stream: byte-identical to the devices' libsodium stream, and RFC 8439's ChaCha20.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import _sodium from 'libsodium-wrappers';
import { DRG_NONCE, chacha20Keystream, nodeChachaMask } from '../../../server/crypto/chacha-mask';
import { MAX_MASK_WORDS, expandMask } from '../../../shared/secagg/prg';
import { BLOCKS, ENCRYPTIONS, fromHex } from '../../vectors/rfc8439';
import { keystream as reference } from '../../shared/secagg/chacha20-reference';

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

describe('RFC 8439 known answers for the server mask generator', () => {
  // The vectors are typed from the RFC (test/vectors/rfc8439.ts); chacha20Keystream is the function nodeChachaMask
  // runs, with the RFC's nonce and counter in place of "LibsodiumDRG" and block 0.
  it.each(BLOCKS)('$name: 64 bytes of keystream from its block counter', (v) => {
    expect(chacha20Keystream(fromHex(v.key), fromHex(v.nonce), v.counter, 64).toString('hex')).toBe(v.keystream);
  });

  it.each(ENCRYPTIONS)('$name: plaintext XOR keystream is the ciphertext', (v) => {
    const stream = chacha20Keystream(fromHex(v.key), fromHex(v.nonce), v.counter, v.plaintext.length);
    expect(Buffer.from(v.plaintext.map((b, i) => b ^ stream[i]!)).toString('hex')).toBe(v.ciphertext);
  });

  it('is the IETF ChaCha20 with nonce "LibsodiumDRG" from block 0, as the RFC-checked reference computes it (property)', () => {
    const rfcKeys = [...BLOCKS, ...ENCRYPTIONS].map((v) => fromHex(v.key));
    for (const key of rfcKeys) expect(Buffer.from(nodeChachaMask(key, 80).buffer).equals(Buffer.from(reference(key, DRG_NONCE, 0, 320)))).toBe(true);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 300 }), (seed, length) => {
        expect(Buffer.from(nodeChachaMask(seed, length).buffer).equals(Buffer.from(reference(seed, DRG_NONCE, 0, 4 * length)))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('never reaches the 32-bit block counter: the longest mask is 2^24 blocks, and a stream past block 2^32 − 1 is refused', () => {
    // Past 2^32 blocks node:crypto carries into the nonce (the original 64-bit-counter layout) while RFC 8439 has no
    // next block: the two generators would part there, so no mask may get there.
    expect((4 * MAX_MASK_WORDS) / 64).toBeLessThan(2 ** 32);
    expect(chacha20Keystream(new Uint8Array(32), DRG_NONCE, 2 ** 32 - 1, 64)).toHaveLength(64);
    expect(() => chacha20Keystream(new Uint8Array(32), DRG_NONCE, 2 ** 32 - 1, 65)).toThrow(/pass the 32-bit block counter/);
    expect(() => chacha20Keystream(new Uint8Array(32), new Uint8Array(8), 0, 64)).toThrow(/12 bytes \(IETF\)/);
  });
});
