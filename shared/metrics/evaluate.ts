// Evaluators that take scoring callbacks, so every model (and ItemPop) is measured by the same code.
import type { InteractionData } from '../data/interactions';
import { checkK, hitAtK, ndcgAtK, ndcgOneAtK, rankOfTarget, recallAtK, topK } from './ranking';
import { touchedItems } from './sampling';

/** Scores as models produce them, one per item asked about. */
export type Scores = Float32Array | Float64Array;
/** Scores of a user's candidate items, in the order given. */
export type CandidateScorer = (user: number, items: Int32Array) => Scores;
/** Scores of every item (length = items) for a user. */
export type FullScorer = (user: number) => Scores;

/** Leave-one-out averages keyed with the K used (e.g. 'HR@10'), and how many users were evaluated. */
export type LeaveOneOutResult<K extends number = 10> = { [P in `HR@${K}` | `NDCG@${K}`]: number } & { users: number };
/** Full-ranking averages keyed with the K used (e.g. 'Recall@20'), and how many users were evaluated. */
export type FullRankingResult<K extends number = 20> = { [P in `Recall@${K}` | `NDCG@${K}`]: number } & { users: number };

function checkScores(scores: Scores, expected: number, user: number, what: string): void {
  if (scores.length !== expected) throw new RangeError(`${what} returned ${scores.length} scores for user ${user}, expected ${expected}`);
}

/**
 * Leave-one-out (He et al. 2017): each user's held-out item is ranked among that user's sampled negatives
 * (see rankOfTarget for ties); HR@K and NDCG@K are averaged over the users with a test item.
 */
export function evaluateLeaveOneOut<K extends number = 10>(options: { test: InteractionData; negatives: readonly Int32Array[]; score: CandidateScorer; k?: K }): LeaveOneOutResult<K> {
  const { test, negatives, score } = options;
  const k: number = options.k ?? 10;
  checkK(k);
  const evaluated = new Set<number>();
  let hr = 0;
  let ndcg = 0;
  for (let r = 0; r < test.user.length; r++) {
    const u = test.user[r]!;
    // A second test row would silently turn "users" into "interactions" and reuse one negative sample.
    if (evaluated.has(u)) throw new RangeError(`test has more than one interaction for user ${u}; leave-one-out holds out one (use evaluateFullRanking for larger holdouts)`);
    evaluated.add(u);
    const negs = negatives[u];
    if (!negs) throw new RangeError(`negatives has no list for user ${u}`);
    const candidates = new Int32Array(negs.length + 1);
    candidates[0] = test.item[r]!;
    candidates.set(negs, 1);
    const scores = score(u, candidates);
    checkScores(scores, candidates.length, u, 'score');
    const rank = rankOfTarget(scores[0]!, scores.subarray(1));
    hr += hitAtK(rank, k);
    ndcg += ndcgOneAtK(rank, k);
  }
  const users = evaluated.size;
  return { [`HR@${k}`]: users ? hr / users : 0, [`NDCG@${k}`]: users ? ndcg / users : 0, users } as LeaveOneOutResult<K>;
}

/** Each user's top-K items among those not in their training data, best first (ties: lower item id). */
export function topKLists(train: InteractionData, scoreAll: FullScorer, k: number): Int32Array[] {
  checkK(k);
  const seen = touchedItems(train);
  return Array.from({ length: train.users }, (_, u) => {
    const scores = scoreAll(u);
    checkScores(scores, train.items, u, 'scoreAll');
    return topK(scores, k, seen[u]);
  });
}

/**
 * Full ranking over every item not in the user's training data: Recall@K and NDCG@K (binary relevance,
 * relevant = the user's test items), averaged over users with at least one test item.
 */
export function evaluateFullRanking<K extends number = 20>(options: { train: InteractionData; test: InteractionData; scoreAll: FullScorer; k?: K }): FullRankingResult<K> {
  const { train, test, scoreAll } = options;
  const k: number = options.k ?? 20;
  checkK(k);
  if (train.users !== test.users || train.items !== test.items) {
    throw new RangeError(`train (${train.users} users, ${train.items} items) and test (${test.users} users, ${test.items} items) must share one id space`);
  }
  const seen = touchedItems(train);
  const relevant = touchedItems(test);
  let recall = 0;
  let ndcg = 0;
  let users = 0;
  for (let u = 0; u < train.users; u++) {
    const rel = relevant[u]!;
    if (rel.size === 0) continue;
    const scores = scoreAll(u);
    checkScores(scores, train.items, u, 'scoreAll');
    const list = topK(scores, k, seen[u]);
    recall += recallAtK(list, rel);
    ndcg += ndcgAtK(list, rel, k);
    users++;
  }
  return { [`Recall@${k}`]: users ? recall / users : 0, [`NDCG@${k}`]: users ? ndcg / users : 0, users } as FullRankingResult<K>;
}
