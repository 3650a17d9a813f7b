// χ² tail probabilities and quantiles to double precision, for statistical tests whose false-failure rate is stated.
//
// P(χ²_k ≤ x) = P(k/2, x/2) and P(χ²_k > x) = Q(k/2, x/2), the regularized incomplete gamma functions, computed as in
// Numerical Recipes §6.2: the series of γ(a, x) for x < a + 1, Lentz's continued fraction of Γ(a, x) otherwise. Each
// tail is computed directly where it is small (never as 1 − something), so 1e−9 is as accurate as 0.5. Quantiles are
// found by bisection on the monotone tail.

/** ln Γ(a) for a > 0 (Lanczos, g = 7, 9 terms: relative error below 1e−15). */
export function logGamma(a: number): number {
  if (!(a > 0)) throw new RangeError(`logGamma needs a > 0, got ${a}`);
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a); // reflection
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = a - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** P(a, x) by its series: e^(−x) x^a / Γ(a) · Σ_n x^n / (a (a+1) … (a+n)). */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 100_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Q(a, x) by Lentz's continued fraction of Γ(a, x). */
function upperFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

function check(df: number, x: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  if (!(x >= 0)) throw new RangeError(`x must be ≥ 0, got ${x}`);
}

/** P(χ²_df ≤ x). */
export function chiSquareLowerTail(df: number, x: number): number {
  check(df, x);
  if (x === 0) return 0;
  const a = df / 2;
  const h = x / 2;
  return h < a + 1 ? lowerSeries(a, h) : 1 - upperFraction(a, h);
}

/** P(χ²_df > x). */
export function chiSquareUpperTail(df: number, x: number): number {
  check(df, x);
  if (x === 0) return 1;
  const a = df / 2;
  const h = x / 2;
  return h < a + 1 ? 1 - lowerSeries(a, h) : upperFraction(a, h);
}

/** Bisection for the x at which a monotone `tail` crosses `target`, to 1e−12 relative. */
function bisect(tail: (x: number) => number, target: number, increasing: boolean, lo: number, hi: number): number {
  while (increasing ? tail(hi) < target : tail(hi) > target) hi *= 2;
  for (let i = 0; i < 400 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (increasing ? tail(mid) < target : tail(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The x with P(χ²_df > x) = tail: the critical value of an upper-tail test of size `tail`. */
export function chiSquareUpperQuantile(df: number, tail: number): number {
  if (!(tail > 0 && tail < 1)) throw new RangeError(`tail must be in (0, 1), got ${tail}`);
  return bisect((x) => chiSquareUpperTail(df, x), tail, false, 0, Math.max(1, 2 * df));
}

/** The x with P(χ²_df < x) = tail. */
export function chiSquareLowerQuantile(df: number, tail: number): number {
  if (!(tail > 0 && tail < 1)) throw new RangeError(`tail must be in (0, 1), got ${tail}`);
  return bisect((x) => chiSquareLowerTail(df, x), tail, true, 0, Math.max(1, df));
}
