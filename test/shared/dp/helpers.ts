// Test helpers for shared/dp: deterministic CSPRNG stand-ins (libsodium ChaCha20), the reference cases, χ² tools.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sodiumModule from 'libsodium-wrappers';
import { OPACUS_ORDERS, TF_PRIVACY_ORDERS, DP_ACCOUNTING_ORDERS } from '../../../shared/dp/orders';

await sodiumModule.ready;
const sodium = sodiumModule;

/**
 * A fixed-seed stand-in for the production CSPRNG: libsodium's randombytes_buf_deterministic (ChaCha20) keyed by the
 * label and a call counter, so every call returns fresh bytes and a failing test replays exactly.
 */
export function seededRandomBytes(label: number): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const seed = new Uint8Array(32);
    const view = new DataView(seed.buffer);
    view.setUint32(0, label, true);
    view.setUint32(4, counter++, true);
    view.setUint32(8, 0x64705f74, true); // "dp_t": keeps these streams apart from other suites' seeds
    return sodium.randombytes_buf_deterministic(n, seed);
  };
}

/** Uniform draws in [0, 1) with 53 bits each, from the same deterministic stream. */
export function seededUniform(label: number): () => number {
  const randomBytes = seededRandomBytes(label);
  let words = new Uint32Array(0);
  let at = 0;
  return () => {
    if (at >= words.length) {
      const bytes = randomBytes(8 * 4096);
      words = new Uint32Array(bytes.slice().buffer);
      at = 0;
    }
    const high = words[at]! >>> 11;
    const low = words[at + 1]!;
    at += 2;
    return (high * 2 ** 32 + low) / 2 ** 53;
  };
}

export interface ReferenceCase {
  id: string;
  q: number;
  sigma: number;
  steps: number;
  delta: number;
  orders: string;
  epsilon: number;
  bestOrder?: number;
  tolerance: number;
  source: string;
  note?: string;
}

export interface ReferenceRdpVector {
  id: string;
  q: number;
  sigma: number;
  steps: number;
  orders: number[];
  rdp: number[];
  relativeTolerance: number;
  source: string;
}

export interface ReferenceFile {
  about: string;
  orderLists: Record<string, string>;
  cases: ReferenceCase[];
  rdpVectors: ReferenceRdpVector[];
}

const here = import.meta.dirname;
export const reference = JSON.parse(readFileSync(join(here, 'reference-cases.json'), 'utf8')) as ReferenceFile;

export interface MpmathValues {
  logA: { q: number; sigma: number; order: number; logA: number }[];
  kl: { q: number; sigma: number; forward: number; backward: number }[];
}
export const mpmath = JSON.parse(readFileSync(join(here, 'mpmath-values.json'), 'utf8')) as MpmathValues;

/** The order list a reference case names; 'gaussian-eps1' writes Python's [0.001*i for i in 1000..99999], generated here. */
export function ordersOf(name: string): readonly number[] {
  if (name === 'opacus') return OPACUS_ORDERS;
  if (name === 'tfPrivacy') return TF_PRIVACY_ORDERS;
  if (name === 'dpAccounting') return DP_ACCOUNTING_ORDERS;
  if (name === '[0.001*i for i in 1000..99999]') return Array.from({ length: 99_000 }, (_, k) => 0.001 * (1000 + k));
  throw new Error(`unknown order list ${name}`);
}

export const relativeError = (value: number, expected: number): number => Math.abs(value - expected) / Math.abs(expected);

/** Pearson χ² of observed counts against expected counts. */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let chi = 0;
  for (let i = 0; i < observed.length; i++) chi += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  return chi;
}

/**
 * Upper quantile of χ² with `dof` degrees of freedom at standard-normal z (Wilson–Hilferty). z = 7 is a one-sided
 * tail near 1e-12: a correct sampler fails it essentially never (and the seeds are fixed anyway).
 */
export function chiSquareQuantile(dof: number, z: number): number {
  const a = 2 / (9 * dof);
  return dof * (1 - a + z * Math.sqrt(a)) ** 3;
}

/**
 * Cells for a χ² test of a pmf on the integers: single values in [lo, hi] plus the two tails pooled, with lo and hi
 * chosen so every cell expects at least 5 of n draws (where the χ² approximation is sound).
 */
export function binPmf(pmf: (x: number) => number, n: number, center = 0): { cellOf: (x: number) => number; expected: number[] } {
  const tail = (from: number, step: number): number => {
    let mass = 0;
    for (let x = from; ; x += step) {
      const p = pmf(x);
      mass += p;
      if (p < 1e-300 || Math.abs(x - from) > 1e6) return mass;
    }
  };
  let lo = center;
  while (pmf(lo - 1) * n >= 5) lo--;
  let hi = center;
  while (pmf(hi + 1) * n >= 5) hi++;
  while (tail(lo - 1, -1) * n < 5) lo++;
  while (tail(hi + 1, 1) * n < 5) hi--;
  const expected = [tail(lo - 1, -1) * n];
  for (let x = lo; x <= hi; x++) expected.push(pmf(x) * n);
  expected.push(tail(hi + 1, 1) * n);
  const cellOf = (x: number): number => (x < lo ? 0 : x > hi ? hi - lo + 2 : x - lo + 1);
  return { cellOf, expected };
}
