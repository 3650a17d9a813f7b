// DP noise observed where the server sees it: real rounds over WebSockets in which every device sends a zero update,
// so the sum the server decodes and releases to its step is the noise alone. Its variance per coordinate is what the
// design says — (σ·C_eff)² with C_eff = C + √d/s in central mode, the sum of the devices' variances in distributed
// mode — within bounds that hold with probability ≥ 1 − 1e−6, and the same check rejects half the noise.
//
// The expected variances are written here from the design (README; shared/dp/mechanism.ts states the same), not taken
// from the code under test: the round's configuration supplies only C, the fixed-point scale s, the length d and the
// threshold t, which are what the devices were sent.
import { NO_SYBILS } from '../conformance/harness';
import { beforeAll, describe, expect, it } from 'vitest';
import _sodium from 'libsodium-wrappers';
import { initBackend } from '../../models/backend';
import { END_OF_ROUND_DEFAULTS } from '../../models/federated/end-of-round';
import { MemoryStore } from '../../server/store/memory-store';
import { createServer } from '../../server/server';
import { createCoordinator, type CoordinatorOptions } from '../../server/rounds/coordinator';
import { ensureInitialModel } from '../../server/training/initial-model';
import type { PrivacySettings } from '../../shared/dp/mechanism';
import type { Sodium } from '../../shared/secagg/sodium';
import { chiSquareLowerQuantile, chiSquareUpperQuantile } from '../shared/dp/chi-square';
import { startDevice } from './fleet';

const DEVICES = 8;
/** 200 items × 4 dimensions: d = 200·4 + 3·200 + 4·4 + 2 = 1,418 coordinates of noise per round. */
const ITEMS = 200;
const DIM = 4;
const SIGMA = 1.2;
const CLIP_NORM = 1;
/**
 * Probability that a correct noise level fails one check (split evenly between the two tails). The file makes four
 * such checks, so a correct implementation fails it with probability ≤ 1e−6.
 */
const FALSE_FAILURE = 2.5e-7;

type Release = Parameters<NonNullable<CoordinatorOptions['onRelease']>>[0];

let sodium: Sodium;
beforeAll(async () => {
  await initBackend();
  await _sodium.ready;
  sodium = _sodium;
});

/** Resolve when `ready()` holds, checked again at every event of `subscribe` (never on a timer). */
function when(ready: () => boolean, subscribe: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (ready() ? resolve() : subscribe(check));
    check();
  });
}

/** One real round among DEVICES devices that all send zero updates; what the server released to its step. */
async function releasedRound(privacy: PrivacySettings): Promise<Release> {
  const store = new MemoryStore();
  await ensureInitialModel(store, { items: ITEMS, dim: DIM, shards: 1, now: Date.now });
  const events: (() => void)[] = [];
  const releases: Release[] = [];
  const coordinator = createCoordinator({
    store,
    sodium,
    samplingKey: sodium.randombytes_buf(32),
    settings: { samplingRate: 1, graph: 'complete', clipNorm: CLIP_NORM, localEpochs: 1, endOfRound: END_OF_ROUND_DEFAULTS, stageTimeoutMs: 10_000, minCohort: 3, safety: NO_SYBILS, privacy },
    log: () => events.splice(0).forEach((wake) => wake()),
    onRelease: (release) => releases.push(release),
  });
  const server = await createServer({ store, host: coordinator, port: 0, sodium });
  const zeroUpdate = async (invitation: { config: { vectorLength: number } }) => new Float32Array(invitation.config.vectorLength);
  const devices = await Promise.all(Array.from({ length: DEVICES }, () => startDevice({ server, sodium, history: { items: [], values: [] }, participant: { computeUpdate: zeroUpdate } })));
  try {
    await when(() => coordinator.eligibleDevices() === DEVICES, (wake) => events.push(wake));
    expect(await coordinator.runRound()).toMatchObject({ status: 'completed', contributors: DEVICES });
    expect(releases).toHaveLength(1);
    return releases[0]!;
  } finally {
    for (const d of devices) d.connection.close();
    await server.close();
  }
}

/** The variance per coordinate (model units) the design gives the released sum at noise multiplier σ. */
function designVariance(release: Release, mode: 'central' | 'distributed', sigma: number): number {
  const { scale: s, vectorLength: d, threshold: t, clipNorm: c } = release.config;
  const sumStd = sigma * (c * s + Math.sqrt(d)); // σ·(C·s + √d): the sensitivity in integer units includes the rounding's √d
  if (mode === 'central') return (sumStd / s) ** 2; // the server adds N_Z(0, sumStd²) once
  const deviceVariance = sumStd ** 2 / t; // each device adds N_Z(0, σ_dev²), σ_dev² = sumStd² / t
  return (release.contributors * deviceVariance) / s ** 2; // independent: the sum's variance is the sum of theirs
}

/**
 * Is the mean square of `x` (mean 0 known) consistent with variance v? Under Gaussian noise of variance v,
 * d·mean(x²)/v is χ²_d; the bounds are its quantiles at FALSE_FAILURE/2 on each side (exact, by bisection on the
 * regularized incomplete gamma function). The noise is a discrete Gaussian (central) or a sum of them (distributed)
 * with σ of millions of integer units here, whose distribution differs from the continuous Gaussian's by
 * terms of order e^(−2π²σ²): nothing at this precision.
 */
function varianceCheck(x: Float64Array, v: number): { ratio: number; lower: number; upper: number; consistent: boolean } {
  const d = x.length;
  let squares = 0;
  for (const value of x) squares += value * value;
  const ratio = squares / d / v;
  const lower = chiSquareLowerQuantile(d, FALSE_FAILURE / 2) / d;
  const upper = chiSquareUpperQuantile(d, FALSE_FAILURE / 2) / d;
  return { ratio, lower, upper, consistent: ratio >= lower && ratio <= upper };
}

describe('noise in the decoded sum of a real round', () => {
  const settings = (mode: 'central' | 'distributed', sigma: number): PrivacySettings => ({ mode, noiseMultiplier: sigma, delta: 1e-5, epsilonBudget: 1_000 });

  it.each(['central', 'distributed'] as const)('%s: the released sum of zero updates has the variance of σ·C per coordinate, and half the noise is rejected', async (mode) => {
    const release = await releasedRound(settings(mode, SIGMA));
    expect(release.released).toHaveLength(ITEMS * DIM + 3 * ITEMS + DIM * DIM + 2);
    expect(release.config.clipNorm).toBe(CLIP_NORM);
    if (mode === 'distributed') {
      // What each device was told to add is the design's σ_dev, and n of them carry at least the central noise.
      const { scale: s, vectorLength: d, threshold: t } = release.config;
      expect(release.config.deviceNoiseStd).toBeCloseTo((SIGMA * (CLIP_NORM * s + Math.sqrt(d))) / Math.sqrt(t), 6);
      expect(designVariance(release, 'distributed', SIGMA)).toBeGreaterThanOrEqual(designVariance(release, 'central', SIGMA));
    } else {
      expect(release.config.deviceNoiseStd).toBe(0);
    }
    const check = varianceCheck(release.released, designVariance(release, mode, SIGMA));
    expect(check.lower).toBeGreaterThan(0.75); // d = 1,418: tight enough to tell σ (ratio 1) from σ/2 (ratio 1/4)
    expect(check.consistent, JSON.stringify(check)).toBe(true);

    // The same path with half the noise multiplier: measured against the σ claimed, it is rejected (and it does match σ/2).
    const halved = await releasedRound(settings(mode, SIGMA / 2));
    const claimed = varianceCheck(halved.released, designVariance(halved, mode, SIGMA));
    expect(claimed.consistent, JSON.stringify(claimed)).toBe(false);
    expect(claimed.ratio).toBeLessThan(claimed.lower);
    expect(varianceCheck(halved.released, designVariance(halved, mode, SIGMA / 2)).consistent).toBe(true);
  });
});
