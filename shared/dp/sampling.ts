// Poisson cohort sampling: each eligible device joins a round independently with probability q.
import { checkSamplingRate } from './validate';

/**
 * The devices of one round, each included independently with probability q, so the accountant's Poisson-subsampled
 * Gaussian analysis applies (Chua et al., ICML 2024: shuffled fixed-size batches accounted as Poisson understate ε).
 * `uniform` must return independent uniform draws in [0, 1) from a CSPRNG; the order of `eligible` is kept.
 */
export function poissonSample(eligible: readonly string[], samplingRate: number, uniform: () => number): string[] {
  if (!Array.isArray(eligible)) throw new RangeError('eligible must be an array of device ids');
  checkSamplingRate(samplingRate);
  if (typeof uniform !== 'function') throw new RangeError('uniform must be a function () => number in [0, 1)');
  const cohort: string[] = [];
  for (const device of eligible) {
    const u = uniform();
    if (typeof u !== 'number' || !(u >= 0 && u < 1)) throw new RangeError(`uniform() must return a number in [0, 1), got ${String(u)}`);
    if (u < samplingRate) cohort.push(device); // P(u < q) = q
  }
  return cohort;
}
