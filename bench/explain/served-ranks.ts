// Served scores of every item for many re-solved histories at once, and an item's rank among candidates.
//
// This is the served ranking (`recommend`'s scoreAll) batched over histories, with the same arithmetic in the
// same order, so its scores equal the served ones bit for bit (the benchmark checks that on every user):
//   score_i = Σ_s (1/S) · (b_si + (μ + u_s0) + Σ_a v_sia · u_sa)   (μ and the user bias u_s0 for ratings only)
// with the dot product as the served scorer's four running sums. Batching reuses the buffers across histories.
import type { UserSystem } from '../../shared/model/reconstruct';
import type { ServedTables } from '../../shared/recommend/recommend';

/** Scores histories' solved systems over the whole catalogue, reusing its buffers from call to call. */
export interface ServedBatchScorer {
  /**
   * Score every item for each entry of `systems` (one entry per history: its per-shard systems, as `solveShards`
   * returns them). Row b of the result holds items [b·items, (b+1)·items); it is overwritten by the next call.
   */
  score(systems: readonly (readonly UserSystem[])[]): Float64Array;
}

/** A batch scorer for one served model. */
export function createServedBatchScorer(served: ServedTables): ServedBatchScorer {
  const { items, dim } = served.shards[0]!;
  const S = served.shards.length;
  const inv = 1 / S;
  const mu = served.params.kind === 'explicit' ? served.params.globalMean : 0;
  let capacity = 0;
  let users = new Float64Array(0); // B × dim, one shard's user vectors
  let userBias = new Float64Array(0);
  let scores = new Float64Array(0); // B × items
  return {
    score(systems) {
      const B = systems.length;
      if (B > capacity) {
        capacity = Math.max(B, 2 * capacity);
        users = new Float64Array(capacity * dim);
        userBias = new Float64Array(capacity);
        scores = new Float64Array(capacity * items);
      }
      scores.fill(0, 0, B * items);
      for (let s = 0; s < S; s++) {
        const table = served.shards[s]!;
        for (let b = 0; b < B; b++) {
          const system = systems[b]![s]!;
          const o = system.intercept ? 1 : 0;
          if (system.size !== dim + o) throw new RangeError(`history ${b}, shard ${s}: system size ${system.size} does not fit dim ${dim}`);
          userBias[b] = system.intercept ? system.vector[0]! : 0;
          for (let a = 0; a < dim; a++) users[b * dim + a] = system.vector[o + a]!;
        }
        addShardScores(table.vectors, table.biases, mu, users, userBias, B, items, dim, inv, scores);
      }
      return scores;
    },
  };
}

/**
 * scores[b·items + i] += inv · (b_i + (μ + ub_b) + ((p0 + p1) + p2) + p3), where p_j sums v_ia · u_ba over a ≡ j (mod 4)
 * (the remainder of dim / 4 going to p0): the served scorer's four running sums, in its order.
 */
function addShardScores(
  vectors: Float32Array,
  biases: Float32Array,
  mu: number,
  users: Float64Array,
  userBias: Float64Array,
  B: number,
  items: number,
  dim: number,
  inv: number,
  scores: Float64Array,
): void {
  const whole = dim - (dim % 4);
  for (let b = 0; b < B; b++) {
    const uo = b * dim;
    const offset = mu + userBias[b]!;
    const row = b * items;
    for (let i = 0, vo = 0; i < items; i++, vo += dim) {
      let x0 = 0;
      let x1 = 0;
      let x2 = 0;
      let x3 = 0;
      let a = 0;
      for (; a < whole; a += 4) {
        x0 += vectors[vo + a]! * users[uo + a]!;
        x1 += vectors[vo + a + 1]! * users[uo + a + 1]!;
        x2 += vectors[vo + a + 2]! * users[uo + a + 2]!;
        x3 += vectors[vo + a + 3]! * users[uo + a + 3]!;
      }
      for (; a < dim; a++) x0 += vectors[vo + a]! * users[uo + a]!;
      scores[row + i]! += inv * (biases[i]! + offset + (x0 + x1 + x2 + x3));
    }
  }
}

/**
 * 1-based rank of `item` among the candidates in row `row` of a batch's scores, in the served order
 * (score descending, ties by item id ascending): 1 + the candidates ranked before it.
 */
export function rankAmong(scores: Float64Array, row: number, items: number, item: number, isCandidate: Uint8Array): number {
  const base = row * items;
  const s = scores[base + item]!;
  let rank = 1;
  for (let c = 0; c < items; c++) {
    if (isCandidate[c] === 0 || c === item) continue;
    const sc = scores[base + c]!;
    if (sc > s || (sc === s && c < item)) rank++;
  }
  return rank;
}
