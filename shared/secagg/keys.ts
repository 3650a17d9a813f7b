// X25519 key pairs and the pairwise key agreement of secure aggregation (share encryption and mask seeds).
import { encodeTuple } from './encoding';
import { SecAggError } from './errors';
import type { Sodium } from './sodium';

export const X25519_KEY_BYTES = 32;
export const AGREED_KEY_BYTES = 32;

/** A Diffie-Hellman key pair: 32-byte X25519 public and private keys. */
export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/**
 * Labels for the two uses of an agreed key (Bonawitz et al. 2017: each device advertises c_u^PK to
 * encrypt shares and s_u^PK to seed pairwise masks). Use two separate key pairs, not one pair under
 * two labels: s_u^SK is Shamir-shared and rebuilt by the server when u drops, and with it the server
 * must not be able to open the shares other devices sealed to u. If a key pair ever outlives one
 * round, append the session id and round to the label: a mask reused across rounds leaks the
 * difference of two updates.
 */
export const KEY_CONTEXT = {
  shareEncryption: 'confidant/secagg/v1/share-encryption',
  maskSeed: 'confidant/secagg/v1/pairwise-mask-seed',
} as const;

/** Domain label hashed into every agreed key, so no other hash in the system can collide with one. */
export const AGREE_DOMAIN = 'confidant/secagg/v1/x25519-agree';

const MAX_CONTEXT_CHARS = 255;

/** A fresh X25519 key pair from libsodium's CSPRNG. */
export function generateKeyPair(sodium: Sodium): KeyPair {
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey, privateKey };
}

/** Throw 'key.bad_length' unless `key` is a Uint8Array of exactly `bytes` bytes. */
export function checkKeyLength(key: unknown, bytes: number, name: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) {
    throw new SecAggError('key.bad_length', `${name} must be a Uint8Array of ${bytes} bytes, got ${typeof key}`);
  }
  if (key.length !== bytes) {
    throw new SecAggError('key.bad_length', `${name} must be ${bytes} bytes, got ${key.length}`);
  }
}

/**
 * Agree on a 32-byte key with a peer: BLAKE2b-256 over (domain, context, q, lower public key,
 * higher public key) with q = X25519(mine, theirs). Hashing q with both public keys in a canonical
 * order is libsodium's advice for crypto_scalarmult (and what crypto_kx does): both sides get the
 * same key, and a key is bound to the pair that made it. RFC 7748 §6.1: an all-zero q (a
 * small-order public key) is refused as 'key.low_order'; the peer's key equal to ours is
 * 'key.duplicate' (threat model case 10).
 */
export function agreeKey(sodium: Sodium, mine: KeyPair, theirPublicKey: Uint8Array, context: string, options: { pairChecked?: boolean } = {}): Uint8Array {
  checkKeyLength(mine.publicKey, X25519_KEY_BYTES, 'mine.publicKey');
  checkKeyLength(mine.privateKey, X25519_KEY_BYTES, 'mine.privateKey');
  checkKeyLength(theirPublicKey, X25519_KEY_BYTES, 'theirPublicKey');
  if (typeof context !== 'string' || context.length === 0 || context.length > MAX_CONTEXT_CHARS) {
    throw new SecAggError('key.bad_context', `context must be a non-empty string of at most ${MAX_CONTEXT_CHARS} characters`);
  }
  if (sodium.memcmp(mine.publicKey, theirPublicKey)) {
    throw new SecAggError('key.duplicate', 'theirPublicKey equals mine.publicKey: a peer may not reuse our key');
  }
  // A mismatched pair would silently give the two sides different keys; catch it here instead
  // (unless the caller has just checked it, as the server does for a rebuilt key used many times).
  if (!options.pairChecked && !sodium.memcmp(sodium.crypto_scalarmult_base(mine.privateKey), mine.publicKey)) {
    throw new SecAggError('key.mismatch', 'mine.publicKey is not the public key of mine.privateKey');
  }
  const q = scalarMult(sodium, mine.privateKey, theirPublicKey);
  const [low, high] = compareBytes(mine.publicKey, theirPublicKey) < 0
    ? [mine.publicKey, theirPublicKey]
    : [theirPublicKey, mine.publicKey];
  const key = sodium.crypto_generichash(AGREED_KEY_BYTES, encodeTuple([AGREE_DOMAIN, context, q, low, high]), null);
  sodium.memzero(q);
  return key;
}

/** Lexicographic order of two byte strings of equal length (the canonical order of a key pair). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return 0;
}

/** X25519(privateKey, publicKey) with libsodium's refusal (small-order point, zero output) mapped to 'key.low_order'. */
export function scalarMult(sodium: Sodium, privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  checkKeyLength(privateKey, X25519_KEY_BYTES, 'privateKey');
  checkKeyLength(publicKey, X25519_KEY_BYTES, 'publicKey');
  let q: Uint8Array;
  try {
    q = sodium.crypto_scalarmult(privateKey, publicKey);
  } catch {
    throw new SecAggError('key.low_order', 'publicKey is a small-order point: X25519 gives no shared secret with it');
  }
  // libsodium already refuses these; checking again keeps the promise if it ever stops doing so.
  if (sodium.is_zero(q)) {
    throw new SecAggError('key.low_order', 'publicKey gives an all-zero shared secret (small-order point)');
  }
  return q;
}
