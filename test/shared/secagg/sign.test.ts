// Ed25519 identity: round trip, and a verify that says false (never throws) to every malformed input.
import { describe, expect, it } from 'vitest';
import { SIGNATURE_BYTES, generateSigningKeyPair, sign, verify } from '../../../shared/secagg/sign';
import { sodium } from './helpers';

const utf8 = (s: string) => new TextEncoder().encode(s);
/** ℓ, the Ed25519 group order, little-endian. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const toLe = (v: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
const fromLe = (b: Uint8Array) => b.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);

describe('sign / verify', () => {
  const me = generateSigningKeyPair(sodium);
  const message = utf8('session 7, round 3, survivors a,b,c');
  const signature = sign(sodium, me.privateKey, message);

  it('makes 64-byte signatures that verify', () => {
    expect(me.publicKey).toHaveLength(32);
    expect(me.privateKey).toHaveLength(64);
    expect(signature).toHaveLength(SIGNATURE_BYTES);
    expect(verify(sodium, me.publicKey, message, signature)).toBe(true);
  });

  it('refuses another message, another key, and every single flipped bit of the signature', () => {
    expect(verify(sodium, me.publicKey, utf8('session 7, round 4, survivors a,b,c'), signature)).toBe(false);
    expect(verify(sodium, generateSigningKeyPair(sodium).publicKey, message, signature)).toBe(false);
    for (let bit = 0; bit < 8 * SIGNATURE_BYTES; bit++) {
      const bad = signature.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(verify(sodium, me.publicKey, message, bad)).toBe(false);
    }
  });

  it('refuses the malleated signature (R, S + ℓ) (RFC 8032 §5.1.7, threat model case 11)', () => {
    const s = fromLe(signature.subarray(32));
    const malleated = signature.slice();
    malleated.set(toLe(s + L), 32);
    expect(s + L < 2n ** 256n).toBe(true);
    expect(verify(sodium, me.publicKey, message, malleated)).toBe(false);
  });

  describe.each([0, 1, 32, 63, 65, 128])('a %i-byte signature or key', (length) => {
    it('is false, not an exception', () => {
      const bytes = new Uint8Array(length).fill(1);
      expect(verify(sodium, me.publicKey, message, bytes)).toBe(false);
      expect(verify(sodium, bytes, message, signature)).toBe(false);
    });
  });

  it('is false for inputs of the wrong type', () => {
    const notBytes = 'abc' as unknown as Uint8Array;
    expect(verify(sodium, notBytes, message, signature)).toBe(false);
    expect(verify(sodium, me.publicKey, notBytes, signature)).toBe(false);
    expect(verify(sodium, me.publicKey, message, notBytes)).toBe(false);
  });

  it('is false for an all-zero (small-order) public key', () => {
    expect(verify(sodium, new Uint8Array(32), message, signature)).toBe(false);
  });

  it('refuses a private key of the wrong length with key.bad_length', () => {
    expect(() => sign(sodium, me.privateKey.subarray(0, 32), message)).toThrow(expect.objectContaining({ code: 'key.bad_length' }));
  });
});
