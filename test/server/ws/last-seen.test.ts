// Last-seen times are batched: an authentication writes nothing, a flush writes all in one store call, shutdown
// flushes, and registration stays durable before `welcome` (on the real SQLite store).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createServer } from '../../../server/server';
import { SqliteStore } from '../../../server/store/sqlite-store';
import type { DeviceSeen } from '../../../server/store/store';
import { LastSeenBatcher } from '../../../server/ws/last-seen';
import { capturedLogger, connectDevice, HostDouble, newDevice, sodium } from '../helpers';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 }); // waits are on events: a hang is a bug, fail fast

const dir = mkdtempSync(join(tmpdir(), 'confidant-last-seen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => {
  const d = join(dir, `db-${counter++}`);
  mkdirSync(d);
  return join(d, 'confidant.sqlite');
};
/** Hours in ms, so the times read as what they are. */
const HOUR = 3_600_000;

describe('LastSeenBatcher', () => {
  it('keeps the latest time per device and writes them all in one call; a device deleted meanwhile is skipped', async () => {
    const store = SqliteStore.open(freshPath());
    const calls: DeviceSeen[][] = [];
    const touchDevices = store.touchDevices.bind(store);
    store.touchDevices = (seen) => (calls.push([...seen]), touchDevices(seen));
    const [a, b, gone] = [newDevice(), newDevice(), newDevice()];
    for (const d of [a, b]) await store.registerDevice(d.deviceId, HOUR);
    const batcher = new LastSeenBatcher(store, capturedLogger().logger, HOUR);
    batcher.note(a.deviceId, 3 * HOUR);
    batcher.note(a.deviceId, 2 * HOUR); // older: the later time is kept
    batcher.note(b.deviceId, 4 * HOUR);
    batcher.note(gone.deviceId, 5 * HOUR);
    expect((await store.getDevice(a.deviceId))?.lastSeen).toBe(HOUR); // nothing written yet
    expect(await batcher.flush()).toBe(2);
    expect(calls).toHaveLength(1);
    expect((await store.getDevice(a.deviceId))?.lastSeen).toBe(3 * HOUR);
    expect((await store.getDevice(b.deviceId))?.lastSeen).toBe(4 * HOUR);
    expect(batcher.size).toBe(0);
    expect(await batcher.flush()).toBe(0);
    expect(calls).toHaveLength(1); // nothing pending: no store call at all
    await batcher.close();
    await store.close();
  });

  it('a failed write is kept for the next flush, merged with what was noted since', async () => {
    const store = SqliteStore.open(freshPath());
    const device = newDevice();
    await store.registerDevice(device.deviceId, HOUR);
    const touchDevices = store.touchDevices.bind(store);
    let fail = true;
    store.touchDevices = (seen) => (fail ? Promise.reject(new Error('disk full')) : touchDevices(seen));
    const { logger, lines } = capturedLogger();
    const batcher = new LastSeenBatcher(store, logger, HOUR);
    batcher.note(device.deviceId, 2 * HOUR);
    expect(await batcher.flush()).toBe(0);
    expect(lines.join('')).toContain('last-seen flush failed');
    fail = false;
    await batcher.close();
    expect((await store.getDevice(device.deviceId))?.lastSeen).toBe(2 * HOUR);
    await store.close();
  });

  it('flushes on its interval', async () => {
    const store = SqliteStore.open(freshPath());
    const device = newDevice();
    await store.registerDevice(device.deviceId, HOUR);
    const touchDevices = store.touchDevices.bind(store);
    const flushed = new Promise<void>((resolve) => {
      store.touchDevices = async (seen) => {
        const moved = await touchDevices(seen);
        resolve();
        return moved;
      };
    });
    const batcher = new LastSeenBatcher(store, capturedLogger().logger, 10);
    batcher.note(device.deviceId, 2 * HOUR);
    await flushed; // the event, not a sleep: the timer's write has happened
    expect((await store.getDevice(device.deviceId))?.lastSeen).toBe(2 * HOUR);
    await batcher.close();
    await store.close();
  });
});

describe('the gateway', () => {
  it('writes no last-seen time when a device authenticates, and all of them when it shuts down', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    let t = HOUR;
    const running = await createServer({ store, host: new HostDouble(), port: 0, sodium, logger: capturedLogger().logger, limits: { vectorLength: 8 }, now: () => t });
    const device = newDevice();
    const first = await connectDevice(running.wsUrl, device);
    expect(first.welcome.registered).toBe(true);
    // Registration is durable before welcome: another connection to the file sees the device already.
    const other = SqliteStore.open(path, { sweepKeys: false });
    expect(await other.getDevice(device.deviceId)).toMatchObject({ registeredAt: HOUR });
    await other.close();
    await first.client.close();
    t = 5 * HOUR;
    const again = await connectDevice(running.wsUrl, device, false);
    expect((await store.getDevice(device.deviceId))?.lastSeen).toBe(HOUR); // not written on the authentication
    await again.client.close();
    await running.close();
    expect((await store.getDevice(device.deviceId))?.lastSeen).toBe(5 * HOUR);
    await store.close();
  });
});
