// Enrollment over real WebSockets on the SQLite store: under `token` each new device consumes one single-use token,
// every refusal has its code and consumes nothing, and registrations are rate limited per client address.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { REFUSALS } from '../../../shared/protocol/errors';
import { enrollmentTokenHash, newBatchId, newEnrollmentToken } from '../../../server/enrollment/tokens';
import { createServer, type ServerOptions, type RunningServer } from '../../../server/server';
import { SqliteStore } from '../../../server/store/sqlite-store';
import { authMessage, capturedLogger, connectDevice, HostDouble, newDevice, TestClient, sodium, type Received, type TestDevice } from '../helpers';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 }); // waits are on events: a hang is a bug, fail fast

const dir = mkdtempSync(join(tmpdir(), 'confidant-enrollment-'));
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

async function start(o: Partial<ServerOptions> = {}): Promise<{ server: RunningServer; store: SqliteStore }> {
  const d = join(dir, `db-${counter++}`);
  mkdirSync(d);
  store = SqliteStore.open(join(d, 'confidant.sqlite'));
  running = await createServer({ store, host: new HostDouble(), port: 0, sodium, logger: capturedLogger().logger, ...o, limits: { vectorLength: 8, ...o.limits } });
  return { server: running, store };
}

/** Issue `n` tokens into the store as the CLI does (only their hashes stored). */
async function issue(s: SqliteStore, n: number): Promise<string[]> {
  const tokens = Array.from({ length: n }, () => newEnrollmentToken());
  await s.issueEnrollmentTokens({ batchId: newBatchId(), issuedAt: 1, hashes: tokens.map((t) => enrollmentTokenHash(t)!) });
  return tokens;
}

/** Answer the challenge with `extra` fields (a token) and return the first answer. */
async function authenticate(url: string, device: TestDevice, extra: Record<string, unknown> = {}, register = true, headers?: Record<string, string>): Promise<{ client: TestClient; answer: Received }> {
  const client = await TestClient.open(url, headers);
  const challenge = (await client.next()) as unknown as { nonce: string; serverKey: string };
  client.send({ ...authMessage(device, challenge, register), ...extra });
  return { client, answer: await client.next() };
}

/** The answer is a refusal with `code`, and the connection is closed with the table's close code. */
async function refusedWith(attempt: { client: TestClient; answer: Received }, code: keyof typeof REFUSALS, path?: string[]): Promise<void> {
  expect(attempt.answer).toMatchObject({ type: 'refused', code, ...(path && { path }) });
  expect(await attempt.client.closed).toEqual({ code: REFUSALS[code].ws, reason: code });
}

const metric = async (server: RunningServer, code: string): Promise<number> => {
  const text = await (await fetch(`${server.url}/v1/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`confidant_refusals_total{code="${code}",transport="ws"} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('enrollment: token', () => {
  it('a valid token registers the device (durably, before welcome) and is then used', async () => {
    const { server, store } = await start({ enrollment: 'token' });
    const [token] = await issue(store, 2);
    const device = newDevice();
    const { client, answer } = await authenticate(server.wsUrl, device, { token });
    expect(answer).toEqual({ type: 'welcome', deviceId: device.deviceId, registered: true });
    expect(await store.getDevice(device.deviceId)).toBeDefined();
    expect((await store.listEnrollmentBatches())[0]).toMatchObject({ issued: 2, used: 1 });
    await client.close();
  });

  it('re-authenticating a registered device needs no token, and consumes none', async () => {
    const { server, store } = await start({ enrollment: 'token' });
    const [token, spare] = await issue(store, 2);
    const device = newDevice();
    await (await authenticate(server.wsUrl, device, { token })).client.close();
    const withoutToken = await connectDevice(server.wsUrl, device, true);
    expect(withoutToken.welcome.registered).toBe(false);
    await withoutToken.client.close();
    const withSpare = await authenticate(server.wsUrl, device, { token: spare });
    expect(withSpare.answer).toMatchObject({ type: 'welcome', registered: false });
    await withSpare.client.close();
    expect((await store.listEnrollmentBatches())[0]).toMatchObject({ used: 1 });
  });

  it('register without a token: auth.token_required, nothing registered', async () => {
    const { server, store } = await start({ enrollment: 'token' });
    await issue(store, 1);
    const device = newDevice();
    await refusedWith(await authenticate(server.wsUrl, device), 'auth.token_required', ['token']);
    expect(await store.getDevice(device.deviceId)).toBeUndefined();
    expect(await metric(server, 'auth.token_required')).toBe(1);
  });

  it.each([
    ['malformed', () => 'not-a-token'],
    ['well-formed but never issued', () => newEnrollmentToken()],
  ])('a %s token: auth.token_invalid, and no token consumed', async (_label, make) => {
    const { server, store } = await start({ enrollment: 'token' });
    await issue(store, 1);
    const device = newDevice();
    await refusedWith(await authenticate(server.wsUrl, device, { token: make() }), 'auth.token_invalid', ['token']);
    expect(await store.getDevice(device.deviceId)).toBeUndefined();
    expect((await store.listEnrollmentBatches())[0]).toMatchObject({ used: 0 });
    expect(await metric(server, 'auth.token_invalid')).toBe(1);
  });

  it('a revoked token: auth.token_invalid', async () => {
    const { server, store } = await start({ enrollment: 'token' });
    const [token] = await issue(store, 1);
    await store.revokeEnrollmentTokens({ allUnused: true });
    const attempt = await authenticate(server.wsUrl, newDevice(), { token });
    expect(attempt.answer.message).toBe('this enrollment token was revoked');
    await refusedWith(attempt, 'auth.token_invalid');
  });

  it('a used token with another key: auth.token_used, the second key not registered', async () => {
    const { server, store } = await start({ enrollment: 'token' });
    const [token] = await issue(store, 1);
    await (await authenticate(server.wsUrl, newDevice(), { token })).client.close();
    const second = newDevice();
    await refusedWith(await authenticate(server.wsUrl, second, { token }), 'auth.token_used', ['token']);
    expect(await store.getDevice(second.deviceId)).toBeUndefined();
    expect(await metric(server, 'auth.token_used')).toBe(1);
  });

  it('two devices racing with one token on two connections: one welcome, one auth.token_used', async () => {
    const { server, store } = await start({ enrollment: 'token' });
    const [token] = await issue(store, 1);
    const attempts = await Promise.all([newDevice(), newDevice()].map((d) => authenticate(server.wsUrl, d, { token })));
    expect(attempts.map((a) => a.answer.type === 'welcome' ? 'welcome' : a.answer.code).sort()).toEqual(['auth.token_used', 'welcome']);
    expect(await store.listDevices()).toHaveLength(1);
    await Promise.all(attempts.map((a) => a.client.close()));
  });

  it.each([
    ['too long', 'x'.repeat(129)],
    ['empty', ''],
    ['not a string', 42],
  ])('a token that is %s is refused as message.invalid naming it; the server carries on', async (_label, token) => {
    const { server, store } = await start({ enrollment: 'token' });
    const [good] = await issue(store, 1);
    const attempt = await authenticate(server.wsUrl, newDevice(), { token });
    expect(attempt.answer).toMatchObject({ type: 'refused', code: 'message.invalid', path: ['token'] });
    await attempt.client.close();
    expect((await authenticate(server.wsUrl, newDevice(), { token: good })).answer.type).toBe('welcome');
  });
});

describe('enrollment: open', () => {
  it('registers any key without a token, and ignores a token if one is sent (consuming nothing)', async () => {
    const { server, store } = await start();
    const [token] = await issue(store, 1);
    expect((await connectDevice(server.wsUrl, newDevice())).welcome.registered).toBe(true);
    const withToken = await authenticate(server.wsUrl, newDevice(), { token });
    expect(withToken.answer).toMatchObject({ type: 'welcome', registered: true });
    expect((await store.listEnrollmentBatches())[0]).toMatchObject({ used: 0 });
  });
});

describe('registrations per address', () => {
  it('refuses registrations past the rate with auth.registration_rate_limited; known devices still connect; the rate refills', async () => {
    let t = 0;
    const { server, store } = await start({ limits: { vectorLength: 8, registrationsPerAddressPerHour: 2 }, now: () => t });
    const known = newDevice();
    await (await connectDevice(server.wsUrl, known)).client.close();
    await (await connectDevice(server.wsUrl, newDevice())).client.close();
    const third = newDevice();
    await refusedWith(await authenticate(server.wsUrl, third), 'auth.registration_rate_limited');
    expect(await store.getDevice(third.deviceId)).toBeUndefined();
    expect(await metric(server, 'auth.registration_rate_limited')).toBe(1);
    // Authenticating a registered device is not a registration, even with register: true.
    await (await connectDevice(server.wsUrl, known, true)).client.close();
    t += 1_800_000; // half an hour at 2 per hour: one more
    expect((await connectDevice(server.wsUrl, third)).welcome.registered).toBe(true);
    await refusedWith(await authenticate(server.wsUrl, newDevice()), 'auth.registration_rate_limited');
  });

  it('under token enrollment a wrong guess takes from the rate too, and the good token is left unused when refused', async () => {
    const { server, store } = await start({ enrollment: 'token', limits: { vectorLength: 8, registrationsPerAddressPerHour: 2 }, now: () => 0 });
    const [token] = await issue(store, 1);
    for (let n = 0; n < 2; n++) await refusedWith(await authenticate(server.wsUrl, newDevice(), { token: newEnrollmentToken() }), 'auth.token_invalid');
    await refusedWith(await authenticate(server.wsUrl, newDevice(), { token }), 'auth.registration_rate_limited');
    expect((await store.listEnrollmentBatches())[0]).toMatchObject({ used: 0 });
  });

  it('counts the address X-Forwarded-For gives only with --trust-proxy', async () => {
    const limits = { vectorLength: 8, registrationsPerAddressPerHour: 1 };
    const behindProxy = await start({ limits, trustProxy: 1, now: () => 0 });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    expect((await authenticate(behindProxy.server.wsUrl, newDevice(), {}, true, from('203.0.113.7'))).answer.type).toBe('welcome');
    expect((await authenticate(behindProxy.server.wsUrl, newDevice(), {}, true, from('198.51.100.2'))).answer.type).toBe('welcome');
    await refusedWith(await authenticate(behindProxy.server.wsUrl, newDevice(), {}, true, from('203.0.113.7')), 'auth.registration_rate_limited');
    await running!.close();
    await store!.close();
    running = undefined;

    const direct = await start({ limits, now: () => 0 }); // no trust: the header is anyone's to write, so it is ignored
    expect((await authenticate(direct.server.wsUrl, newDevice(), {}, true, from('203.0.113.7'))).answer.type).toBe('welcome');
    await refusedWith(await authenticate(direct.server.wsUrl, newDevice(), {}, true, from('198.51.100.2')), 'auth.registration_rate_limited');
  });
});
