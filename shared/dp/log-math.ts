// Log-space arithmetic and log erfc, accurate in the far tails, for the RDP series.

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** Below this |x| erf comes from its Taylor series; above it erfc from its continued fraction. */
const SERIES_LIMIT = 2;
const MAX_TERMS = 500;

/** log(e^x + e^y) without overflow; −∞ stands for 0. */
export function logAdd(logX: number, logY: number): number {
  const a = Math.min(logX, logY);
  const b = Math.max(logX, logY);
  if (a === -Infinity) return b;
  if (b === Infinity) return Infinity;
  return b + Math.log1p(Math.exp(a - b)); // log(e^a + e^b) = b + log(1 + e^(a−b))
}

/**
 * log(1 − e^(−a)) for a > 0, accurate at both ends (Mächler 2012, "Accurately computing log(1 − exp(−|a|))"):
 * log(−expm1(−a)) for a ≤ ln 2, log1p(−exp(−a)) beyond (where 1 − e^(−a) would round).
 */
export function log1mExp(a: number): number {
  return a <= Math.LN2 ? Math.log(-Math.expm1(-a)) : Math.log1p(-Math.exp(-a));
}

/** log(e^x − e^y) for x ≥ y; −∞ when they are equal. Throws when the difference would be negative. */
export function logSub(logX: number, logY: number): number {
  if (logX < logY) throw new RangeError(`logSub: result would be negative (log ${logX} − log ${logY})`);
  if (logY === -Infinity) return logX;
  if (logX === logY) return -Infinity;
  return logX + log1mExp(logX - logY); // log(e^x − e^y) = x + log(1 − e^(y−x))
}

/** A real number kept as a sign and log |value|, so a series of mixed-sign terms can be summed in log space. */
export interface SignedLog {
  sign: 1 | -1 | 0;
  log: number;
}

/** Add a term ±e^logTerm to a signed log-space accumulator (returns a new accumulator). */
export function signedLogAdd(acc: SignedLog, termSign: 1 | -1, logTerm: number): SignedLog {
  if (logTerm === -Infinity) return acc;
  if (acc.sign === 0) return { sign: termSign, log: logTerm };
  if (acc.sign === termSign) return { sign: termSign, log: logAdd(acc.log, logTerm) };
  if (acc.log > logTerm) return { sign: acc.sign, log: logSub(acc.log, logTerm) };
  if (acc.log < logTerm) return { sign: termSign, log: logSub(logTerm, acc.log) };
  return { sign: 0, log: -Infinity };
}

/** erf(x) for |x| ≤ 2 by its Taylor series erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1)). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let power = x; // (−1)^n x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < MAX_TERMS; n++) {
    power *= -x2 / n;
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/**
 * log(erfcx(x)) = log(e^(x²) erfc(x)) for x ≥ 2, by the continued fraction
 * erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) evaluated with the modified Lentz method.
 */
function logErfcxContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < MAX_TERMS; n++) {
    const a = n / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    d = 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -Math.log(f) - LOG_SQRT_PI;
}

/** erfc(x) for x ≥ 0 (relative accuracy ≈ 1e-14 or better). */
function erfcNonNegative(x: number): number {
  if (x < SERIES_LIMIT) return 1 - erfSeries(x);
  return Math.exp(logErfcxContinuedFraction(x) - x * x);
}

/** log(erfcx(x)) = log(e^(x²)·erfc(x)), finite for every finite x (for the tails where e^(x²) and erfc overflow). */
export function logErfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= SERIES_LIMIT) return logErfcxContinuedFraction(x);
  return logErfc(x) + x * x;
}

/** log(erfc(x)) with full relative accuracy in the upper tail (erfc(40) ≈ 1e−697 is still finite in log space). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.LN2;
  if (x >= SERIES_LIMIT) return logErfcxContinuedFraction(x) - x * x; // log erfc = log erfcx − x²
  if (x >= 0) return Math.log1p(-erfSeries(x)); // erfc = 1 − erf
  const y = -x;
  if (y < SERIES_LIMIT) return Math.log1p(erfSeries(y)); // erfc(−y) = 1 + erf(y)
  return Math.LN2 + Math.log1p(-erfcNonNegative(y) / 2); // erfc(−y) = 2 − erfc(y)
}
