// The served model in memory, ready to score: the latest model version decoded once, with each shard's Gram,
// the unit item vectors for similarity and the served biases. Requests ask for it; it reloads when the store has a newer version.
import { decodeModel } from '../../models/serialize';
import { checkSameShape, servedShards } from '../../models/served-file';
import type { MfModel } from '../../models/mf/model';
import type { ModelRef } from '../../shared/protocol/http';
import { prepareServedTables, type ServedTables } from '../../shared/recommend/recommend';
import { similarityIndex, type SimilarityIndex } from '../../shared/recommend/similar';
import { servedBiases } from '../../shared/recommend/popular';
import type { Store } from '../store/store';

/** One model version, prepared for serving. */
export interface ServedModel {
  ref: ModelRef;
  tables: ServedTables;
  similarity: SimilarityIndex;
  biases: Float64Array;
  /** Each shard file's SHA-256, in shard order: a later version reuses the shards whose file is unchanged. */
  shardSha256: string[];
}

/** A cache of the latest served model. */
export interface ServedModelCache {
  /** The latest version, prepared (undefined before the store has one). */
  current(): Promise<ServedModel | undefined>;
}

/**
 * Prepare a served file for scoring. Given the version served before, shards whose file has the same SHA-256 keep
 * their decoded table and Gram: a deletion or a round changes one shard, and re-deriving the other S − 1 was most of
 * the time from a deletion's receipt to its model being served.
 */
export function prepareServedModel(ref: ModelRef, file: Uint8Array, previous?: ServedModel): ServedModel {
  const parts = servedShards(file);
  const same = (s: number) => previous !== undefined && previous.shardSha256[s] === parts[s]!.sha256;
  const models: MfModel[] = parts.map((p, s) => (same(s) ? { params: previous!.tables.params, table: previous!.tables.shards[s]! } : decodeModel(p.file)));
  checkSameShape(models);
  const tables = prepareServedTables(models[0]!.params, models.map((m) => m.table), (s) => (same(s) ? { gram: previous!.tables.grams[s]!, wide: previous!.tables.wide[s]! } : undefined));
  return { ref, tables, similarity: similarityIndex(tables), biases: servedBiases(tables), shardSha256: parts.map((p) => p.sha256) };
}

/** Keep the latest version prepared; a version change costs one decode, a check costs one small query. */
export function createServedModelCache(store: Store): ServedModelCache {
  let cached: ServedModel | undefined;
  let loading: Promise<ServedModel | undefined> | undefined;
  const load = async (): Promise<ServedModel | undefined> => {
    const model = await store.latestModel();
    if (!model) return undefined;
    cached = prepareServedModel({ version: model.version, sha256: model.sha256 }, model.data, cached);
    return cached;
  };
  return {
    async current() {
      const info = await store.latestModelInfo();
      if (!info) return undefined;
      if (cached?.ref.version === info.version) return cached;
      // One load at a time: concurrent requests during a version change share it.
      loading ??= load().finally(() => {
        loading = undefined;
      });
      return loading;
    },
  };
}
