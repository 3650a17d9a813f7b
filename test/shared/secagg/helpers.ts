// Test helpers for the secagg primitives: a ready libsodium, hex, seeded bytes, χ², Wycheproof loading.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sodiumModule from 'libsodium-wrappers';
import type { Sodium } from '../../../shared/secagg/sodium';

await sodiumModule.ready;
/** libsodium, ready. */
export const sodium: Sodium = sodiumModule;

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** Deterministic bytes for tests (ChaCha20 from a seed made of one repeated byte). */
export function testBytes(length: number, label = 7): Uint8Array {
  return sodium.randombytes_buf_deterministic(length, new Uint8Array(32).fill(label));
}

/** A `randomBytes(n)` for split() that replays a deterministic stream (so failures reproduce). */
export function seededRandomBytes(label: number): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const seed = new Uint8Array(32);
    new DataView(seed.buffer).setUint32(0, label, true);
    new DataView(seed.buffer).setUint32(4, counter++, true);
    return sodium.randombytes_buf_deterministic(n, seed);
  };
}

/** Pearson χ² of observed counts against equal expected counts. */
export function chiSquare(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const expected = total / counts.length;
  let chi = 0;
  for (let i = 0; i < counts.length; i++) chi += (counts[i]! - expected) ** 2 / expected;
  return chi;
}

/**
 * Upper quantile of χ² with `dof` degrees of freedom at standard-normal z (Wilson–Hilferty).
 * z = 7 is a one-sided tail near 1e-12: a sound generator fails it essentially never.
 */
export function chiSquareQuantile(dof: number, z: number): number {
  const a = 2 / (9 * dof);
  return dof * (1 - a + z * Math.sqrt(a)) ** 3;
}

export interface WycheproofFile<T> {
  algorithm: string;
  numberOfTests: number;
  testGroups: { tests: (T & { tcId: number; comment: string; flags: string[]; result: 'valid' | 'invalid' | 'acceptable' })[]; [key: string]: unknown }[];
}

/** A vendored Wycheproof file from test/vectors/wycheproof. */
export function loadWycheproof<T>(name: string): WycheproofFile<T> {
  const path = join(import.meta.dirname, '..', '..', 'vectors', 'wycheproof', name);
  return JSON.parse(readFileSync(path, 'utf8')) as WycheproofFile<T>;
}
