// The enrollment-token part of the Store contract, run against every implementation: single use, nothing consumed on
// a refusal, revocation of unused tokens only, counts per batch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnrollmentBatch, Store } from '../../../server/store/store';
import { deviceIdOf } from './store.conformance';

/** A token hash recognisable by its fill byte (the store never sees tokens, only 32-byte hashes). */
export const hashOf = (n: number): Uint8Array => new Uint8Array(32).fill(n);
/** A batch id: 16 hex characters. */
export const batchIdOf = (n: number): string => n.toString(16).padStart(16, '0');
const batchOf = (n: number, fills: number[], issuedAt = 100 + n): EnrollmentBatch => ({ batchId: batchIdOf(n), issuedAt, hashes: fills.map(hashOf) });

/** Run the enrollment conformance suite against stores made by `newStore` (one fresh store per test). */
export function runEnrollmentConformance(name: string, newStore: () => Store | Promise<Store>): void {
  describe(`Store conformance, enrollment tokens: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await newStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('a token registers one device, once: the device is a normal device and the token is counted used', async () => {
      await store.issueEnrollmentTokens(batchOf(1, [1, 2, 3]));
      expect(await store.listEnrollmentBatches()).toEqual([{ batchId: batchIdOf(1), issuedAt: 101, issued: 3, used: 0, revoked: 0 }]);
      const first = await store.registerDeviceWithToken(deviceIdOf(1), 1000, hashOf(2));
      const device = { deviceId: deviceIdOf(1), registeredAt: 1000, lastSeen: 1000, consentTraining: false, deleting: false };
      expect(first).toEqual({ outcome: 'registered', device });
      expect(await store.getDevice(deviceIdOf(1))).toEqual(device);
      expect((await store.registerDevice(deviceIdOf(1), 2000)).created).toBe(false);
      expect(await store.listEnrollmentBatches()).toEqual([{ batchId: batchIdOf(1), issuedAt: 101, issued: 3, used: 1, revoked: 0 }]);
    });

    it('a used token registers no second device, and writes nothing', async () => {
      await store.issueEnrollmentTokens(batchOf(1, [1]));
      await store.registerDeviceWithToken(deviceIdOf(1), 10, hashOf(1));
      expect(await store.registerDeviceWithToken(deviceIdOf(2), 20, hashOf(1))).toEqual({ outcome: 'token_used' });
      expect(await store.getDevice(deviceIdOf(2))).toBeUndefined();
      expect((await store.listDevices()).map((d) => d.deviceId)).toEqual([deviceIdOf(1)]);
    });

    it('an unknown or a revoked token registers nothing and consumes nothing', async () => {
      await store.issueEnrollmentTokens(batchOf(1, [1, 2]));
      expect(await store.registerDeviceWithToken(deviceIdOf(1), 10, hashOf(9))).toEqual({ outcome: 'token_unknown' });
      expect(await store.revokeEnrollmentTokens({ hashes: [hashOf(2)] })).toBe(1);
      expect(await store.registerDeviceWithToken(deviceIdOf(1), 10, hashOf(2))).toEqual({ outcome: 'token_revoked' });
      expect(await store.listDevices()).toEqual([]);
      expect(await store.listEnrollmentBatches()).toEqual([{ batchId: batchIdOf(1), issuedAt: 101, issued: 2, used: 0, revoked: 1 }]);
      // The unused token still works.
      expect((await store.registerDeviceWithToken(deviceIdOf(1), 10, hashOf(1))).outcome).toBe('registered');
    });

    it('a key already registered is returned as it is and consumes no token', async () => {
      await store.issueEnrollmentTokens(batchOf(1, [1]));
      const { device } = await store.registerDevice(deviceIdOf(1), 5);
      await store.setConsent(deviceIdOf(1), true);
      expect(await store.registerDeviceWithToken(deviceIdOf(1), 50, hashOf(1))).toEqual({ outcome: 'existing', device: { ...device, consentTraining: true } });
      expect(await store.registerDeviceWithToken(deviceIdOf(1), 60, hashOf(77))).toMatchObject({ outcome: 'existing' });
      expect((await store.listEnrollmentBatches())[0]).toMatchObject({ used: 0, revoked: 0 });
    });

    it('two registrations racing for one token: exactly one device gets it', async () => {
      await store.issueEnrollmentTokens(batchOf(1, [1]));
      const results = await Promise.all([1, 2, 3].map((n) => store.registerDeviceWithToken(deviceIdOf(n), 10, hashOf(1))));
      expect(results.map((r) => r.outcome).sort()).toEqual(['registered', 'token_used', 'token_used']);
      expect(await store.listDevices()).toHaveLength(1);
    });

    it('revokes unused tokens by hash, by batch or all; used ones stay used; a second revocation revokes nothing', async () => {
      await store.issueEnrollmentTokens(batchOf(1, [1, 2, 3]));
      await store.issueEnrollmentTokens(batchOf(2, [4, 5, 6]));
      await store.registerDeviceWithToken(deviceIdOf(1), 10, hashOf(1));
      await store.registerDeviceWithToken(deviceIdOf(4), 10, hashOf(4));
      expect(await store.revokeEnrollmentTokens({ hashes: [hashOf(1), hashOf(2), hashOf(99)] })).toBe(1);
      expect(await store.revokeEnrollmentTokens({ batchId: batchIdOf(2) })).toBe(2);
      expect(await store.revokeEnrollmentTokens({ batchId: batchIdOf(7) })).toBe(0);
      expect(await store.listEnrollmentBatches()).toEqual([
        { batchId: batchIdOf(1), issuedAt: 101, issued: 3, used: 1, revoked: 1 },
        { batchId: batchIdOf(2), issuedAt: 102, issued: 3, used: 1, revoked: 2 },
      ]);
      expect(await store.revokeEnrollmentTokens({ allUnused: true })).toBe(1);
      expect(await store.revokeEnrollmentTokens({ allUnused: true })).toBe(0);
      expect(await store.getDevice(deviceIdOf(1))).toBeDefined(); // a revocation never unregisters a device
    });

    it('lists batches oldest first', async () => {
      await store.issueEnrollmentTokens(batchOf(3, [1], 50));
      await store.issueEnrollmentTokens(batchOf(4, [2], 20));
      expect((await store.listEnrollmentBatches()).map((b) => b.batchId)).toEqual([batchIdOf(4), batchIdOf(3)]);
    });

    it('refuses a batch id or a hash issued before as store.conflict, storing nothing of the batch', async () => {
      await store.issueEnrollmentTokens(batchOf(1, [1, 2]));
      await expect(store.issueEnrollmentTokens(batchOf(1, [3]))).rejects.toMatchObject({ code: 'store.conflict' });
      await expect(store.issueEnrollmentTokens(batchOf(2, [3, 2]))).rejects.toMatchObject({ code: 'store.conflict' });
      expect(await store.listEnrollmentBatches()).toEqual([{ batchId: batchIdOf(1), issuedAt: 101, issued: 2, used: 0, revoked: 0 }]);
      expect(await store.registerDeviceWithToken(deviceIdOf(1), 10, hashOf(3))).toEqual({ outcome: 'token_unknown' });
    });

    it.each([
      ['no hashes', { batchId: batchIdOf(1), issuedAt: 1, hashes: [] }],
      ['a 31-byte hash', { batchId: batchIdOf(1), issuedAt: 1, hashes: [new Uint8Array(31)] }],
      ['a repeated hash', { batchId: batchIdOf(1), issuedAt: 1, hashes: [hashOf(1), hashOf(1)] }],
      ['an upper-case batch id', { batchId: 'ABCDEF0123456789', issuedAt: 1, hashes: [hashOf(1)] }],
      ['a short batch id', { batchId: 'abc', issuedAt: 1, hashes: [hashOf(1)] }],
      ['a negative time', { batchId: batchIdOf(1), issuedAt: -1, hashes: [hashOf(1)] }],
    ])('refuses to issue a batch with %s as store.invalid', async (_label, batch) => {
      await expect(store.issueEnrollmentTokens(batch)).rejects.toMatchObject({ code: 'store.invalid' });
      expect(await store.listEnrollmentBatches()).toEqual([]);
    });

    it('refuses a malformed token hash, device id or revocation as store.invalid', async () => {
      await expect(store.registerDeviceWithToken(deviceIdOf(1), 1, new Uint8Array(16))).rejects.toMatchObject({ code: 'store.invalid' });
      await expect(store.registerDeviceWithToken('short', 1, hashOf(1))).rejects.toMatchObject({ code: 'store.invalid' });
      await expect(store.registerDeviceWithToken(deviceIdOf(1), 1.5, hashOf(1))).rejects.toMatchObject({ code: 'store.invalid' });
      await expect(store.revokeEnrollmentTokens({ hashes: [new Uint8Array(33)] })).rejects.toMatchObject({ code: 'store.invalid' });
      await expect(store.revokeEnrollmentTokens({ batchId: 'nope' })).rejects.toMatchObject({ code: 'store.invalid' });
      await expect(store.revokeEnrollmentTokens({ allUnused: false } as never)).rejects.toMatchObject({ code: 'store.invalid' });
    });
  });
}
