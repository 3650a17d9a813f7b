// The end of a round, written once: the unmasked fixed-point sum in, the shard's next training and served models out.
//
// The server runs exactly this (server/training/finish-round.ts) and so does every benchmark, so a figure in
// bench/RESULTS.md describes the model people are served. Steps, in order:
//   1. central DP: add N_Z(0, σ_server²) to every word of the sum (integer noise, before anything is decoded);
//   2. decode the fixed-point sum and split it into its parts (update-vector.ts);
//   3. with noise on, divide by the expected cohort q·N instead of the noisy count (the fixed-denominator
//      estimator of DP-FedAvg, McMahan et al. 2018);
//   4. the server step, preconditioned by the cohort's Gram and per-item curvature, with James–Stein shrinkage
//      of each item's noisy delta (server-step.ts);
//   5. the served table: an exponential moving average of the training iterates (Polyak–Ruppert averaging),
//      while devices keep training on the latest iterate.
import { decodeSum } from '../../shared/secagg/fixed-point';
import { sampleDiscreteGaussianVector } from '../../shared/dp/discrete-gaussian';
import type { MfModel } from '../mf/model';
import { applyServerStep, averageModels } from './server-step';
import { splitAggregate } from './update-vector';

/** The server's training settings; the deployment (`npm start`) and the benchmarks share these defaults. */
export interface EndOfRoundSettings {
  /** Step size η of the preconditioned server step on the item table. */
  serverLearningRate: number;
  /** EMA decay of the served table (0 serves the latest training iterate). */
  averaging: number;
}

/** The one place the defaults are written: `npm start` and `npm run bench` both read them from here. */
export const END_OF_ROUND_DEFAULTS: Readonly<EndOfRoundSettings> = Object.freeze({ serverLearningRate: 0.5, averaging: 0.9 });

/** L2 bound of each device's update (devices clip to it; the noise of step 1 is sized for it): `npm start` and the benchmarks read it here. */
export const DEFAULT_CLIP_NORM = 250;

/** The devices' local learning rate: the server step divides it out, and 1 keeps the update near unit scale for fixed point. */
export const LOCAL_LEARNING_RATE = 1;

/** A shard's two models: the iterate devices train on, and the average people are served. */
export interface ShardModels {
  training: MfModel;
  served: MfModel;
  /** Training iterates averaged into `served` so far (0: served is the initial table). */
  iterates: number;
}

/** One round's unmasked sum and the noise it carries, all in fixed-point units. */
export interface RoundSum {
  sum: Uint32Array;
  scale: number;
  /** Central DP: σ of the integer noise the server adds now (0 = none). */
  serverNoiseStd: number;
  /** σ of the noise the sum carries in total once step 1 is done (central or distributed), for the shrinkage. */
  sumNoiseStd: number;
}

/** What the end of a round needs to know about the population the cohort was drawn from. */
export interface RoundContext {
  /** Poisson sampling rate q of the round. */
  samplingRate: number;
  /** Devices that could have been sampled (N): sizes the fixed denominator q·N of a noisy round. */
  population: number;
  /** Whether the round's sum carries DP noise (then the count in it is noisy too). */
  noisy: boolean;
  /** A CSPRNG for the central noise. */
  randomBytes: (n: number) => Uint8Array;
}

/** The next models, and what the sum said about the cohort. */
export interface EndOfRound {
  models: ShardModels;
  /** Contributions counted by the sum (noisy under DP). */
  count: number;
  /** Clipped updates counted by the sum (noisy under DP), rounded and never negative. */
  clipped: number;
  /** The decoded sum as released to the server step (with central noise added): what the server observes. */
  released: Float64Array;
}

/** Check the settings where they enter; throws a RangeError naming the field. */
export function checkEndOfRoundSettings(s: EndOfRoundSettings): void {
  if (!(s.serverLearningRate > 0 && s.serverLearningRate <= 2)) throw new RangeError(`serverLearningRate must be in (0, 2], got ${s.serverLearningRate}`);
  if (!(s.averaging >= 0 && s.averaging < 1)) throw new RangeError(`averaging must be in [0, 1), got ${s.averaging}`);
}

/** Initial shard models: the served table starts as the training table. */
export function initialShardModels(model: MfModel): ShardModels {
  return { training: model, served: model, iterates: 0 };
}

/**
 * The EMA decay for the next iterate: the running mean of the iterates so far, capped at `averaging`
 * (min(β, t/(t+1)) after t iterates, as TensorFlow's ExponentialMovingAverage with num_updates). The initial
 * random table never enters the average, and a young model is not dragged towards it.
 */
export function averagingDecay(averaging: number, iterates: number): number {
  return Math.min(averaging, iterates / (iterates + 1));
}

/** Turn a round's unmasked sum into the shard's next models (see the file comment). The inputs are not modified. */
export function endOfRound(models: ShardModels, round: RoundSum, context: RoundContext, settings: EndOfRoundSettings): EndOfRound {
  checkEndOfRoundSettings(settings);
  const { training } = models;
  const layout = { items: training.table.items, dim: training.table.dim };
  const sum = Uint32Array.from(round.sum);
  if (round.serverNoiseStd > 0) {
    const z = sampleDiscreteGaussianVector(sum.length, round.serverNoiseStd, context.randomBytes);
    for (let n = 0; n < z.length; n++) sum[n] = (sum[n]! + z[n]!) >>> 0;
  }
  const released = decodeSum(sum, round.scale);
  const agg = splitAggregate(released, layout);
  const counted = agg.count;
  if (context.noisy) agg.count = Math.max(1, context.samplingRate * context.population);
  const next = applyServerStep(training, agg, {
    serverLearningRate: settings.serverLearningRate,
    biasLearningRate: 1,
    localLearningRate: LOCAL_LEARNING_RATE,
    lambda: training.params.lambda,
    // The step scales the cohort's sums to the population by ρ = |cohort| / N; with Poisson sampling that is q
    // (count / (count / q)). Using q rather than the registered count keeps the step independent of devices that
    // were not sampled, so a run without a device that never contributed is the same run (exact forgetting).
    population: agg.count / Math.min(1, Math.max(context.samplingRate, Number.MIN_VALUE)),
    deltaNoiseStd: round.sumNoiseStd / round.scale,
  });
  return {
    models: { training: next, served: averageModels(models.served, next, averagingDecay(settings.averaging, models.iterates)), iterates: models.iterates + 1 },
    count: counted,
    clipped: Math.max(0, Math.round(agg.clipped)),
    released,
  };
}
