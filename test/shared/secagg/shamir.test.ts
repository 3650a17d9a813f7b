// Shamir over F_p: the field, reconstruction from any t shares, perfect hiding by t − 1, tampering, encoding.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PRIME, interpolateAt, invMod, modP, mulMod, reduce } from '../../../shared/secagg/field';
import {
  MAX_SHARES, chunkCount, combine, decodeShare, encodeShare, encodedShareBytes, split,
} from '../../../shared/secagg/shamir';
import type { Share } from '../../../shared/secagg/shamir';
import { sodiumRandomBytes } from '../../../shared/secagg/random';
import { hex, seededRandomBytes, sodium } from './helpers';

const code = (c: string) => expect.objectContaining({ code: c });

/** n, t with 2 ≤ t ≤ n ≤ maxN, a secret, and a seed for the random tape. */
const arbCase = (maxN: number) =>
  fc.integer({ min: 2, max: maxN }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      t: fc.integer({ min: 2, max: n }),
      secret: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      seed: fc.nat(),
    }),
  );

/** Every r-subset of xs. */
function subsets<T>(xs: readonly T[], r: number): T[][] {
  if (r === 0) return [[]];
  if (xs.length < r) return [];
  const [head, ...rest] = xs;
  return [...subsets(rest, r - 1).map((s) => [head!, ...s]), ...subsets(rest, r)];
}

/** Monomial coefficients (constant first) of the polynomial of degree < k through k points, over F_p. */
function coefficientsThrough(xs: number[], ys: number[]): number[] {
  const k = xs.length;
  const out = new Array<number>(k).fill(0);
  for (let i = 0; i < k; i++) {
    let basis = [1]; // Π_{j≠i} (x − x_j), built up one factor at a time
    let den = 1;
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      const next = new Array<number>(basis.length + 1).fill(0);
      basis.forEach((c, d) => {
        next[d + 1] = (next[d + 1]! + c) % PRIME;
        next[d] = modP(next[d]! - mulMod(c, xs[j]!));
      });
      basis = next;
      den = mulMod(den, modP(xs[i]! - xs[j]!));
    }
    const scale = mulMod(ys[i]!, invMod(den));
    basis.forEach((c, d) => (out[d] = (out[d]! + mulMod(c, scale)) % PRIME));
  }
  return out;
}

/** Bytes that split() reads as exactly these coefficients (little-endian words, all < p so none is redrawn). */
function tapeOf(coefficients: number[]): (n: number) => Uint8Array {
  const bytes = new Uint8Array(4 * coefficients.length);
  const view = new DataView(bytes.buffer);
  coefficients.forEach((c, i) => view.setUint32(4 * i, c, true));
  return (n) => {
    expect(n).toBe(bytes.length);
    return bytes.slice();
  };
}

describe('the field', () => {
  it('has p = 2^25 − 39, prime, the largest prime below 2^25, with p² < 2^53', () => {
    const isPrime = (v: number) => {
      for (let d = 2; d * d <= v; d++) if (v % d === 0) return false;
      return v > 1;
    };
    expect(PRIME).toBe(2 ** 25 - 39);
    expect(isPrime(PRIME)).toBe(true);
    for (let v = PRIME + 1; v < 2 ** 25; v++) expect(isPrime(v)).toBe(false);
    expect(PRIME * PRIME < 2 ** 53).toBe(true);
    expect(PRIME > 2 ** 24).toBe(true); // every 3-byte chunk is a field element
  });

  it('inverts every element it is given', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: PRIME - 1 }), (a) => mulMod(a, invMod(a)) === 1), { numRuns: 200 });
    expect(() => invMod(0)).toThrow(RangeError);
  });

  it('reduces negatives into [0, p)', () => {
    expect(modP(-1)).toBe(PRIME - 1);
    expect(modP(-PRIME)).toBe(0);
  });

  it('reduces every product exactly, like BigInt does', () => {
    const big = BigInt(PRIME);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: PRIME - 1 }), fc.integer({ min: 0, max: PRIME - 1 }), (a, b) => {
        expect(mulMod(a, b)).toBe(Number((BigInt(a) * BigInt(b)) % big));
      }),
      { numRuns: 300 },
    );
    for (const v of [0, 1, PRIME - 1, PRIME, PRIME + 1, PRIME * PRIME - 1, (PRIME - 1) * (PRIME - 1), 2 ** 52 - 1]) {
      expect(reduce(v)).toBe(Number(BigInt(v) % big));
    }
  });
});

describe('split / combine', () => {
  it('rebuilds the secret from any t of the n shares, in any order', () => {
    fc.assert(
      fc.property(arbCase(20), fc.nat(), ({ n, t, secret, seed }, pick) => {
        const shares = split(secret, { shares: n, threshold: t, randomBytes: seededRandomBytes(seed) });
        expect(shares.map((s) => s.x)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        // A pseudo-random choice of t shares in a shuffled order.
        const order = shares.map((s, i) => ({ s, k: (i * 2654435761 + pick) % 4294967291 })).sort((a, b) => a.k - b.k);
        const chosen = order.slice(0, t).map((o) => o.s);
        expect(hex(combine(chosen, secret.length, t))).toBe(hex(secret));
        expect(hex(combine(chosen, secret.length))).toBe(hex(secret));
        // More than t consistent shares give the same secret.
        expect(hex(combine(shares, secret.length))).toBe(hex(secret));
      }),
      { numRuns: 400 },
    );
  });

  it('rebuilds the secret from every t-subset when n ≤ 7', () => {
    fc.assert(
      fc.property(arbCase(7), ({ n, t, secret, seed }) => {
        const shares = split(secret, { shares: n, threshold: t, randomBytes: seededRandomBytes(seed) });
        for (const subset of subsets(shares, t)) expect(hex(combine(subset, secret.length, t))).toBe(hex(secret));
      }),
      { numRuns: 150 },
    );
  });

  it('hides the secret from t − 1 shares: for any other secret, exactly one random tape gives those same shares', () => {
    // Constructive perfect hiding: interpolate through (0, other secret) and the t − 1 shares, feed
    // that polynomial's coefficients to split() as its random tape, and get the same t − 1 shares.
    // Each secret thus has exactly one tape (of equal probability) per view, so the view of t − 1
    // holders has the same distribution whatever the secret.
    fc.assert(
      fc.property(arbCase(12), fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.nat(), ({ n, t, secret, seed }, otherBytes, pick) => {
        const other = otherBytes.slice(0, secret.length);
        const shares = split(secret, { shares: n, threshold: t, randomBytes: seededRandomBytes(seed) });
        const seen = shares.filter((_, i) => (i + pick) % n < t - 1); // t − 1 holders
        expect(seen).toHaveLength(t - 1);
        const otherChunks = chunksOf(other);
        const tape: number[] = [];
        for (let c = 0; c < chunkCount(secret.length); c++) {
          const coefficients = coefficientsThrough([0, ...seen.map((s) => s.x)], [otherChunks[c]!, ...seen.map((s) => s.y[c]!)]);
          expect(coefficients[0]).toBe(otherChunks[c]);
          tape.push(...coefficients.slice(1));
        }
        const forged = split(other, { shares: n, threshold: t, randomBytes: tapeOf(tape) });
        for (const s of seen) expect(Array.from(forged[s.x - 1]!.y)).toEqual(Array.from(s.y));
        expect(hex(combine(forged, other.length))).toBe(hex(other));
      }),
      { numRuns: 300 },
    );
  });

  it('cannot rebuild from t − 1 shares: interpolation through them alone misses the secret', () => {
    // With t − 1 points, the interpolated polynomial has degree < t − 1: not the sharing polynomial.
    const secret = Uint8Array.from([1, 2, 3]);
    let misses = 0;
    for (let seed = 0; seed < 50; seed++) {
      const shares = split(secret, { shares: 5, threshold: 3, randomBytes: seededRandomBytes(seed) });
      const few = shares.slice(0, 2);
      const guess = interpolateAt(few.map((s) => s.x), few.map((s) => s.y[0]!), 0);
      if (guess !== 0x010203) misses++;
    }
    expect(misses).toBeGreaterThanOrEqual(49);
  });

  it('splits a 32-byte secret for n = 1,000, t = 500 quickly (measured, not asserted)', () => {
    const secret = new Uint8Array(32).fill(0xab);
    const randomBytes = sodiumRandomBytes(sodium);
    const splitMs: string[] = [];
    let shares: Share[] = [];
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      shares = split(secret, { shares: 1000, threshold: 500, randomBytes });
      splitMs.push((performance.now() - started).toFixed(1));
    }
    const combineStarted = performance.now();
    const rebuilt = combine(shares.slice(500), 32, 500);
    const combineMs = performance.now() - combineStarted;
    console.info(`shamir n=1000 t=500, 32 bytes: split ${splitMs.join(' / ')} ms (first is cold), combine ${combineMs.toFixed(1)} ms`);
    expect(hex(rebuilt)).toBe(hex(secret));
  });
});

describe('tampered shares', () => {
  const arbTamper = arbCase(12).chain((c) =>
    fc.record({
      c: fc.constant(c),
      k: fc.integer({ min: c.t, max: c.n }),
      victim: fc.nat(),
      chunk: fc.nat(),
      delta: fc.integer({ min: 1, max: PRIME - 1 }),
    }),
  );

  it('make combine give a wrong secret or refuse (the caller\'s commitment check catches it)', () => {
    fc.assert(
      fc.property(arbTamper, ({ c: { n, t, secret, seed }, k, victim, chunk, delta }) => {
        const shares = split(secret, { shares: n, threshold: t, randomBytes: seededRandomBytes(seed) }).slice(0, k);
        const v = victim % t; // tamper one of the first t, the ones combine uses
        const y = shares[v]!.y.slice();
        const ci = chunk % y.length;
        y[ci] = (y[ci]! + delta) % PRIME;
        const tampered: Share[] = shares.map((s, i) => (i === v ? { x: s.x, y } : s));

        let plain: Uint8Array | undefined;
        try {
          plain = combine(tampered, secret.length, t);
        } catch (e) {
          expect(e).toEqual(code('share.tampered'));
        }
        if (plain) expect(hex(plain)).not.toBe(hex(secret));

      }),
      { numRuns: 300 },
    );
  });
});

describe('encodeShare / decodeShare', () => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
  const [share] = split(secret, { shares: 3, threshold: 2, randomBytes: seededRandomBytes(3) });

  it.each([1, 2, 3, 4, 32, 100])('round-trip a share of a %i-byte secret at its exact length', (length) => {
    const s = split(new Uint8Array(length).fill(7), { shares: 300, threshold: 2, randomBytes: seededRandomBytes(length) })[299]!;
    const bytes = encodeShare(s);
    expect(bytes).toHaveLength(encodedShareBytes(length));
    expect(bytes).toHaveLength(5 + 4 * Math.ceil(length / 3));
    const back = decodeShare(bytes, length);
    expect(back.x).toBe(300);
    expect(Array.from(back.y)).toEqual(Array.from(s.y));
  });

  it('refuses wrong lengths, versions, x and values', () => {
    const bytes = encodeShare(share!);
    expect(() => decodeShare(bytes.subarray(1), 32)).toThrow(code('share.bad_length'));
    expect(() => decodeShare(Uint8Array.from([...bytes, 0]), 32)).toThrow(code('share.bad_length'));
    expect(() => decodeShare(bytes, 34)).toThrow(code('share.bad_length')); // 12 chunks, not 11
    const version = bytes.slice();
    version[0] = 2;
    expect(() => decodeShare(version, 32)).toThrow(code('share.bad_version'));
    const zeroX = bytes.slice();
    zeroX.set([0, 0, 0, 0], 1);
    expect(() => decodeShare(zeroX, 32)).toThrow(code('share.bad_x'));
    const bigX = bytes.slice();
    new DataView(bigX.buffer).setUint32(1, PRIME, false);
    expect(() => decodeShare(bigX, 32)).toThrow(code('share.bad_x'));
    const bigY = bytes.slice();
    new DataView(bigY.buffer).setUint32(5, PRIME, false);
    expect(() => decodeShare(bigY, 32)).toThrow(code('share.out_of_range'));
  });
});

describe('refusals', () => {
  const secret = new Uint8Array(10).fill(1);
  const rb = seededRandomBytes(4);
  const shares = split(secret, { shares: 5, threshold: 3, randomBytes: rb });

  it.each([
    ['shares 1', 1, 1],
    ['threshold 1', 5, 1],
    ['threshold > shares', 5, 6],
    ['fractional threshold', 5, 2.5],
    ['too many shares', MAX_SHARES + 1, 3],
  ])('split refuses %s', (_label, n, t) => {
    expect(() => split(secret, { shares: n, threshold: t, randomBytes: rb })).toThrow(code('share.bad_params'));
  });

  it('split refuses an empty secret and a random source that returns the wrong length', () => {
    expect(() => split(new Uint8Array(0), { shares: 3, threshold: 2, randomBytes: rb })).toThrow(code('share.bad_length'));
    expect(() => split(secret, { shares: 3, threshold: 2, randomBytes: () => new Uint8Array(3) })).toThrow(code('share.bad_random'));
  });

  it('combine refuses duplicate x, x = 0, x ≥ p, values ≥ p, wrong lengths and too few shares', () => {
    const [a, b, c] = shares as [Share, Share, Share];
    expect(() => combine([a, b, { x: a.x, y: c.y }], 10)).toThrow(code('share.duplicate_x'));
    expect(() => combine([a, b, { x: 0, y: c.y }], 10)).toThrow(code('share.bad_x'));
    expect(() => combine([a, b, { x: PRIME, y: c.y }], 10)).toThrow(code('share.bad_x'));
    expect(() => combine([a, b, { x: 1.5, y: c.y }], 10)).toThrow(code('share.bad_x'));
    expect(() => combine([a, b, { x: c.x, y: c.y.map(() => PRIME) }], 10)).toThrow(code('share.out_of_range'));
    expect(() => combine([a, b, { x: c.x, y: c.y.subarray(1) }], 10)).toThrow(code('share.bad_length'));
    expect(() => combine([a, b], 10, 3)).toThrow(code('share.too_few'));
    expect(() => combine([], 10)).toThrow(code('share.too_few'));
  });
});

function chunksOf(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 3) out.push(((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0));
  return out;
}
