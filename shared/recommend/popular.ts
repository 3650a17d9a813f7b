// Popular items from what the server may legitimately know: the aggregated model's item biases (the mean over
// shards), never anyone's upload or request. An item's bias is the part of its score no history explains.
import type { ServedTables } from './recommend';
import { topK } from './top-k';

/** What `popularItems` ranks by, in words (the answer of GET /v1/popular says so). */
export const POPULARITY_BASIS = 'item biases of the aggregated model (the part of each score that no history explains), averaged over shards; computed from the secure sums of training rounds only, never from individual uploads or requests';

/** Every item's served bias: the mean of its bias over the shards. */
export function servedBiases(served: ServedTables): Float64Array {
  const { items } = served.shards[0]!;
  const out = new Float64Array(items);
  for (const t of served.shards) for (let i = 0; i < items; i++) out[i]! += t.biases[i]! / served.shards.length;
  return out;
}

/** The k items with the largest served bias among those `keep` admits, largest first (ties by index). */
export function popularItems(biases: Float64Array, k: number, keep: (item: number) => boolean = () => true): { item: number; score: number }[] {
  const blocked = new Uint8Array(biases.length);
  for (let i = 0; i < biases.length; i++) if (!keep(i)) blocked[i] = 1;
  return topK(biases, k, blocked).map((item) => ({ item, score: biases[item]! }));
}
