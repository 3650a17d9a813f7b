// Masks: y = x + PRG(b_u) + Σ_v ±PRG(s_uv) mod 2^32 on the device, and their removal from the sum on the server.
import { expandMask } from './prg';
import type { Sodium } from './sodium';

/** acc ← acc + sign · PRG(seed) (mod 2^32), in place. */
export function addMask(sodium: Sodium, acc: Uint32Array, seed: Uint8Array, sign: 1 | -1): void {
  const mask = expandMask(sodium, seed, acc.length);
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
