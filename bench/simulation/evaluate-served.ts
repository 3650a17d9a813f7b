// Evaluating the served model as it is served: the mean of its shards' scores, each user's vector re-solved per
// shard from their training data exactly as a device would (shared/recommend/recommend.ts scores the same way).
import type { InteractionData } from '../../shared/data/interactions';
import { evaluateFullRanking, evaluateLeaveOneOut, type CandidateScorer, type Metrics } from '../../shared/metrics';
import type { MfModel } from '../../models/mf/model';
import { denseScorer, scorePair, solveUsers } from '../../models/mf/scoring';

/** A scorer over the served shards: score(u, items) for sampled candidates, scoreAll(u) for full ranking. */
export function servedScorer(models: readonly MfModel[], train: InteractionData): { score: CandidateScorer; scoreAll: (u: number) => Float64Array } {
  const users = models.map((m) => solveUsers(m, train));
  const dense = models.map((m, s) => denseScorer(m, users[s]!));
  const S = models.length;
  return {
    score: (u, items) => Float64Array.from(items, (i: number) => models.reduce((acc, m, s) => acc + scorePair(m, users[s]!, u, i), 0) / S),
    scoreAll: (u) => {
      const out = Float64Array.from(dense[0]!(u));
      for (let s = 1; s < S; s++) {
        const x = dense[s]!(u);
        for (let i = 0; i < out.length; i++) out[i]! += x[i]!;
      }
      if (S > 1) for (let i = 0; i < out.length; i++) out[i]! /= S;
      return out;
    },
  };
}

/** HR@10/NDCG@10 (leave-one-out with sampled negatives) or Recall@20/NDCG@20 (full ranking) of the served shards. */
export function evaluateServed(models: readonly MfModel[], split: { train: InteractionData; test: Parameters<typeof evaluateLeaveOneOut>[0]['test'] }, negatives: Parameters<typeof evaluateLeaveOneOut>[0]['negatives'] | undefined): Metrics {
  const scorer = servedScorer(models, split.train);
  const m = negatives
    ? evaluateLeaveOneOut({ test: split.test, negatives, score: scorer.score, k: 10 })
    : evaluateFullRanking({ train: split.train, test: split.test, scoreAll: scorer.scoreAll, k: 20 });
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (k !== 'users') out[k] = v as number;
  return out as Metrics;
}
