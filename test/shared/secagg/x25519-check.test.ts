// The server's check of advertised X25519 keys: Wycheproof's low-order public keys and the non-canonical encodings
// (u ≥ 2^255 − 19, or the top bit set) are refused with a reason; fresh keys and the largest canonical u pass.
import { describe, expect, it } from 'vitest';
import { x25519KeyProblem } from '../../../shared/secagg/x25519-check';
import { fromHex, loadWycheproof, sodium } from './helpers';

const LOW_ORDER = [...new Set(loadWycheproof<{ public: string }>('x25519_test.json').testGroups.flatMap((g) => g.tests.filter((t) => t.flags.includes('LowOrderPublic')).map((t) => t.public)))];

/** p + k in little-endian: a second spelling of the small value k. */
function pPlus(k: number): Uint8Array {
  const p = 2n ** 255n - 19n + BigInt(k);
  return Uint8Array.from({ length: 32 }, (_, i) => Number((p >> BigInt(8 * i)) & 0xffn));
}

describe('x25519KeyProblem', () => {
  it('accepts fresh public keys', () => {
    for (let k = 0; k < 20; k++) expect(x25519KeyProblem(sodium, sodium.crypto_box_keypair().publicKey)).toBeUndefined();
  });

  it('refuses exactly the keys whose shared secret with a random private key is all zero, among random canonical u and the table', () => {
    // Independent of the table: libsodium's scalar multiplication refuses (throws) an all-zero result.
    const zeroWith = (key: Uint8Array) => {
      try {
        return sodium.is_zero(sodium.crypto_scalarmult(sodium.crypto_box_keypair().privateKey, key));
      } catch {
        return true;
      }
    };
    const candidates = [...LOW_ORDER.map(fromHex), ...Array.from({ length: 200 }, () => { const k = sodium.randombytes_buf(32); k[31]! &= 0x7f; return k; })];
    for (const key of candidates) {
      if (x25519KeyProblem(sodium, key)?.startsWith('not canonical')) continue;
      expect(x25519KeyProblem(sodium, key) !== undefined, sodium.to_hex(key)).toBe(zeroWith(key));
    }
  });

  it('accepts u = p − 2, near the largest canonical encoding (RFC 7748 §5; p − 1 itself is of small order)', () => {
    expect(x25519KeyProblem(sodium, pPlus(-2))).toBeUndefined();
    expect(x25519KeyProblem(sodium, pPlus(-1))).toMatch(/small order/);
  });

  it.each(LOW_ORDER)('refuses the Wycheproof low-order (or non-canonical low-order) key %s', (hex) => {
    expect(x25519KeyProblem(sodium, fromHex(hex))).toMatch(/small order|not canonical/);
  });

  it.each([0, 1, 18])('refuses p + %i, a non-canonical encoding', (k) => {
    expect(x25519KeyProblem(sodium, pPlus(k))).toMatch(/not canonical/);
  });

  it('refuses a key with the top bit set, and keys of the wrong length', () => {
    const key = sodium.crypto_box_keypair().publicKey;
    key[31]! |= 0x80;
    expect(x25519KeyProblem(sodium, key)).toMatch(/not canonical/);
    expect(x25519KeyProblem(sodium, new Uint8Array(31))).toBe('not 32 bytes');
  });
});
