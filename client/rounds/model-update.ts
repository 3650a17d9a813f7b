// The device's contribution to a round: fetch the invited model version, check its hash, train locally, flatten.
import { sha256 } from '@noble/hashes/sha2.js';
import type { History } from '../../shared/model/reconstruct';
import { DeviceAbort } from '../../shared/secagg/abort';
import { decodeModel } from '../../models/serialize';
import { localUpdate, prepareTable, type PreparedTable } from '../../models/local-update';
import { flattenUpdate } from '../../models/federated/update-vector';
import type { Invitation } from './participant';

/** Options of the update computation. */
export interface UpdateComputerOptions {
  /** Base URL of the server's HTTP API (e.g. http://127.0.0.1:8080). */
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  /** The history the owner allows for training (read at each round, so a permission change applies at once). */
  history(): Promise<History> | History;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, n) => x === b[n]);
}

/** A computeUpdate function for the participant; keeps the last training model in memory. */
export function createUpdateComputer(o: UpdateComputerOptions): (invitation: Invitation) => Promise<Float32Array> {
  let cached: { hash: Uint8Array; prepared: PreparedTable } | undefined;
  return async (invitation) => {
    if (!cached || !sameBytes(cached.hash, invitation.modelHash)) {
      const response = await o.fetch(`${o.baseUrl}/v1/shards/${invitation.shard}/model`);
      if (!response.ok) throw new Error(`model download failed: HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      // One model for everyone in a round (Pasquini et al. 2022): train only on the version whose hash was invited.
      if (!sameBytes(sha256(bytes), invitation.modelHash)) throw new DeviceAbort('abort.model_mismatch', 'the downloaded model does not match the hash in the invitation');
      cached?.prepared.dispose();
      cached = { hash: invitation.modelHash, prepared: prepareTable(decodeModel(bytes)) };
    }
    const { table } = cached.prepared.model;
    const update = localUpdate(cached.prepared, await o.history(), { epochs: invitation.config.localEpochs, learningRate: invitation.config.localLearningRate });
    return flattenUpdate(update, { items: table.items, dim: table.dim });
  };
}
