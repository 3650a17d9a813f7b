// Round budgets: the concurrent-round cap and the per-round byte budget, exact at their edges; and a refusal reaching
// a device over a real WebSocket, counted in GET /v1/metrics.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeMaskedFrame } from '../../../shared/protocol/binary-frame';
import { ProtocolError } from '../../../shared/protocol/errors';
import { createServer, type RunningServer } from '../../../server/server';
import { MemoryStore } from '../../../server/store/memory-store';
import { createRoundBudget, type RoundAccount } from '../../../server/ws/round-budget';
import { capturedLogger, connectDevice, HostDouble, newDevice, SESSION, sodium } from '../helpers';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 }); // waits are on events: a hang is a bug, fail fast

const refusalOf = (f: () => unknown): ProtocolError => {
  try {
    f();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('did not refuse');
};

describe('concurrent rounds', () => {
  it('opens up to the cap, refuses the next with limit.concurrent_rounds (counted), and opens again once one closes', () => {
    const counted: string[] = [];
    const budget = createRoundBudget({ maxConcurrentRounds: 2, maxRoundBytes: 100 }, (code) => counted.push(code));
    const a = budget.open();
    budget.open();
    expect(refusalOf(() => budget.open()).code).toBe('limit.concurrent_rounds');
    expect(counted).toEqual(['limit.concurrent_rounds']);
    expect(budget.active).toBe(2);
    a.close();
    a.close(); // idempotent: frees one slot, not two
    expect(budget.active).toBe(1);
    budget.open();
    expect(refusalOf(() => budget.open()).code).toBe('limit.concurrent_rounds');
  });
});

describe('memory per round', () => {
  const BUDGET = 1000;
  let account: RoundAccount;
  const fresh = () => {
    const budget = createRoundBudget({ maxConcurrentRounds: 4, maxRoundBytes: BUDGET });
    account = budget.open();
    return budget;
  };

  it.each([
    [0, true],
    [1, true],
    [BUDGET - 1, true],
    [BUDGET, true],
    [BUDGET + 1, false],
  ])('a first reservation of %i bytes is accepted: %s', (bytes, accepted) => {
    const budget = fresh();
    if (accepted) {
      account.reserve(bytes);
      expect(account.bytes).toBe(bytes);
    } else {
      expect(refusalOf(() => account.reserve(bytes)).code).toBe('limit.round_memory');
      expect(account.bytes).toBe(0); // a refusal accounts nothing
    }
    expect(budget.bytes).toBe(account.bytes);
  });

  it('the budget is per round: one round full does not refuse another', () => {
    const budget = fresh();
    const other = budget.open();
    account.reserve(BUDGET);
    other.reserve(BUDGET);
    expect(budget.bytes).toBe(2 * BUDGET);
    expect(refusalOf(() => other.reserve(1)).message).toBe(`the round holds ${BUDGET} bytes; 1 more would pass its budget of ${BUDGET}`);
  });

  it('release gives bytes back; close gives everything back', () => {
    const budget = fresh();
    account.reserve(600);
    expect(refusalOf(() => account.reserve(500)).code).toBe('limit.round_memory');
    account.release(200);
    account.reserve(500);
    expect(account.bytes).toBe(900);
    account.close();
    expect(budget.bytes).toBe(0);
    expect(budget.active).toBe(0);
    account.release(10); // after close: nothing left to give back, not an error
  });

  it.each([-1, 1.5, Number.NaN])('refuses a byte count of %s as a bug (RangeError), not a device refusal', (bytes) => {
    fresh();
    expect(() => account.reserve(bytes)).toThrow(RangeError);
    expect(() => account.release(bytes)).toThrow(RangeError);
  });

  it('refuses to release more than the round holds, and to reserve on a closed round', () => {
    fresh();
    account.reserve(10);
    expect(() => account.release(11)).toThrow('release of 11 bytes, but the round holds 10');
    account.close();
    expect(() => account.reserve(1)).toThrow('closed');
  });

  it.each([
    [{ maxConcurrentRounds: 0, maxRoundBytes: 1 }, 'maxConcurrentRounds'],
    [{ maxConcurrentRounds: 1, maxRoundBytes: 0 }, 'maxRoundBytes'],
    [{ maxConcurrentRounds: 1.5, maxRoundBytes: 1 }, 'maxConcurrentRounds'],
  ])('refuses limits %j, naming %s', (limits, name) => {
    expect(() => createRoundBudget(limits)).toThrow(name);
  });
});

describe('over a real WebSocket', () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('a masked vector past the round budget is refused with limit.round_memory and counted in /v1/metrics; the device stays connected', async () => {
    const VECTOR_LENGTH = 8;
    const host = new HostDouble();
    // Room for exactly one vector: the round code accounts each masked vector as it keeps it.
    const account = createRoundBudget({ maxConcurrentRounds: 1, maxRoundBytes: 4 * VECTOR_LENGTH }).open();
    host.onReceive = (_deviceId, message) => {
      if (message.type === 'masked') account.reserve(4 * message.vector.length);
    };
    running = await createServer({ store: new MemoryStore(), host, port: 0, sodium, logger: capturedLogger().logger, limits: { vectorLength: VECTOR_LENGTH } });
    const frame = encodeMaskedFrame({ type: 'masked', sessionId: SESSION, round: 1, length: VECTOR_LENGTH }, new Uint32Array(VECTOR_LENGTH));
    const first = await connectDevice(running.wsUrl, newDevice());
    const second = await connectDevice(running.wsUrl, newDevice());
    first.client.sendBinary(frame);
    await host.waitFor('receive', (c) => c.message.type === 'masked');
    second.client.sendBinary(frame);
    expect(await second.client.next()).toMatchObject({ type: 'refused', code: 'limit.round_memory' });
    expect(account.bytes).toBe(4 * VECTOR_LENGTH);
    const metrics = await (await fetch(`${running.url}/v1/metrics`)).text();
    expect(metrics).toContain('confidant_refusals_total{code="limit.round_memory",transport="ws"} 1');
    second.client.send({ type: 'leave', sessionId: SESSION, round: 1 });
    await host.waitFor('receive', (c) => c.message.type === 'leave');
    await Promise.all([first.client.close(), second.client.close()]);
  });
});
