// The device's identity key and its recovery code. The code is the key's 32-byte seed with a 2-byte checksum,
// written in Crockford base32 in groups of four: with it, the same key (and so "Delete my data") works from another
// browser, or after this one's storage was cleared.
import { sha256 } from '@noble/hashes/sha2.js';
import type { Sodium } from '../../shared/secagg/sodium';
import type { SigningKeyPair } from '../../shared/secagg/sign';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SEED_BYTES = 32;
const CHECK_BYTES = 2;

/** A recovery code that cannot be read: the message says why. */
export class RecoveryCodeError extends Error {
  override name = 'RecoveryCodeError';
}

/** A fresh identity from the CSPRNG. */
export function newIdentity(sodium: Sodium): SigningKeyPair {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  return { publicKey, privateKey };
}

/** The identity a seed gives (Ed25519: the private key is seed ‖ public key). */
export function identityFromSeed(sodium: Sodium, seed: Uint8Array): SigningKeyPair {
  if (seed.length !== SEED_BYTES) throw new RecoveryCodeError(`a seed has ${SEED_BYTES} bytes, got ${seed.length}`);
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
  return { publicKey, privateKey };
}

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** The recovery code of an identity: "XXXX-XXXX-…" (55 characters of base32 in groups of four). */
export function recoveryCode(identity: SigningKeyPair): string {
  const seed = identity.privateKey.subarray(0, SEED_BYTES);
  const bytes = new Uint8Array(SEED_BYTES + CHECK_BYTES);
  bytes.set(seed);
  bytes.set(sha256(seed).subarray(0, CHECK_BYTES), SEED_BYTES);
  return base32(bytes).match(/.{1,4}/g)!.join('-');
}

/** The seed a recovery code holds; spaces, dashes and case are ignored, and O/I/L read as 0/1/1. */
export function seedFromRecoveryCode(code: string): Uint8Array {
  const text = code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const expected = Math.ceil(((SEED_BYTES + CHECK_BYTES) * 8) / 5);
  if (text.length !== expected) throw new RecoveryCodeError(`a recovery code has ${expected} letters and digits, this one has ${text.length}`);
  const bytes = new Uint8Array(SEED_BYTES + CHECK_BYTES);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new RecoveryCodeError(`"${ch}" cannot be part of a recovery code`);
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      if (n < bytes.length) bytes[n++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  const seed = bytes.slice(0, SEED_BYTES);
  const check = sha256(seed).subarray(0, CHECK_BYTES);
  if (check[0] !== bytes[SEED_BYTES] || check[1] !== bytes[SEED_BYTES + 1]) throw new RecoveryCodeError('the recovery code has a typo: its check digits do not match');
  return seed;
}
