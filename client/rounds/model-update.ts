// The device's contribution to a round: fetch the invited model version, check its hash, train locally, flatten.
import type { History } from '../../shared/model/reconstruct';
import { localUpdate } from '../../models/local-update';
import { flattenUpdate } from '../../models/federated/update-vector';
import type { Invitation } from './participant';
import { createTrainingModels, type TrainingModels } from './training-models';

/** Options of the update computation. */
export interface UpdateComputerOptions {
  /** Base URL of the server's HTTP API (e.g. http://127.0.0.1:8080). */
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  /** The history the owner allows for training (read at each round, so a permission change applies at once). */
  history(): Promise<History> | History;
  /** Training models shared with other devices of the same process (default: this device's own cache). */
  models?: TrainingModels;
}

/** A computeUpdate function for the participant; keeps the last training model of each shard in memory. */
export function createUpdateComputer(o: UpdateComputerOptions): (invitation: Invitation) => Promise<Float32Array> {
  const models = o.models ?? createTrainingModels(o);
  return async (invitation) => {
    const history = await o.history();
    // Nothing awaits between getting the table and using it, so a newer version cannot release it in between.
    const prepared = await models.get(invitation.shard, invitation.modelHash);
    const { table } = prepared.model;
    const update = localUpdate(prepared, history, { epochs: invitation.config.localEpochs, learningRate: invitation.config.localLearningRate });
    return flattenUpdate(update, { items: table.items, dim: table.dim });
  };
}
