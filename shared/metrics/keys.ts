// The metric names used in results.json and reports, exactly as the benchmark contract spells them.

export const METRIC_KEYS = ['HR@10', 'NDCG@10', 'Recall@20', 'NDCG@20', 'RMSE', 'coverage@10', 'diversity@10', 'novelty@10'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
/** Metrics an experiment computed (those its protocol defines). */
export type Metrics = Partial<Record<MetricKey, number>>;
