// Sealed boxes: exact sizes, round trips, and one refusal code for every kind of tampering.
import { describe, expect, it } from 'vitest';
import { AEAD_NONCE_BYTES, AEAD_OVERHEAD_BYTES, AEAD_VERSION, open, seal } from '../../../shared/secagg/aead';
import { encodeTuple } from '../../../shared/secagg/encoding';
import { hex, sodium, testBytes } from './helpers';

const rejected = expect.objectContaining({ code: 'aead.rejected' });
const key = testBytes(32, 1);
const ad = encodeTuple(['session-1', 3, 'device-a', 'device-b']);

describe.each([0, 1, 32, 1234, 1 << 16])('a %i-byte plaintext', (length) => {
  const plaintext = testBytes(length, 2);
  const sealed = seal(sodium, key, plaintext, ad);

  it('seals to version ‖ 24-byte nonce ‖ ciphertext ‖ 16-byte tag, exactly', () => {
    expect(sealed).toHaveLength(length + AEAD_OVERHEAD_BYTES);
    expect(sealed[0]).toBe(AEAD_VERSION);
  });

  it('opens to the plaintext', () => {
    expect(hex(open(sodium, key, sealed, ad))).toBe(hex(plaintext));
  });

  it('is refused with another key, other associated data, or a changed version', () => {
    expect(() => open(sodium, testBytes(32, 3), sealed, ad)).toThrow(rejected);
    expect(() => open(sodium, key, sealed, encodeTuple(['session-1', 4, 'device-a', 'device-b']))).toThrow(rejected);
    expect(() => open(sodium, key, sealed, encodeTuple(['session-1', 3, 'device-b', 'device-a']))).toThrow(rejected);
    const versioned = sealed.slice();
    versioned[0] = 2;
    expect(() => open(sodium, key, versioned, ad)).toThrow(rejected);
  });

  it('is refused when truncated or extended', () => {
    expect(() => open(sodium, key, sealed.subarray(0, sealed.length - 1), ad)).toThrow(rejected);
    expect(() => open(sodium, key, Uint8Array.from([...sealed, 0]), ad)).toThrow(rejected);
  });
});

describe('seal / open', () => {
  it('is refused when any single byte after the version changes', () => {
    const sealed = seal(sodium, key, testBytes(40, 4), ad);
    for (let i = 1; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i]! ^= 0x01;
      expect(() => open(sodium, key, bad, ad)).toThrow(rejected);
    }
  });

  it('refuses boxes shorter than the overhead', () => {
    for (const length of [0, 1, AEAD_OVERHEAD_BYTES - 1]) {
      expect(() => open(sodium, key, new Uint8Array(length).fill(AEAD_VERSION), ad)).toThrow(rejected);
    }
  });

  it('uses a fresh nonce each time', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 200; i++) nonces.add(hex(seal(sodium, key, new Uint8Array(8), ad).subarray(1, 1 + AEAD_NONCE_BYTES)));
    expect(nonces.size).toBe(200);
  });

  it('refuses a key of the wrong length with key.bad_length', () => {
    expect(() => seal(sodium, key.subarray(0, 16), new Uint8Array(1), ad)).toThrow(expect.objectContaining({ code: 'key.bad_length' }));
    expect(() => open(sodium, key.subarray(0, 16), new Uint8Array(64), ad)).toThrow(expect.objectContaining({ code: 'key.bad_length' }));
  });
});
