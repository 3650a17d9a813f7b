// Seeded pseudo-random numbers for reproducible experiments (not for cryptography: see shared/secagg for that).
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

/** A seeded generator with the few draws the project needs. */
export interface Rng {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draw (Box-Muller; for simulation and initialisation only). */
  normal(): number;
  /** An independent generator derived from this one and a label, so sub-streams do not shift when code changes. */
  fork(label: string | number): Rng;
}

function hashLabel(label: string | number): number {
  // FNV-1a over the label's UTF-16 units: a stable 32-bit tag for deriving sub-seeds.
  const s = String(label);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Create a generator from an integer seed. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const gen = xoroshiro128plus(Math.trunc(seed) | 0);
  let spare: number | undefined;
  const rng: Rng = {
    float: () => uniformFloat64(gen),
    int: (n) => {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer n, got ${n}`);
      return uniformInt(gen, 0, n - 1);
    },
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = uniformFloat64(gen);
      const v = uniformFloat64(gen);
      const r = Math.sqrt(-2 * Math.log(u)); // Box-Muller: r·cos, r·sin are independent N(0,1)
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: (label) => createRng((uniformInt(gen, 0, 0x7fffffff) ^ hashLabel(label)) | 0),
  };
  return rng;
}

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
  return items;
}
