// The pure accountant: plain-data accounts, monotonicity properties, composition, budgets, edge cases.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createAccountant, compose, epsilon, delta, wouldExceed } from '../../../shared/dp/accountant';
import { rdpCurve } from '../../../shared/dp/rdp';
import { DEFAULT_ORDERS, DP_ACCOUNTING_ORDERS } from '../../../shared/dp/orders';

/** A moderate order list keeps each property case cheap. */
const orders = [1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256];
const base = createAccountant({ orders });
const spend = (samplingRate: number, noiseMultiplier: number, steps: number, targetDelta = 1e-6): number =>
  epsilon(compose(base, { samplingRate, noiseMultiplier, steps }), targetDelta).epsilon;

const q = fc.double({ min: 1e-4, max: 0.5, noNaN: true });
const sigma = fc.double({ min: 0.5, max: 8, noNaN: true });
const steps = fc.integer({ min: 1, max: 10_000 });
const logDelta = fc.double({ min: -10, max: -3, noNaN: true });

describe('createAccountant / compose', () => {
  it('starts empty over the default orders, as frozen plain data', () => {
    const account = createAccountant();
    expect(account.orders).toBe(DEFAULT_ORDERS);
    expect(account.orders).toEqual(DP_ACCOUNTING_ORDERS);
    expect(account.rdp.every((r) => r === 0)).toBe(true);
    expect(account.history).toEqual([]);
    expect(Object.isFrozen(account) && Object.isFrozen(account.rdp)).toBe(true);
    expect(epsilon(account, 1e-5)).toEqual({ epsilon: 0, order: DEFAULT_ORDERS[0] });
  });

  it('returns a new account and leaves the old one as it was', () => {
    const next = compose(base, { samplingRate: 0.01, noiseMultiplier: 1, steps: 5 });
    expect(next).not.toBe(base);
    expect(base.rdp.every((r) => r === 0)).toBe(true);
    expect(next.history).toEqual([{ samplingRate: 0.01, noiseMultiplier: 1, steps: 5 }]);
    expect(JSON.parse(JSON.stringify(next))).toEqual(next); // plain data
  });

  it('merges consecutive rounds of one setting in the history, keeps different settings apart', () => {
    let account = base;
    for (let round = 0; round < 100; round++) account = compose(account, { samplingRate: 0.02, noiseMultiplier: 1.2, steps: 1 });
    account = compose(account, { samplingRate: 0.05, noiseMultiplier: 1.2, steps: 3 });
    account = compose(account, { samplingRate: 0.05, noiseMultiplier: 1.2, steps: 0 });
    expect(account.history).toEqual([
      { samplingRate: 0.02, noiseMultiplier: 1.2, steps: 100 },
      { samplingRate: 0.05, noiseMultiplier: 1.2, steps: 3 },
    ]);
  });

  it('10,000 rounds at once are one multiplication of the per-step curve', () => {
    const one = compose(base, { samplingRate: 0.01, noiseMultiplier: 1.1, steps: 1 });
    const many = compose(base, { samplingRate: 0.01, noiseMultiplier: 1.1, steps: 10_000 });
    many.rdp.forEach((r, k) => expect(r).toBe(10_000 * one.rdp[k]!));
  });

  it('composing two settings equals the sum of their curves', () => {
    fc.assert(
      fc.property(q, sigma, steps, q, sigma, steps, (q1, s1, t1, q2, s2, t2) => {
        const account = compose(compose(base, { samplingRate: q1, noiseMultiplier: s1, steps: t1 }), { samplingRate: q2, noiseMultiplier: s2, steps: t2 });
        const a = rdpCurve({ samplingRate: q1, noiseMultiplier: s1, steps: t1 }, orders);
        const b = rdpCurve({ samplingRate: q2, noiseMultiplier: s2, steps: t2 }, orders);
        account.rdp.forEach((r, k) => expect(Math.abs(r - (a[k]! + b[k]!))).toBeLessThanOrEqual(1e-12 * r));
      }),
      { numRuns: 40 },
    );
  });
});

describe('ε (properties)', () => {
  it('more steps → higher ε (strictly while ε > 0)', () => {
    fc.assert(
      fc.property(q, sigma, steps, fc.integer({ min: 1, max: 5000 }), logDelta, (qq, s, t, extra, ld) => {
        const before = spend(qq, s, t, 10 ** ld);
        const after = spend(qq, s, t + extra, 10 ** ld);
        expect(after).toBeGreaterThanOrEqual(before);
        if (before > 0) expect(after).toBeGreaterThan(before);
      }),
      { numRuns: 60 },
    );
  });

  it('higher q → higher ε', () => {
    fc.assert(
      fc.property(q, fc.double({ min: 1.01, max: 2, noNaN: true }), sigma, steps, logDelta, (qq, factor, s, t, ld) => {
        expect(spend(Math.min(1, qq * factor), s, t, 10 ** ld)).toBeGreaterThanOrEqual(spend(qq, s, t, 10 ** ld));
      }),
      { numRuns: 60 },
    );
  });

  it('larger σ → lower ε', () => {
    fc.assert(
      fc.property(q, sigma, fc.double({ min: 1.01, max: 2, noNaN: true }), steps, logDelta, (qq, s, factor, t, ld) => {
        expect(spend(qq, s * factor, t, 10 ** ld)).toBeLessThanOrEqual(spend(qq, s, t, 10 ** ld));
      }),
      { numRuns: 60 },
    );
  });

  it('ε is never negative, and δ(ε) never exceeds 1', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true }), fc.integer({ min: 0, max: 100_000 }), logDelta, (qq, s, t, ld) => {
        const account = compose(base, { samplingRate: qq, noiseMultiplier: s, steps: t });
        const e = epsilon(account, 10 ** ld).epsilon;
        expect(e).toBeGreaterThanOrEqual(0);
        expect(delta(account, Number.isFinite(e) ? e : 1).delta).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });

  it('q = 0 → ε = 0 (even with σ = 0); σ = 0 with q > 0 → ε = ∞', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 10, noNaN: true }), steps, fc.double({ min: 1e-9, max: 1, noNaN: true }), logDelta, (s, t, qq, ld) => {
        expect(epsilon(compose(base, { samplingRate: 0, noiseMultiplier: s, steps: t }), 10 ** ld).epsilon).toBe(0);
        expect(epsilon(compose(base, { samplingRate: qq, noiseMultiplier: 0, steps: t }), 10 ** ld).epsilon).toBe(Infinity);
      }),
      { numRuns: 30 },
    );
  });
});

describe('wouldExceed', () => {
  const budget = { epsilon: 3, delta: 1e-5 };
  it('says yes exactly when the next round would take ε past the budget', () => {
    let account = base;
    let rounds = 0;
    while (!wouldExceed(account, { samplingRate: 0.01, noiseMultiplier: 1 }, budget)) {
      account = compose(account, { samplingRate: 0.01, noiseMultiplier: 1, steps: 1 });
      rounds++;
    }
    expect(rounds).toBeGreaterThan(0);
    expect(epsilon(account, budget.delta).epsilon).toBeLessThanOrEqual(budget.epsilon);
    expect(epsilon(compose(account, { samplingRate: 0.01, noiseMultiplier: 1, steps: 1 }), budget.delta).epsilon).toBeGreaterThan(budget.epsilon);
  });

  it('counts several steps at once and never blocks rounds that spend nothing', () => {
    expect(wouldExceed(base, { samplingRate: 0.01, noiseMultiplier: 1, steps: 1_000_000 }, budget)).toBe(true);
    expect(wouldExceed(base, { samplingRate: 0, noiseMultiplier: 1, steps: 1_000_000 }, budget)).toBe(false);
    expect(wouldExceed(base, { samplingRate: 0.01, noiseMultiplier: 0 }, budget)).toBe(true);
  });

  it('refuses a malformed budget or step, naming the parameter', () => {
    expect(() => wouldExceed(base, { samplingRate: 0.01, noiseMultiplier: 1 }, { epsilon: 0, delta: 1e-5 })).toThrow(/budget\.epsilon/);
    expect(() => wouldExceed(base, { samplingRate: 0.01, noiseMultiplier: 1 }, { epsilon: 1, delta: 1 })).toThrow(/budget\.delta/);
    expect(() => wouldExceed(base, { samplingRate: 0.01, noiseMultiplier: 1, steps: 1.5 }, budget)).toThrow(/steps/);
  });
});
