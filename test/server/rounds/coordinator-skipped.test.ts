// A DP round skipped after its cohort was drawn is charged to the shard's account and recorded as an attempt (the next
// draw is fresh); a skip decided before any draw, or with q = 1 (nothing drawn), costs nothing; charged skips count
// towards the budget like rounds that ran. A round that was drawn and then aborted is charged too (the same argument).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compose, createAccountant, epsilon } from '../../../shared/dp/accountant';
import type { PrivacySettings } from '../../../shared/dp/mechanism';
import { sampleCohort } from '../../../server/training/sampling';
import { channelFleet } from './channel-fleet';

const KEY = new Uint8Array(32).fill(11);
const central = (over: Partial<PrivacySettings> = {}): PrivacySettings => ({ mode: 'central', noiseMultiplier: 1, delta: 1e-5, epsilonBudget: 1_000, ...over });
/** A clipping bound at which no fixed-point scale ≥ 1 exists for any cohort: every draw big enough is refused its configuration. */
const UNCONFIGURABLE = { clipNorm: 2 ** 31 };

beforeAll(() => {
  vi.useFakeTimers();
});
afterAll(() => {
  vi.useRealTimers();
});

describe('a round skipped after sampling', () => {
  it('is charged (q, σ) and recorded at its position when the draw is too small; a draw that invites is not a skip', async () => {
    const fleet = await channelFleet({ devices: 4, samplingKey: KEY, settings: { samplingRate: 0.5, privacy: central() } });
    let charged = 0;
    let invitedRounds = 0;
    for (let r = 0; r < 24; r++) {
      const before = (await fleet.store.listShards())[0]!.account;
      const drawn = sampleCohort(KEY, { shard: 0, lineage: 0, step: 0, attempt: r }, fleet.ids, 0.5);
      const { summary, invited } = await fleet.attempt();
      const after = (await fleet.store.listShards())[0]!.account;
      expect(await fleet.store.roundsAt(0, 0, 0)).toBe(r + 1); // every draw is an attempt: the next one draws afresh
      if (invited.length > 0) {
        invitedRounds++;
        expect(invited).toEqual(drawn);
        continue;
      }
      charged++;
      expect(drawn.length).toBeLessThan(4); // with all 4 drawn the round is configurable and invites
      expect(summary).toMatchObject({ status: 'skipped', shard: 0 });
      expect(summary.status === 'skipped' && summary.reason).toMatch(new RegExp(`sampled ${drawn.length} of 4 eligible devices.*charged to the privacy account`));
      expect(after).toEqual({ history: [{ samplingRate: 0.5, noiseMultiplier: 1, steps: (before.history[0]?.steps ?? 0) + 1 }], unbounded: false });
      expect((await fleet.store.listRounds(1))[0]).toMatchObject({ status: 'aborted', cohortSize: drawn.length, survivors: 0 });
      // The coordinator's own view (what the next version's provenance is computed from) holds the charge too.
      expect((await fleet.coordinator.shards())[0]!.account).toEqual(after);
    }
    // P(all 4 of 4 at q = 1/2) = 1/16: both kinds occur among 24 draws of this key.
    expect(charged).toBeGreaterThan(0);
    expect(invitedRounds).toBeGreaterThan(0);
  });

  it('is charged when the cohort drawn has no safe configuration, and not when q = 1 (the cohort is the population, nothing was drawn)', async () => {
    const drawnSkip = await channelFleet({ devices: 5, samplingKey: KEY, settings: { samplingRate: 0.99, ...UNCONFIGURABLE, privacy: central() } });
    const skipped = await drawnSkip.attempt();
    expect(skipped.invited).toEqual([]);
    expect(skipped.summary.status === 'skipped' && skipped.summary.reason).toMatch(/charged to the privacy account/);
    expect((await drawnSkip.store.listShards())[0]!.account.history).toEqual([{ samplingRate: 0.99, noiseMultiplier: 1, steps: 1 }]);

    const population = await channelFleet({ devices: 5, samplingKey: KEY, settings: { samplingRate: 1, ...UNCONFIGURABLE, privacy: central() } });
    const decided = await population.attempt();
    expect(decided.summary.status === 'skipped' && decided.summary.reason).toMatch(/cohort of 5: .*scale/);
    expect(decided.summary.status === 'skipped' && decided.summary.reason).not.toMatch(/charged/);
    expect((await population.store.listShards())[0]!.account).toEqual({ history: [], unbounded: false });
    expect(await population.store.roundsAt(0, 0, 0)).toBe(0);
  });

  it('is not charged when the population alone rules the round out, before any draw', async () => {
    const fleet = await channelFleet({ devices: 2, samplingKey: KEY, settings: { samplingRate: 0.5, privacy: central() } });
    const { summary } = await fleet.attempt();
    expect(summary.status === 'skipped' && summary.reason).toMatch(/shard 0: 2 eligible devices; a round needs at least 3/);
    expect((await fleet.store.listShards())[0]!.account).toEqual({ history: [], unbounded: false });
    expect(await fleet.store.roundsAt(0, 0, 0)).toBe(0);
  });

  it('counts towards the budget: after the skips it allows, the next round is refused before it draws', async () => {
    const q = 0.99;
    const eps = (steps: number) => epsilon(compose(createAccountant(), { samplingRate: q, noiseMultiplier: 1, steps }), 1e-5).epsilon;
    const fleet = await channelFleet({ devices: 5, samplingKey: KEY, settings: { samplingRate: q, ...UNCONFIGURABLE, privacy: central({ epsilonBudget: (eps(2) + eps(3)) / 2 }) } });
    for (let r = 1; r <= 2; r++) {
      expect((await fleet.attempt()).summary.status === 'skipped').toBe(true);
      expect((await fleet.store.listShards())[0]!.account.history).toEqual([{ samplingRate: q, noiseMultiplier: 1, steps: r }]);
    }
    const refused = await fleet.attempt();
    expect(refused.summary.status === 'skipped' && refused.summary.reason).toMatch(/privacy budget of shard 0: ε = .* spent .* one more round would exceed it/);
    expect(await fleet.store.roundsAt(0, 0, 0)).toBe(2);
  });

  it('an invited round that aborts (nobody answers its first stage) is charged as well; without DP, or at q = 1, nothing is', async () => {
    const fleet = await channelFleet({ devices: 4, samplingKey: KEY, settings: { samplingRate: 0.999, privacy: central() } });
    const { summary, invited } = await fleet.attempt();
    expect(invited).toHaveLength(4);
    expect(summary.status).toBe('aborted');
    expect((await fleet.store.listShards())[0]!.account.history).toEqual([{ samplingRate: 0.999, noiseMultiplier: 1, steps: 1 }]);
    expect((await fleet.coordinator.shards())[0]!.account.history).toEqual([{ samplingRate: 0.999, noiseMultiplier: 1, steps: 1 }]);

    for (const settings of [{ samplingRate: 0.999 }, { samplingRate: 1, privacy: central() }]) {
      const free = await channelFleet({ devices: 4, samplingKey: KEY, settings });
      expect((await free.attempt()).summary.status).toBe('aborted');
      expect((await free.store.listShards())[0]!.account).toEqual({ history: [], unbounded: false });
    }
  });
});
