// One contract, every device store: the same cases run against IndexedDB (fake-indexeddb) and memory.
import { describe, expect, it } from 'vitest';
import { applyChange, defaultPermissions } from '../../../client/core/permissions';
import type { DeviceStore, RoundRecord } from '../../../client/store/store';
import { exportDocument } from '../../../client/store/export';
import { event } from '../fixtures';

const round = (sessionId: string, extra: Partial<RoundRecord> = {}): RoundRecord => ({
  kind: 'round', sessionId, round: 1, shard: 0, modelVersion: 3, startedAt: 10, bytesSent: { advertise: 300 }, clipNorm: 250, clipped: false, scale: 1000, deviceNoiseStd: 0, cohortSize: 12, ...extra,
});

/** Run the store contract against `open` (a fresh, empty store each call). */
export function storeContract(name: string, open: () => Promise<DeviceStore>): void {
  describe(`${name}: the device store contract`, () => {
    it('keeps events with ids, deletes one, and deletes those older than a time', async () => {
      const s = await open();
      const a = await s.addEvent(event('view', 1, 1000));
      await s.addEvent(event('rating', 2, 2000, 4));
      await s.addEvent(event('purchase', 3, 3000));
      expect((await s.events()).map((e) => e.time)).toEqual([1000, 2000, 3000]);
      await s.deleteEvent(a);
      expect((await s.events()).map((e) => e.time)).toEqual([2000, 3000]);
      expect(await s.deleteOlderThan(3000)).toBe(1);
      expect((await s.events()).map((e) => [e.type, e.time])).toEqual([['purchase', 3000]]);
    });

    it('starts with the default permissions and logs every change as (time, before, after)', async () => {
      const s = await open();
      expect(await s.permissions()).toEqual(defaultPermissions());
      const on = applyChange(defaultPermissions(), { kind: 'use', use: 'contribute', on: true });
      const entry = await s.setPermissions(on, 5);
      expect(entry).toMatchObject({ time: 5, before: defaultPermissions(), after: on });
      const off = applyChange(on, { kind: 'category', category: 'Drama', on: false });
      await s.setPermissions(off, 6);
      expect(await s.permissions()).toEqual(off);
      expect((await s.consentLog()).map((e) => [e.time, e.before, e.after])).toEqual([[5, defaultPermissions(), on], [6, on, off]]);
    });

    it('replaces a round record of the same session and appends others', async () => {
      const s = await open();
      await s.putSent(round('s1'));
      await s.putSent({ kind: 'assisted', time: 7, items: [1, 2], values: [5, 1], k: 50 });
      await s.putSent(round('s1', { outcome: { status: 'completed', modelVersion: 4 }, survivors: 12, amongSurvivors: true }));
      const sent = await s.sent();
      expect(sent).toHaveLength(2);
      expect(sent.find((r) => r.kind === 'round')).toMatchObject({ sessionId: 's1', outcome: { status: 'completed', modelVersion: 4 }, amongSurvivors: true });
    });

    it('settings, model, catalogue and identity round-trip; a removed setting is gone', async () => {
      const s = await open();
      await s.setSetting('notInterested', [3, 9]);
      await s.setSetting('variety', 0.25);
      expect(await s.setting('notInterested')).toEqual([3, 9]);
      await s.setSetting('variety', undefined);
      expect(await s.setting('variety')).toBeUndefined();
      await s.putModel({ version: 2, sha256: 'ab'.repeat(32), bytes: Uint8Array.of(1, 2, 3), savedAt: 9 });
      expect(await s.model()).toEqual({ version: 2, sha256: 'ab'.repeat(32), bytes: Uint8Array.of(1, 2, 3), savedAt: 9 });
      await s.putIdentity({ publicKey: new Uint8Array(32).fill(1), privateKey: new Uint8Array(64).fill(2), createdAt: 3 });
      expect((await s.identity())?.publicKey).toEqual(new Uint8Array(32).fill(1));
    });

    it('a wipe leaves only the receipts, and the export holds everything but the private key', async () => {
      const s = await open();
      await s.addEvent(event('view', 1, 1000));
      await s.setPermissions(applyChange(defaultPermissions(), { kind: 'use', use: 'contribute', on: true }), 5);
      await s.putSent(round('s2'));
      await s.putIdentity({ publicKey: new Uint8Array(32).fill(1), privateKey: new Uint8Array(64).fill(2), createdAt: 3 });
      const doc = await exportDocument(s, 42);
      expect(doc).toMatchObject({ format: 'confidant-device-export', exportedAt: 42, identity: { publicKey: 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE', createdAt: 3 } });
      expect(doc.events).toHaveLength(1);
      expect(doc.consentLog).toHaveLength(1);
      expect(JSON.stringify(doc)).not.toContain('privateKey');
      await s.addReceipt({ receivedAt: 1, receipt: { format: 'confidant-receipt' } as never, verifiedWith: 'k', verified: true });
      await s.wipeExceptReceipts();
      expect(await s.events()).toEqual([]);
      expect(await s.consentLog()).toEqual([]);
      expect(await s.sent()).toEqual([]);
      expect(await s.identity()).toBeUndefined();
      expect(await s.permissions()).toEqual(defaultPermissions());
      expect(await s.receipts()).toHaveLength(1);
    });
  });
}
