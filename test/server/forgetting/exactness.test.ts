// Exact forgetting, checked byte for byte. In a deterministic run (fixed seeds, DP off, every device's randomness
// its own), deleting a device D through the deletion service leaves every shard's item tables equal to those of a
// run in which D never registered and the same shard was rolled back at the same moment to the same checkpoint —
// right after the deletion and after further rounds. A control that erases D but skips the rollback must differ.
import _sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../models/backend';
import { buildHistories } from '../../../models/mf/histories';
import { initialTable, type MfModel } from '../../../models/mf/model';
import { generateSynthetic } from '../../../bench/datasets';
import { createDeployment, type Deployment } from '../../../bench/simulation/deployment';
import { MemoryStore } from '../../../server/store/memory-store';
import { createDeletionService } from '../../../server/forgetting/deletion-service';
import { planRollback } from '../../../server/forgetting/rollback';
import { deletionPayload } from '../../../shared/protocol/deletion';
import { deletionRequestSchema } from '../../../shared/protocol/deletion';
import { toBase64Url } from '../../../shared/protocol/encoding';
import { createRng } from '../../../shared/math/random';
import { sign } from '../../../shared/secagg/sign';
import type { Sodium } from '../../../shared/secagg/sodium';
import type { History } from '../../../shared/model/reconstruct';

const SHARDS = 2;
const BEFORE = 5; // rounds per shard before the deletion
const AFTER = 4; // and after
let sodium: Sodium;
let histories: History[];
let initial: MfModel[];

beforeAll(async () => {
  await initBackend();
  await _sodium.ready;
  sodium = _sodium;
  histories = buildHistories(generateSynthetic({ users: 48, items: 30, categories: 3, dim: 4, meanInteractions: 8, seed: 17 }).data).byUser;
  initial = Array.from({ length: SHARDS }, (_, s) => ({ params: { kind: 'implicit' as const, lambda: 5, alpha: 5, valueScale: 5 }, table: initialTable(30, 4, 0.1, createRng(100 + s).normal) }));
});

/** A deployment over `users` (the others have no history: they never register). */
async function deploy(without?: number): Promise<Deployment> {
  return createDeployment({
    store: new MemoryStore(),
    histories: histories.map((h, u) => (u === without ? { items: [], values: [] } : h)),
    initial,
    seed: 5,
    samplingRate: 0.6,
    secagg: false,
    graph: 'complete',
    clipNorm: 50,
    localEpochs: 1,
    dropout: 0,
    safety: { corruptFraction: 0, expectedDropout: 0 }, // a tiny deployment: cohorts of a handful
    endOfRound: { serverLearningRate: 0.5, averaging: 0.5 },
    checkpoints: { keep: 3, spacing: 'uniform' },
    // DP is off: nothing draws from this. A seeded stream, so a mistake would still replay identically.
    randomBytes: (n) => Uint8Array.from({ length: n }, (_, k) => (k * 31) & 0xff),
  });
}

async function train(d: Deployment, rounds: number): Promise<void> {
  for (let r = 0; r < rounds; r++) for (let s = 0; s < SHARDS; s++) await d.round(s);
}

/** Every shard's training and served tables as bytes. */
const tables = (d: Deployment) => d.shards().map((v) => ({ training: Buffer.from(v.trainingFile).toString('hex'), served: Buffer.from(v.servedFile).toString('hex') }));

/** The signed deletion request of a user, parsed as the server parses it. */
function requestOf(d: Deployment, user: number) {
  const identity = d.identity(user);
  const nonce = new Uint8Array(16).fill(user);
  const timestamp = Date.now();
  return deletionRequestSchema.parse({ deviceId: d.deviceId(user), nonce: toBase64Url(nonce), timestamp, signature: toBase64Url(sign(sodium, identity.privateKey, deletionPayload(identity.publicKey, nonce, timestamp))) });
}

describe('exact forgetting', () => {
  it('deleting D equals never having had D, once the same shard is rolled back to the same checkpoint — right after and after more rounds', async () => {
    const withD = await deploy();
    await train(withD, BEFORE);
    // D: a user who has contributed (so its deletion rolls its shard back), found in the store's own records.
    let victim = -1;
    for (let u = 0; u < histories.length && victim < 0; u++) {
      if ((await withD.store.firstContribution(withD.deviceId(u), withD.shardOfUser(u))) !== undefined && (await withD.store.firstContribution(withD.deviceId(u), withD.shardOfUser(u)))! > 0) victim = u;
    }
    expect(victim).toBeGreaterThanOrEqual(0);
    const shard = withD.shardOfUser(victim);
    const service = createDeletionService({ store: withD.store, control: withD.control, sodium, delta: null });
    const answer = await service.request(requestOf(withD, victim));
    expect(answer.status).toBe(200);
    const target = answer.deletion.receipt!.checkpoint.step;
    expect(target).toBeLessThan(BEFORE);

    const withoutD = await deploy(victim);
    await train(withoutD, BEFORE);
    // Before the rollback the runs differ on D's shard (D trained there) and agree on the others.
    const beforeRollback = tables(withoutD);
    expect(beforeRollback[shard]!.training).not.toBe(tables(withD)[shard]!.training);
    await withoutD.store.rollbackShard({ ...(await planRollback(withoutD.store, withoutD.shards(), shard, target, null)), at: 1 });
    await withoutD.reload(shard);

    expect(tables(withD)).toEqual(tables(withoutD));
    await train(withD, AFTER);
    await train(withoutD, AFTER);
    expect(tables(withD)).toEqual(tables(withoutD));
    // Training went on (the shard moved past the checkpoint), so this compares trained models, not two copies of it.
    expect(withD.shards()[shard]!.checkpoint.step).toBeGreaterThan(target);
  });

  it('the control that erases D but skips the rollback is not the run without D', async () => {
    const withD = await deploy();
    await train(withD, BEFORE);
    let victim = -1;
    for (let u = 0; u < histories.length && victim < 0; u++) if ((await withD.store.firstContribution(withD.deviceId(u), withD.shardOfUser(u))) !== undefined) victim = u;
    const shard = withD.shardOfUser(victim);
    const first = (await withD.store.firstContribution(withD.deviceId(victim), shard))!;
    // The deletion as the service would do it, minus the rollback.
    const req = requestOf(withD, victim);
    const { deletion } = await withD.store.requestDeletion({ id: 'C'.repeat(22), deviceId: req.deviceId, keyHash: 'f'.repeat(64), nonce: req.nonce, requestedAt: req.timestamp, receivedAt: req.timestamp, shard });
    await withD.control.exclude(req.deviceId, shard);
    await withD.store.completeDeletion({ deletionId: deletion.id, completedAt: 2, rollback: null, makeReceipt: () => ({}) as never });

    const withoutD = await deploy(victim);
    await train(withoutD, BEFORE);
    const target = (await withoutD.store.listCheckpoints(shard)).filter((c) => c.step <= first).at(-1)!.step;
    await withoutD.store.rollbackShard({ ...(await planRollback(withoutD.store, withoutD.shards(), shard, target, null)), at: 1 });
    await withoutD.reload(shard);
    await train(withD, AFTER);
    await train(withoutD, AFTER);
    expect(tables(withD)[shard]!.training).not.toBe(tables(withoutD)[shard]!.training);
  });
});
