// The round loop runs rounds one after another, never overlapping, survives a failing round, and stops cleanly.
import { describe, expect, it } from 'vitest';
import { startRoundLoop } from '../../../server/rounds/round-loop';
import type { RoundSummary } from '../../../server/rounds/coordinator';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startRoundLoop', () => {
  it('never starts a round while one is running, and goes on after a round throws', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const summaries: RoundSummary[] = [];
    const errors: unknown[] = [];
    const loop = startRoundLoop({
      intervalMs: 5,
      runner: {
        async runRound() {
          calls++;
          running++;
          maxRunning = Math.max(maxRunning, running);
          await sleep(20); // longer than the interval
          running--;
          if (calls === 2) throw new Error('store unavailable');
          return { status: 'skipped', reason: 'test' };
        },
      },
      onSummary: (s) => summaries.push(s),
      onError: (e) => errors.push(e),
    });
    while (calls < 4) await sleep(5);
    await loop.stop();
    const after = calls;
    await sleep(40);
    expect(calls).toBe(after); // nothing after stop
    expect(maxRunning).toBe(1);
    expect(errors).toHaveLength(1);
    expect(summaries.length).toBeGreaterThanOrEqual(2);
  });

  it('stop() waits for the round in progress', async () => {
    let finished = false;
    const loop = startRoundLoop({
      intervalMs: 1,
      runner: {
        async runRound() {
          await sleep(30);
          finished = true;
          return { status: 'skipped', reason: 'test' };
        },
      },
    });
    await sleep(10);
    await loop.stop();
    expect(finished).toBe(true);
  });

  it('refuses an interval that is not a positive integer', () => {
    const runner = { runRound: async (): Promise<RoundSummary> => ({ status: 'skipped', reason: '' }) };
    expect(() => startRoundLoop({ runner, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => startRoundLoop({ runner, intervalMs: 1.5 })).toThrow(/intervalMs/);
  });
});
