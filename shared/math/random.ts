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
  /** An independent generator derived from this one's seed and a label (the same label gives the same stream). */
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

/** Murmur3's 32-bit finaliser: spreads nearby seeds over the whole state (xoroshiro does not mix its seed). */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Create a generator from an integer seed (any safe integer; seeds differing anywhere give unrelated streams). */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  // Fold the high bits in so 2^32 + 5 and 5 differ, then mix.
  const folded = mix32((seed % 0x100000000) ^ mix32(Math.floor(seed / 0x100000000)));
  return fromState(folded);
}

function fromState(state: number): Rng {
  const gen = xoroshiro128plus(state | 0);
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
    // Derived from the seed and the label only, so adding a fork elsewhere never shifts this one.
    fork: (label) => fromState(mix32(state ^ mix32(hashLabel(label) + 0x9e3779b9))),
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
