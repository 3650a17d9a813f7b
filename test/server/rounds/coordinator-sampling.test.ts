// Poisson sampling as the coordinator runs it: who its round start invites is exactly the PRF draw of
// server/training/sampling.ts under a key from the CSPRNG, and cohort sizes over 3,000 round starts fit
// Binomial(N, q) by a χ² test whose false-failure probability is at most 1e−6 — a test that rejects a coordinator
// sampling at a rate 10% off and a sampler that always includes one device.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import _sodium from 'libsodium-wrappers';
import { generateSigningKeyPair } from '../../../shared/secagg/sign';
import { sampleCohort, samplingKeyOf } from '../../../server/training/sampling';
import { chiSquareUpperQuantile } from '../../shared/dp/chi-square';
import { channelFleet } from './channel-fleet';

const DEVICES = 30;
const Q = 0.3;
const ATTEMPTS = 3_000;
/** Every χ² cell expects at least this many of the ATTEMPTS draws. */
const MIN_EXPECTED = 50;
/**
 * The test's size: the χ² quantile taken is at 1e−8, not 1e−6. Pearson's X² is χ²_{K−1} only asymptotically; for these
 * cells (N = 30, q = 0.3, 3,000 draws, 11 cells each expecting ≥ 50) a simulation outside the suite (2·10⁷ null
 * multinomials, numpy) put its tail at 1.0–1.25× the χ² tail from 1e−3 to 1e−6, and none of them exceeded the 1e−8
 * quantile. Taking 1e−8 leaves a factor of 100 for that approximation: a correct sampler fails with probability ≤ 1e−6.
 */
const CHI_SQUARE_TAIL = 1e-8;

/** ln C(n, k) + k ln q + (n − k) ln(1 − q): the Binomial(n, q) pmf, in logs so no term under- or overflows. */
function binomialPmf(n: number, q: number): number[] {
  const pmf: number[] = [];
  let logChoose = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k);
    pmf.push(Math.exp(logChoose + k * Math.log(q) + (n - k) * Math.log1p(-q)));
  }
  return pmf;
}

/**
 * Pearson's χ² of cohort sizes against Binomial(n, q): consecutive sizes pooled into cells, closing a cell once it
 * expects ≥ MIN_EXPECTED draws and what is left does too (the rest joins the last cell), and the critical value of
 * size CHI_SQUARE_TAIL: the exact χ²_{K−1} quantile by bisection on the regularized incomplete gamma function.
 */
function cohortSizeFit(sizes: readonly number[], n: number, q: number): { statistic: number; critical: number; cells: number } {
  const pmf = binomialPmf(n, q);
  const draws = sizes.length;
  const cellOf = new Array<number>(n + 1);
  const expected: number[] = [];
  let mass = 0;
  let left = 1;
  for (let k = 0; k <= n; k++) {
    cellOf[k] = expected.length;
    mass += pmf[k]!;
    left -= pmf[k]!;
    if (mass * draws >= MIN_EXPECTED && left * draws >= MIN_EXPECTED) {
      expected.push(mass * draws);
      mass = 0;
    }
  }
  expected[expected.length - 1]! += mass * draws; // the remaining tail joins the last cell
  for (let k = 0; k <= n; k++) cellOf[k] = Math.min(cellOf[k]!, expected.length - 1);
  const observed = new Array<number>(expected.length).fill(0);
  for (const size of sizes) observed[cellOf[size]!]!++;
  const statistic = observed.reduce((chi, o, c) => chi + (o - expected[c]!) ** 2 / expected[c]!, 0);
  return { statistic, critical: chiSquareUpperQuantile(expected.length - 1, CHI_SQUARE_TAIL), cells: expected.length };
}

/** Cohort sizes of ATTEMPTS round starts of the coordinator sampling at `rate`, checking each invitation against the PRF. */
async function sizesAsRun(samplingKey: Uint8Array, rate: number): Promise<number[]> {
  const fleet = await channelFleet({ devices: DEVICES, samplingKey, settings: { samplingRate: rate } });
  const invitations: string[][] = [];
  for (let r = 0; r < ATTEMPTS; r++) {
    const { summary, invited } = await fleet.attempt();
    // Nobody answers, so a round that invited devices aborts at its deadline; one drawn too small is skipped.
    expect(summary.status).toBe(invited.length > 0 ? 'aborted' : 'skipped');
    invitations.push(invited);
  }
  // Every start is recorded with the size of its draw, in order (a skipped one too: it is an attempt at its position).
  const rounds = (await fleet.store.listRounds(ATTEMPTS + 1)).reverse();
  expect(rounds).toHaveLength(ATTEMPTS);
  rounds.forEach((round, r) => {
    // The draw the round start made is exactly the PRF's at (shard, lineage, step, attempt) over the eligible devices.
    const drawn = sampleCohort(samplingKey, { shard: 0, lineage: 0, step: 0, attempt: r }, fleet.ids, rate);
    expect(round).toMatchObject({ shard: 0, lineage: 0, step: 0, cohortSize: drawn.length });
    if (invitations[r]!.length > 0) expect(invitations[r]).toEqual(drawn);
    else expect(round.reason).toMatch(/sampled \d+ of 30 eligible devices/);
  });
  return rounds.map((round) => round.cohortSize);
}

let samplingKey: Uint8Array;
beforeAll(async () => {
  vi.useFakeTimers();
  await _sodium.ready;
  // The production derivation: the sampling key is a PRF of the server's identity key, made by libsodium's CSPRNG.
  samplingKey = samplingKeyOf(generateSigningKeyPair(_sodium).privateKey);
});
afterAll(() => {
  vi.useRealTimers();
});

describe('cohort sampling as the coordinator runs it', () => {
  it('invites exactly the PRF draw, and cohort sizes over 3,000 round starts fit Binomial(30, 0.3) (χ², size ≤ 1e−6)', async () => {
    const sizes = await sizesAsRun(samplingKey, Q);
    const fit = cohortSizeFit(sizes, DEVICES, Q);
    expect(fit.cells).toBeGreaterThanOrEqual(10);
    expect(fit.statistic).toBeLessThan(fit.critical);
  });

  it('the same test rejects a coordinator sampling at q = 0.33 (10% off) and a sampler that always includes one device', async () => {
    // Power, from the noncentral χ² of these cells: a miss has probability ~1e−37 at q = 0.33 and ~1e−15 for the
    // always-included device (noncentrality ≈ 400 and ≈ 230 against a critical value near 58).
    const tooHigh = cohortSizeFit(await sizesAsRun(samplingKey, 1.1 * Q), DEVICES, Q);
    expect(tooHigh.statistic).toBeGreaterThan(tooHigh.critical);
    const [always, ...others] = Array.from({ length: DEVICES }, (_, n) => `device-${String(n).padStart(2, '0')}`);
    expect(always).toBeDefined();
    const withOneAlways = Array.from({ length: ATTEMPTS }, (_, r) => 1 + sampleCohort(samplingKey, { shard: 0, lineage: 0, step: 0, attempt: r }, others, Q).length);
    const biased = cohortSizeFit(withOneAlways, DEVICES, Q);
    expect(biased.statistic).toBeGreaterThan(biased.critical);
  });
});
