// The centralized experiment: train the model on all training data, evaluate it and ItemPop under one protocol.
import path from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import {
  evaluateFullRanking,
  evaluateLeaveOneOut,
  evaluateRmse,
  itemPopScorer,
  leaveOneOutSplit,
  perUserHoldoutSplit,
  kFoldSplits,
  randomSplit,
  sampleNegatives,
  type Metrics,
  type Split,
} from '../../shared/metrics';
import { trainImplicit, IMPLICIT_DEFAULTS, type ImplicitTrainConfig } from '../../models/mf/implicit-als';
import { trainExplicit, EXPLICIT_DEFAULTS, type ExplicitTrainConfig } from '../../models/mf/explicit-als';
import { denseScorer, scorePair, solveUsers } from '../../models/mf/scoring';
import type { FactorSide } from '../../models/mf/als';
import type { MfModel } from '../../models/mf/model';
import { beyondAccuracy, datasetSummary, type Protocol } from './evaluation';
import { startProgress } from '../progress';
import { writeResults, type ModelResults } from '../results';
import { writeModelReport } from '../report/model-report';

/** Options of `bench centralized`. */
export interface CentralizedOptions {
  data: InteractionData;
  protocol: Protocol;
  seed: number;
  out: string;
  backend: string;
  dim?: number;
  epochs?: number;
  lambda?: number;
  alpha?: number;
  /** Rating protocol: how the held-out ratings are chosen (default: 5 random 80/20 splits). */
  ratingSplits?: RatingSplits;
  /** Rating protocol: number of random 80/20 splits averaged (when ratingSplits is not given). */
  splits: number;
  log?: (line: string) => void;
}

function implicitConfig(o: CentralizedOptions): ImplicitTrainConfig {
  return {
    ...IMPLICIT_DEFAULTS,
    seed: o.seed,
    ...(o.dim !== undefined && { dim: o.dim }),
    ...(o.epochs !== undefined && { epochs: o.epochs }),
    ...(o.lambda !== undefined && { lambda: o.lambda }),
    ...(o.alpha !== undefined && { alpha: o.alpha }),
  };
}

function explicitConfig(o: CentralizedOptions, seed: number, data: InteractionData): ExplicitTrainConfig {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data.value) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return {
    ...EXPLICIT_DEFAULTS,
    seed,
    minRating: min,
    maxRating: max,
    ...(o.dim !== undefined && { dim: o.dim }),
    ...(o.epochs !== undefined && { epochs: o.epochs }),
    ...(o.lambda !== undefined && { lambda: o.lambda }),
  };
}

/** Held-out ratings: seeded random 80/20 splits, k folds, or given train/test pairs (e.g. MovieLens u1.base/u1.test). */
export type RatingSplits = { kind: 'random'; count: number } | { kind: 'kfold'; folds: number } | { kind: 'given'; label: string; splits: Split[] };

function ratingSplitsOf(o: CentralizedOptions): { label: string; count: number; get: (s: number) => Split } {
  const spec = o.ratingSplits ?? { kind: 'random', count: o.splits };
  switch (spec.kind) {
    case 'random':
      return { label: `${spec.count} random 80/20 splits`, count: spec.count, get: (s) => randomSplit(o.data, { testFraction: 0.2, seed: o.seed + s }) };
    case 'kfold': {
      const folds = kFoldSplits(o.data, { folds: spec.folds, seed: o.seed });
      return { label: `${spec.folds}-fold cross-validation`, count: folds.length, get: (s) => folds[s]! };
    }
    case 'given':
      return { label: spec.label, count: spec.splits.length, get: (s) => spec.splits[s]! };
  }
}

/** Score callback over candidate items from solved user vectors. */
function candidateScorer(model: MfModel, users: FactorSide): (user: number, items: Int32Array) => Float64Array {
  return (user, items) => Float64Array.from(items, (i) => scorePair(model, users, user, i));
}

/** Run the experiment, write results.json and report.html into `out`, and return the results. */
export async function runCentralized(o: CentralizedOptions): Promise<ModelResults> {
  const log = o.log ?? (() => {});
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const curve: ModelResults['curve'] = [];
  let metrics: Metrics;
  let baseline: Metrics;
  let config: Record<string, unknown>;
  if (o.protocol === 'rating') {
    const per: { model: Metrics; base: Metrics }[] = [];
    const cfg0 = explicitConfig(o, o.seed, o.data);
    const splits = ratingSplitsOf(o);
    config = { model: 'biased MF (ALS)', ...cfg0, splits: splits.label };
    const bar = startProgress('rating splits', splits.count * cfg0.epochs);
    for (let s = 0; s < splits.count; s++) {
      const { train, test } = splits.get(s);
      const cfg = explicitConfig(o, o.seed + s, train);
      const tTrain = performance.now();
      const model = trainExplicit(train, cfg, (epoch, info) => {
        bar.update(s * cfg.epochs + epoch, `split ${s + 1} epoch ${epoch} train RMSE ${info.trainRmse.toFixed(4)}`);
        if (s === 0) curve.push({ epoch, trainRMSE: info.trainRmse });
      });
      timings.train = (timings.train ?? 0) + (performance.now() - tTrain) / 1000;
      const users = solveUsers(model, train);
      const clip = (x: number) => Math.min(cfg.maxRating, Math.max(cfg.minRating, x));
      const m = evaluateRmse({ test, predict: (u, i) => clip(scorePair(model, users, u, i)) });
      const itemMean = itemMeanPredictor(train);
      const b = evaluateRmse({ test, predict: itemMean });
      per.push({ model: { RMSE: m.RMSE }, base: { RMSE: b.RMSE } });
      log(`split ${s + 1}/${splits.count}: RMSE ${m.RMSE.toFixed(4)} (ItemMean ${b.RMSE.toFixed(4)})`);
    }
    bar.stop();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    metrics = { RMSE: mean(per.map((p) => p.model.RMSE!)) };
    baseline = { RMSE: mean(per.map((p) => p.base.RMSE!)) };
    (config as Record<string, unknown>).rmsePerSplit = per.map((p) => p.model.RMSE);
  } else {
    const cfg = implicitConfig(o);
    config = { model: 'implicit MF (weighted ALS, Hu et al. 2008) + item bias', ...cfg };
    const split = o.protocol === 'loo' ? leaveOneOutSplit(o.data) : perUserHoldoutSplit(o.data, { testFraction: 0.2, seed: o.seed });
    const negatives = o.protocol === 'loo' ? sampleNegatives(o.data, split.test, { count: 99, seed: o.seed }) : undefined;
    const evaluate = (model: MfModel, users: FactorSide): Record<string, number> =>
      negatives
        ? evaluateLeaveOneOut({ test: split.test, negatives, score: candidateScorer(model, users), k: 10 })
        : evaluateFullRanking({ train: split.train, test: split.test, scoreAll: denseScorer(model, users), k: 20 });
    const bar = startProgress('training', cfg.epochs);
    const tTrain = performance.now();
    let evalSeconds = 0;
    const model = trainImplicit(split.train, cfg, (epoch, info) => {
      const te = performance.now();
      const m = evaluate(info.model, info.users);
      evalSeconds += (performance.now() - te) / 1000;
      const row: ModelResults['curve'][number] = { epoch, loss: info.loss };
      for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && k !== 'users') row[k] = v;
      curve.push(row);
      const main = o.protocol === 'loo' ? `HR@10 ${(m['HR@10'] ?? 0).toFixed(4)}` : `Recall@20 ${(m['Recall@20'] ?? 0).toFixed(4)}`;
      bar.update(epoch, `loss ${info.loss.toFixed(0)} ${main}`);
    });
    bar.stop();
    timings.train = (performance.now() - tTrain) / 1000 - evalSeconds;
    timings.evaluatePerEpoch = evalSeconds;
    const tEval = performance.now();
    const users = solveUsers(model, split.train);
    metrics = pickMetrics(evaluate(model, users));
    Object.assign(metrics, beyondAccuracy(o.data, split.train, denseScorer(model, users), model));
    const pop = itemPopScorer(split.train);
    baseline = pickMetrics(
      negatives
        ? evaluateLeaveOneOut({ test: split.test, negatives, score: pop.score, k: 10 })
        : evaluateFullRanking({ train: split.train, test: split.test, scoreAll: pop.scoreAll, k: 20 }),
    );
    Object.assign(baseline, beyondAccuracy(o.data, split.train, pop.scoreAll, undefined));
    timings.evaluate = (performance.now() - tEval) / 1000;
  }
  timings.total = (performance.now() - t0) / 1000;
  const results: ModelResults = {
    experiment: 'centralized',
    dataset: datasetSummary(o.data),
    protocol: o.protocol,
    config: { ...config, seed: o.seed },
    backend: o.backend,
    timings,
    metrics,
    baselines: { [o.protocol === 'rating' ? 'ItemMean' : 'ItemPop']: baseline },
    curve,
  };
  await writeResults(o.out, results);
  await writeModelReport(path.join(o.out, 'report.html'), results);
  return results;
}

/** Keep only the metric keys (drop counts such as `users`). */
function pickMetrics(m: Record<string, number>): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(m)) if (k !== 'users' && typeof v === 'number') (out as Record<string, number>)[k] = v;
  return out;
}

/** Rating baseline: global mean plus a damped item mean deviation (pseudo-count 5). */
function itemMeanPredictor(train: InteractionData): (user: number, item: number) => number {
  let total = 0;
  for (const v of train.value) total += v;
  const mu = total / Math.max(1, train.value.length);
  const sum = new Float64Array(train.items);
  const count = new Float64Array(train.items);
  for (let n = 0; n < train.item.length; n++) {
    sum[train.item[n]!]! += train.value[n]! - mu;
    count[train.item[n]!]!++;
  }
  return (_u, i) => mu + sum[i]! / (count[i]! + 5);
}
