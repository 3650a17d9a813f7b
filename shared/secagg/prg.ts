// Mask expansion: a 256-bit seed stretched into a vector of uniform 32-bit words (libsodium's ChaCha20 DRG).
//
// Seeds are always 32 bytes from a CSPRNG or a key agreement, never a 32-bit integer or Math.random
// (threat model case 6: Flower issue #7522, disco #1074 masked with guessable seeds).
import { SecAggError } from './errors';
import type { Sodium } from './sodium';

export const SEED_BYTES = 32;
export const WORD_BYTES = 4;
/** Longest mask one call expands (2^28 words = 1 GiB of stream): a guard against a corrupt length, not a protocol limit. */
export const MAX_MASK_WORDS = 2 ** 28;

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Bytes of ChaCha20 stream needed for `lengthWords` 32-bit mask words. */
export function streamLengthBytes(lengthWords: number): number {
  checkLength(lengthWords);
  return lengthWords * WORD_BYTES;
}

/**
 * The mask PRG of Bonawitz et al. 2017 (PRG(b_u) and PRG(s_u,v) in the masked input): `length` words read
 * little-endian from randombytes_buf_deterministic(4·length, seed), i.e. ChaCha20 keyed by the seed
 * with nonce "LibsodiumDRG" from block 0. The same seed gives the same words on every platform.
 */
export function expandMask(sodium: Sodium, seed32: Uint8Array, length: number): Uint32Array {
  if (!(seed32 instanceof Uint8Array) || seed32.length !== SEED_BYTES) {
    const got = seed32 instanceof Uint8Array ? `${seed32.length} bytes` : typeof seed32;
    throw new SecAggError('prg.bad_seed', `seed32 must be exactly ${SEED_BYTES} bytes, got ${got}`);
  }
  const bytes = streamLengthBytes(length);
  if (length === 0) return new Uint32Array(0);
  const stream = sodium.randombytes_buf_deterministic(bytes, seed32);
  if (LITTLE_ENDIAN && stream.byteOffset % WORD_BYTES === 0) {
    return new Uint32Array(stream.buffer, stream.byteOffset, length);
  }
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const out = new Uint32Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getUint32(i * WORD_BYTES, true);
  return out;
}

function checkLength(lengthWords: number): void {
  if (!Number.isSafeInteger(lengthWords) || lengthWords < 0 || lengthWords > MAX_MASK_WORDS) {
    throw new SecAggError('prg.bad_length', `length must be an integer in [0, ${MAX_MASK_WORDS}] words, got ${lengthWords}`);
  }
}
