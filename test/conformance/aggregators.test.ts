// One conformance suite, run against the plain-sum and the secure aggregator: same inputs, same sum (disco's oracle test).
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPlainAggregator } from '../../bench/simulation/plain-aggregator';
import type { Aggregator, AggregationInput, DropStage } from '../../bench/simulation/aggregator';
import { runInMemoryRound } from '../../bench/simulation/in-memory-round';
import type { Sodium } from '../../shared/secagg/sodium';
import { STAGE_ORDER, dropMissesInput } from '../../shared/secagg/stages';
import { consistencyQuorum } from '../../shared/secagg/round-settings';
import { fixedInputParticipants, identities, readySodium, roundOptions } from './harness';

let sodium: Sodium;
beforeAll(async () => {
  sodium = await readySodium();
});

/** The secure aggregator: the full protocol with real participants, in memory. */
function secureAggregator(graph: { kind: 'complete' } | { kind: 'sparse'; degree: number }): Aggregator {
  return {
    name: `secure (${graph.kind})`,
    async aggregate(round: AggregationInput) {
      const ids = [...round.inputs.keys()];
      const devices = identities(sodium, ids.length); // fresh identities, one per input name
      const inputs = new Map(devices.map((d, n) => [d.id, round.inputs.get(ids[n]!)!]));
      const drops = new Map<string, DropStage>();
      devices.forEach((d, n) => {
        const stage = round.drops?.get(ids[n]!);
        if (stage) drops.set(d.id, stage);
      });
      const length = inputs.values().next().value!.length;
      const { outcome } = await runInMemoryRound(roundOptions(sodium, devices.map((d) => d.id), { threshold: round.threshold, vectorLength: length, graph }), fixedInputParticipants(sodium, devices, inputs), drops);
      if (outcome.status === 'aborted') return { status: 'aborted', reason: outcome.reason };
      const back = new Map(devices.map((d, n) => [d.id, ids[n]!]));
      return { status: 'completed', sum: outcome.sum, contributors: outcome.contributors.map((c) => back.get(c)!).sort() };
    },
  };
}

const STAGES: readonly DropStage[] = STAGE_ORDER;

describe.each([
  ['plain', () => createPlainAggregator()],
  ['secure, complete graph', () => secureAggregator({ kind: 'complete' })],
])('aggregator conformance: %s', (_name, make) => {
  it('sums the inputs of all devices exactly mod 2^32 when nobody drops', async () => {
    const inputs = new Map([
      ['a', Uint32Array.from([1, 2, 0xffffffff])],
      ['b', Uint32Array.from([10, 20, 1])],
      ['c', Uint32Array.from([100, 200, 5])],
    ]);
    const r = await make().aggregate({ inputs, threshold: 2 });
    expect(r.status).toBe('completed');
    if (r.status === 'completed') expect(Array.from(r.sum)).toEqual([111, 222, 5]);
  });

  it('leaves out a device that drops before sending its input, and keeps one that drops after', async () => {
    const inputs = new Map(['a', 'b', 'c', 'd', 'e'].map((k, n) => [k, Uint32Array.from([n + 1, 1000 * (n + 1)])]));
    const r = await make().aggregate({ inputs, threshold: 3, drops: new Map<string, DropStage>([['b', 'masked'], ['d', 'unmask']]) });
    expect(r.status).toBe('completed');
    // a + c + d + e = 1 + 3 + 4 + 5
    if (r.status === 'completed') expect(Array.from(r.sum)).toEqual([13, 13000]);
  });

  it('aborts with no output when fewer than t devices remain', async () => {
    const inputs = new Map(['a', 'b', 'c', 'd'].map((k) => [k, Uint32Array.from([7])]));
    const r = await make().aggregate({ inputs, threshold: 3, drops: new Map<string, DropStage>([['a', 'advertise'], ['b', 'shares']]) });
    expect(r.status).toBe('aborted');
  });
});


/** No drop with weight `stay`, else a drop at a uniformly chosen stage (weight 1). */
const dropArb = (stay: number) => fc.oneof({ arbitrary: fc.constant(undefined), weight: stay }, { arbitrary: fc.constantFrom(...STAGES), weight: 1 });

/**
 * Complete graph, γ = 0: the round completes iff every stage closes with a consistency quorum q = ⌊n/2⌋ + 1 of the
 * n invited, t is valid for the devices that advertised keys (⌊k/2⌋ + 1 ≤ t ≤ k − 1, see graph.ts), at least t + 1
 * devices dealt (each survivor masks with the t others it needs), and at least t reveal shares at the end.
 */
function expectedOutcome(names: string[], drops: Map<string, DropStage>, t: number) {
  const reached = (stage: DropStage) => names.filter((n) => {
    const d = drops.get(n);
    return d === undefined || STAGE_ORDER.indexOf(d) > STAGE_ORDER.indexOf(stage);
  }).length;
  const q = consistencyQuorum(names.length, 0);
  const advertised = reached('advertise');
  const dealt = reached('shares');
  const quorumEverywhere = (['advertise', 'reveal', 'shares', 'check', 'masked', 'confirm'] as const).every((s) => reached(s) >= q);
  const contributors = names.filter((n) => !drops.has(n) || !dropMissesInput(drops.get(n)!)).sort();
  return { completes: quorumEverywhere && t >= Math.floor(advertised / 2) + 1 && t <= advertised - 1 && dealt >= t + 1 && reached('unmask') >= t, contributors };
}

async function checkAgainstPlain(names: string[], inputs: Map<string, Uint32Array>, drops: Map<string, DropStage>, t: number, graph: { kind: 'complete' } | { kind: 'sparse'; degree: number }) {
  const plain = await createPlainAggregator().aggregate({ inputs, threshold: t, drops });
  const secure = await secureAggregator(graph).aggregate({ inputs, threshold: t, drops });
  if (graph.kind === 'complete') {
    const want = expectedOutcome(names, drops, t);
    expect(secure.status).toBe(want.completes ? 'completed' : 'aborted');
  }
  if (secure.status === 'completed') {
    expect(plain.status).toBe('completed');
    if (plain.status === 'completed') {
      expect(Array.from(secure.sum)).toEqual(Array.from(plain.sum));
      expect(secure.contributors).toEqual(plain.contributors);
    }
  }
  return secure.status;
}

describe('secure sum equals plain sum', () => {
  it('property (300 cases): random cohorts, thresholds, vectors and drops at every stage — exact mod 2^32, or an abort exactly when a stage closes without its quorum or t', async () => {
    const statuses: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 6 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            t: fc.integer({ min: Math.floor(n / 2) + 1, max: n - 1 }),
            length: fc.integer({ min: 1, max: 5 }),
            values: fc.array(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 5, maxLength: 5 }), { minLength: n, maxLength: n }),
            drops: fc.array(dropArb(4), { minLength: n, maxLength: n }),
          }),
        ),
        async ({ n, t, length, values, drops }) => {
          const names = Array.from({ length: n }, (_, k) => `d${k}`);
          const inputs = new Map(names.map((name, k) => [name, Uint32Array.from(values[k]!.slice(0, length))]));
          const dropMap = new Map<string, DropStage>();
          names.forEach((name, k) => drops[k] && dropMap.set(name, drops[k]!));
          statuses.push(await checkAgainstPlain(names, inputs, dropMap, t, { kind: 'complete' }));
        },
      ),
      { numRuns: 300 },
    );
    // Both branches must actually be exercised (about 80% complete at these drop rates).
    expect(statuses.filter((s) => s === 'completed').length).toBeGreaterThan(150);
    expect(statuses.filter((s) => s === 'aborted').length).toBeGreaterThan(25);
  });

  it('every subset of dropped devices, at every stage, for n = 5 and t = 3', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const inputs = new Map(names.map((k, n) => [k, Uint32Array.from([0xfffffff0 + n, n * 7])]));
    for (let mask = 0; mask < 32; mask++) {
      for (const stage of STAGES) {
        const drops = new Map<string, DropStage>(names.filter((_, k) => mask & (1 << k)).map((k) => [k, stage]));
        await checkAgainstPlain(names, inputs, drops, 3, { kind: 'complete' });
      }
    }
  });

  it('sparse graph (SecAgg+): when it completes, the sum is exact; with no drops it always completes', async () => {
    let completed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 7, max: 11 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            degree: fc.constantFrom(4, 6),
            values: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: n, maxLength: n }),
            drops: fc.array(dropArb(9), { minLength: n, maxLength: n }),
          }),
        ),
        async ({ n, degree, values, drops }) => {
          const names = Array.from({ length: n }, (_, k) => `s${k}`);
          const inputs = new Map(names.map((name, k) => [name, Uint32Array.from([values[k]!, k])]));
          const dropMap = new Map<string, DropStage>();
          names.forEach((name, k) => drops[k] && dropMap.set(name, drops[k]!));
          const t = degree / 2 + 1;
          const status = await checkAgainstPlain(names, inputs, dropMap, t, { kind: 'sparse', degree });
          if (dropMap.size === 0) expect(status).toBe('completed');
          if (status === 'completed') completed++;
        },
      ),
      { numRuns: 120 },
    );
    expect(completed).toBeGreaterThan(40);
  });
});
