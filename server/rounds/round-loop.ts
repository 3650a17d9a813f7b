// Runs the coordinator's rounds (one on every shard, side by side) on a timer, never two batches at once, until stopped.
import type { RoundSummary } from './coordinator';

/** What the loop needs of the coordinator. */
export interface RoundRunner {
  runRounds(): Promise<readonly RoundSummary[]>;
}

/** A running loop. */
export interface RoundLoop {
  /** Stop scheduling; resolves once a round in progress has finished. */
  stop(): Promise<void>;
}

/** Start a batch of rounds `intervalMs` after the previous batch ended (a slow round delays the next rather than overlapping it). */
export function startRoundLoop(o: { runner: RoundRunner; intervalMs: number; onSummary?: (s: RoundSummary) => void; onError?: (err: unknown) => void }): RoundLoop {
  if (!Number.isInteger(o.intervalMs) || o.intervalMs < 1) throw new RangeError(`intervalMs must be a positive integer, got ${o.intervalMs}`);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = (async () => {
      try {
        for (const summary of await o.runner.runRounds()) o.onSummary?.(summary);
      } catch (err) {
        // A failed round (say, a store error) must not end the loop: the next one may succeed.
        o.onError?.(err);
      }
      if (!stopped) timer = setTimeout(tick, o.intervalMs);
    })();
  };
  timer = setTimeout(tick, o.intervalMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
