// Public API of the evaluation metrics: splits, negative sampling, evaluators, ranking/rating/beyond-accuracy metrics.
export { METRIC_KEYS, type MetricKey, type Metrics } from './keys';
export { kFoldSplits, leaveOneOutSplit, perUserHoldoutSplit, randomSplit, subset, type Split } from './splits';
export { sampleNegatives, touchedItems } from './sampling';
export { hitAtK, ndcgAtK, ndcgOneAtK, rankOfTarget, recallAtK, topK } from './ranking';
export {
  evaluateFullRanking,
  evaluateLeaveOneOut,
  topKLists,
  type CandidateScorer,
  type FullRankingResult,
  type FullScorer,
  type LeaveOneOutResult,
  type Scores,
} from './evaluate';
export { evaluateRmse, rmse } from './rating';
export { coverageAtK, intraListDiversityByCategory, intraListDiversityByEmbedding, noveltyAtK } from './beyond';
export { itemPopScorer, itemPopularity } from './itempop';
