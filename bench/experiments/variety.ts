// The variety experiment: what the app's Variety control (calibrated re-ranking, Steck 2018: client/recommend/
// variety.ts) trades. Leave-one-out on the training split with 99 sampled negatives (He et al. 2017): each user's
// candidates (the held-out item and the negatives) are scored by the shared recommender over the centralized
// implicit ALS model (the `centralized` defaults), then re-ranked at each level into a top 10.
//   HR@10           — the held-out item is in the list;
//   ild             — intra-list diversity by category (Jaccard distance, Ziegler et al. 2005);
//   coverage        — distinct listed items / catalogue;
//   miscalibration  — KL(p ‖ q̃) between the user's category mix (training history) and the list's (Steck 2018).
import type { InteractionData } from '../../shared/data/interactions';
import { coverageAtK, intraListDiversityByCategory, leaveOneOutSplit, sampleNegatives } from '../../shared/metrics';
import { prepareServedTables, recommend } from '../../shared/recommend/recommend';
import { IMPLICIT_DEFAULTS, trainImplicit } from '../../models/mf/implicit-als';
import { buildHistories } from '../../models/mf/histories';
import { calibrate, categoryMix, DEFAULT_VARIETY, miscalibration } from '../../client/recommend/variety';
import { datasetSummary } from './evaluation';
import { writeResults, type ResultsBase } from '../results';

/** The list length the app shows and the metrics use. */
export const LIST_SIZE = 10;
/** Negatives per user (leave-one-out protocol). */
export const NEGATIVES = 99;
/** The levels measured by default. */
export const DEFAULT_LEVELS = [0, 0.25, 0.5, 0.75, 1];

/** One level's row of results.json. */
export interface VarietyRow {
  level: number;
  /** True for the app's default level. */
  default: boolean;
  metrics: { 'HR@10': number; ild: number; coverage: number; miscalibration: number };
}

/** results.json of `bench variety`. */
export interface VarietyResults extends ResultsBase {
  users: number;
  rows: VarietyRow[];
  /** The bar at the default level against level 0: miscalibration at least halved, HR@10 within 5%. */
  check: { miscalibrationRatio: number; hrRatio: number; passes: boolean } | null;
}

/** Options of the experiment. */
export interface VarietyOptions {
  data: InteractionData;
  levels: readonly number[];
  seed: number;
  out: string;
  backend: string;
  /** Training settings over the centralized defaults (tests use a small, fast model). */
  epochs?: number;
  log?: (line: string) => void;
}

/** Run the experiment, write results.json into `out`, and return the results. */
export async function runVariety(o: VarietyOptions): Promise<VarietyResults> {
  if (!o.data.itemMeta) throw new Error(`the dataset ${o.data.name} has no item categories: variety needs them (use a MovieLens folder or file with its movies)`);
  for (const level of o.levels) if (!(level >= 0 && level <= 1)) throw new Error(`--levels: each level must be in [0, 1], got ${level}`);
  const log = o.log ?? (() => {});
  const started = performance.now();
  const { train, test } = leaveOneOutSplit(o.data);
  const config = { ...IMPLICIT_DEFAULTS, ...(o.epochs !== undefined && { epochs: o.epochs }), seed: o.seed };
  log(`training implicit ALS (k=${config.dim}, λ=${config.lambda}, α=${config.alpha}, ${config.epochs} epochs) on the leave-one-out training split`);
  const model = trainImplicit(train, config);
  const trained = performance.now();
  const served = prepareServedTables(model.params, [model.table]);
  const negatives = sampleNegatives(o.data, test, { count: NEGATIVES, seed: o.seed });
  const categories = o.data.itemMeta.map((m) => m.categories);
  const heldOut = new Int32Array(o.data.users).fill(-1);
  for (let r = 0; r < test.user.length; r++) heldOut[test.user[r]!] = test.item[r]!;
  const histories = buildHistories(train).byUser;

  const lists = o.levels.map(() => [] as Int32Array[]);
  const hits = o.levels.map(() => 0);
  const kl = o.levels.map(() => 0);
  let users = 0;
  for (let u = 0; u < o.data.users; u++) {
    const target = heldOut[u]!;
    const h = histories[u]!;
    if (target < 0 || h.items.length === 0) continue;
    users++;
    const candidates = new Set<number>([target, ...negatives[u]!]);
    const history = { items: h.items, values: h.values };
    // The app's path: the shared recommender's scores, restricted to the candidates, then the re-ranker.
    const pool = recommend(served, { history, k: candidates.size, hidden: (i) => !candidates.has(i) });
    const person = categoryMix(Array.from(h.items, (item, n) => ({ categories: categories[item]!, weight: h.values[n]! })));
    o.levels.forEach((level, l) => {
      const picks = calibrate(pool.map((r) => ({ item: r.item, score: r.score, categories: categories[r.item]! })), person, LIST_SIZE, level);
      const list = Int32Array.from(picks, (p) => p.item);
      lists[l]!.push(list);
      if (list.includes(target)) hits[l]!++;
      kl[l]! += miscalibration(person, categoryMix(picks.map((p) => ({ categories: categories[p.item]!, weight: 1 }))));
    });
  }
  const rows: VarietyRow[] = o.levels.map((level, l) => ({
    level,
    default: level === DEFAULT_VARIETY,
    metrics: { 'HR@10': hits[l]! / users, ild: intraListDiversityByCategory(lists[l]!, categories), coverage: coverageAtK(lists[l]!, o.data.items), miscalibration: kl[l]! / users },
  }));
  const base = rows.find((r) => r.level === 0);
  const chosen = rows.find((r) => r.default);
  const check = base && chosen ? { miscalibrationRatio: chosen.metrics.miscalibration / base.metrics.miscalibration, hrRatio: chosen.metrics['HR@10'] / base.metrics['HR@10'], passes: false } : null;
  if (check) check.passes = check.miscalibrationRatio <= 0.5 && check.hrRatio >= 0.95;
  const results: VarietyResults = {
    experiment: 'variety',
    dataset: datasetSummary(o.data),
    protocol: `leave-one-out, ${NEGATIVES} sampled negatives, top ${LIST_SIZE} re-ranked from the ${NEGATIVES + 1} candidates`,
    config: { model: 'implicit ALS (centralized defaults)', ...config, levels: [...o.levels], defaultLevel: DEFAULT_VARIETY, reranker: 'calibration (Steck 2018), greedy, scores scaled to [0, 1] within the pool' },
    backend: o.backend,
    timings: { train: (trained - started) / 1000, total: (performance.now() - started) / 1000 },
    users,
    rows,
    check,
  };
  await writeResults(o.out, results);
  return results;
}
