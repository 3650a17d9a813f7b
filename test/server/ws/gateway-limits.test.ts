// The gateway's caps over real WebSockets: message rate, handshake deadline, connection count, path.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REFUSALS } from '../../../shared/protocol/errors';
import { createServer, type RunningServer } from '../../../server/server';
import { MemoryStore } from '../../../server/store/memory-store';
import type { GatewayLimits } from '../../../server/ws/limits';
import { capturedLogger, connectDevice, HostDouble, newDevice, SESSION, sodium, TestClient } from '../helpers';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 }); // waits are on events: a hang is a bug, fail fast

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(limits: Partial<GatewayLimits>, now?: () => number) {
  const host = new HostDouble();
  running = await createServer({ store: new MemoryStore(), host, port: 0, sodium, logger: capturedLogger().logger, limits: { vectorLength: 8, ...limits }, ...(now ? { now } : {}) });
  return { host, server: running };
}

describe('rate limit', () => {
  it('refuses messages beyond the burst with rate.limited and forwards none of them', async () => {
    const frozen = 1_000_000; // a clock that never moves: no refill, so the count is exact
    const { host, server } = await start({ rateBurst: 3, ratePerSecond: 1, maxViolations: 100 }, () => frozen);
    const device = newDevice();
    const { client } = await connectDevice(server.wsUrl, device); // the auth message takes one token
    for (let round = 1; round <= 4; round++) client.send({ type: 'leave', sessionId: SESSION, round });
    await host.waitFor('receive', (c) => c.message.type === 'leave' && c.message.round === 2);
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'rate.limited' });
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'rate.limited' });
    expect(host.calls.filter((c) => c.kind === 'receive').map((c) => c.kind === 'receive' && c.message.type === 'leave' && c.message.round)).toEqual([1, 2]);
    await client.close();
  });

  it('refills with time: a message later on the injected clock goes through', async () => {
    let t = 0;
    const { host, server } = await start({ rateBurst: 2, ratePerSecond: 1 }, () => t);
    const { client } = await connectDevice(server.wsUrl, newDevice());
    client.send({ type: 'leave', sessionId: SESSION, round: 1 });
    client.send({ type: 'leave', sessionId: SESSION, round: 2 });
    expect(await client.next()).toMatchObject({ code: 'rate.limited' });
    t += 1_000;
    client.send({ type: 'leave', sessionId: SESSION, round: 3 });
    await host.waitFor('receive', (c) => c.message.type === 'leave' && c.message.round === 3);
    await client.close();
  });
});

describe('handshake deadline', () => {
  it('a connection that does not authenticate in time is told auth.required and closed', async () => {
    const { server } = await start({ handshakeTimeoutMs: 50 });
    const client = await TestClient.open(server.wsUrl);
    expect((await client.next()).type).toBe('challenge');
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'auth.required' });
    expect(await client.closed).toEqual({ code: REFUSALS['auth.required'].ws, reason: 'auth.required' });
  });

  it('an authenticated connection is not closed by the deadline', async () => {
    const { host, server } = await start({ handshakeTimeoutMs: 50 });
    const device = newDevice();
    const { client } = await connectDevice(server.wsUrl, device);
    // A second, idle connection hits the deadline; by then the first is long past it too.
    const idle = await TestClient.open(server.wsUrl);
    await idle.closed;
    client.send({ type: 'leave', sessionId: SESSION, round: 1 });
    await host.waitFor('receive', (c) => c.deviceId === device.deviceId);
    await client.close();
  });
});

describe('connections', () => {
  it('refuses the upgrade with 503 beyond maxConnections, and accepts again once one closes', async () => {
    const { server } = await start({ maxConnections: 2 });
    const a = await TestClient.open(server.wsUrl);
    const b = await TestClient.open(server.wsUrl);
    await expect(TestClient.open(server.wsUrl)).rejects.toThrow('upgrade refused: 503');
    await a.close();
    const c = await TestClient.open(server.wsUrl);
    expect((await c.next()).type).toBe('challenge');
    await Promise.all([b.close(), c.close()]);
  });

  it.each(['/ws', '/v1/ws/extra', '/v1/health'])('refuses an upgrade on %s with 404', async (path) => {
    const { server } = await start({});
    await expect(TestClient.open(server.url.replace('http', 'ws') + path)).rejects.toThrow('upgrade refused: 404');
  });

  it('a peer that stops answering pings is dropped, and the host told', async () => {
    const { host, server } = await start({ heartbeatMs: 100 });
    const device = newDevice();
    const { client } = await connectDevice(server.wsUrl, device);
    client.ws.pause(); // stop reading: the client's automatic pongs stop with it
    await host.waitFor('disconnected', (c) => c.deviceId === device.deviceId);
    client.ws.terminate();
  });

  it('close() ends every connection with 1001', async () => {
    const { server } = await start({});
    const { client } = await connectDevice(server.wsUrl, newDevice());
    const pending = await TestClient.open(server.wsUrl);
    await server.close();
    running = undefined;
    expect((await client.closed).code).toBe(1001);
    expect((await pending.closed).code).toBe(1001);
  });
});
