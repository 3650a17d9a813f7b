// X25519 agreement: both sides agree, contexts separate, small-order and duplicate keys refused, lengths checked.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeTuple } from '../../../shared/secagg/encoding';
import { AGREE_DOMAIN, KEY_CONTEXT, agreeKey, compareBytes, generateKeyPair } from '../../../shared/secagg/keys';
import type { KeyPair } from '../../../shared/secagg/keys';
import { fromHex, hex, sodium } from './helpers';

const code = (c: string) => expect.objectContaining({ name: 'SecAggError', code: c });

/** A key pair from a fixed 32-byte seed, so fast-check can shrink and replay. */
const keyPairFrom = (seed: Uint8Array): KeyPair => {
  const { publicKey, privateKey } = sodium.crypto_box_seed_keypair(seed);
  return { publicKey, privateKey };
};
const arbSeed = fc.uint8Array({ minLength: 32, maxLength: 32 });

// Points of small order on Curve25519 (the list libsodium's has_small_order() refuses).
const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

describe('agreeKey', () => {
  it('gives both sides the same 32-byte key, whichever side computes it', () => {
    fc.assert(
      fc.property(arbSeed, arbSeed, (sa, sb) => {
        fc.pre(hex(sa) !== hex(sb));
        const a = keyPairFrom(sa);
        const b = keyPairFrom(sb);
        const ab = agreeKey(sodium, a, b.publicKey, KEY_CONTEXT.maskSeed);
        const ba = agreeKey(sodium, b, a.publicKey, KEY_CONTEXT.maskSeed);
        expect(ab).toHaveLength(32);
        expect(hex(ab)).toBe(hex(ba));
      }),
      { numRuns: 50 },
    );
  });

  it('hashes q with both public keys in ascending byte order under a domain and context label', () => {
    const a = generateKeyPair(sodium);
    const b = generateKeyPair(sodium);
    const q = sodium.crypto_scalarmult(a.privateKey, b.publicKey);
    const [low, high] = compareBytes(a.publicKey, b.publicKey) < 0 ? [a.publicKey, b.publicKey] : [b.publicKey, a.publicKey];
    const expected = sodium.crypto_generichash(32, encodeTuple([AGREE_DOMAIN, 'ctx', q, low, high]), null);
    expect(hex(agreeKey(sodium, a, b.publicKey, 'ctx'))).toBe(hex(expected));
    // Not the raw shared point, which is not uniformly random.
    expect(hex(agreeKey(sodium, a, b.publicKey, 'ctx'))).not.toBe(hex(q));
  });

  it('gives independent keys for the share-encryption and mask-seed contexts', () => {
    const a = generateKeyPair(sodium);
    const b = generateKeyPair(sodium);
    expect(KEY_CONTEXT.shareEncryption).not.toBe(KEY_CONTEXT.maskSeed);
    const enc = agreeKey(sodium, a, b.publicKey, KEY_CONTEXT.shareEncryption);
    const mask = agreeKey(sodium, a, b.publicKey, KEY_CONTEXT.maskSeed);
    expect(hex(enc)).not.toBe(hex(mask));
  });

  it('gives a third party a different key with each of the two', () => {
    const [a, b, c] = [generateKeyPair(sodium), generateKeyPair(sodium), generateKeyPair(sodium)];
    expect(hex(agreeKey(sodium, a, c.publicKey, 'x'))).not.toBe(hex(agreeKey(sodium, b, c.publicKey, 'x')));
  });

  it.each(SMALL_ORDER)('refuses the small-order public key %s with key.low_order', (point) => {
    const a = generateKeyPair(sodium);
    expect(() => agreeKey(sodium, a, fromHex(point), KEY_CONTEXT.maskSeed)).toThrow(code('key.low_order'));
  });

  it('refuses a peer that presents our own public key (threat model case 10)', () => {
    const a = generateKeyPair(sodium);
    expect(() => agreeKey(sodium, a, a.publicKey.slice(), 'x')).toThrow(code('key.duplicate'));
  });

  it('refuses a key pair whose halves do not belong together', () => {
    const a = generateKeyPair(sodium);
    const b = generateKeyPair(sodium);
    const c = generateKeyPair(sodium);
    expect(() => agreeKey(sodium, { publicKey: a.publicKey, privateKey: b.privateKey }, c.publicKey, 'x')).toThrow(code('key.mismatch'));
  });

  describe.each([0, 16, 31, 33, 64])('a %i-byte key', (length) => {
    const a = generateKeyPair(sodium);
    const b = generateKeyPair(sodium);
    const bad = new Uint8Array(length).fill(9);
    it('is refused as theirPublicKey, mine.publicKey or mine.privateKey, naming it', () => {
      expect(() => agreeKey(sodium, a, bad, 'x')).toThrow(code('key.bad_length'));
      expect(() => agreeKey(sodium, a, bad, 'x')).toThrow(/theirPublicKey/);
      expect(() => agreeKey(sodium, { ...a, publicKey: bad }, b.publicKey, 'x')).toThrow(/mine\.publicKey/);
      expect(() => agreeKey(sodium, { ...a, privateKey: bad }, b.publicKey, 'x')).toThrow(/mine\.privateKey/);
    });
  });

  it('refuses an empty or oversized context', () => {
    const a = generateKeyPair(sodium);
    const b = generateKeyPair(sodium);
    expect(() => agreeKey(sodium, a, b.publicKey, '')).toThrow(code('key.bad_context'));
    expect(() => agreeKey(sodium, a, b.publicKey, 'x'.repeat(256))).toThrow(code('key.bad_context'));
  });
});
