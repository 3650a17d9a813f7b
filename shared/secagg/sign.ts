// Ed25519 device identity: key pairs and detached signatures that refuse malleated encodings.
import { checkKeyLength } from './keys';
import type { Sodium } from './sodium';

export const SIGN_PUBLIC_KEY_BYTES = 32;
export const SIGN_PRIVATE_KEY_BYTES = 64;
export const SIGNATURE_BYTES = 64;

/** An Ed25519 identity: 32-byte public key, 64-byte libsodium private key (seed ‖ public key). */
export interface SigningKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** ℓ = 2^252 + 27742317777372353535851937790883648493, the group order, little-endian (RFC 8032 §5.1). */
const GROUP_ORDER_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

/** A fresh Ed25519 key pair from libsodium's CSPRNG. */
export function generateSigningKeyPair(sodium: Sodium): SigningKeyPair {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair();
  return { publicKey, privateKey };
}

/** Detached Ed25519 signature (RFC 8032 §5.1.6) of `message`. */
export function sign(sodium: Sodium, privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  checkKeyLength(privateKey, SIGN_PRIVATE_KEY_BYTES, 'privateKey');
  return sodium.crypto_sign_detached(message, privateKey);
}

/**
 * True when `signature` is a valid Ed25519 signature of `message` by `publicKey` (RFC 8032 §5.1.7).
 * Never throws: wrong lengths and malformed encodings are simply false. S ≥ ℓ is refused here as
 * well as inside libsodium, so the non-malleability promise (threat model case 11, Wycheproof
 * SignatureMalleability) does not rest on one library version.
 */
export function verify(sodium: Sodium, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIGN_PUBLIC_KEY_BYTES) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
  if (!(message instanceof Uint8Array)) return false;
  if (!isCanonicalScalar(signature.subarray(32))) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** True when the 32-byte little-endian scalar is below the group order ℓ. */
function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const a = s[i]!;
    const b = GROUP_ORDER_LE[i]!;
    if (a !== b) return a < b;
  }
  return false; // equal to ℓ
}
