// The served model in memory, ready to score: the latest model version decoded once, with each shard's Gram,
// the unit item vectors for similarity and the served biases. Requests ask for it; it reloads when the store has a newer version.
import { decodeServedFile } from '../../models/served-file';
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
}

/** A cache of the latest served model. */
export interface ServedModelCache {
  /** The latest version, prepared (undefined before the store has one). */
  current(): Promise<ServedModel | undefined>;
}

/** Prepare a served file for scoring. */
export function prepareServedModel(ref: ModelRef, file: Uint8Array): ServedModel {
  const models = decodeServedFile(file);
  const tables = prepareServedTables(models[0]!.params, models.map((m) => m.table));
  return { ref, tables, similarity: similarityIndex(tables), biases: servedBiases(tables) };
}

/** Keep the latest version prepared; a version change costs one decode, a check costs one small query. */
export function createServedModelCache(store: Store): ServedModelCache {
  let cached: ServedModel | undefined;
  let loading: Promise<ServedModel | undefined> | undefined;
  const load = async (): Promise<ServedModel | undefined> => {
    const model = await store.latestModel();
    if (!model) return undefined;
    cached = prepareServedModel({ version: model.version, sha256: model.sha256 }, model.data);
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
