// Every Wycheproof case for Ed25519, X25519 and XChaCha20-Poly1305, run through the secagg primitives.
import { describe, expect, it } from 'vitest';
import { AEAD_VERSION, open } from '../../../shared/secagg/aead';
import { encodeTuple } from '../../../shared/secagg/encoding';
import { isSecAggError } from '../../../shared/secagg/errors';
import { AGREE_DOMAIN, KEY_CONTEXT, agreeKey, compareBytes, scalarMult } from '../../../shared/secagg/keys';
import { verify } from '../../../shared/secagg/sign';
import { fromHex, hex, loadWycheproof, sodium } from './helpers';

interface EddsaCase { msg: string; sig: string }
interface XdhCase { public: string; private: string; shared: string }
interface AeadCase { key: string; iv: string; aad: string; msg: string; ct: string; tag: string }

const eddsa = loadWycheproof<EddsaCase>('ed25519_test.json');
const xdh = loadWycheproof<XdhCase>('x25519_test.json');
const aead = loadWycheproof<AeadCase>('xchacha20_poly1305_test.json');

const count = (file: { testGroups: { tests: unknown[] }[] }): number => file.testGroups.reduce((s, g) => s + g.tests.length, 0);

describe('Wycheproof files', () => {
  it('hold every test they announce', () => {
    expect(count(eddsa)).toBe(eddsa.numberOfTests);
    expect(count(xdh)).toBe(xdh.numberOfTests);
    expect(count(aead)).toBe(aead.numberOfTests);
  });
});

describe('Ed25519 verify (Wycheproof ed25519_test.json)', () => {
  const acceptable: { tcId: number; accepted: boolean }[] = [];
  for (const group of eddsa.testGroups) {
    const pk = fromHex((group['publicKey'] as { pk: string }).pk);
    for (const t of group.tests) {
      const label = `tcId ${t.tcId} ${t.result} [${t.flags.join(',')}] ${t.comment}`;
      it(label, () => {
        const accepted = verify(sodium, pk, fromHex(t.msg), fromHex(t.sig));
        if (t.result === 'acceptable') acceptable.push({ tcId: t.tcId, accepted });
        else expect(accepted).toBe(t.result === 'valid');
      });
    }
  }
  it('records which way the acceptable cases went (this file has none)', () => {
    expect(acceptable).toEqual([]);
  });
  it('refuses every SignatureMalleability case', () => {
    const malleable = eddsa.testGroups.flatMap((g) =>
      g.tests.filter((t) => t.flags.includes('SignatureMalleability')).map((t) => ({ pk: (g['publicKey'] as { pk: string }).pk, t })),
    );
    expect(malleable.length).toBeGreaterThan(0);
    for (const { pk, t } of malleable) expect(verify(sodium, fromHex(pk), fromHex(t.msg), fromHex(t.sig))).toBe(false);
  });
});

describe('X25519 (Wycheproof x25519_test.json)', () => {
  const lowOrder = (t: { flags: string[] }): boolean => t.flags.includes('LowOrderPublic') || t.flags.includes('ZeroSharedSecret');
  const tests = xdh.testGroups.flatMap((g) => g.tests);

  it.each(tests.map((t) => [`tcId ${t.tcId} ${t.result} [${t.flags.join(',')}]`, t] as const))('%s', (_label, t) => {
    const priv = fromHex(t.private);
    const pub = fromHex(t.public);
    if (lowOrder(t)) {
      // An all-zero shared secret: libsodium refuses it, and agreeKey must say so with its code.
      expect(hex(fromHex(t.shared))).toBe('00'.repeat(32));
      expect(() => scalarMult(sodium, priv, pub)).toThrow(expect.objectContaining({ code: 'key.low_order' }));
      const mine = { privateKey: priv, publicKey: sodium.crypto_scalarmult_base(priv) };
      expect(() => agreeKey(sodium, mine, pub, KEY_CONTEXT.maskSeed)).toThrow(expect.objectContaining({ code: 'key.low_order' }));
      return;
    }
    // valid, and acceptable (twist points, non-canonical encodings): the result must match the vector.
    expect(hex(scalarMult(sodium, priv, pub))).toBe(t.shared);
    expect(hex(sodium.crypto_scalarmult(priv, pub))).toBe(t.shared);
    const mine = { privateKey: priv, publicKey: sodium.crypto_scalarmult_base(priv) };
    if (compareBytes(mine.publicKey, pub) === 0) return; // a vector pairing a key with itself
    const [low, high] = compareBytes(mine.publicKey, pub) < 0 ? [mine.publicKey, pub] : [pub, mine.publicKey];
    const expected = sodium.crypto_generichash(32, encodeTuple([AGREE_DOMAIN, KEY_CONTEXT.maskSeed, fromHex(t.shared), low, high]), null);
    expect(hex(agreeKey(sodium, mine, pub, KEY_CONTEXT.maskSeed))).toBe(hex(expected));
  });

  it('flags every low-order case the way this test assumes', () => {
    // Each vector whose shared secret is zero is flagged, and each flagged one has a zero secret.
    for (const t of tests) expect(lowOrder(t)).toBe(t.shared === '00'.repeat(32));
    expect(tests.filter(lowOrder).length).toBeGreaterThan(0);
  });
});

describe('XChaCha20-Poly1305 (Wycheproof xchacha20_poly1305_test.json)', () => {
  const tests = aead.testGroups.flatMap((g) => g.tests);

  it.each(tests.map((t) => [`tcId ${t.tcId} ${t.result} [${t.flags.join(',')}]`, t] as const))('%s', (_label, t) => {
    const key = fromHex(t.key);
    const sealed = Uint8Array.from([AEAD_VERSION, ...fromHex(t.iv), ...fromHex(t.ct), ...fromHex(t.tag)]);
    const ad = fromHex(t.aad);
    if (t.result === 'valid') {
      expect(hex(open(sodium, key, sealed, ad))).toBe(t.msg);
      // Our seal is libsodium's encrypt behind a version byte and a nonce: check encrypt itself.
      expect(hex(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(fromHex(t.msg), ad, null, fromHex(t.iv), key))).toBe(t.ct + t.tag);
      return;
    }
    let error: unknown;
    try {
      open(sodium, key, sealed, ad);
    } catch (e) {
      error = e;
    }
    expect(isSecAggError(error, 'aead.rejected')).toBe(true);
  });

  it('has no acceptable cases, so every case above was decided', () => {
    expect(tests.filter((t) => t.result === 'acceptable')).toEqual([]);
  });
});
