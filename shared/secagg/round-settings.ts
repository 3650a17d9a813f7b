// How a round's secure-aggregation settings follow from its cohort and the deployment's adversary: graph, Shamir
// threshold, consistency quorum, fixed-point scale. Server and devices both compute them from here, so a device can
// refuse a round whose settings are weaker than its own floor.
//
// Two bounds, both against a lying server that controls a fraction γ of the cohort (Sybils, per shard):
// - the Shamir threshold t of a neighbourhood of m holders that may hold a corrupt ones: t > (m + a)/2, so no two
//   groups of t holders can be shown different fates of one device (graph.ts, minimumThreshold; threat model 25);
// - the consistency quorum q of the survivor-list signatures: q > (N + A)/2 over the N invited devices, A = ⌈γ·N⌉,
//   so at most one list per round can gather a quorum. Without it, in a sparse graph t signatures (a few dozen at
//   most) were enough, and a server could show each neighbour of a victim its own list — "you survived, your other
//   neighbours dropped" — and rebuild every pairwise mask of the victim (threat model 3).
// Both must also be live: with a fraction p of devices expected to drop, (1 − p)·(m − 1) holders and (1 − p)·N
// signers are expected to answer. Settings where no threshold is both safe and live are refused.
import { fixedPointScale } from './fixed-point';
import { minimumThreshold, neighbourhoodSize, type GraphParams } from './graph';
import { SecAggError } from './errors';
import { maxScaleForNoise, noiseHeadroomDevices, type PrivacySettings } from '../dp/mechanism';

/** What a deployment assumes about its adversary and its network. */
export interface SafetySettings {
  /** γ: the fraction of a cohort a lying server may control (Sybils), per shard. */
  corruptFraction: number;
  /** p: the fraction of devices expected to drop during a round. */
  expectedDropout: number;
}

/** Settings of the protocol part of a round. */
export interface SecureSettings {
  threshold: number;
  graph: { kind: 'complete' } | { kind: 'sparse'; degree: number };
  scale: number;
  corruptFraction: number;
}

/**
 * Probability, per victim and per round, that a random sparse neighbourhood holds more corrupt devices than the
 * threshold assumes. The server gets one random graph per round (transcript.ts, graphSeed), so over R rounds and N
 * victims its chance of any such neighbourhood is at most R·N·2^-30.
 */
export const SPARSE_TAIL = 2 ** -30;

/** Largest probability that a round fails at the expected dropout (not enough holders or signers answer). */
export const LIVENESS_FAILURE = 0.05;

/** Check a deployment's safety settings where they enter; throws a RangeError naming the field. */
export function checkSafetySettings(s: SafetySettings): void {
  if (!(s.corruptFraction >= 0 && s.corruptFraction < 0.5)) throw new RangeError(`corruptFraction must be in [0, 0.5), got ${s.corruptFraction}`);
  if (!(s.expectedDropout >= 0 && s.expectedDropout < 1)) throw new RangeError(`expectedDropout must be in [0, 1), got ${s.expectedDropout}`);
}

/** A = ⌈γ·N⌉: the corrupt devices a cohort of N must be assumed to contain (the 1e-12 absorbs float error in γ·N). */
export function corruptInCohort(n: number, corruptFraction: number): number {
  return Math.min(n, Math.ceil(corruptFraction * n - 1e-12));
}

/** P(X > x) for X ~ Binomial(k, p), summed from the top so small tails keep their precision. */
function binomialTailAbove(k: number, p: number, x: number): number {
  if (x >= k) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let logPmf = k * Math.log(p); // P(X = k)
  let tail = 0;
  for (let j = k; j > x; j--) {
    tail += Math.exp(logPmf);
    logPmf += Math.log(j / (k - j + 1)) + Math.log((1 - p) / p); // P(X = j − 1) from P(X = j)
  }
  return tail;
}

/**
 * Corrupt holders a neighbourhood must be assumed to hold, when the key list has params.n devices out of a cohort of
 * `cohort` invited (all A = ⌈γ·cohort⌉ Sybils may be on the list). Complete graph: every holder sees the whole
 * list, so a = A. Sparse graph: a device's k neighbours are a uniformly random k-subset of the other n − 1 (the ring
 * is laid on a random order), so the corrupt among them are hypergeometric, whose tails the Binomial(k, A/(n − 1))
 * tails bound (Hoeffding 1963, Thm 4); a is the smallest count exceeded with probability at most SPARSE_TAIL, and
 * never below ⌈γ·m⌉.
 */
export function corruptHolders(params: GraphParams, corruptFraction: number, cohort: number = params.n): number {
  const shares = neighbourhoodSize(params) + 1;
  const cohortCorrupt = Math.min(params.n, corruptInCohort(cohort, corruptFraction));
  if (params.kind === 'complete') return cohortCorrupt;
  const floor = Math.ceil(corruptFraction * shares - 1e-12);
  if (cohortCorrupt === 0) return 0;
  const p = Math.min(1, cohortCorrupt / (params.n - 1));
  let a = 0;
  while (a < params.degree && binomialTailAbove(params.degree, p, a) > SPARSE_TAIL) a++;
  return Math.min(shares, Math.max(floor, a));
}

/** The smallest threshold safe with corrupt fraction γ for the graph (what a device requires of any round it joins). */
export function safeThreshold(params: GraphParams, corruptFraction: number, cohort: number = params.n): number {
  return minimumThreshold({ ...params, corruptDevices: corruptHolders(params, corruptFraction, cohort) });
}

/** q = ⌊(N + A)/2⌋ + 1: signatures on one survivor list a device needs before it reveals any share. */
export function consistencyQuorum(cohort: number, corruptFraction: number): number {
  return Math.floor((cohort + corruptInCohort(cohort, corruptFraction)) / 2) + 1;
}

function describe(params: GraphParams): string {
  return params.kind === 'complete' ? `a complete graph of ${params.n}` : `a sparse graph of ${params.n} with degree ${params.degree}`;
}

/**
 * The safe threshold for the graph, if it and the consistency quorum are live at the expected dropout; else a
 * 'graph.threshold_too_high' SecAggError saying why no setting is both safe and live.
 */
export function liveSafeThreshold(params: GraphParams, safety: SafetySettings): number {
  // The key list the threshold must stay safe for: the cohort less its expected dropouts (a sparse neighbourhood's
  // corrupt share grows as honest devices drop; the device checks again with the list it is shown).
  const listed = params.kind === 'complete' ? params.n : Math.max(params.degree + 1, Math.floor((1 - safety.expectedDropout) * params.n + 1e-9));
  const t = safeThreshold({ ...params, n: listed }, safety.corruptFraction, params.n);
  const others = neighbourhoodSize(params);
  const p = safety.expectedDropout;
  // P(fewer than t of the `others` holders answer) = P(more than others − t drop); once per neighbourhood.
  const secrets = params.kind === 'complete' ? 1 : params.n;
  const holdersFail = t > others ? 1 : Math.min(1, secrets * binomialTailAbove(others, p, others - t));
  if (holdersFail > LIVENESS_FAILURE) {
    throw new SecAggError('graph.threshold_too_high', `no threshold is both safe and live for ${describe(params)}: safety against γ = ${safety.corruptFraction} needs t ≥ ${t} of ${others} other holders, and at dropout ${p} fewer answer with probability ${holdersFail.toPrecision(2)} (the most allowed is ${LIVENESS_FAILURE})`);
  }
  const q = consistencyQuorum(params.n, safety.corruptFraction);
  const signersFail = q > params.n ? 1 : binomialTailAbove(params.n, p, params.n - q);
  if (signersFail > LIVENESS_FAILURE) {
    throw new SecAggError('graph.threshold_too_high', `no consistency quorum is both safe and live for a cohort of ${params.n}: safety against γ = ${safety.corruptFraction} needs ${q} signatures, and at dropout ${p} fewer survive with probability ${signersFail.toPrecision(2)} (the most allowed is ${LIVENESS_FAILURE})`);
  }
  return t;
}

/**
 * The sparse graph's degree for a cohort: the smallest even k ≥ 2·log2(n) (Bell et al. 2020 use O(log n)) at which a
 * safe threshold is live; undefined when none below n − 1 is (the complete graph is then the only choice).
 */
export function sparseDegree(n: number, safety: SafetySettings): number | undefined {
  for (let k = 2 * Math.ceil(Math.log2(Math.max(2, n))); k < n - 1; k += 2) {
    try {
      liveSafeThreshold({ kind: 'sparse', n, degree: k }, safety);
      return k;
    } catch (err) {
      if (!(err instanceof SecAggError)) throw err;
    }
  }
  return undefined;
}

/**
 * The graph, the smallest safe threshold, and the largest scale at which the cohort's sum cannot wrap — with DP
 * noise on, the sum of n clipped updates plus the noise's 12σ tail (shared/dp/mechanism.ts). A sparse graph falls
 * back to the complete one when no sparse degree is safe and live; throws when neither is.
 */
export function secureSettingsFor(n: number, graph: 'complete' | 'sparse', clipNorm: number, privacy: PrivacySettings | undefined, safety: SafetySettings): SecureSettings {
  checkSafetySettings(safety);
  const degree = graph === 'sparse' ? sparseDegree(n, safety) : undefined;
  const g = degree === undefined ? ({ kind: 'complete' } as const) : ({ kind: 'sparse', degree } as const);
  const threshold = liveSafeThreshold(g.kind === 'complete' ? { kind: 'complete', n } : { kind: 'sparse', n, degree: g.degree }, safety);
  const headroom = privacy ? noiseHeadroomDevices(privacy, n, threshold) : 0;
  const noWrap = fixedPointScale({ clipNorm, cohortSize: n + headroom, modulusBits: 32 });
  const scale = privacy ? Math.max(1, Math.min(noWrap, maxScaleForNoise(privacy, { clipNorm, threshold }))) : noWrap;
  return { threshold, graph: g, scale, corruptFraction: safety.corruptFraction };
}
