// How a public key is named: its SHA-256 fingerprint, and a short id (the fingerprint's first 16 hex characters).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** SHA-256 of the key bytes, lower-case hex. */
export function keyFingerprint(publicKey: Uint8Array): string {
  return bytesToHex(sha256(publicKey));
}

/** The short id receipts and key lists use. */
export function keyId(publicKey: Uint8Array): string {
  return keyFingerprint(publicKey).slice(0, 16);
}
