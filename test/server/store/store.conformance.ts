// The Store contract as one suite, run against every implementation (hono's runTest({ newRouter }) pattern).
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Initialisation, ModelProvenance, RoundCommit, Store } from '../../../server/store/store';

/** A device id: 43 base64url characters (any 32 bytes; the store does not check the curve). */
export const deviceIdOf = (n: number): string => Buffer.alloc(32, n).toString('base64url');

/** A valid provenance with every shard at step 0 (override what a test needs). */
export const provenanceOf = (over: Partial<ModelProvenance> = {}): ModelProvenance => ({
  cause: 'initial',
  shard: null,
  round: null,
  cohortSize: 0,
  survivors: 0,
  clipNorm: 1,
  valuesClipped: 0,
  bytesIn: 0,
  bytesOut: 0,
  durationMs: 0,
  epsilon: null,
  privacy: null,
  shards: [{ shard: 0, lineage: 0, step: 0, epsilon: null }],
  ...over,
});

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** An initialisation of `shards` shards whose files are recognisable by their fill bytes. */
export const initOf = (shards = 1, createdAt = 5): Initialisation => ({
  shards: Array.from({ length: shards }, (_, s) => ({ training: bytes(16, 10 + s), served: bytes(16, 20 + s) })),
  model: bytes(64, 1),
  createdAt,
  provenance: provenanceOf({ shards: Array.from({ length: shards }, (_, s) => ({ shard: s, lineage: 0, step: 0, epsilon: null })) }),
});

/** Open a round on `shard` and build the commit of its result, trained from the shard's current checkpoint. */
async function roundCommit(store: Store, shard: number, fill: number, over: Partial<RoundCommit> = {}): Promise<RoundCommit> {
  const current = await store.currentCheckpoint(shard);
  const shards = await store.listShards();
  const basis = await Promise.all(shards.map(async (s) => (await store.currentCheckpoint(s.shard)).id));
  const { lineage } = (await store.listShards())[shard]!;
  const round = await store.roundStarted({ shard, lineage, step: current.step, sessionId: `s-${shard}-${fill}`, round: 1, cohortSize: 4, startedAt: 100 + fill });
  return {
    roundId: round.id,
    endedAt: 200 + fill,
    survivors: 3,
    shard,
    lineage,
    fromStep: current.step,
    training: bytes(16, fill),
    served: bytes(16, fill + 1),
    iterates: current.iterates + 1,
    account: { history: [{ samplingRate: 0.5, noiseMultiplier: 1, steps: current.step + 1 }], unbounded: false },
    model: bytes(64, fill + 2),
    basis,
    provenance: provenanceOf({ cause: 'round', shard, round: round.id, cohortSize: 4, survivors: 3, epsilon: 0.25 }),
    contributors: [],
    ...over,
  };
}

/** Run the Store conformance suite against stores made by `newStore` (one fresh store per test). */
export function runStoreConformance(name: string, newStore: () => Store | Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await newStore();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('devices', () => {
      it('registers a device with consent off, and re-registering is idempotent', async () => {
        const id = deviceIdOf(1);
        const first = await store.registerDevice(id, 1000);
        expect(first).toEqual({ created: true, device: { deviceId: id, registeredAt: 1000, lastSeen: 1000, consentTraining: false, deleting: false } });
        const again = await store.registerDevice(id, 2000);
        expect(again.created).toBe(false);
        expect(again.device.registeredAt).toBe(1000);
        expect(await store.getDevice(id)).toEqual(first.device);
      });

      it('returns undefined for an unknown device', async () => {
        expect(await store.getDevice(deviceIdOf(9))).toBeUndefined();
      });

      it.each([['short'], ['x'.repeat(44)], ['a'.repeat(42) + '+'], [''], ['A'.repeat(42) + 'B']])('refuses the device id %j (the last is a non-canonical spelling)', async (bad) => {
        await expect(store.registerDevice(bad, 1)).rejects.toMatchObject({ code: 'store.invalid' });
      });

      it.each([[-1], [1.5], [Number.NaN]])('refuses the time %s', async (at) => {
        await expect(store.registerDevice(deviceIdOf(1), at)).rejects.toMatchObject({ code: 'store.invalid' });
      });

      it('touchDevice moves lastSeen forward only, and refuses an unknown device', async () => {
        const id = deviceIdOf(2);
        await store.registerDevice(id, 100);
        await store.touchDevice(id, 500);
        await store.touchDevice(id, 300);
        expect((await store.getDevice(id))?.lastSeen).toBe(500);
        await expect(store.touchDevice(deviceIdOf(3), 1)).rejects.toMatchObject({ code: 'store.not_found' });
      });

      it('touchDevices moves each lastSeen forward in one call, skips devices not registered, and counts what moved', async () => {
        await store.registerDevice(deviceIdOf(2), 100);
        await store.registerDevice(deviceIdOf(3), 100);
        const seen = [
          { deviceId: deviceIdOf(2), at: 500 },
          { deviceId: deviceIdOf(3), at: 50 }, // older than its lastSeen: unchanged
          { deviceId: deviceIdOf(9), at: 700 }, // not registered (deleted since it was seen): skipped
          { deviceId: deviceIdOf(2), at: 400 },
        ];
        expect(await store.touchDevices(seen)).toBe(1);
        expect((await store.getDevice(deviceIdOf(2)))?.lastSeen).toBe(500);
        expect((await store.getDevice(deviceIdOf(3)))?.lastSeen).toBe(100);
        expect(await store.getDevice(deviceIdOf(9))).toBeUndefined();
        expect(await store.touchDevices([])).toBe(0);
      });

      it('touchDevices refuses a bad id or time as store.invalid, writing nothing', async () => {
        await store.registerDevice(deviceIdOf(2), 100);
        await expect(store.touchDevices([{ deviceId: deviceIdOf(2), at: 200 }, { deviceId: 'short', at: 300 }])).rejects.toMatchObject({ code: 'store.invalid' });
        await expect(store.touchDevices([{ deviceId: deviceIdOf(2), at: 200 }, { deviceId: deviceIdOf(2), at: -1 }])).rejects.toMatchObject({ code: 'store.invalid' });
        expect((await store.getDevice(deviceIdOf(2)))?.lastSeen).toBe(100);
      });

      it('setConsent updates and returns the record, and refuses an unknown device', async () => {
        const id = deviceIdOf(4);
        await store.registerDevice(id, 1);
        expect((await store.setConsent(id, true)).consentTraining).toBe(true);
        expect((await store.getDevice(id))?.consentTraining).toBe(true);
        expect((await store.setConsent(id, false)).consentTraining).toBe(false);
        await expect(store.setConsent(deviceIdOf(5), true)).rejects.toMatchObject({ code: 'store.not_found' });
      });

      it('lists devices oldest registration first', async () => {
        await store.registerDevice(deviceIdOf(7), 30);
        await store.registerDevice(deviceIdOf(6), 10);
        await store.registerDevice(deviceIdOf(8), 20);
        expect((await store.listDevices()).map((d) => d.deviceId)).toEqual([deviceIdOf(6), deviceIdOf(8), deviceIdOf(7)]);
      });
    });

    describe('shards and model versions', () => {
      it('has no shards and no model until initialised', async () => {
        expect(await store.latestModel()).toBeUndefined();
        expect(await store.latestModelInfo()).toBeUndefined();
        expect(await store.listModelVersions(10)).toEqual([]);
        expect(await store.listShards()).toEqual([]);
        await expect(store.currentCheckpoint(0)).rejects.toMatchObject({ code: 'store.not_found' });
      });

      it('initialises shards and version 1 once, with the hash it computes; a second call changes nothing', async () => {
        const init = initOf(2);
        const first = await store.initialise(init);
        expect(first).toEqual({ created: true, version: { version: 1, createdAt: 5, sha256: sha(init.model), sizeBytes: 64, provenance: init.provenance } });
        expect(await store.latestModel()).toEqual({ ...first.version, data: init.model });
        expect(await store.latestModelInfo()).toEqual(first.version);
        expect(await store.listShards()).toEqual([0, 1].map((shard) => ({ shard, lineage: 0, account: { history: [], unbounded: false } })));
        const c1 = await store.currentCheckpoint(1);
        expect(c1).toMatchObject({ shard: 1, lineage: 0, step: 0, round: null, iterates: 0, createdAt: 5, trainingSha256: sha(bytes(16, 11)), training: bytes(16, 11), served: bytes(16, 21) });
        const again = await store.initialise({ ...initOf(2, 9), model: bytes(64, 7) });
        expect(again).toEqual({ created: false, version: first.version });
        expect((await store.latestModel())?.data).toEqual(init.model);
      });

      it('refuses to change the number of shards of an initialised store', async () => {
        await store.initialise(initOf(2));
        await expect(store.initialise(initOf(3))).rejects.toMatchObject({ code: 'store.conflict' });
        expect(await store.listShards()).toHaveLength(2);
      });

      it.each([
        ['no shards', { shards: [] }],
        ['an empty training file', { shards: [{ training: new Uint8Array(0), served: bytes(4, 1) }] }],
        ['an empty model', { model: new Uint8Array(0) }],
        ['an unknown provenance field', { provenance: { ...provenanceOf(), extra: 1 } as ModelProvenance }],
        ['a negative byte count', { provenance: provenanceOf({ bytesIn: -1 }) }],
        ['an infinite epsilon', { provenance: provenanceOf({ epsilon: Number.POSITIVE_INFINITY }) }],
        ['a fractional time', { createdAt: 1.5 }],
      ])('refuses to initialise with %s as store.invalid, storing nothing', async (_label, over) => {
        await expect(store.initialise({ ...initOf(1), ...over })).rejects.toMatchObject({ code: 'store.invalid' });
        expect(await store.listShards()).toEqual([]);
        expect(await store.latestModel()).toBeUndefined();
      });

      it('commits a round: the round completes, the shard steps on, its account grows, and the next version is numbered here', async () => {
        await store.initialise(initOf(2));
        const c = await roundCommit(store, 1, 40);
        const { version, checkpoint } = await store.commitRound(c);
        expect(version).toEqual({ version: 2, createdAt: 240, sha256: sha(c.model), sizeBytes: 64, provenance: c.provenance });
        expect(checkpoint).toMatchObject({ shard: 1, lineage: 0, step: 1, round: c.roundId, iterates: 1, createdAt: 240, trainingSha256: sha(c.training) });
        expect(await store.currentCheckpoint(1)).toEqual({ ...checkpoint, training: c.training, served: c.served });
        expect((await store.currentCheckpoint(0)).step).toBe(0);
        expect((await store.listShards())[1]!.account).toEqual(c.account);
        expect((await store.listRounds(1))[0]).toMatchObject({ id: c.roundId, shard: 1, status: 'completed', survivors: 3, endedAt: 240, reason: null });
        expect((await store.latestModel())?.data).toEqual(c.model);
        expect((await store.getModel(1))?.data).toEqual(bytes(64, 1));
        expect((await store.listModelVersions(5)).map((m) => m.version)).toEqual([2, 1]);
        expect((await store.listModelVersions(1))[0]).not.toHaveProperty('data');
      });

      it('refuses a commit from a stale step, a stale basis, or a round that ended, changing nothing', async () => {
        await store.initialise(initOf(2));
        const stale = await roundCommit(store, 0, 50);
        const staleBasis = await roundCommit(store, 1, 60);
        await store.commitRound(await roundCommit(store, 0, 70));
        // Shard 0 moved on: a commit that trained from its old step, or a served file built from its old checkpoint, is refused.
        await expect(store.commitRound(stale)).rejects.toMatchObject({ code: 'store.conflict' });
        await expect(store.commitRound(staleBasis)).rejects.toMatchObject({ code: 'store.conflict' });
        expect((await store.latestModelInfo())?.version).toBe(2);
        expect((await store.currentCheckpoint(1)).step).toBe(0);
        const ok = await roundCommit(store, 1, 80);
        await store.commitRound(ok);
        await expect(store.commitRound({ ...ok, fromStep: 1 })).rejects.toMatchObject({ code: 'store.conflict' });
        const aborted = await roundCommit(store, 0, 90);
        await store.roundAborted(aborted.roundId, { reason: 'too few', survivors: 0, endedAt: 300 });
        await expect(store.commitRound(aborted)).rejects.toMatchObject({ code: 'store.conflict' });
        expect((await store.latestModelInfo())?.version).toBe(3);
      });

      it('refuses a commit for another shard\'s round or an unknown round', async () => {
        await store.initialise(initOf(2));
        const c = await roundCommit(store, 0, 10);
        await expect(store.commitRound({ ...c, shard: 1, fromStep: 0 })).rejects.toMatchObject({ code: 'store.conflict' });
        await expect(store.commitRound({ ...c, roundId: 999 })).rejects.toMatchObject({ code: 'store.not_found' });
        await expect(store.commitRound({ ...c, basis: [c.basis[0]!] })).rejects.toMatchObject({ code: 'store.invalid' });
        await expect(store.commitRound({ ...c, provenance: { ...c.provenance, extra: 1 } as ModelProvenance })).rejects.toMatchObject({ code: 'store.invalid' });
        await expect(store.commitRound({ ...c, account: { history: [{ samplingRate: 2, noiseMultiplier: 1, steps: 1 }], unbounded: false } })).rejects.toMatchObject({ code: 'store.invalid' });
        expect((await store.listRounds(1))[0]!.status).toBe('started');
      });

      it('records a round skipped after sampling with its charge in one step; it counts as an attempt at its position', async () => {
        await store.initialise(initOf(2));
        const charged = { history: [{ samplingRate: 0.3, noiseMultiplier: 1.1, steps: 1 }], unbounded: false };
        const skip = { shard: 1, lineage: 0, step: 0, sessionId: 'skip-1', cohortSize: 2, reason: 'sampled 2 of 9 devices; a round needs 3', at: 50, account: charged };
        const record = await store.roundSkipped(skip);
        expect(record).toEqual({ id: record.id, shard: 1, lineage: 0, step: 0, sessionId: 'skip-1', round: 1, status: 'aborted', reason: skip.reason, startedAt: 50, endedAt: 50, cohortSize: 2, survivors: 0 });
        expect((await store.listRounds(1))[0]).toEqual(record);
        expect((await store.listShards()).map((x) => x.account)).toEqual([{ history: [], unbounded: false }, charged]);
        expect(await store.roundsAt(1, 0, 0)).toBe(1);
        expect(await store.countRounds()).toEqual([{ shard: 0, completed: 0, aborted: 0 }, { shard: 1, completed: 0, aborted: 1 }]);
        // Without DP there is nothing to charge: the attempt is recorded, the account left as it is.
        await store.roundSkipped({ ...skip, sessionId: 'skip-2', at: 60, account: null });
        expect((await store.listShards())[1]!.account).toEqual(charged);
        expect(await store.roundsAt(1, 0, 0)).toBe(2);
        // The shard did not move: a round at the same step still commits, with the account that includes the skip.
        const c = await roundCommit(store, 1, 70, { account: { history: [{ samplingRate: 0.3, noiseMultiplier: 1.1, steps: 2 }], unbounded: false } });
        await store.commitRound(c);
        expect((await store.listShards())[1]!.account).toEqual(c.account);
      });

      it('charges an aborted round in the same step as its end, to its own shard; a bad account changes nothing', async () => {
        await store.initialise(initOf(2));
        const started = await store.roundStarted({ shard: 1, lineage: 0, step: 0, sessionId: 'ab-1', round: 1, cohortSize: 4, startedAt: 10 });
        const charged = { history: [{ samplingRate: 0.4, noiseMultiplier: 1.2, steps: 1 }], unbounded: false };
        await expect(store.roundAborted(started.id, { reason: 'too few survivors', survivors: 0, endedAt: 20, account: { history: [{ samplingRate: 0, noiseMultiplier: 1, steps: 1 }], unbounded: false } })).rejects.toMatchObject({ code: 'store.invalid' });
        expect((await store.listRounds(1))[0]!.status).toBe('started');
        const ended = await store.roundAborted(started.id, { reason: 'too few survivors', survivors: 0, endedAt: 20, account: charged });
        expect(ended.status).toBe('aborted');
        expect((await store.listShards()).map((x) => x.account)).toEqual([{ history: [], unbounded: false }, charged]);
        // Without an account (no DP) the shard's account is left as it is.
        const again = await store.roundStarted({ shard: 1, lineage: 0, step: 0, sessionId: 'ab-2', round: 1, cohortSize: 4, startedAt: 30 });
        await store.roundAborted(again.id, { reason: 'too few survivors', survivors: 0, endedAt: 40 });
        expect((await store.listShards())[1]!.account).toEqual(charged);
      });

      it('refuses a skipped round at a stale position, a session seen before, an unknown shard or bad fields, changing nothing', async () => {
        await store.initialise(initOf(2));
        await store.commitRound(await roundCommit(store, 0, 10)); // shard 0 is at step 1 now; round 1 of session s-0-10 exists
        const charged = { history: [{ samplingRate: 0.5, noiseMultiplier: 1, steps: 1 }], unbounded: false };
        const skip = { shard: 0, lineage: 0, step: 1, sessionId: 'skip-x', cohortSize: 1, reason: 'too few sampled', at: 300, account: charged };
        const before = { shards: await store.listShards(), rounds: await store.listRounds(10) };
        await expect(store.roundSkipped({ ...skip, step: 0 })).rejects.toMatchObject({ code: 'store.conflict' });
        await expect(store.roundSkipped({ ...skip, lineage: 1 })).rejects.toMatchObject({ code: 'store.conflict' });
        await expect(store.roundSkipped({ ...skip, sessionId: 's-0-10' })).rejects.toMatchObject({ code: 'store.conflict' });
        await expect(store.roundSkipped({ ...skip, shard: 5 })).rejects.toMatchObject({ code: 'store.not_found' });
        await expect(store.roundSkipped({ ...skip, account: { history: [{ samplingRate: 2, noiseMultiplier: 1, steps: 1 }], unbounded: false } })).rejects.toMatchObject({ code: 'store.invalid' });
        await expect(store.roundSkipped({ ...skip, reason: '' })).rejects.toMatchObject({ code: 'store.invalid' });
        await expect(store.roundSkipped({ ...skip, cohortSize: -1 })).rejects.toMatchObject({ code: 'store.invalid' });
        await expect(store.roundSkipped({ ...skip, at: 1.5 })).rejects.toMatchObject({ code: 'store.invalid' });
        expect({ shards: await store.listShards(), rounds: await store.listRounds(10) }).toEqual(before);
        expect(await store.roundsAt(0, 0, 1)).toBe(0);
      });

      it('is not changed by mutating what was passed in or returned', async () => {
        const init = initOf(1);
        await store.initialise(init);
        init.model.fill(9);
        init.shards[0]!.training.fill(9);
        const got = await store.latestModel();
        got!.data.fill(9);
        got!.provenance.bytesIn = 99;
        (await store.currentCheckpoint(0)).training.fill(9);
        expect((await store.latestModel())!.data).toEqual(bytes(64, 1));
        expect((await store.latestModel())!.provenance.bytesIn).toBe(0);
        expect((await store.currentCheckpoint(0)).training).toEqual(bytes(16, 10));
      });
    });

    describe('server identity', () => {
      it('generates the key pair once and returns the same one afterwards', async () => {
        let calls = 0;
        const generate = () => {
          calls++;
          return { publicKey: bytes(32, calls), privateKey: bytes(64, calls) };
        };
        const first = await store.serverIdentity(generate, 1);
        const second = await store.serverIdentity(generate, 2);
        expect(calls).toBe(1);
        expect(second).toEqual(first);
        expect(first).toMatchObject({ publicKey: bytes(32, 1), createdAt: 1 });
      });

      it('refuses a key pair of the wrong shape', async () => {
        await expect(store.serverIdentity(() => ({ publicKey: bytes(31, 1), privateKey: bytes(64, 1) }), 1)).rejects.toMatchObject({ code: 'store.invalid' });
      });
    });
  });
}
