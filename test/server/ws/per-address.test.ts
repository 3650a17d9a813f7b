// Per-address bookkeeping: exact counts, buckets on an injected clock, and memory bounded whatever the number of addresses.
import { describe, expect, it } from 'vitest';
import { AddressBuckets, AddressCounter } from '../../../server/ws/per-address';

describe('AddressCounter', () => {
  it('admits up to max per address, independently, and admits again after a close', () => {
    const counter = new AddressCounter(2);
    expect([counter.tryAdd('a'), counter.tryAdd('a'), counter.tryAdd('a'), counter.tryAdd('b')]).toEqual([true, true, false, true]);
    expect(counter.count('a')).toBe(2);
    counter.remove('a');
    expect(counter.tryAdd('a')).toBe(true);
    counter.remove('b');
    expect(counter.count('b')).toBe(0);
  });

  it('0 is no limit, and counts nothing', () => {
    const counter = new AddressCounter(0);
    for (let n = 0; n < 1000; n++) expect(counter.tryAdd('a')).toBe(true);
    expect(counter.count('a')).toBe(0);
  });
});

describe('AddressBuckets', () => {
  it('allows a burst per address, refilled at the rate on the injected clock', () => {
    let t = 0;
    const buckets = new AddressBuckets(2, 2 / 3600, () => t); // 2 per hour
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a'), buckets.take('b')]).toEqual([true, true, false, true]);
    t = 1_799_999; // just under half an hour: not yet one token
    expect(buckets.take('a')).toBe(false);
    t = 1_800_000;
    expect(buckets.take('a')).toBe(true);
  });

  it('0 is no limit', () => {
    const buckets = new AddressBuckets(0, 0, () => 0);
    for (let n = 0; n < 100; n++) expect(buckets.take('a')).toBe(true);
    expect(buckets.size).toBe(0);
  });

  it('forgets refilled buckets, so memory follows the addresses active within one refill time', () => {
    let t = 0;
    const buckets = new AddressBuckets(1, 1, () => t, 1_000_000);
    for (let n = 0; n < 3000; n++) buckets.take(`old-${n}`);
    t = 10_000; // every bucket has refilled
    for (let n = 0; n < 3000; n++) buckets.take(`new-${n}`);
    expect(buckets.size).toBeLessThan(3000 + 1024);
    expect(buckets.take('new-0')).toBe(false); // the active ones are remembered
  });

  it('remembers at most maxAddresses, forgetting the least recently used', () => {
    const buckets = new AddressBuckets(1, 1e-9, () => 0, 3);
    for (const a of ['a', 'b', 'c']) buckets.take(a);
    expect(buckets.take('a')).toBe(false); // a is now the most recently used
    buckets.take('d'); // b, the least recently used, is forgotten
    expect(buckets.size).toBe(3);
    expect(buckets.take('a')).toBe(false);
    expect(buckets.take('b')).toBe(true); // a fresh bucket: what an attacker with one more address group would get anyway
  });
});
