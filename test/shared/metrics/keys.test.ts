// The metric keys are exactly the benchmark contract's, at the type level and at run time.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { METRIC_KEYS, type MetricKey, type Metrics } from '../../../shared/metrics';

describe('metric keys', () => {
  it('are exactly the eight keys the reports use', () => {
    expect([...METRIC_KEYS]).toEqual(['HR@10', 'NDCG@10', 'Recall@20', 'NDCG@20', 'RMSE', 'coverage@10', 'diversity@10', 'novelty@10']);
    expectTypeOf<MetricKey>().toEqualTypeOf<'HR@10' | 'NDCG@10' | 'Recall@20' | 'NDCG@20' | 'RMSE' | 'coverage@10' | 'diversity@10' | 'novelty@10'>();
    expectTypeOf<Metrics>().toEqualTypeOf<Partial<Record<MetricKey, number>>>();
  });
});
