// Arithmetic in the prime field F_p with p = 2^25 − 39, small enough that every product is exact in a JS number.

/** The largest prime below 2^25. p² < 2^50 < 2^53, so a·b for a, b < p never loses a bit in a double. */
export const PRIME = 33_554_393;

const INV_PRIME = 1 / PRIME;

/** a mod p in [0, p) for any safe integer a (JS `%` keeps the sign of a, and gives −0 for −p). */
export function modP(a: number): number {
  const r = a % PRIME;
  return r < 0 ? r + PRIME : r === 0 ? 0 : r;
}

/**
 * v mod p for an integer 0 ≤ v < 2^52, without `%` (a floating-point remainder, ~10× slower here).
 * The estimated quotient is off by at most one, and q·p and v − q·p are exact in a double.
 */
export function reduce(v: number): number {
  const r = v - Math.floor(v * INV_PRIME) * PRIME;
  return r < 0 ? r + PRIME : r >= PRIME ? r - PRIME : r;
}

/** a·b mod p for a, b in [0, p). */
export function mulMod(a: number, b: number): number {
  return reduce(a * b);
}

/** a⁻¹ mod p for a in [1, p), by the extended Euclidean algorithm. */
export function invMod(a: number): number {
  if (!Number.isInteger(a) || a <= 0 || a >= PRIME) throw new RangeError(`invMod needs a in [1, ${PRIME}), got ${a}`);
  let [r0, r1] = [PRIME, a];
  let [t0, t1] = [0, 1];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return modP(t0);
}

/**
 * Lagrange basis values λ_i(at) = Π_{j≠i} (at − x_j) / (x_i − x_j) mod p, so that for any
 * polynomial f of degree < xs.length, f(at) = Σ λ_i · f(x_i). The xs must be distinct, in [0, p).
 * O(k²) multiplications and k inversions for k points.
 */
export function lagrangeCoefficients(xs: ArrayLike<number>, at: number): Float64Array {
  const k = xs.length;
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const xi = xs[i]!;
    let num = 1;
    let den = 1;
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      const xj = xs[j]!;
      num = mulMod(num, modP(at - xj));
      den = mulMod(den, modP(xi - xj));
    }
    out[i] = mulMod(num, invMod(den));
  }
  return out;
}

/** f(at) for the unique polynomial of degree < k through the k points (xs[i], ys[i]). */
export function interpolateAt(xs: ArrayLike<number>, ys: ArrayLike<number>, at: number): number {
  const lambda = lagrangeCoefficients(xs, at);
  let sum = 0;
  for (let i = 0; i < lambda.length; i++) sum = (sum + mulMod(lambda[i]!, ys[i]!)) % PRIME;
  return sum;
}
