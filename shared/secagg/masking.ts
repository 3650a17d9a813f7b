// Masks: y = x + PRG(b_u) + Σ_v ±PRG(s_uv) mod 2^32 on the device, and their removal from the sum on the server.
import { expandMask } from './prg';
import type { Sodium } from './sodium';

/** A mask expander: the words of PRG(seed). Every implementation must give expandMask's exact stream. */
export type MaskExpander = (seed: Uint8Array, length: number) => Uint32Array;

/** One mask to add to (sign 1) or remove from (sign −1) a vector: ±PRG(seed). */
export interface MaskTerm {
  seed: Uint8Array;
  sign: 1 | -1;
}

/** acc ← acc + Σ sign·PRG(seed) (mod 2^32), in place. Every implementation must give applyMasks's exact result. */
export type MaskApplier = (acc: Uint32Array, terms: readonly MaskTerm[]) => void;

/** The reference MaskApplier: one term after another with libsodium's stream (or an identical `expand`). */
export function applyMasks(sodium: Sodium, acc: Uint32Array, terms: readonly MaskTerm[], expand?: MaskExpander): void {
  for (const t of terms) addMask(sodium, acc, t.seed, t.sign, expand);
}

/** acc ← acc + sign · PRG(seed) (mod 2^32), in place; `expand` may replace libsodium's stream with an identical faster one. */
export function addMask(sodium: Sodium, acc: Uint32Array, seed: Uint8Array, sign: 1 | -1, expand?: MaskExpander): void {
  const mask = expand ? expand(seed, acc.length) : expandMask(sodium, seed, acc.length);
  if (sign === 1) for (let n = 0; n < acc.length; n++) acc[n] = (acc[n]! + mask[n]!) >>> 0;
  else for (let n = 0; n < acc.length; n++) acc[n] = (acc[n]! - mask[n]!) >>> 0;
}

/** The masked input of one device (Bonawitz et al. 2017, §4): a new array, `input` is not modified. */
export function maskInput(sodium: Sodium, input: Uint32Array, selfSeed: Uint8Array, pairwise: readonly { seed: Uint8Array; sign: 1 | -1 }[]): Uint32Array {
  const y = Uint32Array.from(input);
  addMask(sodium, y, selfSeed, 1);
  for (const p of pairwise) addMask(sodium, y, p.seed, p.sign);
  return y;
}
