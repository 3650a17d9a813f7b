// Mask PRG: byte-identical to node:crypto ChaCha20, a pinned known answer, full seed sensitivity, uniform output.
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_MASK_WORDS, expandMask, streamLengthBytes } from '../../../shared/secagg/prg';
import { chiSquare, chiSquareQuantile, hex, sodium } from './helpers';

/** The reference: ChaCha20 (RFC 8439 layout: 4-byte block counter ‖ 12-byte nonce) over zeros. */
function nodeChaCha20(seed: Uint8Array, bytes: number): Uint8Array {
  const iv = Buffer.concat([Buffer.alloc(4), Buffer.from('LibsodiumDRG', 'ascii')]);
  const cipher = createCipheriv('chacha20', seed, iv);
  return new Uint8Array(Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]));
}

const wordsAsBytes = (words: Uint32Array): Uint8Array => {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(4 * i, w, true));
  return out;
};

const SEED_0_31 = Uint8Array.from({ length: 32 }, (_, i) => i);
/** First 64 bytes for seed 00 01 … 1f. Pinned, and re-derived below by both implementations. */
const KNOWN_64 =
  '0d8e6cc68715648926732e7ea73250cfaf2d58422083904c841a8ba33b986111' +
  'f346ba50723a68ae283524a6bded09f83be6b80595856f72e25b86918e8b114b';

describe('expandMask', () => {
  it.each([1, 16, 17, 1000, 65_537])('matches node:crypto chacha20 (key = seed, iv = 0⁴ ‖ "LibsodiumDRG") for %i words', (length) => {
    for (const label of [0, 1, 0xff]) {
      const seed = new Uint8Array(32).fill(label);
      seed[31] = length & 0xff;
      const words = expandMask(sodium, seed, length);
      expect(words).toHaveLength(length);
      expect(hex(wordsAsBytes(words))).toBe(hex(nodeChaCha20(seed, 4 * length)));
    }
  });

  it('gives the pinned first 64 bytes for seed 00..1f, in both implementations', () => {
    expect(hex(wordsAsBytes(expandMask(sodium, SEED_0_31, 16)))).toBe(KNOWN_64);
    expect(hex(nodeChaCha20(SEED_0_31, 64))).toBe(KNOWN_64);
    expect(hex(sodium.randombytes_buf_deterministic(64, SEED_0_31))).toBe(KNOWN_64);
  });

  it('reads words little-endian', () => {
    const words = expandMask(sodium, SEED_0_31, 1);
    expect(words[0]).toBe(0xc66c8e0d);
  });

  it('is a prefix of itself: a longer mask starts with the shorter one', () => {
    const short = expandMask(sodium, SEED_0_31, 10);
    const long = expandMask(sodium, SEED_0_31, 1000);
    expect(Array.from(long.subarray(0, 10))).toEqual(Array.from(short));
  });

  it('changes with every one of the 256 seed bits, in about half of its output bits', () => {
    const base = wordsAsBytes(expandMask(sodium, SEED_0_31, 16));
    for (let bit = 0; bit < 256; bit++) {
      const seed = SEED_0_31.slice();
      seed[bit >> 3]! ^= 1 << (bit & 7);
      const flipped = wordsAsBytes(expandMask(sodium, seed, 16));
      let differing = 0;
      for (let i = 0; i < 64; i++) {
        let x = base[i]! ^ flipped[i]!;
        while (x) {
          differing += x & 1;
          x >>= 1;
        }
      }
      // 512 output bits, Binomial(512, ½): mean 256, sd ≈ 11.3; ±8 sd.
      expect(differing).toBeGreaterThan(256 - 90);
      expect(differing).toBeLessThan(256 + 90);
    }
  });

  it('has uniform byte values (χ², 255 dof) over 1 MiB for each of three seeds, and the test has power', () => {
    const bound = chiSquareQuantile(255, 7); // ≈ 470; a tail near 1e-12
    for (const label of [1, 2, 3]) {
      const bytes = wordsAsBytes(expandMask(sodium, new Uint8Array(32).fill(label), 1 << 18));
      const counts = new Array<number>(256).fill(0);
      for (const b of bytes) counts[b]!++;
      expect(chiSquare(counts)).toBeLessThan(bound);
    }
    // Negative control: the same stream with one byte value in 200 replaced by 0 fails.
    const bytes = wordsAsBytes(expandMask(sodium, new Uint8Array(32).fill(1), 1 << 18));
    const counts = new Array<number>(256).fill(0);
    bytes.forEach((b, i) => counts[i % 200 === 0 ? 0 : b]!++);
    expect(chiSquare(counts)).toBeGreaterThan(bound);
  });

  it('gives an empty mask for length 0', () => {
    expect(expandMask(sodium, SEED_0_31, 0)).toHaveLength(0);
  });

  it.each([0, 16, 31, 33, 64])('refuses a %i-byte seed (no short seeds: threat model case 6)', (length) => {
    expect(() => expandMask(sodium, new Uint8Array(length), 4)).toThrow(expect.objectContaining({ code: 'prg.bad_seed' }));
  });

  it('refuses a 32-bit integer as a seed', () => {
    expect(() => expandMask(sodium, 12345 as unknown as Uint8Array, 4)).toThrow(expect.objectContaining({ code: 'prg.bad_seed' }));
  });

  it.each([-1, 1.5, Number.NaN, MAX_MASK_WORDS + 1])('refuses length %s', (length) => {
    expect(() => expandMask(sodium, SEED_0_31, length)).toThrow(expect.objectContaining({ code: 'prg.bad_length' }));
  });
});

describe('streamLengthBytes', () => {
  it('is 4 bytes per word', () => {
    expect(streamLengthBytes(0)).toBe(0);
    expect(streamLengthBytes(1000)).toBe(4000);
    expect(() => streamLengthBytes(-1)).toThrow(expect.objectContaining({ code: 'prg.bad_length' }));
  });
});
