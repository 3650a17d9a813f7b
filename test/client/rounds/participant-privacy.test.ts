// Privacy on the device: no update leaves it with norm above C, distributed-DP noise has the variance the round
// asks for, and a round that promises less noise than the device requires is refused before any work.
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { addDeviceNoise, createParticipant, type Participant } from '../../../client/rounds/participant';
import { fixedPointScale, MODULUS_BITS } from '../../../shared/secagg/fixed-point';
import type { RoundConfig, ServerMessage } from '../../../shared/protocol/messages';
import { createRng } from '../../../shared/math/random';
import { runInMemoryRound } from '../../../bench/simulation/in-memory-round';
import { roundOptions, TEST_FLOORS } from '../../conformance/harness';
import { sodium } from '../../shared/secagg/helpers';
import { memorySpentModels } from '../../../client/rounds/spent-models';
import { makeBinding, people } from '../../shared/secagg/round-fixture';

describe('clipping: no update leaves a device with L2 norm above C', () => {
  it('the unmasked contribution of one device with a random, often huge update has norm ≤ C (property, through the real round)', async () => {
    const who = people(3);
    const ids = who.map((p) => p.id);
    await fc.assert(
      fc.asyncProperty(
        fc.float32Array({ minLength: 8, maxLength: 8, noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
        fc.constantFrom(0.5, 1, 3, 250),
        async (update, clipNorm) => {
          const scale = fixedPointScale({ clipNorm, cohortSize: ids.length, modulusBits: MODULUS_BITS });
          // Two devices send zeros, so the round's sum is exactly what the first device let out.
          const participants = new Map<string, Participant>(who.map((d, k) => [d.id, createParticipant({ sodium, identity: d.identity, floors: TEST_FLOORS, spent: memorySpentModels(), computeUpdate: async () => (k === 0 ? Float32Array.from(update) : new Float32Array(8)) })]));
          const { outcome } = await runInMemoryRound(roundOptions(sodium, ids, { threshold: 2, vectorLength: 8, clipNorm, scale }), participants);
          expect(outcome.status).toBe('completed');
          if (outcome.status !== 'completed') return;
          const norm = Math.hypot(...Array.from(outcome.sum, (w) => (w | 0) / scale));
          // Stochastic rounding moves each coordinate by less than 1/scale.
          expect(norm).toBeLessThanOrEqual(clipNorm + Math.sqrt(8) / scale);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('addDeviceNoise (distributed DP)', () => {
  it('adds zero-mean integer noise of the requested variance, mod 2^32 (fixed seed, 4σ/√n bounds)', () => {
    const rng = createRng(11);
    const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => rng.int(256));
    const n = 200_000;
    const sigma = 40;
    const base = 123_456;
    const v = new Uint32Array(n).fill(base);
    addDeviceNoise(v, sigma, randomBytes);
    const z = Array.from(v, (w) => (w | 0) - base);
    const mean = z.reduce((a, b) => a + b, 0) / n;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(z.every(Number.isInteger)).toBe(true);
    expect(Math.abs(mean)).toBeLessThan((4 * sigma) / Math.sqrt(n));
    // Var of the sample variance ≈ 2σ⁴/n: 4 standard errors.
    expect(Math.abs(variance - sigma * sigma)).toBeLessThan(4 * sigma * sigma * Math.sqrt(2 / n));
  });

  it('wraps correctly around 0 (noise on a zero word gives negative values as two\'s complement)', () => {
    const rng = createRng(3);
    const v = new Uint32Array(10_000);
    addDeviceNoise(v, 5, (n) => Uint8Array.from({ length: n }, () => rng.int(256)));
    expect(Array.from(v).some((w) => w > 2 ** 31)).toBe(true);
    expect(Array.from(v, (w) => Math.abs(w | 0)).every((x) => x < 100)).toBe(true);
  });
});

describe('a round that asks for less noise than the device requires', () => {
  const BASE: RoundConfig = { threshold: 3, graph: { kind: 'complete' }, vectorLength: 4, clipNorm: 1, scale: 1000, corruptFraction: 0, localEpochs: 1, localLearningRate: 1, deviceNoiseStd: 0, clipFlagIndex: -1, stageTimeoutMs: 1000 };
  const who = people(4);
  const ids = who.map((p) => p.id);
  const invite = (deviceNoiseStd: number): Extract<ServerMessage, { type: 'invite' }> => {
    const b = makeBinding('noise-floor');
    return { type: 'invite', sessionId: b.sessionId, round: b.round, shard: 0, modelVersion: 1, modelHash: b.modelHash, purpose: 'training', config: { ...BASE, deviceNoiseStd }, cohort: ids };
  };

  it.each([0, 9.99])('σ %s below the device minimum 10 → only `leave`, abort.noise_too_low', async (std) => {
    const computeUpdate = vi.fn(async () => new Float32Array(4));
    const p = createParticipant({ sodium, identity: who[0]!.identity, computeUpdate, floors: { ...TEST_FLOORS, minDeviceNoiseStd: 10 }, spent: memorySpentModels() });
    const message = invite(std);
    expect(await p.handle(message)).toEqual([{ kind: 'json', message: { type: 'leave', sessionId: message.sessionId, round: message.round } }]);
    expect(p.lastAbort?.code).toBe('abort.noise_too_low');
    expect(computeUpdate).not.toHaveBeenCalled();
  });

  it('σ at or above the minimum → the device advertises its keys', async () => {
    const p = createParticipant({ sodium, identity: who[0]!.identity, computeUpdate: async () => new Float32Array(4), floors: { ...TEST_FLOORS, minDeviceNoiseStd: 10 }, spent: memorySpentModels() });
    const replies = await p.handle(invite(10));
    expect(replies[0]!.kind === 'json' && replies[0]!.message.type).toBe('advertise');
    expect(p.lastAbort).toBeUndefined();
  });
});
