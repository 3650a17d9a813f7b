// Thresholds with a corruption budget, the consistency quorum and their liveness, against an independent brute force:
// a threshold is safe when no two groups of t holders (the server's split of one victim's fate) fit among m holders
// of whom a answer both, and a quorum is safe when no two lists can each gather q signers among N of whom A sign both.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { consistencyQuorum, corruptHolders, corruptInCohort, liveSafeThreshold, LIVENESS_FAILURE, safeThreshold, secureSettingsFor, sparseDegree, SPARSE_TAIL } from '../../../shared/secagg/round-settings';
import { isSecAggError } from '../../../shared/secagg/errors';

/** Smallest t such that two t-groups sharing at most a members cannot fit among m: 2t − a > m, by search. */
function bruteThreshold(m: number, a: number): number {
  for (let t = 2; ; t++) if (2 * t - Math.min(a, t) > m) return t;
}

/** Binomial(k, p) tail P(X > x), by summing the probability mass from the bottom with exact-ish logs. */
function tailAbove(k: number, p: number, x: number): number {
  let total = 0;
  for (let j = x + 1; j <= k; j++) {
    let logC = 0;
    for (let i = 1; i <= j; i++) logC += Math.log((k - j + i) / i);
    total += Math.exp(logC + j * Math.log(p) + (k - j) * Math.log(1 - p));
  }
  return total;
}

describe('safeThreshold', () => {
  it('complete graph: t is the brute-force minimum with a = ⌈γ·n⌉ corrupt holders among n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 300 }), fc.double({ min: 0, max: 0.49, noNaN: true }), (n, gamma) => {
        const a = Math.ceil(gamma * n - 1e-12);
        expect(corruptHolders({ kind: 'complete', n }, gamma)).toBe(Math.min(n, a));
        expect(safeThreshold({ kind: 'complete', n }, gamma)).toBe(bruteThreshold(n, a));
      }),
    );
  });

  it('one Sybil in an odd neighbourhood (γ = 0.1, n = 9): t = 6, where γ = 0 gives 5 and 2·5 ≤ 9 + 1 lets a split leak', () => {
    expect(safeThreshold({ kind: 'complete', n: 9 }, 0)).toBe(5);
    expect(safeThreshold({ kind: 'complete', n: 9 }, 0.1)).toBe(6);
    expect(2 * 5).toBeLessThanOrEqual(9 + 1);
    expect(2 * 6).toBeGreaterThan(9 + 1);
  });

  it('sparse graph: a is the smallest count a random neighbourhood exceeds with probability ≤ 2^-30, and at least ⌈γ·m⌉', () => {
    for (const [n, degree, gamma] of [[1000, 20, 0.1], [1000, 38, 0.1], [5000, 26, 0.05], [300, 30, 0.2]] as const) {
      const a = corruptHolders({ kind: 'sparse', n, degree }, gamma);
      const p = corruptInCohort(n, gamma) / (n - 1);
      expect(tailAbove(degree, p, a)).toBeLessThanOrEqual(SPARSE_TAIL);
      expect(a === 0 || tailAbove(degree, p, a - 1) > SPARSE_TAIL || a === Math.ceil(gamma * (degree + 1) - 1e-12)).toBe(true);
      expect(a).toBeGreaterThanOrEqual(Math.ceil(gamma * (degree + 1) - 1e-12));
      expect(safeThreshold({ kind: 'sparse', n, degree }, gamma)).toBe(bruteThreshold(degree + 1, a));
    }
  });
});

describe('consistencyQuorum', () => {
  it('two lists cannot both gather q signers among N when honest devices sign one and A corrupt sign both', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 2000 }), fc.double({ min: 0, max: 0.49, noNaN: true }), (n, gamma) => {
        const q = consistencyQuorum(n, gamma);
        const A = corruptInCohort(n, gamma);
        expect(2 * q - A).toBeGreaterThan(n); // the two signer sets would need 2q − A > N distinct devices
        expect(2 * (q - 1) - A).toBeLessThanOrEqual(n); // and q is the smallest such
      }),
    );
  });
});

describe('liveSafeThreshold', () => {
  it('refuses settings where no threshold is both safe and live, saying why', () => {
    const refuse = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(isSecAggError(err, 'graph.threshold_too_high')).toBe(true);
        return (err as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refuse(() => liveSafeThreshold({ kind: 'complete', n: 5 }, { corruptFraction: 0.1, expectedDropout: 0.1 }))).toMatch(/needs t ≥ 4 of 4 other holders, and at dropout 0.1 fewer answer with probability 0.34/);
    expect(refuse(() => liveSafeThreshold({ kind: 'complete', n: 100 }, { corruptFraction: 0.1, expectedDropout: 0.5 }))).toMatch(/fewer answer with probability/);
    // The sparse graph of the cost figures (1,000 devices, degree 20) is safe at γ = 0.1 only with t = 18 of 20, and
    // some neighbourhood of the thousand then loses more than 2 holders almost surely: refused.
    expect(refuse(() => liveSafeThreshold({ kind: 'sparse', n: 1000, degree: 20 }, { corruptFraction: 0.1, expectedDropout: 0.1 }))).toMatch(/needs t ≥ 18 of 20 other holders/);
    expect(liveSafeThreshold({ kind: 'complete', n: 10 }, { corruptFraction: 0.1, expectedDropout: 0.1 })).toBe(6);
  });

  it('any settings it returns complete a round with probability ≥ 1 − LIVENESS_FAILURE at the expected dropout (checked by simulation of the complete graph)', () => {
    // Independent of the binomial sums: 20,000 simulated rounds of n devices each dropping with probability p.
    let state = 12345;
    const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const [n, gamma, p] of [[10, 0.1, 0.1], [20, 0.1, 0.1], [50, 0.1, 0.1], [30, 0.05, 0.15]] as const) {
      const t = liveSafeThreshold({ kind: 'complete', n }, { corruptFraction: gamma, expectedDropout: p });
      const q = consistencyQuorum(n, gamma);
      let failed = 0;
      for (let r = 0; r < 20_000; r++) {
        let answered = 0;
        for (let d = 0; d < n; d++) if (uniform() >= p) answered++;
        // A dropped device's key needs t of the other n − 1; the survivors must make the quorum.
        if (answered < q || answered < t) failed++;
      }
      expect(failed / 20_000, `n = ${n}, γ = ${gamma}, p = ${p}`).toBeLessThanOrEqual(LIVENESS_FAILURE + 0.004); // + 4 standard errors
    }
  });

  it('any settings it returns leave the threshold and the quorum reachable at the expected dropout', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 500 }), fc.double({ min: 0, max: 0.3, noNaN: true }), fc.double({ min: 0, max: 0.3, noNaN: true }), (n, gamma, p) => {
        let t: number;
        try {
          t = liveSafeThreshold({ kind: 'complete', n }, { corruptFraction: gamma, expectedDropout: p });
        } catch (err) {
          if (isSecAggError(err)) return;
          throw err;
        }
        expect(t).toBeLessThanOrEqual(Math.floor((1 - p) * (n - 1) + 1e-9));
        expect(consistencyQuorum(n, gamma)).toBeLessThanOrEqual(Math.floor((1 - p) * n + 1e-9));
      }),
    );
  });
});

describe('secureSettingsFor', () => {
  it('picks the smallest live sparse degree, or the complete graph when none below n − 1 is', () => {
    const safety = { corruptFraction: 0.1, expectedDropout: 0.1 };
    const big = secureSettingsFor(1000, 'sparse', 1, undefined, safety);
    expect(big.graph).toEqual({ kind: 'sparse', degree: sparseDegree(1000, safety) });
    expect(big.corruptFraction).toBe(0.1);
    expect(secureSettingsFor(12, 'sparse', 1, undefined, safety).graph).toEqual({ kind: 'complete' });
  });
});
