// Is an advertised X25519 public key usable? Canonical (the u-coordinate below p = 2^255 − 19, top bit clear, as
// RFC 7748 §5 asks senders to encode it) and not of small order (RFC 7748 §6.1: such a key gives an all-zero or
// guessable shared secret). The server drops a member whose key fails, before any key list goes out.
import type { Sodium } from './sodium';

/** p − 1 … p + 18 wrap around: a value ≥ p is a second, non-canonical spelling of a smaller one. */
function belowP(key: Uint8Array): boolean {
  // Little-endian compare with p = 2^255 − 19: bytes 31..1 of p are 0x7f, 0xff…0xff; byte 0 is 0xed.
  if ((key[31]! & 0x80) !== 0) return false;
  if (key[31]! !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (key[i]! !== 0xff) return true;
  return key[0]! < 0xed;
}

/** Why the key cannot be used, or undefined when it can. `probe` is any fixed valid private scalar. */
export function x25519KeyProblem(sodium: Sodium, key: Uint8Array, probe: Uint8Array): string | undefined {
  if (!(key instanceof Uint8Array) || key.length !== 32) return 'not 32 bytes';
  if (!belowP(key)) return 'not canonical (the u-coordinate is not below 2^255 − 19, or the top bit is set)';
  let shared: Uint8Array;
  try {
    shared = sodium.crypto_scalarmult(probe, key);
  } catch {
    return 'of small order (no shared secret can be agreed with it)';
  }
  if (sodium.is_zero(shared)) return 'of small order (it gives an all-zero shared secret)';
  return undefined;
}
