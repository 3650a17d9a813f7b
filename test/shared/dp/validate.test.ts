// Bad settings are refused everywhere with a RangeError that names the parameter (table test).
import { describe, expect, it } from 'vitest';
import { rdpPoissonSubsampledGaussian, rdpCurve, composeRdp } from '../../../shared/dp/rdp';
import { epsilonFromRdp, deltaFromRdp } from '../../../shared/dp/conversion';
import { createAccountant, compose, epsilon, delta } from '../../../shared/dp/accountant';
import { calibrateNoiseMultiplier } from '../../../shared/dp/calibrate';
import { centralNoiseStd, deviceNoiseVariance, discreteGaussianSumSlack, distributedDiscreteGaussianRdp } from '../../../shared/dp/distributed';
import { sampleDiscreteGaussianVector, createDiscreteGaussianSampler } from '../../../shared/dp/discrete-gaussian';
import { poissonSample } from '../../../shared/dp/sampling';
import { seededRandomBytes } from './helpers';

const ok = { samplingRate: 0.01, noiseMultiplier: 1, steps: 10 };
const account = createAccountant({ orders: [2, 4] });
const target = { targetEpsilon: 1, targetDelta: 1e-5, samplingRate: 0.01, steps: 100, orders: [2, 4, 8] };
const distributed = { noiseMultiplier: 1, clipNorm: 1, scale: 256, threshold: 5 };
const bytes = seededRandomBytes(99);
const uniform = (): number => 0.5;

/** [what, call, the message it must start with]. */
const cases: [string, () => unknown, RegExp][] = [
  ['δ above 1', () => epsilonFromRdp([2], [0.1], 1.5), /^targetDelta must be in \(0, 1\), got 1\.5$/],
  ['δ = 0', () => epsilon(account, 0), /^targetDelta must be in \(0, 1\), got 0$/],
  ['δ NaN', () => epsilon(account, Number.NaN), /^targetDelta must be in \(0, 1\), got NaN$/],
  ['ε negative for δ', () => deltaFromRdp([2], [0.1], -1), /^targetEpsilon must be a finite number ≥ 0, got -1$/],
  ['ε NaN for δ', () => delta(account, Number.NaN), /^targetEpsilon /],
  ['q above 1', () => rdpPoissonSubsampledGaussian(1.5, 1, 2), /^samplingRate must be in \[0, 1\], got 1\.5$/],
  ['q negative', () => rdpCurve({ ...ok, samplingRate: -0.1 }, [2]), /^samplingRate must be in \[0, 1\], got -0\.1$/],
  ['q NaN', () => compose(account, { ...ok, samplingRate: Number.NaN }), /^samplingRate /],
  ['σ negative', () => rdpPoissonSubsampledGaussian(0.1, -1, 2), /^noiseMultiplier must be a finite number ≥ 0, got -1$/],
  ['σ NaN', () => rdpCurve({ ...ok, noiseMultiplier: Number.NaN }, [2]), /^noiseMultiplier /],
  ['σ infinite', () => compose(account, { ...ok, noiseMultiplier: Infinity }), /^noiseMultiplier /],
  ['steps fractional', () => rdpCurve({ ...ok, steps: 1.5 }, [2]), /^steps must be a non-negative integer, got 1\.5$/],
  ['steps negative', () => compose(account, { ...ok, steps: -1 }), /^steps must be a non-negative integer, got -1$/],
  ['steps NaN', () => composeRdp([{ ...ok, steps: Number.NaN }], [2]), /^steps /],
  ['order below 1', () => rdpPoissonSubsampledGaussian(0.1, 1, 0.5), /^order must be a finite Rényi order ≥ 1, got 0\.5$/],
  ['order NaN', () => rdpPoissonSubsampledGaussian(0.1, 1, Number.NaN), /^order /],
  ['orders empty', () => createAccountant({ orders: [] }), /^orders must be a non-empty list/],
  ['orders with 0.5', () => createAccountant({ orders: [2, 0.5] }), /^orders\[1\] must be a finite Rényi order ≥ 1, got 0\.5$/],
  ['orders with ∞', () => rdpCurve(ok, [2, Infinity]), /^orders\[1\] /],
  ['target ε = 0', () => calibrateNoiseMultiplier({ ...target, targetEpsilon: 0 }), /^targetEpsilon must be a finite number > 0, got 0$/],
  ['target ε negative', () => calibrateNoiseMultiplier({ ...target, targetEpsilon: -1 }), /^targetEpsilon /],
  ['target ε ∞', () => calibrateNoiseMultiplier({ ...target, targetEpsilon: Infinity }), /^targetEpsilon /],
  ['target ε NaN', () => calibrateNoiseMultiplier({ ...target, targetEpsilon: Number.NaN }), /^targetEpsilon /],
  ['target δ = 1', () => calibrateNoiseMultiplier({ ...target, targetDelta: 1 }), /^targetDelta must be in \(0, 1\), got 1$/],
  ['calibration q', () => calibrateNoiseMultiplier({ ...target, samplingRate: 2 }), /^samplingRate /],
  ['calibration steps', () => calibrateNoiseMultiplier({ ...target, steps: -3 }), /^steps /],
  ['calibration tolerance', () => calibrateNoiseMultiplier({ ...target, relativeTolerance: 0 }), /^relativeTolerance must be in \(0, 1\)/],
  ['clip norm negative', () => centralNoiseStd({ noiseMultiplier: 1, clipNorm: -1 }), /^clipNorm must be a finite number > 0, got -1$/],
  ['clip norm NaN', () => centralNoiseStd({ noiseMultiplier: 1, clipNorm: Number.NaN }), /^clipNorm /],
  ['central σ negative', () => centralNoiseStd({ noiseMultiplier: -1, clipNorm: 1 }), /^noiseMultiplier /],
  ['threshold 0', () => deviceNoiseVariance({ ...distributed, threshold: 0 }), /^threshold must be an integer ≥ 1, got 0$/],
  ['threshold fractional', () => deviceNoiseVariance({ ...distributed, threshold: 2.5 }), /^threshold /],
  ['scale negative', () => deviceNoiseVariance({ ...distributed, scale: -1 }), /^scale must be a finite number > 0, got -1$/],
  ['distributed C NaN', () => deviceNoiseVariance({ ...distributed, clipNorm: Number.NaN }), /^clipNorm /],
  ['devices 0', () => discreteGaussianSumSlack({ deviceSigma: 2, devices: 0 }), /^devices /],
  ['dimension 0', () => distributedDiscreteGaussianRdp({ order: 2, l2Sensitivity: 1, deviceSigma: 2, devices: 3, dimension: 0 }), /^dimension /],
  ['sensitivity negative', () => distributedDiscreteGaussianRdp({ order: 2, l2Sensitivity: -1, deviceSigma: 2, devices: 3, dimension: 1 }), /^l2Sensitivity /],
  ['vector length negative', () => sampleDiscreteGaussianVector(-1, 1, bytes), /^length must be a non-negative integer, got -1$/],
  ['vector length fractional', () => sampleDiscreteGaussianVector(2.5, 1, bytes), /^length /],
  ['sampler σ negative', () => sampleDiscreteGaussianVector(3, -1, bytes), /^sigma must be a finite number ≥ 0, got -1$/],
  ['sampler σ NaN', () => sampleDiscreteGaussianVector(3, Number.NaN, bytes), /^sigma /],
  ['sampler σ too large', () => sampleDiscreteGaussianVector(3, 2 ** 25, bytes), /^sigma must be ≤ 16777216/],
  ['sampler variance malformed', () => createDiscreteGaussianSampler({ variance: { numerator: BigInt(-1), denominator: BigInt(1) } }, bytes), /^variance /],
  ['sampler source missing', () => sampleDiscreteGaussianVector(3, 1, undefined as unknown as (n: number) => Uint8Array), /^randomBytes /],
  ['cohort q NaN', () => poissonSample(['a'], Number.NaN, uniform), /^samplingRate /],
  ['cohort list', () => poissonSample('abc' as unknown as string[], 0.5, uniform), /^eligible /],
];

describe('bad settings → RangeError naming the parameter', () => {
  it.each(cases)('%s', (_what, call, message) => {
    let error: unknown;
    try {
      call();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as RangeError).message).toMatch(message);
  });
});
