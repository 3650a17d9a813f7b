// Shamir secret sharing of byte strings over the prime field F_p (p = 2^25 − 39), for up to a million holders.
//
// Written by hand because the audited GF(2^8) library stops at 255 shares and a complete graph
// needs one share per device (1,000+). A secret is cut into 3-byte chunks (each < 2^24 < p); each
// chunk gets its own random polynomial of degree t − 1. Everything is plain number arithmetic:
// split costs O(n·t·chunks) multiplications, combine O(t² + t·chunks).
import { SecAggError } from './errors';
import { PRIME, lagrangeCoefficients, mulMod, reduce } from './field';

/** One holder's share: its x in [1, p) and one field element per 3-byte chunk of the secret. */
export interface Share {
  x: number;
  y: Uint32Array;
}

export interface SplitOptions {
  /** n: how many shares to make (x = 1..n). */
  shares: number;
  /** t: how many shares rebuild the secret; any t − 1 reveal nothing. */
  threshold: number;
  /** A CSPRNG: `sodiumRandomBytes(sodium)` in production. Must return exactly n bytes. */
  randomBytes: (n: number) => Uint8Array;
}

export const CHUNK_BYTES = 3;
/** Most shares one split makes; the same bound as fcp's graph parameter finder (kMaxNumberOfClients). */
export const MAX_SHARES = 1_000_000;
export const SHARE_VERSION = 1;
const SHARE_HEADER_BYTES = 5; // version byte + 4-byte big-endian x
const COEFFICIENT_BYTES = 4;
const COEFFICIENT_MASK = 2 ** 25 - 1;

/** Field elements per share for a secret of `secretLength` bytes. */
export function chunkCount(secretLength: number): number {
  return Math.ceil(secretLength / CHUNK_BYTES);
}

/** Exact byte length of an encoded share of a `secretLength`-byte secret. */
export function encodedShareBytes(secretLength: number): number {
  return SHARE_HEADER_BYTES + COEFFICIENT_BYTES * chunkCount(secretLength);
}

/**
 * Split `secret` into n shares, any t of which rebuild it (Shamir 1979, "How to share a secret").
 * Random tape, in order: for each chunk, coefficients a_1..a_{t−1}, each a little-endian 32-bit
 * word masked to 25 bits and redrawn when ≥ p (rejection keeps them uniform on F_p).
 */
export function split(secret: Uint8Array, options: SplitOptions): Share[] {
  const { shares: n, threshold: t, randomBytes } = options;
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new SecAggError('share.bad_length', 'secret must be a non-empty Uint8Array');
  }
  if (!Number.isInteger(n) || n < 2 || n > MAX_SHARES) {
    throw new SecAggError('share.bad_params', `shares must be an integer in [2, ${MAX_SHARES}], got ${n}`);
  }
  if (!Number.isInteger(t) || t < 2 || t > n) {
    throw new SecAggError('share.bad_params', `threshold must be an integer in [2, shares=${n}], got ${t}`);
  }
  const chunks = secretToChunks(secret);
  const degree = t - 1;
  const coefficients = drawCoefficients(randomBytes, chunks.length * degree);
  const out: Share[] = Array.from({ length: n }, (_, i) => ({ x: i + 1, y: new Uint32Array(chunks.length) }));
  const ys = new Float64Array(n);
  const reduceModP = reduce; // a local binding: module-namespace lookups in this loop cost 3× under some loaders
  for (let c = 0; c < chunks.length; c++) {
    // Horner for all x at once, f(x) = a_0 + x(a_1 + x(a_2 + …)), a_0 the secret chunk: the inner
    // loop runs over a typed array, which is what makes n = 1,000, t = 500 take tens of ms.
    const base = c * degree;
    ys.fill(0);
    for (let j = degree - 1; j >= -1; j--) {
      const a = j >= 0 ? coefficients[base + j]! : chunks[c]!;
      for (let i = 0; i < n; i++) ys[i] = reduceModP(ys[i]! * (i + 1) + a);
    }
    for (let i = 0; i < n; i++) out[i]!.y[c] = ys[i]!;
  }
  ys.fill(0);
  // The coefficients determine the secret from any one share: do not leave them in memory.
  coefficients.fill(0);
  chunks.fill(0);
  return out;
}

/**
 * Rebuild a `secretLength`-byte secret by Lagrange interpolation at 0. With `threshold`, refuses
 * fewer shares ('share.too_few') and uses the first `threshold`; without it, uses them all. Plain
 * Shamir cannot tell a wrong share: a tampered one gives a wrong secret, or 'share.tampered' when
 * the result is not a byte string (a chunk ≥ 2^24 or non-zero padding). The caller checks the
 * secret against a commitment (unmask.ts).
 */
export function combine(shares: readonly Share[], secretLength: number, threshold?: number): Uint8Array {
  checkShares(shares, secretLength);
  let used = shares;
  if (threshold !== undefined) {
    if (!Number.isInteger(threshold) || threshold < 2) {
      throw new SecAggError('share.bad_params', `threshold must be an integer ≥ 2, got ${threshold}`);
    }
    if (shares.length < threshold) {
      throw new SecAggError('share.too_few', `need threshold=${threshold} shares, got ${shares.length}`);
    }
    used = shares.slice(0, threshold);
  }
  const secret = interpolateSecret(used, secretLength);
  if (secret === null) {
    throw new SecAggError('share.tampered', 'the shares interpolate to a value that is not a byte string: at least one share is wrong');
  }
  return secret;
}

/** Throw unless the shares are well formed for a `secretLength`-byte secret: lengths, x ranges, values, distinct x. */
export function checkShares(shares: readonly Share[], secretLength: number): void {
  if (!Number.isInteger(secretLength) || secretLength < 1) {
    throw new SecAggError('share.bad_length', `secretLength must be a positive integer, got ${secretLength}`);
  }
  if (!Array.isArray(shares) || shares.length === 0) {
    throw new SecAggError('share.too_few', 'shares must be a non-empty array');
  }
  const chunks = chunkCount(secretLength);
  const seen = new Set<number>();
  shares.forEach((share, i) => {
    const { x, y } = share;
    if (!Number.isInteger(x) || x < 1 || x >= PRIME) {
      throw new SecAggError('share.bad_x', `shares[${i}].x must be an integer in [1, ${PRIME}), got ${x}`);
    }
    if (seen.has(x)) throw new SecAggError('share.duplicate_x', `shares[${i}].x=${x} appears twice`);
    seen.add(x);
    if (!(y instanceof Uint32Array) || y.length !== chunks) {
      throw new SecAggError('share.bad_length', `shares[${i}].y must be a Uint32Array of ${chunks} values for a ${secretLength}-byte secret`);
    }
    for (let c = 0; c < chunks; c++) {
      if (y[c]! >= PRIME) throw new SecAggError('share.out_of_range', `shares[${i}].y[${c}]=${y[c]} is not below p=${PRIME}`);
    }
  });
}

/** Encode a share as version (1 byte) ‖ x (u32 big-endian) ‖ y values (u32 big-endian each). */
export function encodeShare(share: Share): Uint8Array {
  const out = new Uint8Array(SHARE_HEADER_BYTES + COEFFICIENT_BYTES * share.y.length);
  const view = new DataView(out.buffer);
  out[0] = SHARE_VERSION;
  view.setUint32(1, share.x, false);
  share.y.forEach((v, c) => view.setUint32(SHARE_HEADER_BYTES + COEFFICIENT_BYTES * c, v, false));
  return out;
}

/** Decode and validate an encoded share of a `secretLength`-byte secret: exact length, version, x in [1, p), values < p. */
export function decodeShare(bytes: Uint8Array, secretLength: number): Share {
  const expected = encodedShareBytes(secretLength);
  if (!(bytes instanceof Uint8Array) || bytes.length !== expected) {
    const got = bytes instanceof Uint8Array ? bytes.length : typeof bytes;
    throw new SecAggError('share.bad_length', `an encoded share of a ${secretLength}-byte secret is ${expected} bytes, got ${got}`);
  }
  if (bytes[0] !== SHARE_VERSION) {
    throw new SecAggError('share.bad_version', `share version must be ${SHARE_VERSION}, got ${bytes[0]}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const x = view.getUint32(1, false);
  const y = new Uint32Array(chunkCount(secretLength));
  for (let c = 0; c < y.length; c++) y[c] = view.getUint32(SHARE_HEADER_BYTES + COEFFICIENT_BYTES * c, false);
  const share = { x, y };
  checkShares([share], secretLength);
  return share;
}

/** The secret interpolated at 0 from well-formed shares, or null when it is not a byte string of that length. */
export function interpolateSecret(shares: readonly Share[], secretLength: number): Uint8Array | null {
  const lambda = lagrangeCoefficients(shares.map((s) => s.x), 0);
  const chunks = chunkCount(secretLength);
  const secret = new Uint8Array(chunks * CHUNK_BYTES);
  for (let c = 0; c < chunks; c++) {
    let v = 0;
    for (let i = 0; i < shares.length; i++) {
      v += mulMod(lambda[i]!, shares[i]!.y[c]!);
      if (v >= PRIME) v -= PRIME;
    }
    if (v >= 2 ** (8 * CHUNK_BYTES)) return null;
    secret[CHUNK_BYTES * c] = v >>> 16;
    secret[CHUNK_BYTES * c + 1] = (v >>> 8) & 0xff;
    secret[CHUNK_BYTES * c + 2] = v & 0xff;
  }
  for (let i = secretLength; i < secret.length; i++) if (secret[i] !== 0) return null;
  return secret.slice(0, secretLength);
}

/** The secret as big-endian 3-byte chunks, the last one zero-padded. */
function secretToChunks(secret: Uint8Array): Uint32Array {
  const chunks = new Uint32Array(chunkCount(secret.length));
  for (let c = 0; c < chunks.length; c++) {
    const at = CHUNK_BYTES * c;
    chunks[c] = ((secret[at] ?? 0) << 16) | ((secret[at + 1] ?? 0) << 8) | (secret[at + 2] ?? 0);
  }
  return chunks;
}

/** `count` uniform elements of F_p by rejection sampling from the caller's random bytes. */
function drawCoefficients(randomBytes: (n: number) => Uint8Array, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let filled = 0;
  while (filled < count) {
    const want = (count - filled) * COEFFICIENT_BYTES;
    const bytes = randomBytes(want);
    if (!(bytes instanceof Uint8Array) || bytes.length !== want) {
      throw new SecAggError('share.bad_random', `randomBytes(${want}) returned ${bytes instanceof Uint8Array ? bytes.length : typeof bytes} bytes`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at < want; at += COEFFICIENT_BYTES) {
      const v = view.getUint32(at, true) & COEFFICIENT_MASK;
      if (v < PRIME) out[filled++] = v;
    }
    bytes.fill(0);
  }
  return out;
}
