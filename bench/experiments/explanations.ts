// The explanations experiment: how faithful the served "why" is (exact shares, the counterfactual test, and
// deletion curves against random and cosine explainers), measured on the recommender users get.
//
// The model explained is the centralized implicit ALS (the `centralized` benchmark's defaults and seed) trained
// on the leave-one-out training split, served through `prepareServedTables`; with --shards S, S models trained
// on disjoint user shards and served as their mean. Each sampled user's history is their training data. The
// metric definitions are in bench/explain/faithfulness.ts.
import path from 'node:path';
import type { InteractionData } from '../../shared/data/interactions';
import { leaveOneOutSplit } from '../../shared/metrics';
import { createRng, shuffleInPlace } from '../../shared/math/random';
import { IMPLICIT_DEFAULTS, type ImplicitTrainConfig } from '../../models/mf/implicit-als';
import { buildHistories } from '../../models/mf/histories';
import { EXPLAINERS, type ExplainerName } from '../explain/explainers';
import { measureFaithfulness, type SampledUser } from '../explain/faithfulness';
import { trainShardedServed } from '../explain/sharded-model';
import { writeExplanationsReport } from '../explain/report';
import { datasetSummary } from './evaluation';
import { startProgress } from '../progress';
import { writeResults, type ResultsBase } from '../results';

/** Recommendations explained per user. */
export const TOP_K = 10;
/** Deletion curves run DEL@1 … DEL@MAX_REMOVED; users need at least this many history items. */
export const MAX_REMOVED = 5;
/** The share gap must stay within this many float32 ulps of the score (float32 is what the tables are stored in). */
export const SHARE_GAP_TOLERANCE_ULPS = 4;

/** Options of `bench explanations`. */
export interface ExplanationsOptions {
  data: InteractionData;
  seed: number;
  out: string;
  backend: string;
  /** Users to sample (seeded) among those with ≥ MAX_REMOVED training items; default all of them. */
  users?: number;
  /** User shards, each training its own model; the served score is their mean (default 1). */
  shards?: number;
  /** Training settings over the centralized defaults (tests use a small, fast model). */
  train?: Partial<Omit<ImplicitTrainConfig, 'seed'>>;
  log?: (line: string) => void;
}

/** One explainer's deletion curve: mean rank fall (and its standard error) keyed by k = "1" … "5". */
export interface ExplanationsRow {
  explainer: ExplainerName;
  del: Record<string, number>;
  delStdErr: Record<string, number>;
  /** Baselines only: paired DEL@k(shares) − DEL@k(this explainer) over the same pairs, with its standard error. */
  sharesMinus?: Record<string, number>;
  sharesMinusStdErr?: Record<string, number>;
}

/** results.json of `bench explanations`. */
export interface ExplanationsResults extends ResultsBase {
  /** The model explained, in words (the config has its settings). */
  model: string;
  users: number;
  pairs: number;
  /** max |bias + Σ shares − score| over every (user, item) pair. */
  maxShareGap: number;
  /** The same gap in float32 ulps of the pair's score, and whether it is within SHARE_GAP_TOLERANCE_ULPS. */
  maxShareGapFloat32Ulps: number;
  shareGapWithinFloat32: boolean;
  counterfactualMeanAbsGap: number;
  counterfactualRankCorrelation: number;
  counterfactualMeanShare: number;
  counterfactualMeanChange: number;
  rows: ExplanationsRow[];
  /** Per k: whether the shares' DEL@k is larger than both baselines'. */
  sharesBeatBaselines: Record<string, boolean>;
  /** Why a rank falls or not: the first removal's drop of the item's score and of its top-K rivals', per explainer. */
  firstRemoval: Record<ExplainerName, { itemScoreDrop: number; rivalScoreDrop: number }>;
  /** Fraction of pairs where shares and cosine name the same first history item. */
  firstItemAgreementSharesCosine: number;
}

const byK = (values: readonly number[]): Record<string, number> => Object.fromEntries(values.map((v, j) => [String(j + 1), v]));

/** Run the experiment, write results.json and report.html into `out`, and return the results. */
export async function runExplanations(o: ExplanationsOptions): Promise<ExplanationsResults> {
  const log = o.log ?? (() => {});
  const shards = o.shards ?? 1;
  const t0 = performance.now();
  const { train } = leaveOneOutSplit(o.data);
  const config: ImplicitTrainConfig = { ...IMPLICIT_DEFAULTS, ...o.train, seed: o.seed };

  const trainBar = startProgress(`training ${shards} shard${shards === 1 ? '' : 's'}`, shards);
  const { served, shardUsers } = trainShardedServed(train, config, shards, (s) => trainBar.update(s));
  trainBar.stop();
  const tTrained = performance.now();

  const histories = buildHistories(train).byUser;
  const eligible = histories.flatMap((history, user) => (new Set(history.items).size >= MAX_REMOVED ? [{ user, history }] : []));
  if (eligible.length === 0) throw new Error(`no user has ${MAX_REMOVED} or more training items`);
  const wanted = Math.min(o.users ?? eligible.length, eligible.length);
  if (o.users !== undefined && o.users > eligible.length) log(`--users ${o.users}: only ${eligible.length} users have ${MAX_REMOVED}+ training items; using all of them`);
  const sample: SampledUser[] = shuffleInPlace([...eligible], createRng(o.seed).fork('explanations/users')).slice(0, wanted).sort((a, b) => a.user - b.user);

  const bar = startProgress('explaining', sample.length);
  const m = measureFaithfulness(served, sample, { topK: TOP_K, maxRemoved: MAX_REMOVED, seed: o.seed, onUser: (done) => bar.update(done) });
  bar.stop();
  const tMeasured = performance.now();

  const rows: ExplanationsRow[] = EXPLAINERS.map((explainer) => ({
    explainer,
    del: byK(m.del[explainer].mean),
    delStdErr: byK(m.del[explainer].stdErr),
    ...(explainer !== 'shares' && { sharesMinus: byK(m.sharesMinus[explainer].mean), sharesMinusStdErr: byK(m.sharesMinus[explainer].stdErr) }),
  }));
  const model = `implicit MF (weighted ALS, Hu et al. 2008) + item bias, trained on the leave-one-out training split; ${shards === 1 ? 'one shard' : `${shards} user shards (seeded hash), served score = mean of the shards' scores`}; served through prepareServedTables/recommend`;
  const results: ExplanationsResults = {
    experiment: 'explanations',
    dataset: datasetSummary(o.data),
    protocol: `top ${TOP_K} of recommend (history hidden) per user; histories = leave-one-out training split`,
    config: { ...config, model: 'implicit ALS', shards, shardUsers, usersEligible: eligible.length, users: sample.length, topK: TOP_K, maxRemoved: MAX_REMOVED, shareGapToleranceUlps: SHARE_GAP_TOLERANCE_ULPS, resolves: m.resolves },
    backend: o.backend,
    timings: { train: (tTrained - t0) / 1000, measure: (tMeasured - tTrained) / 1000, total: (tMeasured - t0) / 1000 },
    model,
    users: m.users,
    pairs: m.pairs,
    maxShareGap: m.maxShareGap,
    maxShareGapFloat32Ulps: m.maxShareGapFloat32Ulps,
    shareGapWithinFloat32: m.maxShareGapFloat32Ulps <= SHARE_GAP_TOLERANCE_ULPS,
    counterfactualMeanAbsGap: m.counterfactual.meanAbsGap,
    counterfactualRankCorrelation: m.counterfactual.rankCorrelation,
    counterfactualMeanShare: m.counterfactual.meanShare,
    counterfactualMeanChange: m.counterfactual.meanChange,
    rows,
    sharesBeatBaselines: Object.fromEntries(m.del.shares.mean.map((v, j) => [String(j + 1), v > m.del.random.mean[j]! && v > m.del.cosine.mean[j]!])),
    firstRemoval: m.firstRemoval,
    firstItemAgreementSharesCosine: m.firstItemAgreementSharesCosine,
  };
  await writeResults(o.out, results);
  await writeExplanationsReport(path.join(o.out, 'report.html'), results);
  return results;
}
