// A token bucket: `burst` messages at once, refilled at `perSecond`; one per connection, and one per address for registrations.

/** Rate limiter with an injected clock (milliseconds), so tests control time instead of sleeping. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    // tokens = min(burst, tokens + elapsed_s · perSecond); a clock going backwards adds nothing.
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }

  /** Take one token; false when the bucket is empty (the message is refused, not queued). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether the bucket has refilled completely: it then says nothing a fresh bucket would not, and can be forgotten. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }
}
