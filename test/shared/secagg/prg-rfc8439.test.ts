// RFC 8439 known answers for the devices' mask PRG (shared/secagg/prg.ts, libsodium's randombytes_buf_deterministic).
//
// expandMask takes only a seed: its nonce ("LibsodiumDRG") and first block (0) are fixed, so no RFC vector can be
// fed to it directly. The chain instead: (1) the reference ChaCha20 reproduces every RFC 8439 vector
// (chacha20-reference.test.ts); (2) expandMask equals that reference, IETF layout, nonce "LibsodiumDRG", block 0;
// (3) this libsodium build's IETF ChaCha20, the stream randombytes_buf_deterministic runs, reproduces the RFC
// vectors at their own nonces and counters (reached through its ChaCha20-Poly1305 AEAD, whose payload is the
// ChaCha20 stream from block 1, RFC 8439 §2.8).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expandMask, MAX_MASK_WORDS } from '../../../shared/secagg/prg';
import { BLOCKS, ENCRYPTIONS, fromHex } from '../../vectors/rfc8439';
import { keystream } from './chacha20-reference';
import { hex, sodium } from './helpers';

const DRG_NONCE = new TextEncoder().encode('LibsodiumDRG');
const wordsAsBytes = (words: Uint32Array): Uint8Array => {
  const out = new Uint8Array(4 * words.length);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(4 * i, w, true));
  return out;
};

/** libsodium's IETF ChaCha20 stream from block `counter` ≥ 1: the AEAD's ciphertext of zeros, tag dropped. */
function libsodiumIetfStream(key: Uint8Array, nonce: Uint8Array, counter: number, bytes: number): Uint8Array {
  if (counter < 1) throw new RangeError('the AEAD payload starts at block 1');
  const skip = 64 * (counter - 1);
  const sealed = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(new Uint8Array(skip + bytes), null, null, nonce, key);
  return sealed.subarray(skip, skip + bytes); // the 16-byte Poly1305 tag follows
}

describe('expandMask against RFC 8439', () => {
  it('is the IETF ChaCha20 keystream with nonce "LibsodiumDRG" from block 0, read as little-endian words (RFC keys and random seeds)', () => {
    for (const v of [...BLOCKS, ...ENCRYPTIONS]) {
      const key = fromHex(v.key);
      expect(hex(wordsAsBytes(expandMask(sodium, key, 48)))).toBe(hex(keystream(key, DRG_NONCE, 0, 192)));
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 400 }), (seed, length) => {
        expect(hex(wordsAsBytes(expandMask(sodium, seed, length)))).toBe(hex(keystream(seed, DRG_NONCE, 0, 4 * length)));
      }),
      { numRuns: 100 },
    );
  });

  it('this libsodium build runs RFC 8439 ChaCha20 (32-bit counter, 96-bit nonce): every vector from block 1 on', () => {
    const fromBlockOne = [...BLOCKS, ...ENCRYPTIONS].filter((v) => v.counter >= 1);
    expect(fromBlockOne.map((v) => v.name)).toEqual(['RFC 8439 §2.3.2', 'RFC 8439 A.1 #2', 'RFC 8439 A.1 #3', 'RFC 8439 A.1 #4', 'RFC 8439 §2.4.2', 'RFC 8439 A.2 #2', 'RFC 8439 A.2 #3']);
    for (const v of BLOCKS.filter((b) => b.counter >= 1)) expect(hex(libsodiumIetfStream(fromHex(v.key), fromHex(v.nonce), v.counter, 64))).toBe(v.keystream);
    for (const v of ENCRYPTIONS.filter((e) => e.counter >= 1)) {
      const stream = libsodiumIetfStream(fromHex(v.key), fromHex(v.nonce), v.counter, v.plaintext.length);
      expect(hex(v.plaintext.map((b, i) => b ^ stream[i]!))).toBe(v.ciphertext);
    }
  });

  it('reads "LibsodiumDRG" as the 96-bit IETF nonce (words 13–15) with the counter from 0 in word 12, and never reaches the counter limit', () => {
    const key = new Uint8Array(32).fill(9);
    const mask = hex(wordsAsBytes(expandMask(sodium, key, 32)));
    expect(mask).toBe(hex(keystream(key, DRG_NONCE, 0, 128)));
    // The original layout with an 8-byte nonce (libsodium's crypto_stream_chacha20, say) keyed the same gives another stream.
    expect(mask).not.toBe(hex(keystream(key, DRG_NONCE.subarray(0, 8), 0n, 128, 'original')));
    // Read as the original layout, the same 16 bytes are the 64-bit counter "Libs"·2^32 and the nonce "odiumDRG": the
    // two layouts part only where the IETF one has no next block (after 2^32 − 1), where the original carries.
    const high = BigInt(new DataView(DRG_NONCE.buffer, DRG_NONCE.byteOffset, 4).getUint32(0, true));
    expect(hex(keystream(key, DRG_NONCE.subarray(4), high << 32n, 128, 'original'))).toBe(mask);
    expect(() => keystream(key, DRG_NONCE, 2 ** 32 - 1, 65)).toThrow(/32 bits/);
    // A mask starts at block 0 and has at most MAX_MASK_WORDS words: 2^24 blocks, far below 2^32.
    expect((4 * MAX_MASK_WORDS) / 64).toBeLessThanOrEqual(2 ** 24);
  });
});
