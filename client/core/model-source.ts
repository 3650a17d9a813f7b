// Where the app's model work happens: download, hash check and decoding of a model file (several megabytes of
// SHA-256 and parsing) — in a worker in the browser so the page never stalls, or in-thread (tests, Node).
import type { MfModel } from '../../models/mf/model';
import type { Api } from './api';
import { decodeModelFile, fetchLatestModel, type StoredModel } from './model';

/** A fetched or decoded model: the file as kept, and its shard models. */
export interface DecodedModel {
  stored: StoredModel;
  shards: MfModel[];
}

/** The model work the controller needs. */
export interface ModelSource {
  /** The latest model unless `current` is it; throws OfflineError or ModelRefusedError like fetchLatestModel. */
  fetchLatest(current: { sha256: string } | undefined): Promise<DecodedModel | undefined>;
  /** Decode a kept file; throws ModelRefusedError. */
  decode(stored: StoredModel): Promise<DecodedModel>;
}

/** The work done on the calling thread. */
export function inThreadModelSource(api: Api, now: () => number = Date.now): ModelSource {
  return {
    async fetchLatest(current) {
      const stored = await fetchLatestModel(api, current, now);
      return stored && { stored, shards: decodeModelFile(stored.bytes) };
    },
    decode: async (stored) => ({ stored, shards: decodeModelFile(stored.bytes) }),
  };
}
