// Summary statistics of the explanation benchmark: mean, standard error, Spearman's rank correlation.

/** Arithmetic mean (NaN for no values). */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (let n = 0; n < values.length; n++) s += values[n]!;
  return s / values.length;
}

/** Standard error of the mean: sample standard deviation / √n (NaN below two values). */
export function standardError(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const m = mean(values);
  let ss = 0;
  for (let j = 0; j < n; j++) ss += (values[j]! - m) ** 2;
  return Math.sqrt(ss / (n - 1) / n);
}

/** 1-based ranks, ties given the mean of the ranks they span (so tied values carry no order). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    const rank = (start + 1 + end) / 2; // mean of the ranks start+1 … end
    for (let j = start; j < end; j++) ranks[order[j]!] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's correlation (NaN when either side is constant). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`pearson: ${x.length} x values but ${y.length} y values`);
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let j = 0; j < x.length; j++) {
    const dx = x[j]! - mx;
    const dy = y[j]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

/** Spearman's ρ: Pearson's correlation of the average ranks (Spearman 1904; ties handled by mid-ranks). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} x values but ${y.length} y values`);
  return pearson(averageRanks(x), averageRanks(y));
}
