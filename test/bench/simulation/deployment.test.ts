// The simulated deployment draws cohorts as the coordinator does: a draw too small to run is recorded as an attempt
// (the next draw is fresh) and, with DP, charged, so the ε a benchmark reports counts every draw.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../models/backend';
import { buildHistories } from '../../../models/mf/histories';
import { initialTable } from '../../../models/mf/model';
import { generateSynthetic } from '../../../bench/datasets';
import { createDeployment, type SimulatedRound } from '../../../bench/simulation/deployment';
import { MemoryStore } from '../../../server/store/memory-store';
import { createRng } from '../../../shared/math/random';
import type { History } from '../../../shared/model/reconstruct';

let histories: History[];
beforeAll(async () => {
  await initBackend();
  histories = buildHistories(generateSynthetic({ users: 6, items: 20, categories: 2, dim: 3, meanInteractions: 6, seed: 3 }).data).byUser;
});

describe('simulated deployment', () => {
  it('charges every draw at q < 1, the ones too small to run included, and draws afresh after each', async () => {
    const q = 0.5;
    const d = await createDeployment({
      store: new MemoryStore(),
      histories,
      initial: [{ params: { kind: 'implicit', lambda: 5, alpha: 5, valueScale: 5 }, table: initialTable(20, 3, 0.1, createRng(1).normal) }],
      seed: 9,
      samplingRate: q,
      secagg: false,
      graph: 'complete',
      clipNorm: 50,
      localEpochs: 1,
      dropout: 0,
      safety: { corruptFraction: 0, expectedDropout: 0 }, // a tiny deployment: cohorts of a handful
      privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-5, epsilonBudget: 1_000 },
      endOfRound: { serverLearningRate: 0.5, averaging: 0.5 },
      checkpoints: { keep: 3, spacing: 'uniform' },
      randomBytes: (n) => Uint8Array.from({ length: n }, (_, k) => (k * 31) & 0xff),
    });
    const rounds: SimulatedRound[] = [];
    for (let r = 0; r < 16; r++) rounds.push(await d.round(0));
    const skipped = rounds.filter((x) => x.status === 'skipped');
    // With 6 devices at q = 1/2 both kinds occur (this seed's draws are fixed: 16 rounds show both).
    expect(skipped.length).toBeGreaterThan(0);
    expect(rounds.some((x) => x.status === 'completed')).toBe(true);
    for (const x of skipped) expect(x.reason).toMatch(/sampled \d devices, too few|cohort of \d/);
    expect(d.shards()[0]!.account).toEqual({ history: [{ samplingRate: q, noiseMultiplier: 1, steps: rounds.length }], unbounded: false });
    expect((await d.store.listShards())[0]!.account).toEqual(d.shards()[0]!.account);
    // Each draw is an attempt at its step: the store holds one round per draw.
    expect((await d.store.listRounds(100)).length).toBe(rounds.length);
  });
});
