// CSPRNG draws for the primitives that take a random source: bytes for Shamir, uniform floats for rounding.
//
// Why not sodium.randombytes_buf(n) directly: in libsodium-wrappers 0.8.4 it costs ≈15 µs per byte
// (measured: 22 KB ≈ 100 ms), while randombytes_buf_deterministic streams ChaCha20 at ≈250 MB/s.
// So each request draws a fresh 32-byte key from the system CSPRNG and expands it with ChaCha20 —
// the construction libsodium's own deterministic generator uses — and the key is then erased.
import type { Sodium } from './sodium';

const KEY_BYTES = 32;

/** `randomBytes(n)` from libsodium's CSPRNG (the production source for `split`): n fresh random bytes per call. */
export function sodiumRandomBytes(sodium: Sodium): (n: number) => Uint8Array {
  return (n) => {
    if (n <= KEY_BYTES) return sodium.randombytes_buf(n);
    const key = sodium.randombytes_buf(KEY_BYTES);
    const out = sodium.randombytes_buf_deterministic(n, key);
    sodium.memzero(key);
    return out;
  };
}

const DRAWS_PER_REFILL = 8192;
const BYTES_PER_DRAW = 8;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/**
 * A uniform draw in [0, 1) with 53 random bits (the production source for stochastic rounding),
 * buffered 8,192 draws at a time so a long vector costs one key draw per 64 KiB of randomness.
 */
export function sodiumUniform01(sodium: Sodium): () => number {
  const randomBytes = sodiumRandomBytes(sodium);
  let words: Uint32Array = new Uint32Array(0);
  let at = 0;
  return () => {
    if (at >= words.length) {
      words.fill(0);
      const bytes = randomBytes(DRAWS_PER_REFILL * BYTES_PER_DRAW);
      words = bytes.byteOffset % 4 === 0
        ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
        : new Uint32Array(bytes.slice().buffer);
      at = 0;
    }
    const high = words[at]! >>> 11; // 21 bits
    const low = words[at + 1]!; // 32 bits
    at += 2;
    return (high * TWO_POW_32 + low) / TWO_POW_53;
  };
}
