// SHA-256 of a model file in the browser (and wherever Node's crypto is absent): @noble/hashes, pure JavaScript.
// package.json's "#sha256" import picks this file or sha256-node.ts by environment.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** The SHA-256 of `bytes`, as 64 lowercase hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}
