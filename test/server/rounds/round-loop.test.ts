// The round loop runs rounds one after another, never overlapping, survives a failing round, and stops cleanly.
// Timers are vitest's fake ones and rounds end when the test says so: nothing here depends on the clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRoundLoop } from '../../../server/rounds/round-loop';
import type { RoundSummary } from '../../../server/rounds/coordinator';

/** A runner whose rounds stay open until the test ends them. */
function controlledRunner() {
  const open: { end: (outcome: RoundSummary | Error) => void }[] = [];
  let running = 0;
  let maxRunning = 0;
  let calls = 0;
  return {
    open,
    get calls() {
      return calls;
    },
    get maxRunning() {
      return maxRunning;
    },
    async runRounds(): Promise<RoundSummary[]> {
      return [await this.runRound()];
    },
    runRound(): Promise<RoundSummary> {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise((resolve, reject) => {
        open.push({
          end: (outcome) => {
            running--;
            if (outcome instanceof Error) reject(outcome);
            else resolve(outcome);
          },
        });
      });
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('startRoundLoop', () => {
  it('starts the next round an interval after the previous ended, never two at once, and goes on after a round throws', async () => {
    const runner = controlledRunner();
    const summaries: RoundSummary[] = [];
    const errors: unknown[] = [];
    const loop = startRoundLoop({ intervalMs: 100, runner, onSummary: (s) => summaries.push(s), onError: (e) => errors.push(e) });
    expect(runner.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(runner.calls).toBe(1);
    // However long the round takes, no second one starts while it is open.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runner.calls).toBe(1);
    runner.open[0]!.end(new Error('store unavailable'));
    await vi.advanceTimersByTimeAsync(99);
    expect(runner.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runner.calls).toBe(2);
    runner.open[1]!.end({ status: 'skipped', reason: 'test' });
    await vi.advanceTimersByTimeAsync(100);
    expect(runner.calls).toBe(3);
    expect(runner.maxRunning).toBe(1);
    expect(errors).toEqual([new Error('store unavailable')]);
    expect(summaries).toEqual([{ status: 'skipped', reason: 'test' }]);
    const stopped = loop.stop();
    runner.open[2]!.end({ status: 'skipped', reason: 'last' });
    await stopped;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runner.calls).toBe(3); // nothing after stop
  });

  it('stop() waits for the round in progress', async () => {
    const runner = controlledRunner();
    const loop = startRoundLoop({ intervalMs: 1, runner });
    await vi.advanceTimersByTimeAsync(1);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(1000);
    expect(stopped).toBe(false);
    runner.open[0]!.end({ status: 'skipped', reason: 'done' });
    await stopping;
    expect(stopped).toBe(true);
  });

  it('refuses an interval that is not a positive integer', () => {
    const runner = { runRounds: async (): Promise<RoundSummary[]> => [{ status: 'skipped', reason: '' }] };
    expect(() => startRoundLoop({ runner, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => startRoundLoop({ runner, intervalMs: 1.5 })).toThrow(/intervalMs/);
  });
});
