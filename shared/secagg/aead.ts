// Versioned XChaCha20-Poly1305 sealing of the shares devices send one another through the server.
import { checkKeyLength } from './keys';
import { SecAggError } from './errors';
import type { Sodium } from './sodium';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 24;
export const AEAD_TAG_BYTES = 16;
/** Byte 0 of every sealed box; a new format gets a new number, never a silent reinterpretation. */
export const AEAD_VERSION = 1;
/** Bytes a sealed box adds to its plaintext: version, nonce, tag. */
export const AEAD_OVERHEAD_BYTES = 1 + AEAD_NONCE_BYTES + AEAD_TAG_BYTES;

/**
 * Seal `plaintext` under a 32-byte key as version ‖ nonce ‖ ciphertext ‖ tag, with a fresh random
 * 24-byte nonce (XChaCha20-Poly1305-IETF, draft-irtf-cfrg-xchacha). The associated data is
 * authenticated, not sent: bind the session id, round, sender and recipient (e.g. with encodeTuple)
 * so a box cannot be replayed into another round or redirected to another device.
 */
export function seal(sodium: Sodium, key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  checkKeyLength(key, AEAD_KEY_BYTES, 'key');
  const nonce = sodium.randombytes_buf(AEAD_NONCE_BYTES);
  const body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData, null, nonce, key);
  const out = new Uint8Array(1 + AEAD_NONCE_BYTES + body.length);
  out[0] = AEAD_VERSION;
  out.set(nonce, 1);
  out.set(body, 1 + AEAD_NONCE_BYTES);
  return out;
}

/**
 * Open a box made by `seal`. Any failure — unknown version, too short, tampered bytes, wrong key
 * or wrong associated data — has the one code 'aead.rejected': callers need not (and should not) branch on which.
 */
export function open(sodium: Sodium, key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array {
  checkKeyLength(key, AEAD_KEY_BYTES, 'key');
  if (!(sealed instanceof Uint8Array) || sealed.length < AEAD_OVERHEAD_BYTES) {
    throw new SecAggError('aead.rejected', `sealed box must be at least ${AEAD_OVERHEAD_BYTES} bytes`);
  }
  if (sealed[0] !== AEAD_VERSION) {
    throw new SecAggError('aead.rejected', `sealed box has version ${sealed[0]}, expected ${AEAD_VERSION}`);
  }
  const nonce = sealed.subarray(1, 1 + AEAD_NONCE_BYTES);
  const body = sealed.subarray(1 + AEAD_NONCE_BYTES);
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, body, associatedData, nonce, key);
  } catch {
    throw new SecAggError('aead.rejected', 'sealed box failed authentication (tampered, wrong key or wrong associated data)');
  }
}
