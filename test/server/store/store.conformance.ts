// The Store contract as one suite, run against every implementation (hono's runTest({ newRouter }) pattern).
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelProvenance, Store } from '../../../server/store/store';

/** A device id: 43 base64url characters (any 32 bytes; the store does not check the curve). */
export const deviceIdOf = (n: number): string => Buffer.alloc(32, n).toString('base64url');

const provenance = (over: Partial<ModelProvenance> = {}): ModelProvenance => ({
  round: null,
  cohortSize: 0,
  survivors: 0,
  clipNorm: 1,
  valuesClipped: 0,
  bytesIn: 0,
  bytesOut: 0,
  durationMs: 0,
  epsilon: null,
  ...over,
});

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

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
        expect(first).toEqual({ created: true, device: { deviceId: id, registeredAt: 1000, lastSeen: 1000, consentTraining: false } });
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

    describe('model versions', () => {
      it('has no model until one is stored', async () => {
        expect(await store.latestModel()).toBeUndefined();
        expect(await store.listModelVersions(10)).toEqual([]);
      });

      it('stores bytes with the hash it computes, and returns them unchanged', async () => {
        const data = bytes(1000, 7);
        const info = await store.putModelVersion({ version: 0, createdAt: 5, data, provenance: provenance() });
        expect(info).toEqual({ version: 0, createdAt: 5, sha256: sha(data), sizeBytes: 1000, provenance: provenance() });
        const latest = await store.latestModel();
        expect(latest).toEqual({ ...info, data });
      });

      it('is not changed by mutating what was passed in or returned', async () => {
        const data = bytes(8, 1);
        await store.putModelVersion({ version: 1, createdAt: 1, data, provenance: provenance() });
        data.fill(9);
        const got = await store.latestModel();
        got!.data.fill(9);
        got!.provenance.bytesIn = 99;
        const again = await store.latestModel();
        expect(again!.data).toEqual(bytes(8, 1));
        expect(again!.provenance.bytesIn).toBe(0);
      });

      it('keeps every version; latest is the highest; list is newest first and limited', async () => {
        for (const v of [1, 2, 5]) await store.putModelVersion({ version: v, createdAt: v * 10, data: bytes(4, v), provenance: provenance() });
        expect((await store.latestModel())?.version).toBe(5);
        expect((await store.getModel(2))?.data).toEqual(bytes(4, 2));
        expect(await store.getModel(3)).toBeUndefined();
        expect((await store.listModelVersions(2)).map((m) => m.version)).toEqual([5, 2]);
        expect((await store.listModelVersions(2))[0]).not.toHaveProperty('data');
      });

      it.each([[3], [2]])('refuses version %i when version 3 exists, keeping the stored one', async (v) => {
        await store.putModelVersion({ version: 3, createdAt: 1, data: bytes(4, 1), provenance: provenance() });
        await expect(store.putModelVersion({ version: v, createdAt: 2, data: bytes(4, 2), provenance: provenance() })).rejects.toMatchObject({ code: 'store.conflict' });
        expect((await store.latestModel())?.data).toEqual(bytes(4, 1));
      });

      it.each([
        ['an empty file', { data: new Uint8Array(0) }],
        ['a negative version', { version: -1 }],
        ['a fractional version', { version: 1.5 }],
        ['an unknown provenance field', { provenance: { ...provenance(), extra: 1 } as ModelProvenance }],
        ['a negative byte count', { provenance: provenance({ bytesIn: -1 }) }],
        ['an infinite epsilon', { provenance: provenance({ epsilon: Number.POSITIVE_INFINITY }) }],
      ])('refuses %s as store.invalid and stores nothing', async (_label, over) => {
        await expect(store.putModelVersion({ version: 1, createdAt: 1, data: bytes(4, 1), provenance: provenance(), ...over })).rejects.toMatchObject({ code: 'store.invalid' });
        expect(await store.latestModel()).toBeUndefined();
      });

      it('links provenance to a stored round, and refuses a round that does not exist', async () => {
        await expect(store.putModelVersion({ version: 1, createdAt: 1, data: bytes(4, 1), provenance: provenance({ round: 42 }) })).rejects.toMatchObject({ code: 'store.not_found' });
        const r = await store.roundStarted({ sessionId: 's', round: 1, cohortSize: 3, startedAt: 1 });
        const info = await store.putModelVersion({ version: 1, createdAt: 2, data: bytes(4, 1), provenance: provenance({ round: r.id, cohortSize: 3, survivors: 3, epsilon: 0.5 }) });
        expect(info.provenance.round).toBe(r.id);
        expect((await store.latestModel())?.provenance.epsilon).toBe(0.5);
      });
    });

    describe('rounds', () => {
      it('records a round from start to end', async () => {
        const started = await store.roundStarted({ sessionId: 'sess', round: 1, cohortSize: 10, startedAt: 100 });
        expect(started).toEqual({ id: started.id, sessionId: 'sess', round: 1, status: 'started', reason: null, startedAt: 100, endedAt: null, cohortSize: 10, survivors: null });
        const ended = await store.roundEnded(started.id, { status: 'completed', reason: null, survivors: 8, endedAt: 200 });
        expect(ended).toEqual({ ...started, status: 'completed', endedAt: 200, survivors: 8 });
        expect(await store.listRounds(5)).toEqual([ended]);
      });

      it('assigns increasing ids and lists newest first', async () => {
        const a = await store.roundStarted({ sessionId: 's', round: 1, cohortSize: 1, startedAt: 1 });
        const b = await store.roundStarted({ sessionId: 's', round: 2, cohortSize: 1, startedAt: 2 });
        const c = await store.roundStarted({ sessionId: 't', round: 1, cohortSize: 1, startedAt: 3 });
        expect(b.id).toBeGreaterThan(a.id);
        expect(c.id).toBeGreaterThan(b.id);
        expect((await store.listRounds(2)).map((r) => r.id)).toEqual([c.id, b.id]);
      });

      it('refuses starting the same round of a session twice', async () => {
        await store.roundStarted({ sessionId: 's', round: 1, cohortSize: 1, startedAt: 1 });
        await expect(store.roundStarted({ sessionId: 's', round: 1, cohortSize: 1, startedAt: 2 })).rejects.toMatchObject({ code: 'store.conflict' });
      });

      it('refuses ending an unknown round, or one that already ended', async () => {
        await expect(store.roundEnded(999, { status: 'aborted', reason: 'x', survivors: 0, endedAt: 1 })).rejects.toMatchObject({ code: 'store.not_found' });
        const r = await store.roundStarted({ sessionId: 's', round: 1, cohortSize: 4, startedAt: 1 });
        await store.roundEnded(r.id, { status: 'aborted', reason: 'too few devices', survivors: 1, endedAt: 2 });
        await expect(store.roundEnded(r.id, { status: 'completed', reason: null, survivors: 4, endedAt: 3 })).rejects.toMatchObject({ code: 'store.conflict' });
        expect((await store.listRounds(1))[0]).toMatchObject({ status: 'aborted', reason: 'too few devices' });
      });

      it.each([
        ['round 0', { round: 0 }],
        ['an empty session id', { sessionId: '' }],
        ['a negative cohort', { cohortSize: -1 }],
      ])('refuses starting %s', async (_label, over) => {
        await expect(store.roundStarted({ sessionId: 's', round: 1, cohortSize: 1, startedAt: 1, ...over })).rejects.toMatchObject({ code: 'store.invalid' });
      });

      it.each([[0], [10_001], [1.5]])('refuses the listing limit %s', async (limit) => {
        await expect(store.listRounds(limit)).rejects.toMatchObject({ code: 'store.invalid' });
        await expect(store.listModelVersions(limit)).rejects.toMatchObject({ code: 'store.invalid' });
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
        expect(first.publicKey).toEqual(bytes(32, 1));
      });

      it('refuses a key pair of the wrong shape', async () => {
        await expect(store.serverIdentity(() => ({ publicKey: bytes(31, 1), privateKey: bytes(64, 1) }), 1)).rejects.toMatchObject({ code: 'store.invalid' });
      });
    });
  });
}
