// Masking: what the server sees of one device is indistinguishable from uniform, whatever the input; and the
// pairwise masks cancel in the sum (+PRG(s_uv) for the lower id, −PRG(s_uv) for the higher; Bonawitz et al. 2017).
import { describe, expect, it } from 'vitest';
import { addMask, maskInput } from '../../../shared/secagg/masking';
import { expandMask } from '../../../shared/secagg/prg';
import { agreeKey, generateKeyPair, KEY_CONTEXT } from '../../../shared/secagg/keys';
import { maskSign } from '../../../shared/secagg/transcript';
import { chiSquare, sodium } from './helpers';

/** 2^17 words: 512 expected per bin of a byte histogram. */
const WORDS = 1 << 17;

/**
 * Critical values of χ² with 255 degrees of freedom (256 bins − 1) at p = 1e-6 in each tail:
 * scipy.stats.chi2.isf(1e-6, 255) = 377.08 and chi2.ppf(1e-6, 255) = 161.65 (Wilson–Hilferty: 377.25, 161.52).
 * Two-sided: a statistic that is too small means the histogram is too even to be random (a ramp's low byte
 * gives exactly 0), too large that it is skewed. A correct mask puts one statistic outside with probability 2e-6, so
 * the 14 statistics of this file fail by accident with probability ≈ 3e-5 — while every structured input
 * below, unmasked, lands outside the bounds by a wide margin (see the first test).
 */
const CHI2_255_UPPER = 377.08;
const CHI2_255_LOWER = 161.65;

/** Histogram of byte `byte` (0 = low, 3 = top) of each word. */
function byteHistogram(words: Uint32Array, byte: number): Uint32Array {
  const counts = new Uint32Array(256);
  const shift = 8 * byte;
  for (let i = 0; i < words.length; i++) counts[(words[i]! >>> shift) & 0xff]!++;
  return counts;
}

/** Two-sample χ² (homogeneity) of two histograms with equal totals: Σ (a − b)² / (a + b), 255 dof for 256 bins. */
function twoSampleChiSquare(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let chi = 0;
  for (let i = 0; i < a.length; i++) {
    const sum = a[i]! + b[i]!;
    if (sum > 0) chi += (a[i]! - b[i]!) ** 2 / sum;
  }
  return chi;
}

/** A device's masked upload with real secrets: a fresh self seed and pairwise seeds from X25519 agreements. */
function maskedUpload(input: Uint32Array, me = 'device-m', peers = ['device-a', 'device-z', 'device-q']): Uint32Array {
  const mine = generateKeyPair(sodium);
  const pairwise = peers.map((peer) => ({ seed: agreeKey(sodium, mine, generateKeyPair(sodium).publicKey, KEY_CONTEXT.maskSeed), sign: maskSign(me, peer) }));
  return maskInput(sodium, input, sodium.randombytes_buf(32), pairwise);
}

const zeros = () => new Uint32Array(WORDS);
const ramp = () => Uint32Array.from({ length: WORDS }, (_, i) => i);
/** A plausible fixed-point update: small signed values around 0 (two's complement), highly non-uniform. */
const smallSigned = () => Uint32Array.from({ length: WORDS }, (_, i) => ((i % 201) - 100) >>> 0);

const INPUTS: [string, () => Uint32Array][] = [
  ['all zeros', zeros],
  ['a ramp 0, 1, 2, …', ramp],
  ['small signed values −100..100', smallSigned],
];

describe('the server’s view of one masked input is indistinguishable from uniform', () => {
  it.each(INPUTS)('the unmasked input (%s) fails the test, so it has power', (_name, make) => {
    const x = make();
    for (const byte of [0, 3]) {
      const chi = chiSquare(byteHistogram(x, byte));
      expect(chi < CHI2_255_LOWER || chi > CHI2_255_UPPER).toBe(true);
    }
  });

  it.each(INPUTS)('masked, %s: χ² of the top and the low byte over 2^17 words within the p = 1e-6 bounds (255 dof)', (_name, make) => {
    const y = maskedUpload(make());
    for (const byte of [0, 1, 2, 3]) {
      const chi = chiSquare(byteHistogram(y, byte));
      expect(chi, `byte ${byte}`).toBeGreaterThan(CHI2_255_LOWER);
      expect(chi, `byte ${byte}`).toBeLessThan(CHI2_255_UPPER);
    }
  });

  it('two different inputs masked with independent seeds are not distinguishable by the same statistic', () => {
    const a = maskedUpload(zeros());
    const b = maskedUpload(ramp());
    for (const byte of [0, 3]) {
      const chi = twoSampleChiSquare(byteHistogram(a, byte), byteHistogram(b, byte));
      expect(chi, `byte ${byte}`).toBeGreaterThan(CHI2_255_LOWER);
      expect(chi, `byte ${byte}`).toBeLessThan(CHI2_255_UPPER);
    }
    // …whereas the two unmasked inputs are told apart at once.
    expect(twoSampleChiSquare(byteHistogram(zeros(), 3), byteHistogram(smallSigned(), 3))).toBeGreaterThan(CHI2_255_UPPER);
  });

  it('the masked input is not the input: it differs in almost every word, and the input is left unchanged', () => {
    const x = ramp();
    const y = maskedUpload(x);
    let same = 0;
    for (let i = 0; i < WORDS; i++) if (y[i] === x[i]) same++;
    expect(same).toBeLessThan(5); // expected 2^17 / 2^32 ≈ 3e-5
    expect(x[12345]).toBe(12345);
  });
});

describe('pairwise masks cancel in the sum', () => {
  const LENGTH = 1000;

  it('maskSign: +1 for the lower id, −1 for the higher', () => {
    expect(maskSign('a', 'b')).toBe(1);
    expect(maskSign('b', 'a')).toBe(-1);
  });

  it('y_u + y_v − PRG(b_u) − PRG(b_v) = x_u + x_v (mod 2^32), with the seed both derive by agreement', () => {
    const [u, v] = ['device-u', 'device-v'];
    const ku = generateKeyPair(sodium);
    const kv = generateKeyPair(sodium);
    const suv = agreeKey(sodium, ku, kv.publicKey, KEY_CONTEXT.maskSeed);
    expect(agreeKey(sodium, kv, ku.publicKey, KEY_CONTEXT.maskSeed)).toEqual(suv);
    const bu = sodium.randombytes_buf(32);
    const bv = sodium.randombytes_buf(32);
    const xu = Uint32Array.from({ length: LENGTH }, (_, i) => (0xfffffff0 + i) >>> 0);
    const xv = Uint32Array.from({ length: LENGTH }, (_, i) => i * 7);
    const yu = maskInput(sodium, xu, bu, [{ seed: suv, sign: maskSign(u, v) }]);
    const yv = maskInput(sodium, xv, bv, [{ seed: agreeKey(sodium, kv, ku.publicKey, KEY_CONTEXT.maskSeed), sign: maskSign(v, u) }]);

    // The lower id added +PRG(s_uv), the higher −PRG(s_uv).
    const prg = expandMask(sodium, suv, LENGTH);
    const selfU = expandMask(sodium, bu, LENGTH);
    for (const i of [0, 1, 500, LENGTH - 1]) expect((yu[i]! - xu[i]! - selfU[i]!) >>> 0).toBe(prg[i]);

    const sum = new Uint32Array(LENGTH);
    for (let i = 0; i < LENGTH; i++) sum[i] = (yu[i]! + yv[i]!) >>> 0;
    const withSelfMasks = Uint32Array.from(sum);
    addMask(sodium, sum, bu, -1);
    addMask(sodium, sum, bv, -1);
    for (let i = 0; i < LENGTH; i++) expect(sum[i]).toBe((xu[i]! + xv[i]!) >>> 0);
    // Before the self masks are removed the sum is still hidden.
    expect(Array.from(withSelfMasks)).not.toEqual(Array.from(sum));
  });

  it('among four devices every pair cancels: Σ y − Σ PRG(b) = Σ x', () => {
    const ids = ['d0', 'd1', 'd2', 'd3'];
    const keys = ids.map(() => generateKeyPair(sodium));
    const selfSeeds = ids.map(() => sodium.randombytes_buf(32));
    const inputs = ids.map((_, k) => Uint32Array.from({ length: LENGTH }, (_, i) => (k * 1_000_003 + i * 0x9e3779b9) >>> 0));
    const sum = new Uint32Array(LENGTH);
    ids.forEach((me, k) => {
      const pairwise = ids.flatMap((peer, j) => (j === k ? [] : [{ seed: agreeKey(sodium, keys[k]!, keys[j]!.publicKey, KEY_CONTEXT.maskSeed), sign: maskSign(me, peer) }]));
      const y = maskInput(sodium, inputs[k]!, selfSeeds[k]!, pairwise);
      for (let i = 0; i < LENGTH; i++) sum[i] = (sum[i]! + y[i]!) >>> 0;
    });
    for (const b of selfSeeds) addMask(sodium, sum, b, -1);
    for (let i = 0; i < LENGTH; i++) expect(sum[i]).toBe(inputs.reduce((acc, x) => (acc + x[i]!) >>> 0, 0));
  });

  it('with the same sign on both sides (a wrong sign rule) the masks would not cancel', () => {
    const s = sodium.randombytes_buf(32);
    const zero = new Uint32Array(LENGTH);
    const a = maskInput(sodium, zero, new Uint8Array(32), [{ seed: s, sign: 1 }]);
    const b = maskInput(sodium, zero, new Uint8Array(32), [{ seed: s, sign: 1 }]);
    const self = expandMask(sodium, new Uint8Array(32), LENGTH);
    let nonZero = 0;
    for (let i = 0; i < LENGTH; i++) if ((a[i]! + b[i]! - 2 * self[i]!) >>> 0 !== 0) nonZero++;
    expect(nonZero).toBeGreaterThan(LENGTH - 5);
  });
});
