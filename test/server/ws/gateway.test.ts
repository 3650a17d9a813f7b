// The gateway's happy paths over real loopback WebSockets: challenge, registration, consent, forwarding, replacement.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeMaskedFrame } from '../../../shared/protocol/binary-frame';
import { toBase64Url } from '../../../shared/protocol/encoding';
import { PROTOCOL_VERSION } from '../../../shared/protocol/messages';
import { createServer, type RunningServer } from '../../../server/server';
import { MemoryStore } from '../../../server/store/memory-store';
import { capturedLogger, connectDevice, HostDouble, newDevice, SESSION, sodium, TestClient } from '../helpers';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 }); // waits are on events: a hang is a bug, fail fast

const VECTOR_LENGTH = 16;
let running: RunningServer;
const store = new MemoryStore();
const host = new HostDouble();

beforeAll(async () => {
  running = await createServer({ store, host, port: 0, sodium, logger: capturedLogger().logger, limits: { vectorLength: VECTOR_LENGTH, maxCohort: 4 } });
});
afterAll(async () => {
  await running.close();
});

describe('authentication', () => {
  it('sends a fresh challenge with the server key on every connection', async () => {
    const a = await TestClient.open(running.wsUrl);
    const b = await TestClient.open(running.wsUrl);
    const [ca, cb] = [await a.next(), await b.next()];
    expect(ca).toMatchObject({ type: 'challenge', v: PROTOCOL_VERSION, serverKey: toBase64Url(running.serverKey) });
    expect(ca.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cb.nonce).not.toBe(ca.nonce);
    await Promise.all([a.close(), b.close()]);
  });

  it('registers a new device (consent off), welcomes it and hands its channel to the host', async () => {
    const device = newDevice();
    const { client, welcome } = await connectDevice(running.wsUrl, device);
    expect(welcome).toEqual({ type: 'welcome', deviceId: device.deviceId, registered: true });
    const connected = await host.waitFor('connected', (c) => c.deviceId === device.deviceId);
    expect(connected.training).toBe(false);
    expect(await store.getDevice(device.deviceId)).toMatchObject({ deviceId: device.deviceId, consentTraining: false });
    await client.close();
    await host.waitFor('disconnected', (c) => c.deviceId === device.deviceId);
  });

  it('registering an existing key just authenticates it, and register:false works for a known device', async () => {
    const device = newDevice();
    await (await connectDevice(running.wsUrl, device)).client.close();
    const again = await connectDevice(running.wsUrl, device, true);
    expect(again.welcome.registered).toBe(false);
    await again.client.close();
    const known = await connectDevice(running.wsUrl, device, false);
    expect(known.welcome).toEqual({ type: 'welcome', deviceId: device.deviceId, registered: false });
    await known.client.close();
  });
});

describe('after authentication', () => {
  it('stores consent and tells the host; the next connection reports it', async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    client.send({ type: 'consent', training: true });
    expect(await host.waitFor('consent', (c) => c.deviceId === device.deviceId)).toMatchObject({ training: true });
    expect((await store.getDevice(device.deviceId))?.consentTraining).toBe(true);
    await client.close();
    const second = await connectDevice(running.wsUrl, device, false);
    await host.waitFor('connected', (c) => c.deviceId === device.deviceId && c.training);
    await second.client.close();
  });

  it('forwards a parsed JSON round message, and a binary masked vector decoded', async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    client.send({ type: 'leave', sessionId: SESSION, round: 3 });
    const leave = await host.waitFor('receive', (c) => c.deviceId === device.deviceId && c.message.type === 'leave');
    expect(leave.message).toEqual({ type: 'leave', sessionId: SESSION, round: 3 });

    const vector = Uint32Array.from({ length: VECTOR_LENGTH }, (_, n) => (n * 2654435761) >>> 0);
    const header = { type: 'masked' as const, sessionId: SESSION, round: 3, length: VECTOR_LENGTH };
    client.sendBinary(encodeMaskedFrame(header, vector));
    const masked = await host.waitFor('receive', (c) => c.deviceId === device.deviceId && c.message.type === 'masked');
    expect(masked.message).toEqual({ type: 'masked', header, vector });
    await client.close();
  });

  it('the channel given to the host sends to the device', async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    const { channel } = await host.waitFor('connected', (c) => c.deviceId === device.deviceId);
    expect(channel.deviceId).toBe(device.deviceId);
    channel.send({ type: 'result', sessionId: SESSION, round: 1, status: 'aborted', reason: 'test' });
    expect(await client.next()).toEqual({ type: 'result', sessionId: SESSION, round: 1, status: 'aborted', reason: 'test' });
    channel.close(1008, 'stage.late');
    expect(await client.closed).toEqual({ code: 1008, reason: 'stage.late' });
  });

  it('a second connection of the same device replaces the first: old closed, host told in order', async () => {
    const device = newDevice();
    const first = await connectDevice(running.wsUrl, device);
    const firstChannel = (await host.waitFor('connected', (c) => c.deviceId === device.deviceId)).channel;
    const second = await connectDevice(running.wsUrl, device, false);
    expect((await first.client.closed).code).toBe(1000);
    const mine = host.calls.filter((c) => c.deviceId === device.deviceId).map((c) => c.kind);
    expect(mine).toEqual(['connected', 'disconnected', 'connected']);
    firstChannel.send({ type: 'result', sessionId: SESSION, round: 1, status: 'completed' }); // to a closed socket: dropped, no throw

    second.client.send({ type: 'leave', sessionId: SESSION, round: 9 });
    await host.waitFor('receive', (c) => c.deviceId === device.deviceId && c.message.type === 'leave');
    await second.client.close();
    await host.waitFor('disconnected', (c) => c.deviceId === device.deviceId && host.calls.filter((x) => x.kind === 'disconnected' && x.deviceId === device.deviceId).length === 2);
  });
});

describe('keys', () => {
  it('keeps the server key across restarts on the same store', async () => {
    const other = await createServer({ store, host: new HostDouble(), port: 0, sodium, logger: capturedLogger().logger, limits: { vectorLength: 4 } });
    expect(other.serverKey).toEqual(running.serverKey);
    await other.close();
  });
});
