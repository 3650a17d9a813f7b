// The Store's part in exact forgetting, as one suite run against every implementation: contributions and the
// once-per-model rule, checkpoints and their pruning, deletion requests, rollback and erasure in one transaction,
// the receipt chain and receipt keys.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Receipt } from '../../../shared/protocol/deletion';
import type { DeletionCompletion, ReceiptContext, Store } from '../../../server/store/store';
import { deviceIdOf, initOf, provenanceOf } from './store.conformance';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const keyHash = (deviceId: string) => createHash('sha256').update(Buffer.from(deviceId, 'base64url')).digest('hex');
const idOf = (n: number) => Buffer.alloc(16, n).toString('base64url');
const keyPair = (n: number) => ({ publicKey: bytes(32, n), privateKey: bytes(64, n) });

/** Complete a round on `shard` trained by `contributors`, storing files filled with `fill`. */
async function round(store: Store, shard: number, fill: number, contributors: string[]): Promise<number> {
  const current = await store.currentCheckpoint(shard);
  const shards = await store.listShards();
  const basis = await Promise.all(shards.map(async (s) => (await store.currentCheckpoint(s.shard)).id));
  const { lineage } = shards[shard]!;
  const r = await store.roundStarted({ shard, lineage, step: current.step, sessionId: `r-${shard}-${fill}`, round: 1, cohortSize: contributors.length, startedAt: fill });
  const { version } = await store.commitRound({
    roundId: r.id,
    endedAt: fill + 1,
    survivors: contributors.length,
    shard,
    lineage,
    fromStep: current.step,
    training: bytes(8, fill),
    served: bytes(8, fill + 1),
    iterates: current.iterates + 1,
    account: shards[shard]!.account,
    model: bytes(16, fill),
    basis,
    provenance: provenanceOf({ cause: 'round', shard, round: r.id }),
    contributors,
  });
  return version.version;
}

/** A fake receipt that records the context it was made in. */
function receiptFrom(ctx: ReceiptContext, shard: number): Receipt {
  return {
    format: 'confidant-receipt',
    version: 1,
    index: ctx.index,
    previousHash: ctx.previousHash,
    deviceKeyHash: 'a'.repeat(64),
    nonce: 'A'.repeat(22),
    requestedAt: 1,
    completedAt: 2,
    shard,
    checkpoint: { lineage: ctx.checkpoint.lineage, step: ctx.checkpoint.step, sha256: ctx.checkpoint.trainingSha256 },
    servedVersion: ctx.servedVersion,
    epsilon: null,
    delta: null,
    keyId: '0123456789abcdef',
    manifest: Array.from({ length: 14 }, (_, n) => n.toString(16).padStart(64, '0')),
    signature: 'A'.repeat(86),
  };
}

/** Run the forgetting suite against stores made by `newStore`. */
export function runForgettingConformance(name: string, newStore: () => Store | Promise<Store>): void {
  describe(`Store conformance, forgetting: ${name}`, () => {
    let store: Store;
    const a = deviceIdOf(1);
    const b = deviceIdOf(2);
    const c = deviceIdOf(3);
    beforeEach(async () => {
      store = await newStore();
      await store.initialise(initOf(2));
      for (const d of [a, b, c]) await store.registerDevice(d, 1);
    });
    afterEach(async () => {
      await store.close();
    });

    it('records who trained on which model: contributedAt, firstContribution, and refuses an unknown contributor', async () => {
      await round(store, 0, 10, [a, b]);
      await round(store, 0, 20, [b, c]);
      expect(await store.contributedAt(0, 0, [a, b, c])).toEqual(new Set([a, b]));
      expect(await store.contributedAt(0, 1, [a, b, c])).toEqual(new Set([b, c]));
      expect(await store.contributedAt(1, 0, [a, b, c])).toEqual(new Set());
      expect(await store.firstContribution(c, 0)).toBe(1);
      expect(await store.firstContribution(a, 0)).toBe(0);
      expect(await store.firstContribution(a, 1)).toBeUndefined();
      await expect(round(store, 0, 30, [deviceIdOf(9)])).rejects.toMatchObject({ code: 'store.conflict' });
      expect((await store.currentCheckpoint(0)).step).toBe(2);
    });

    it('counts rounds started at a position (the attempt number of the next)', async () => {
      expect(await store.roundsAt(0, 0, 0)).toBe(0);
      const r = await store.roundStarted({ shard: 0, lineage: 0, step: 0, sessionId: 'x', round: 1, cohortSize: 3, startedAt: 1 });
      await store.roundAborted(r.id, { reason: 'too few', survivors: 0, endedAt: 2 });
      expect(await store.roundsAt(0, 0, 0)).toBe(1);
      expect(await store.roundsAt(0, 0, 1)).toBe(0);
    });

    it('lists, fetches and prunes checkpoints, always keeping the first and the head', async () => {
      for (let f = 10; f <= 50; f += 10) await round(store, 0, f, [a]);
      const all = await store.listCheckpoints(0);
      expect(all.map((x) => x.step)).toEqual([0, 1, 2, 3, 4, 5]);
      expect((await store.getCheckpoint(0, 3))?.training).toEqual(bytes(8, 30));
      expect(await store.pruneCheckpoints(0, [all[2]!.id])).toBe(3);
      expect((await store.listCheckpoints(0)).map((x) => x.step)).toEqual([0, 2, 5]);
      expect(await store.getCheckpoint(0, 3)).toBeUndefined();
      expect((await store.currentCheckpoint(0)).step).toBe(5);
      expect((await store.listCheckpoints(1)).map((x) => x.step)).toEqual([0]);
    });

    it('prunes the files of old versions, keeping their rows and the newest files', async () => {
      for (let f = 10; f <= 40; f += 10) await round(store, 1, f, [c]);
      expect(await store.pruneModelFiles(2)).toBe(3);
      expect((await store.listModelVersions(10)).map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
      expect(await store.getModel(3)).toBeUndefined();
      expect((await store.getModel(4))?.data).toEqual(bytes(16, 30));
      expect((await store.latestModel())?.version).toBe(5);
      await expect(store.pruneModelFiles(0)).rejects.toMatchObject({ code: 'store.invalid' });
    });

    describe('deletions', () => {
      const request = (deviceId: string, nonce: number, id = idOf(nonce)) => ({ id, deviceId, keyHash: keyHash(deviceId), nonce: bytes(16, nonce), requestedAt: 100, receivedAt: 101, shard: 0 });

      it('records a request once, excludes the device at once, and refuses an unknown device', async () => {
        const first = await store.requestDeletion(request(a, 1));
        expect(first).toMatchObject({ created: true, deletion: { id: idOf(1), status: 'pending', keyHash: keyHash(a), receipt: null, completedAt: null } });
        expect((await store.getDevice(a))?.deleting).toBe(true);
        expect(await store.requestDeletion(request(a, 1, idOf(50)))).toEqual({ created: false, deletion: first.deletion });
        expect(await store.pendingDeletions()).toEqual([first.deletion]);
        expect(await store.getDeletion(idOf(1))).toEqual(first.deletion);
        expect(await store.findDeletions(keyHash(a))).toEqual([first.deletion]);
        await expect(store.requestDeletion(request(deviceIdOf(9), 2))).rejects.toMatchObject({ code: 'store.not_found' });
        // A device being deleted takes part in no round: its update can never be committed.
        await expect(round(store, 0, 10, [a, b])).rejects.toMatchObject({ code: 'store.conflict' });
      });

      it('completes with a rollback in one transaction: new lineage, later checkpoints and contributions gone, version published, device erased, receipt chained', async () => {
        await round(store, 0, 10, [b, c]); // step 0 → 1: a not in it
        await round(store, 0, 20, [a, b]); // step 1 → 2: a's first contribution is to the model at step 1
        await round(store, 0, 30, [a, c]);
        const before = await store.latestModelInfo();
        const account = { history: [{ samplingRate: 0.5, noiseMultiplier: 1.1, steps: 3 }], unbounded: false };
        await round(store, 1, 40, [c]);
        const charged = await store.roundStarted({ shard: 0, lineage: 0, step: 3, sessionId: 'acct', round: 1, cohortSize: 1, startedAt: 50 });
        const basis0 = await Promise.all([0, 1].map(async (s) => (await store.currentCheckpoint(s)).id));
        await store.commitRound({ roundId: charged.id, endedAt: 51, survivors: 1, shard: 0, lineage: 0, fromStep: 3, training: bytes(8, 60), served: bytes(8, 61), iterates: 4, account, model: bytes(16, 60), basis: basis0, provenance: provenanceOf({ cause: 'round', shard: 0 }), contributors: [c] });
        const { deletion } = await store.requestDeletion(request(a, 1));
        expect(await store.firstContribution(a, 0)).toBe(1);
        const basis = await Promise.all([0, 1].map(async (s) => (await store.currentCheckpoint(s)).id));
        expect((await store.currentCheckpoint(0)).step).toBe(4);
        let seen: ReceiptContext | undefined;
        expect(await store.deletionFirstContribution(deletion.id)).toBe(1);
        const completion: DeletionCompletion = {
          deletionId: deletion.id,
          completedAt: 500,
          rollback: { shard: 0, toStep: 1, model: bytes(16, 99), basis, provenance: provenanceOf({ cause: 'rollback', shard: 0 }) },
          makeReceipt: (ctx) => receiptFrom((seen = ctx), 0),
        };
        const done = await store.completeDeletion(completion);
        expect(seen).toMatchObject({ index: 0, previousHash: '0'.repeat(64), servedVersion: { version: before!.version + 3 }, checkpoint: { shard: 0, step: 1, trainingSha256: createHash('sha256').update(bytes(8, 10)).digest('hex') } });
        expect(done).toMatchObject({ status: 'done', completedAt: 500, receipt: { index: 0, servedVersion: seen!.servedVersion } });
        expect((await store.latestModel())!).toMatchObject({ version: before!.version + 3, data: bytes(16, 99), provenance: { cause: 'rollback' } });
        expect((await store.listShards())[0]!.lineage).toBe(1);
        // A rollback never refunds ε: the shard's account is what it was before.
        expect((await store.listShards())[0]!.account).toEqual(account);
        expect((await store.currentCheckpoint(0)).step).toBe(1);
        expect((await store.listCheckpoints(0)).map((x) => x.step)).toEqual([0, 1]);
        // Erased: the device is unknown; who trained on the model at step 1 (b) stays recorded, nothing after it.
        expect(await store.getDevice(a)).toBeUndefined();
        expect(await store.contributedAt(0, 1, [a, b, c])).toEqual(new Set([b]));
        expect(await store.contributedAt(0, 2, [a, b, c])).toEqual(new Set());
        expect(await store.listDevices()).toHaveLength(2);
        expect(await store.pendingDeletions()).toEqual([]);
        // The same request again, or another nonce, returns the receipt; completing twice is refused.
        expect(await store.requestDeletion(request(a, 7))).toEqual({ created: false, deletion: done });
        await expect(store.completeDeletion(completion)).rejects.toMatchObject({ code: 'store.conflict' });
        // The shard trains on from the checkpoint, in its new lineage.
        const r = await store.roundStarted({ shard: 0, lineage: 1, step: 1, sessionId: 'after', round: 1, cohortSize: 3, startedAt: 600 });
        const basis2 = await Promise.all([0, 1].map(async (s) => (await store.currentCheckpoint(s)).id));
        await store.commitRound({ roundId: r.id, endedAt: 601, survivors: 1, shard: 0, lineage: 1, fromStep: 1, training: bytes(8, 77), served: bytes(8, 78), iterates: 2, account: { history: [], unbounded: false }, model: bytes(16, 77), basis: basis2, provenance: provenanceOf({ cause: 'round', shard: 0 }), contributors: [c] });
        expect(await store.listCheckpoints(0)).toEqual([expect.objectContaining({ step: 0 }), expect.objectContaining({ step: 1, lineage: 0 }), expect.objectContaining({ step: 2, lineage: 1 })]);
      });

      it('completes without a rollback for a device that never contributed, and chains receipts', async () => {
        await round(store, 0, 10, [b]);
        const first = (await store.requestDeletion(request(a, 1))).deletion;
        const latest = await store.latestModelInfo();
        expect(await store.deletionFirstContribution(first.id)).toBeUndefined();
        const r1 = await store.completeDeletion({ deletionId: first.id, completedAt: 200, rollback: null, makeReceipt: (ctx) => receiptFrom(ctx, 0) });
        expect(r1.receipt).toMatchObject({ index: 0, servedVersion: { version: latest!.version, sha256: latest!.sha256 }, checkpoint: { step: 1 } });
        expect((await store.listShards())[0]!.lineage).toBe(0);
        const second = (await store.requestDeletion(request(c, 2))).deletion;
        const r2 = await store.completeDeletion({ deletionId: second.id, completedAt: 300, rollback: null, makeReceipt: (ctx) => receiptFrom(ctx, 0) });
        const chain = await store.receiptChain();
        expect(chain.map((e) => e.index)).toEqual([0, 1]);
        expect(chain[1]!.previousHash).toBe(chain[0]!.hash);
        expect(r2.receipt!.previousHash).toBe(chain[0]!.hash);
        expect(chain.map((e) => e.completedAt)).toEqual([200, 300]);
      });

      it('refuses a rollback to a step no checkpoint holds, a stale basis, or another device, changing nothing', async () => {
        await round(store, 0, 10, [a]);
        const { deletion } = await store.requestDeletion(request(a, 1));
        const basis = await Promise.all([0, 1].map(async (s) => (await store.currentCheckpoint(s)).id));
        const base = { deletionId: deletion.id, completedAt: 9, makeReceipt: (ctx: ReceiptContext) => receiptFrom(ctx, 0) };
        await expect(store.completeDeletion({ ...base, rollback: { shard: 0, toStep: 7, model: bytes(4, 1), basis, provenance: provenanceOf({ cause: 'rollback' }) } })).rejects.toMatchObject({ code: 'store.not_found' });
        await expect(store.completeDeletion({ ...base, rollback: { shard: 0, toStep: 0, model: bytes(4, 1), basis: [basis[0]!, 999], provenance: provenanceOf({ cause: 'rollback' }) } })).rejects.toMatchObject({ code: 'store.conflict' });
        await expect(store.completeDeletion({ ...base, deletionId: idOf(33), rollback: null })).rejects.toMatchObject({ code: 'store.not_found' });
        expect((await store.getDeletion(deletion.id))?.status).toBe('pending');
        expect((await store.getDevice(a))?.deleting).toBe(true);
        expect((await store.currentCheckpoint(0)).step).toBe(1);
      });
    });

    it('rolls a shard back without a deletion: same changes, nobody erased', async () => {
      await round(store, 1, 10, [a, b]);
      await round(store, 1, 20, [b]);
      const basis = await Promise.all([0, 1].map(async (s) => (await store.currentCheckpoint(s)).id));
      const version = await store.rollbackShard({ shard: 1, toStep: 1, model: bytes(16, 55), basis, provenance: provenanceOf({ cause: 'rollback', shard: 1 }), at: 700 });
      expect(version).toMatchObject({ createdAt: 700, provenance: { cause: 'rollback' } });
      expect((await store.latestModel())?.data).toEqual(bytes(16, 55));
      expect((await store.currentCheckpoint(1)).step).toBe(1);
      expect((await store.listShards())[1]!.lineage).toBe(1);
      expect(await store.contributedAt(1, 1, [a, b, c])).toEqual(new Set([b]));
      expect(await store.listDevices()).toHaveLength(3);
      await expect(store.rollbackShard({ shard: 1, toStep: 5, model: bytes(4, 1), basis, provenance: provenanceOf({ cause: 'rollback' }), at: 701 })).rejects.toMatchObject({ code: 'store.not_found' });
    });

    describe('receipt keys', () => {
      it('makes the active key once, rotates it, and keeps publishing the retired ones', async () => {
        const first = await store.receiptKey(() => keyPair(1), 10);
        expect(first).toMatchObject({ publicKey: bytes(32, 1), createdAt: 10, retiredAt: null });
        expect(first.id).toMatch(/^[0-9a-f]{16}$/);
        expect(await store.receiptKey(() => keyPair(2), 20)).toEqual(first);
        const second = await store.rotateReceiptKey(() => keyPair(3), 30);
        expect(second).toMatchObject({ publicKey: bytes(32, 3), retiredAt: null });
        expect(await store.receiptKey(() => keyPair(4), 40)).toEqual(second);
        const third = await store.rotateReceiptKey(() => keyPair(5), 50);
        expect((await store.listReceiptKeys()).map((k) => [k.id, k.retiredAt])).toEqual([
          [third.id, null],
          [second.id, 50],
          [first.id, 30],
        ]);
      });
    });
  });
}
