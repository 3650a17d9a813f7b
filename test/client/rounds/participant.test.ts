// The device's participant: refuses a fixed-point scale that could wrap a full cohort's sum, clips and logs
// (sizes and settings, never the update), and ignores messages of other sessions or rounds.
import { describe, expect, it, vi } from 'vitest';
import { createParticipant, type DeviceFloors, type Participant, type SentLogEntry } from '../../../client/rounds/participant';
import { fixedPointScale, MODULUS_BITS } from '../../../shared/secagg/fixed-point';
import type { RoundConfig, ServerMessage } from '../../../shared/protocol/messages';
import { runInMemoryRound } from '../../../bench/simulation/in-memory-round';
import { SECURE_STAGES } from '../../../shared/secagg/stages';
import { roundOptions, TEST_FLOORS } from '../../conformance/harness';
import { sodium } from '../../shared/secagg/helpers';
import { memorySpentModels } from '../../../client/rounds/spent-models';
import { makeBinding, people, relayRound } from '../../shared/secagg/round-fixture';

const BASE_CONFIG: RoundConfig = {
  threshold: 3,
  graph: { kind: 'complete' },
  vectorLength: 4,
  clipNorm: 1,
  scale: 1000,
  corruptFraction: 0,
  localEpochs: 1,
  localLearningRate: 0.1,
  deviceNoiseStd: 0,
  clipFlagIndex: -1,
  stageTimeoutMs: 1000,
};

function invite(cohort: string[], config: Partial<RoundConfig>): Extract<ServerMessage, { type: 'invite' }> {
  const b = makeBinding('participant-invite');
  return { type: 'invite', sessionId: b.sessionId, round: b.round, shard: 0, modelVersion: 3, modelHash: b.modelHash, purpose: 'training', config: { ...BASE_CONFIG, ...config }, cohort };
}

describe('an invitation whose scale would let a full cohort wrap mod 2^32 → abort.unsafe_config', () => {
  const who = people(5);
  const ids = who.map((p) => p.id);
  const me = who[0]!;

  function participant() {
    const computeUpdate = vi.fn(async () => new Float32Array(4));
    const p = createParticipant({ sodium, identity: me.identity, floors: TEST_FLOORS, spent: memorySpentModels(), computeUpdate });
    return { p, computeUpdate };
  }

  it.each([
    ['clipNorm 1, scale 2^29, 5 devices (5 · 2^29 > 2^31 − 1)', { clipNorm: 1, scale: 2 ** 29 }],
    ['clipNorm 1, the largest safe scale + 1', { clipNorm: 1, scale: fixedPointScale({ clipNorm: 1, cohortSize: 5, modulusBits: MODULUS_BITS }) + 1 }],
    ['clipNorm 0.3, the largest safe scale + 1', { clipNorm: 0.3, scale: fixedPointScale({ clipNorm: 0.3, cohortSize: 5, modulusBits: MODULUS_BITS }) + 1 }],
    ['clipNorm 1000, scale 2^22 (one device alone would wrap)', { clipNorm: 1000, scale: 2 ** 22 }],
  ])('%s: replies with only `leave`, before training', async (_name, config) => {
    const { p, computeUpdate } = participant();
    const message = invite(ids, config);
    const replies = await p.handle(message);
    expect(replies).toEqual([{ kind: 'json', message: { type: 'leave', sessionId: message.sessionId, round: message.round } }]);
    expect(p.lastAbort?.code).toBe('abort.unsafe_config');
    expect(computeUpdate).not.toHaveBeenCalled();
    // Nothing of this round is kept active: its later messages are ignored.
    expect(await p.handle({ type: 'keys', sessionId: message.sessionId, round: message.round, devices: [] })).toEqual([]);
  });

  it.each([
    ['clipNorm 1', 1],
    ['clipNorm 0.3', 0.3],
  ])('%s: the largest safe scale is accepted (the limit itself is exact)', async (_name, clipNorm) => {
    const { p, computeUpdate } = participant();
    const scale = fixedPointScale({ clipNorm, cohortSize: 5, modulusBits: MODULUS_BITS });
    expect(5 * Math.ceil(clipNorm * scale)).toBeLessThanOrEqual(2 ** 31 - 1);
    const replies = await p.handle(invite(ids, { clipNorm, scale }));
    expect(replies).toHaveLength(1);
    expect(replies[0]!.kind === 'json' && replies[0]!.message.type).toBe('advertise');
    expect(p.lastAbort).toBeUndefined();
    expect(computeUpdate).toHaveBeenCalledTimes(1);
  });
});

describe('clipping and the sent log', () => {
  /** Values no encoding or size could produce by chance, so a log that carried them would show. */
  const BIG = Float32Array.from([3.14159, -2.71828, 1.41421, 1.73205, -0.57721, 2.23606]);
  const SMALL = (k: number) => Float32Array.from([0.01 * (k + 1), -0.02, 0.03, 0.0423, -0.05, 0.06]);

  it('clips an update above clipNorm, records clipped: true and bytes per stage, and never logs the update', async () => {
    const who = people(4);
    const ids = who.map((p) => p.id);
    const clipNorm = 1;
    const scale = fixedPointScale({ clipNorm, cohortSize: ids.length, modulusBits: MODULUS_BITS });
    const updates = new Map(ids.map((id, k) => [id, k === 1 ? BIG : SMALL(k)]));
    const logs = new Map<string, SentLogEntry[]>();
    const participants = new Map<string, Participant>(
      who.map((d) => [
        d.id,
        createParticipant({ sodium, identity: d.identity, floors: TEST_FLOORS, spent: memorySpentModels(), computeUpdate: async () => updates.get(d.id)!, onLog: (e) => logs.set(d.id, [...(logs.get(d.id) ?? []), structuredClone(e)]) }),
      ]),
    );
    const options = roundOptions(sodium, ids, { threshold: 3, vectorLength: 6, clipNorm, scale });
    const { outcome, stats, announce } = await runInMemoryRound(options, participants);
    expect(outcome.status).toBe('completed');
    await announce({ status: 'completed', modelVersion: 1 });

    // The sum is the sum of the clipped updates: BIG scaled to norm 1, the small ones unchanged.
    const norm = Math.hypot(...BIG);
    const expected = Array.from({ length: 6 }, (_, i) => ids.reduce((acc, id, k) => acc + (k === 1 ? BIG[i]! / norm : updates.get(id)![i]!), 0));
    if (outcome.status === 'completed') {
      const decoded = Array.from(outcome.sum, (w) => (w | 0) / scale);
      decoded.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    }

    for (const [k, id] of ids.entries()) {
      const entries = logs.get(id)!;
      expect(entries).toHaveLength(1);
      const entry = entries[0]!;
      expect(entry.clipped).toBe(k === 1);
      expect(entry.clampedCoordinates).toBe(0); // after L2 clipping no coordinate exceeds clipNorm
      expect(entry).toMatchObject({ sessionId: options.binding.sessionId, round: 1, modelVersion: 0, clipNorm, scale, deviceNoiseStd: 0, outcome: { status: 'completed', modelVersion: 1 } });
      // Bytes per stage, adding up to what the device really sent.
      // One entry per device message of the stage table: the device sent something in every stage.
      expect(Object.keys(entry.bytesSent).sort()).toEqual(SECURE_STAGES.map((x) => x.device).sort());
      for (const bytes of Object.values(entry.bytesSent)) expect(bytes).toBeGreaterThan(0);
      expect(Object.values(entry.bytesSent).reduce((a, b) => a + b, 0)).toBe(stats.bytesUp.get(id));
      // Only sizes and settings: the field set is fixed, there is no array, and no update value appears.
      expect(Object.keys(entry).sort()).toEqual(['bytesSent', 'clampedCoordinates', 'clipNorm', 'clipped', 'deviceNoiseStd', 'modelVersion', 'outcome', 'round', 'scale', 'sessionId', 'startedAt']);
      const numbers: number[] = [];
      const walk = (v: unknown): void => {
        expect(Array.isArray(v) || ArrayBuffer.isView(v)).toBe(false);
        if (typeof v === 'number') numbers.push(v);
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(entry);
      const secret = [...updates.get(id)!, ...(k === 1 ? Array.from(BIG, (x) => x / norm) : [])].map((x) => Math.fround(x));
      for (const n of numbers) for (const s of secret) expect(Math.abs(Math.fround(n) - s)).toBeGreaterThan(1e-9);
      const text = JSON.stringify(entry);
      for (const s of ['3.14', '2.718', '1.414', '1.732', '0.577', '2.236', '0.0423']) expect(text).not.toContain(s);
    }
  });
});

describe('messages of other sessions and rounds are ignored', () => {
  it('copies of every server message with another session id or round get no reply and change nothing', async () => {
    const who = people(5);
    const ids = who.map((p) => p.id);
    const target = ids[3]!;
    const inner = createParticipant({
      sodium,
      identity: who[3]!.identity,
      floors: TEST_FLOORS,
      spent: memorySpentModels(),
      computeUpdate: () => Promise.reject(new Error('not used')),
      computeFixedPointInput: async () => Uint32Array.from([7, 8, 9]),
    });
    const others = new Map(
      who.filter((d) => d.id !== target).map((d) => [d.id, createParticipant({ sodium, identity: d.identity, floors: TEST_FLOORS, spent: memorySpentModels(), computeUpdate: () => Promise.reject(new Error('not used')), computeFixedPointInput: async () => Uint32Array.from([1, 2, 3]) })] as const),
    );
    const anotherSession = makeBinding('some other session').sessionId;
    const ignored: string[] = [];
    const wrapped: Participant = {
      deviceId: inner.deviceId,
      get lastAbort() {
        return inner.lastAbort;
      },
      async handle(message) {
        if (message.type !== 'invite' && 'sessionId' in message) {
          for (const copy of [{ ...message, sessionId: anotherSession }, { ...message, round: message.round + 1 }, { ...message, round: message.round - 1 }] as ServerMessage[]) {
            expect(await inner.handle(copy)).toEqual([]);
            expect(inner.lastAbort).toBeUndefined();
            ignored.push(copy.type);
          }
        }
        return inner.handle(message);
      },
    };
    const participants = new Map<string, Participant>([...others, [target, wrapped]]);
    const { outcome } = await relayRound(roundOptions(sodium, ids, { threshold: 3, vectorLength: 3 }, 2), participants);
    // Every server message after the invitation (the stage table's openers) and the result.
    expect(new Set(ignored)).toEqual(new Set([...SECURE_STAGES.map((x) => x.opens).filter((m) => m !== 'invite'), 'result']));
    expect(inner.lastAbort).toBeUndefined();
    expect(outcome?.status).toBe('completed');
    if (outcome?.status === 'completed') {
      expect(outcome.contributors).toContain(target);
      expect(Array.from(outcome.sum)).toEqual([4 * 1 + 7, 4 * 2 + 8, 4 * 3 + 9]);
    }
  });
});

describe('device floors: a round weaker than the device accepts is refused before any work', () => {
  const who = people(12);
  const ids = who.map((p) => p.id);
  const me = who[0]!;
  // A round of 12 that the default floors accept: γ = 0.1 gives t = ⌊(12 + 2)/2⌋ + 1 = 8.
  const SOUND: Partial<RoundConfig> = { threshold: 8, corruptFraction: 0.1, scale: 1000, clipNorm: 1 };

  it.each<[string, Partial<RoundConfig>, string[] | undefined, 'abort.below_floor' | 'abort.noise_too_low']>([
    ['a corrupt fraction below the floor (γ = 0.05 < 0.1)', { corruptFraction: 0.05 }, undefined, 'abort.below_floor'],
    ['a threshold the floor calls unsafe (t = 7 at γ = 0.1, n = 12)', { threshold: 7 }, undefined, 'abort.below_floor'],
    ['a cohort below the floor of 10', { threshold: 6 }, ids.slice(0, 9), 'abort.below_floor'],
  ])('%s → only `leave`, %s', async (_name, config, cohort, code) => {
    const computeUpdate = vi.fn(async () => new Float32Array(4));
    const p = createParticipant({ sodium, identity: me.identity, spent: memorySpentModels(), computeUpdate }); // default floors
    const message = invite(cohort ?? ids, { ...SOUND, ...config });
    expect(await p.handle(message)).toEqual([{ kind: 'json', message: { type: 'leave', sessionId: message.sessionId, round: message.round } }]);
    expect(p.lastAbort?.code).toBe(code);
    expect(computeUpdate).not.toHaveBeenCalled();
  });

  it.each<[string, Partial<RoundConfig>, Partial<DeviceFloors>]>([
    ['a fixed-point scale below the device’s', { scale: 99 }, { minScale: 100 }],
    ['a clipping norm above the device’s ceiling', { clipNorm: 5 }, { maxClipNorm: 2 }],
  ])('%s → abort.below_floor', async (_name, config, floors) => {
    const p = createParticipant({ sodium, identity: me.identity, spent: memorySpentModels(), floors, computeUpdate: async () => new Float32Array(4) });
    await p.handle(invite(ids, { ...SOUND, ...config }));
    expect(p.lastAbort?.code).toBe('abort.below_floor');
  });

  it('the same round at the floors is joined (control)', async () => {
    const p = createParticipant({ sodium, identity: me.identity, spent: memorySpentModels(), computeUpdate: async () => new Float32Array(4) });
    const replies = await p.handle(invite(ids, SOUND));
    expect(replies[0]!.kind === 'json' && replies[0]!.message.type).toBe('advertise');
  });
});

describe('one contribution per (model, purpose)', () => {
  it('after sending a masked input for a model, the device refuses a second invitation to it (abort.model_spent), but not another purpose', async () => {
    const who = people(4);
    const ids = who.map((p) => p.id);
    const spent = new Map(who.map((d) => [d.id, memorySpentModels()]));
    const make = () => new Map<string, Participant>(who.map((d) => [d.id, createParticipant({ sodium, identity: d.identity, floors: TEST_FLOORS, spent: spent.get(d.id)!, computeUpdate: () => Promise.reject(new Error('unused')), computeFixedPointInput: async () => Uint32Array.from([1, 2]) })]));
    const first = await runInMemoryRound(roundOptions(sodium, ids, { threshold: 3, vectorLength: 2 }, 1), make());
    expect(first.outcome.status).toBe('completed');
    // The same model hash again, in a new session: a second sum over a cohort differing by one would reveal an update.
    const again = make();
    const second = await runInMemoryRound(roundOptions(sodium, ids, { threshold: 3, vectorLength: 2 }, 2), again);
    expect(second.outcome.status).toBe('aborted');
    for (const p of again.values()) expect(p.lastAbort?.code).toBe('abort.model_spent');
    // Evaluation of the same model is another purpose.
    const evaluation = await runInMemoryRound({ ...roundOptions(sodium, ids, { threshold: 3, vectorLength: 2 }, 3), purpose: 'evaluation' }, make());
    expect(evaluation.outcome.status).toBe('completed');
  });

  it('the masked input does not leave before the record is durable', async () => {
    const who = people(4);
    const ids = who.map((p) => p.id);
    let release: () => void = () => {};
    const recorded = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const slow = { has: async () => false, record: async () => { order.push('record started'); await recorded; order.push('record durable'); } };
    const participants = new Map<string, Participant>(who.map((d, k) => [d.id, createParticipant({ sodium, identity: d.identity, floors: TEST_FLOORS, spent: k === 0 ? slow : memorySpentModels(), computeUpdate: () => Promise.reject(new Error('unused')), computeFixedPointInput: async () => Uint32Array.from([k]) })]));
    const target = participants.get(ids[0]!)!;
    const wrapped: Participant = {
      deviceId: target.deviceId,
      get lastAbort() {
        return target.lastAbort;
      },
      async handle(m) {
        if (m.type === 'masking') queueMicrotask(() => { order.push('checked'); release(); });
        const out = await target.handle(m);
        if (out.some((o) => o.kind === 'binary')) order.push('masked input sent');
        return out;
      },
    };
    participants.set(ids[0]!, wrapped);
    const { outcome } = await runInMemoryRound(roundOptions(sodium, ids, { threshold: 3, vectorLength: 1 }), participants);
    expect(outcome.status).toBe('completed');
    expect(order.indexOf('record durable')).toBeLessThan(order.indexOf('masked input sent'));
    expect(order.indexOf('record started')).toBeGreaterThanOrEqual(0);
  });
});
