// Exact random primitives from a CSPRNG byte source: uniform bits and integers, Bernoulli(a/b), Bernoulli(exp(−a/b)).
//
// Only integer arithmetic is used (Numbers below 2^53, BigInt beyond), never a floating-point probability:
// Mironov 2012 ("On significance of the least significant bits for differential privacy") shows how
// floating-point samplers leak. Bernoulli(a/b) compares a lazily drawn uniform real U with a/b one binary
// digit at a time (two random bits on average); Bernoulli(exp(−γ)) is Canonne, Kamath & Steinke 2020, Algorithm 1.

/** A cryptographically secure source of n random bytes (libsodium's randombytes_buf in production). */
export type RandomBytes = (n: number) => Uint8Array;

const BUFFER_BYTES = 4096;
/** Largest b for which Bernoulli(a/b) runs on Numbers: 2a < 2b ≤ 2^53 stays exact. */
const MAX_EXACT_DENOMINATOR = 2 ** 52;
const BIG_ZERO = BigInt(0);
const BIG_ONE = BigInt(1);

/** Bit length of a non-negative safe integer (0 for 0). */
function bitLength(x: number): number {
  return x < 2 ** 32 ? 32 - Math.clz32(x) : 32 + bitLength(Math.floor(x / 2 ** 32));
}

/** Buffered uniform bits and exact Bernoulli draws from a caller-supplied CSPRNG. */
export class RandomBits {
  private readonly randomBytes: RandomBytes;
  private buffer: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private word = 0;
  private wordBits = 0;

  constructor(randomBytes: RandomBytes) {
    if (typeof randomBytes !== 'function') throw new RangeError('randomBytes must be a function (n) => Uint8Array');
    this.randomBytes = randomBytes;
  }

  private nextWord(): number {
    if (this.offset + 4 > this.buffer.length) {
      this.buffer.fill(0);
      const bytes = this.randomBytes(BUFFER_BYTES);
      if (!(bytes instanceof Uint8Array) || bytes.length !== BUFFER_BYTES) {
        throw new RangeError(`randomBytes(${BUFFER_BYTES}) must return a Uint8Array of that length`);
      }
      this.buffer = bytes;
      this.offset = 0;
    }
    const b = this.buffer;
    const o = this.offset;
    this.offset = o + 4;
    return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  }

  /** One uniform bit. */
  bit(): number {
    if (this.wordBits === 0) {
      this.word = this.nextWord();
      this.wordBits = 32;
    }
    const b = this.word & 1;
    this.word >>>= 1;
    this.wordBits--;
    return b;
  }

  /** k uniform bits (0 ≤ k ≤ 30) as an integer in [0, 2^k). */
  bits(k: number): number {
    if (k === 0) return 0;
    if (this.wordBits >= k) {
      const r = this.word & ((1 << k) - 1);
      this.word >>>= k;
      this.wordBits -= k;
      return r;
    }
    const have = this.wordBits;
    const low = this.word;
    this.word = this.nextWord();
    this.wordBits = 32;
    const rest = k - have;
    const high = this.word & ((1 << rest) - 1);
    this.word >>>= rest;
    this.wordBits -= rest;
    return low + high * 2 ** have;
  }

  /** A uniform integer in [0, m) for a safe integer m ≥ 1, by rejection (fewer than two tries on average). */
  below(m: number): number {
    const k = bitLength(m - 1);
    if (k <= 30) {
      for (;;) {
        const r = this.bits(k);
        if (r < m) return r;
      }
    }
    for (;;) {
      const r = this.bits(k - 30) * 2 ** 30 + this.bits(30);
      if (r < m) return r;
    }
  }

  /** Bernoulli(a/b) for integers 0 ≤ a, 1 ≤ b ≤ 2^52: U < a/b decided at the first binary digit where they differ. */
  fraction(a: number, b: number): boolean {
    if (a <= 0) return false;
    if (a >= b) return true;
    let r = a;
    for (;;) {
      r *= 2;
      let digit = 0;
      if (r >= b) {
        digit = 1;
        r -= b;
      }
      const u = this.bit();
      if (u !== digit) return u < digit;
      if (r === 0) return false; // a/b's expansion has ended; U ≥ a/b (equality has probability 0)
    }
  }

  /** Bernoulli(a/b) for BigInt a ≥ 0, b ≥ 1 (same digit-by-digit comparison). */
  fractionBig(a: bigint, b: bigint): boolean {
    if (a <= BIG_ZERO) return false;
    if (a >= b) return true;
    let r = a;
    for (;;) {
      r <<= BIG_ONE;
      let digit = 0;
      if (r >= b) {
        digit = 1;
        r -= b;
      }
      const u = this.bit();
      if (u !== digit) return u < digit;
      if (r === BIG_ZERO) return false;
    }
  }

  /**
   * Bernoulli(exp(−a/b)) for 0 ≤ a ≤ b (γ ∈ [0, 1]), Canonne, Kamath & Steinke 2020 Algorithm 1 (von Neumann):
   * K ← 1; while Bernoulli(γ/K) succeeds, K ← K + 1; return K odd.
   */
  expMinusFraction(a: number, b: number): boolean {
    let k = 1;
    for (;;) {
      const bk = b * k;
      const success = bk <= MAX_EXACT_DENOMINATOR ? this.fraction(a, bk) : this.fractionBig(BigInt(a), BigInt(b) * BigInt(k));
      if (!success) return k % 2 === 1;
      k++;
    }
  }

  /** BigInt form of expMinusFraction: Bernoulli(exp(−a/b)) for 0 ≤ a ≤ b. */
  expMinusFractionBig(a: bigint, b: bigint): boolean {
    let k = BIG_ONE;
    for (;;) {
      if (!this.fractionBig(a, b * k)) return k % BigInt(2) === BIG_ONE;
      k += BIG_ONE;
    }
  }

  /** Bernoulli(exp(−1)). */
  expMinusOne(): boolean {
    return this.expMinusFraction(1, 1);
  }

  /**
   * Bernoulli(exp(−γ)) for γ = whole + remainder/b ≥ 0 (CKS 2020 §5.1): ⌊γ⌋ independent Bernoulli(exp(−1)) and one
   * Bernoulli(exp(−(γ − ⌊γ⌋))) all succeed. Stops at the first failure (the product is then 0 whatever follows).
   */
  expMinus(whole: number, remainder: number | bigint, b: number | bigint): boolean {
    for (let i = 0; i < whole; i++) if (!this.expMinusOne()) return false;
    if (typeof remainder === 'bigint' || typeof b === 'bigint') return this.expMinusFractionBig(BigInt(remainder), BigInt(b));
    return this.expMinusFraction(remainder, b);
  }
}
