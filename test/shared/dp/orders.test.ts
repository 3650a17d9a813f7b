// The named order lists match their libraries' definitions.
import { describe, expect, it } from 'vitest';
import { OPACUS_ORDERS, TF_PRIVACY_ORDERS, DP_ACCOUNTING_ORDERS, DEFAULT_ORDERS, ORDER_LISTS } from '../../../shared/dp/orders';
import { reference } from './helpers';

describe('order lists', () => {
  it('Opacus: [1 + x/10 for x in 1..99] + [12..63]', () => {
    expect(OPACUS_ORDERS).toHaveLength(99 + 52);
    expect(OPACUS_ORDERS.slice(0, 3)).toEqual([1.1, 1.2, 1.3]);
    expect(OPACUS_ORDERS[98]).toBe(1 + 99 / 10);
    expect(OPACUS_ORDERS.slice(99, 101)).toEqual([12, 13]);
    expect(OPACUS_ORDERS.at(-1)).toBe(63);
  });

  it('TF-Privacy: [1.25, …, 4.5] + [5..63] + [128, 256, 512]', () => {
    expect(TF_PRIVACY_ORDERS).toHaveLength(10 + 59 + 3);
    expect(TF_PRIVACY_ORDERS.slice(0, 10)).toEqual([1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5]);
    expect(TF_PRIVACY_ORDERS.slice(-4)).toEqual([63, 128, 256, 512]);
  });

  it('dp_accounting: [1 + x/10 for x in 1..99] + [11..63] + [128, 256, 512, 1024]; the default', () => {
    expect(DP_ACCOUNTING_ORDERS).toHaveLength(99 + 53 + 4);
    expect(DP_ACCOUNTING_ORDERS.slice(98, 101)).toEqual([1 + 99 / 10, 11, 12]);
    expect(DP_ACCOUNTING_ORDERS.slice(-4)).toEqual([128, 256, 512, 1024]);
    expect(DEFAULT_ORDERS).toBe(DP_ACCOUNTING_ORDERS);
  });

  it('are frozen, increasing, and named as in the reference file', () => {
    for (const list of Object.values(ORDER_LISTS)) {
      expect(Object.isFrozen(list)).toBe(true);
      for (let k = 1; k < list.length; k++) expect(list[k]).toBeGreaterThan(list[k - 1]!);
    }
    expect(Object.keys(ORDER_LISTS).sort()).toEqual(Object.keys(reference.orderLists).sort());
  });
});
