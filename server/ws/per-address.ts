// Per-address bookkeeping for the gateway: open connections counted per client address, and a token bucket per
// address for registrations. Both stay bounded in memory whatever the number of addresses an attacker brings.
import { TokenBucket } from './token-bucket';

/** Open connections per address; 0 = no limit (nothing is counted then). */
export class AddressCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Count one more connection from `key`; false (and nothing counted) when it already has `max`. */
  tryAdd(key: string): boolean {
    if (this.max === 0) return true;
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) return false;
    this.open.set(key, n + 1);
    return true;
  }

  /** One connection from `key` closed. */
  remove(key: string): void {
    if (this.max === 0) return;
    const n = this.open.get(key) ?? 0;
    if (n <= 1) this.open.delete(key);
    else this.open.set(key, n - 1);
  }

  /** Open connections counted for `key`. */
  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}

/** Addresses remembered at most; beyond, the least recently used is forgotten (it gets a fresh bucket next time). */
export const MAX_TRACKED_ADDRESSES = 100_000;

/**
 * A token bucket per address (burst `burst`, refilled at `perSecond`); 0 burst = no limit. A bucket that has refilled
 * is forgotten (a fresh one is the same), so memory follows the addresses active within one refill time. Past
 * `maxAddresses` the least recently used is forgotten: an attacker with that many address groups gains nothing it
 * would not have by using them one after another.
 */
export class AddressBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private sweepAt = 1024;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number,
    private readonly maxAddresses = MAX_TRACKED_ADDRESSES,
  ) {}

  /** Take one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    if (this.burst === 0) return true;
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key); // re-inserted below: Map order is then least recently used first
    else bucket = new TokenBucket(this.burst, this.perSecond, this.now);
    this.buckets.set(key, bucket);
    const ok = bucket.take();
    if (this.buckets.size > this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
    if (this.buckets.size > this.sweepAt) this.sweep();
    return ok;
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Forget the buckets that have refilled; the next sweep waits until the map has doubled (O(1) per take, amortised). */
  private sweep(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
    this.sweepAt = Math.max(1024, 2 * this.buckets.size);
  }
}
