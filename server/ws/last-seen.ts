// When each device was last seen, batched: noted in memory at authentication, written in one transaction every few
// seconds and at shutdown.
//
// Writing on every authentication put a synchronous=FULL commit (an fsync) in each connection's handshake, so a
// reconnect storm became a disk queue. Last seen is not safety-critical — no round, deletion or privacy decision
// reads it; it is for the operator — so a crash may lose the last interval of it. Registration, which is
// safety-critical, is not batched: a new device is durable before its `welcome` is sent.
import type { Logger } from '../log/logger';
import { StoreError } from '../store/errors';
import type { Store } from '../store/store';

/** Default interval between flushes. */
export const LAST_SEEN_FLUSH_MS = 5_000;

/** Last-seen times waiting to be written. */
export class LastSeenBatcher {
  private pending = new Map<string, number>();
  private flushing: Promise<number> = Promise.resolve(0);
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    intervalMs = LAST_SEEN_FLUSH_MS,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** The device authenticated at `at` (kept in memory until the next flush; the latest time wins). */
  note(deviceId: string, at: number): void {
    const before = this.pending.get(deviceId);
    if (before === undefined || at > before) this.pending.set(deviceId, at);
  }

  /** Devices waiting to be written. */
  get size(): number {
    return this.pending.size;
  }

  /** Write what is pending in one store call (flushes run one at a time); resolves with how many times moved. */
  flush(): Promise<number> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    try {
      return await this.store.touchDevices([...batch].map(([deviceId, at]) => ({ deviceId, at })));
    } catch (err) {
      // A failing store is logged, never thrown at a device. The batch is kept for the next flush (merged with what was
      // noted since), unless the store called it invalid, which a retry would not change.
      const invalid = err instanceof StoreError && err.code === 'store.invalid';
      if (!invalid) for (const [deviceId, at] of batch) this.note(deviceId, at);
      this.log.warn({ err, devices: batch.size, retry: !invalid }, 'last-seen flush failed');
      return 0;
    }
  }

  /** Stop the timer and write what is pending (at shutdown, before the store closes). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
