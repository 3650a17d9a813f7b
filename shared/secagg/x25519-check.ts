// Is an advertised X25519 public key usable? Canonical (the u-coordinate below p = 2^255 − 19, top bit clear, as
// RFC 7748 §5 asks senders to encode it) and not of small order (RFC 7748 §6.1: such a key gives an all-zero or
// guessable shared secret). The server drops a member whose key fails, before any key list goes out.
//
// Curve25519's points of small order have five u-coordinates below p: 0 (order 2), 1 and p − 1 (order 4), and the
// two of order 8 below — libsodium's own blocklist (`has_small_order` in crypto_scalarmult/curve25519) less the
// non-canonical spellings that the first check refuses. Comparing with them costs nothing; a scalar multiplication
// per key (the alternative) was a second of server time per 1,000-device round.
import type { Sodium } from './sodium';

const SMALL_ORDER_HEX = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
];

/** p − 1 … p + 18 wrap around: a value ≥ p is a second, non-canonical spelling of a smaller one. */
function belowP(key: Uint8Array): boolean {
  // Little-endian compare with p = 2^255 − 19: bytes 31..1 of p are 0x7f, 0xff…0xff; byte 0 is 0xed.
  if ((key[31]! & 0x80) !== 0) return false;
  if (key[31]! !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (key[i]! !== 0xff) return true;
  return key[0]! < 0xed;
}

/** Why the key cannot be used, or undefined when it can. */
export function x25519KeyProblem(sodium: Sodium, key: Uint8Array): string | undefined {
  if (!(key instanceof Uint8Array) || key.length !== 32) return 'not 32 bytes';
  if (!belowP(key)) return 'not canonical (the u-coordinate is not below 2^255 − 19, or the top bit is set)';
  if (SMALL_ORDER_HEX.includes(sodium.to_hex(key))) return 'of small order (no shared secret can be agreed with it)';
  return undefined;
}
