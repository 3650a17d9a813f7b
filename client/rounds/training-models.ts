// The training models a device (or a fleet of simulated devices in one process) downloads for rounds: fetched
// once per invited hash (concurrent asks share one download), checked against the invitation's SHA-256, and the
// older version of a shard released when a newer one arrives.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DeviceAbort } from '../../shared/secagg/abort';
import { decodeModel } from '../../models/serialize';
import { prepareTable, type PreparedTable } from '../../models/local-update';
import { createApi } from '../core/api';

/** Where training models come from. */
export interface TrainingModels {
  /** The prepared model of `shard` whose SHA-256 is `hash`; throws DeviceAbort('abort.model_mismatch') for other bytes. */
  get(shard: number, hash: Uint8Array): Promise<PreparedTable>;
}

/** A cache over GET /v1/shards/:shard/model. */
export function createTrainingModels(o: { baseUrl: string; fetch: typeof globalThis.fetch }): TrainingModels {
  // Through the API client, so a rate-limited download waits as the server asks instead of failing the round.
  const api = createApi(o);
  const byShard = new Map<number, { hash: string; prepared: Promise<PreparedTable> }>();
  return {
    get(shard, hash) {
      const hex = bytesToHex(hash);
      const cached = byShard.get(shard);
      if (cached?.hash === hex) return cached.prepared;
      const prepared = (async () => {
        const response = await api.request(`/v1/shards/${shard}/model`);
        if (!response.ok) throw new Error(`model download failed: HTTP ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        // One model for everyone in a round (Pasquini et al. 2022): train only on the version whose hash was invited.
        if (bytesToHex(sha256(bytes)) !== hex) throw new DeviceAbort('abort.model_mismatch', 'the downloaded model does not match the hash in the invitation');
        return prepareTable(decodeModel(bytes));
      })();
      byShard.set(shard, { hash: hex, prepared });
      // A failed download is not cached; a replaced version is released once it is no longer the shard's.
      prepared.catch(() => byShard.get(shard)?.prepared === prepared && byShard.delete(shard));
      void cached?.prepared.then((p) => p.dispose(), () => {});
      return prepared;
    },
  };
}
