// Connection caps over real WebSockets: per client address (refused with a code, counted) and in all (503, counted).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { REFUSALS } from '../../../shared/protocol/errors';
import { createServer, type RunningServer, type ServerOptions } from '../../../server/server';
import { SqliteStore } from '../../../server/store/sqlite-store';
import { capturedLogger, connectDevice, HostDouble, newDevice, TestClient, sodium } from '../helpers';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 }); // waits are on events: a hang is a bug, fail fast

const dir = mkdtempSync(join(tmpdir(), 'confidant-per-address-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

let running: RunningServer | undefined;
let store: SqliteStore | undefined;
afterEach(async () => {
  await running?.close();
  await store?.close();
  running = undefined;
  store = undefined;
});

async function start(o: Partial<ServerOptions>): Promise<{ server: RunningServer; host: HostDouble }> {
  const d = join(dir, `db-${counter++}`);
  mkdirSync(d);
  store = SqliteStore.open(join(d, 'confidant.sqlite'));
  const host = new HostDouble();
  running = await createServer({ store, host, port: 0, sodium, logger: capturedLogger().logger, ...o, limits: { vectorLength: 8, ...o.limits } });
  return { server: running, host };
}

const metric = async (server: RunningServer, code: string): Promise<number> => {
  const text = await (await fetch(`${server.url}/v1/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`confidant_refusals_total{code="${code}",transport="ws"} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('connections per address', () => {
  it('refuses one past the cap with limit.connections_per_address (before any challenge), and admits again once one closes', async () => {
    const { server, host } = await start({ limits: { vectorLength: 8, maxConnectionsPerAddress: 2 } });
    const first = newDevice();
    const a = await connectDevice(server.wsUrl, first);
    const b = await connectDevice(server.wsUrl, newDevice());
    const over = await TestClient.open(server.wsUrl);
    expect(await over.next()).toMatchObject({ type: 'refused', code: 'limit.connections_per_address' });
    expect(await over.closed).toEqual({ code: REFUSALS['limit.connections_per_address'].ws, reason: 'limit.connections_per_address' });
    expect(await metric(server, 'limit.connections_per_address')).toBe(1);
    await a.client.close();
    await host.waitFor('disconnected', (c) => c.deviceId === first.deviceId); // the server has seen the close
    const c = await connectDevice(server.wsUrl, newDevice());
    expect(c.welcome.type).toBe('welcome');
    await Promise.all([b.client.close(), c.client.close()]);
  });

  it('with --trust-proxy, clients behind one proxy are counted by their forwarded address', async () => {
    const { server } = await start({ trustProxy: 1, limits: { vectorLength: 8, maxConnectionsPerAddress: 1 } });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const a = await TestClient.open(server.wsUrl, from('203.0.113.7'));
    const b = await TestClient.open(server.wsUrl, from('198.51.100.2'));
    expect((await a.next()).type).toBe('challenge');
    expect((await b.next()).type).toBe('challenge');
    const again = await TestClient.open(server.wsUrl, from('203.0.113.7'));
    expect(await again.next()).toMatchObject({ code: 'limit.connections_per_address' });
    await Promise.all([a.close(), b.close()]);
  });

  it('without --trust-proxy, X-Forwarded-For changes nothing: every connection is the socket\'s address', async () => {
    const { server } = await start({ limits: { vectorLength: 8, maxConnectionsPerAddress: 1 } });
    const a = await TestClient.open(server.wsUrl, { 'x-forwarded-for': '203.0.113.7' });
    const b = await TestClient.open(server.wsUrl, { 'x-forwarded-for': '198.51.100.2' });
    expect(await b.next()).toMatchObject({ code: 'limit.connections_per_address' });
    await a.close();
  });

  it('0 is no limit', async () => {
    const { server } = await start({ limits: { vectorLength: 8, maxConnectionsPerAddress: 0 } });
    const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.open(server.wsUrl)));
    for (const c of clients) expect((await c.next()).type).toBe('challenge');
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('connections in all', () => {
  it('refuses the upgrade with 503 past maxConnections and counts limit.connections', async () => {
    const { server } = await start({ limits: { vectorLength: 8, maxConnections: 1 } });
    const a = await TestClient.open(server.wsUrl);
    await expect(TestClient.open(server.wsUrl)).rejects.toThrow('upgrade refused: 503');
    expect(await metric(server, 'limit.connections')).toBe(1);
    await a.close();
  });
});
