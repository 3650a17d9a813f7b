// Log-space helpers: log erfc against mpmath values, log(e^x ± e^y), signed accumulation.
import { describe, expect, it } from 'vitest';
import { logAdd, logSub, log1mExp, logErfc, logErfcx, signedLogAdd } from '../../../shared/dp/log-math';
import { relativeError } from './helpers';

/** log(erfc(x)) by Python mpmath 1.3.0 at 40 digits (mpmath.log(mpmath.erfc(x))). */
const LOG_ERFC: [number, number][] = [
  [-30, 0.6931471805599453],
  [-5, 0.6931471805591766],
  [-2, 0.6908055736465877],
  [-1, 0.6112323176780705],
  [-0.3, 0.28414589714140825],
  [1e-8, -1.1283791734617103e-8],
  [0.5, -0.7350111298370844],
  [1, -1.8496055099332482],
  [1.5, -3.3844920895515527],
  [1.999, -5.360524027545017],
  [2, -5.364941264616638],
  [2.5, -7.806815272727264],
  [4, -17.987778312103007],
  [7, -51.528231093710154],
  [20, -403.56934333410425],
  [27, -732.8688865078974],
  [100, -10005.177585122665],
  [1e5, -10000000012.08529],
];

describe('logErfc', () => {
  it.each(LOG_ERFC)('log erfc(%d)', (x, expected) => {
    expect(relativeError(logErfc(x), expected)).toBeLessThan(1e-13);
  });

  it('handles the ends and erfcx stays finite where erfc underflows', () => {
    expect(logErfc(0) === 0).toBe(true);
    expect(logErfc(Infinity)).toBe(-Infinity);
    expect(logErfc(-Infinity)).toBe(Math.LN2);
    expect(Number.isNaN(logErfc(Number.NaN))).toBe(true);
    // log erfcx(x) = log erfc(x) + x² (the references keep ~6 and ~10 digits after subtracting x²).
    expect(relativeError(logErfcx(1e5), -10000000012.08529 + 1e10)).toBeLessThan(1e-5);
    expect(relativeError(logErfcx(1000), -1000007.4801207219 + 1e6)).toBeLessThan(1e-9);
  });
});

describe('log-space sums', () => {
  it('adds and subtracts without overflow', () => {
    expect(logAdd(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAdd(-Infinity, 3)).toBe(3);
    expect(logSub(1000, 1000 - Math.LN2)).toBeCloseTo(1000 - Math.LN2, 12);
    expect(logSub(5, 5)).toBe(-Infinity);
    expect(() => logSub(1, 2)).toThrow(RangeError);
  });

  it('log(1 − e^(−a)) keeps its accuracy at both ends (a tiny and a large)', () => {
    expect(relativeError(log1mExp(1e-20), Math.log(1e-20))).toBeLessThan(1e-15);
    expect(relativeError(log1mExp(35.3), -Math.exp(-35.3))).toBeLessThan(1e-15);
    // log(e^x − e^y) with e^y/e^x = 4.6e-16: the naive log(−expm1(y − x)) would be off by 4%.
    expect(relativeError(logSub(3.6e-13, -35.31) - 3.6e-13, -Math.exp(-35.31 - 3.6e-13))).toBeLessThan(1e-12);
  });

  it('accumulates mixed signs', () => {
    let acc = signedLogAdd({ sign: 0, log: -Infinity }, 1, Math.log(5));
    acc = signedLogAdd(acc, -1, Math.log(7));
    expect(acc.sign).toBe(-1);
    expect(acc.log).toBeCloseTo(Math.log(2), 14);
    acc = signedLogAdd(acc, 1, Math.log(3));
    expect(acc.sign).toBe(1);
    expect(acc.log).toBeCloseTo(0, 14);
    expect(signedLogAdd(acc, -1, acc.log)).toEqual({ sign: 0, log: -Infinity });
  });
});
