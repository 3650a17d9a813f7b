// Evaluators that take scoring callbacks, so every model (and ItemPop) is measured by the same code.
import type { InteractionData } from '../data/interactions';
import { hitAtK, ndcgAtK, ndcgOneAtK, rankOfTarget, recallAtK, topK } from './ranking';

/** Scores of a user's candidate items. */
export type CandidateScorer = (user: number, items: Int32Array) => ArrayLike<number>;
/** Scores of every item for a user. */
export type FullScorer = (user: number) => ArrayLike<number>;

function itemsByUser(data: InteractionData): Set<number>[] {
  const out = Array.from({ length: data.users }, () => new Set<number>());
  for (let r = 0; r < data.user.length; r++) out[data.user[r]!]!.add(data.item[r]!);
  return out;
}

/**
 * Leave-one-out (He et al. 2017): each user's held-out item ranked among its sampled negatives;
 * HR@K and NDCG@K averaged over users with a test item.
 */
export function evaluateLeaveOneOut(options: { test: InteractionData; negatives: Int32Array[]; score: CandidateScorer; k?: number }): Record<string, number> & { users: number } {
  const k = options.k ?? 10;
  let hr = 0;
  let ndcg = 0;
  let users = 0;
  for (let r = 0; r < options.test.user.length; r++) {
    const u = options.test.user[r]!;
    const negs = options.negatives[u];
    if (!negs) throw new RangeError(`no negatives for user ${u}`);
    const candidates = new Int32Array(negs.length + 1);
    candidates[0] = options.test.item[r]!;
    candidates.set(negs, 1);
    const scores = options.score(u, candidates);
    if (scores.length !== candidates.length) throw new RangeError(`scorer returned ${scores.length} scores for ${candidates.length} candidates`);
    const rank = rankOfTarget(scores[0]!, Array.prototype.slice.call(scores, 1) as number[]);
    hr += hitAtK(rank, k);
    ndcg += ndcgOneAtK(rank, k);
    users++;
  }
  return { [`HR@${k}`]: users ? hr / users : 0, [`NDCG@${k}`]: users ? ndcg / users : 0, users };
}

/** Top-K lists of every user over the items not in their training data. */
export function topKLists(train: InteractionData, scoreAll: FullScorer, k: number): Int32Array[] {
  const seen = itemsByUser(train);
  return Array.from({ length: train.users }, (_, u) => topK(scoreAll(u), k, seen[u]));
}

/** Full ranking over all items not in the user's training data: Recall@K and NDCG@K over users with test items. */
export function evaluateFullRanking(options: { train: InteractionData; test: InteractionData; scoreAll: FullScorer; k?: number }): Record<string, number> & { users: number } {
  const k = options.k ?? 20;
  const seen = itemsByUser(options.train);
  const relevant = itemsByUser(options.test);
  let recall = 0;
  let ndcg = 0;
  let users = 0;
  for (let u = 0; u < options.train.users; u++) {
    const rel = relevant[u]!;
    if (rel.size === 0) continue;
    const list = topK(options.scoreAll(u), k, seen[u]);
    recall += recallAtK(list, rel);
    ndcg += ndcgAtK(list, rel, k);
    users++;
  }
  return { [`Recall@${k}`]: users ? recall / users : 0, [`NDCG@${k}`]: users ? ndcg / users : 0, users };
}
