// Deletion end to end, over real WebSockets and HTTP on loopback with the SQLite store: devices train, one asks to be
// deleted with a signed request, gets a receipt that verifies with the published key, its shard is rolled back
// and the rolled-back model is served at once; nothing of its key is left on disk or in the logs; replays and bad
// requests are refused with the right problem; the deleted device can no longer connect or train.
import { NO_SYBILS, TEST_FLOORS } from '../conformance/harness';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import _sodium from 'libsodium-wrappers';
import WebSocket from 'ws';
import { initBackend } from '../../models/backend';
import { END_OF_ROUND_DEFAULTS } from '../../models/federated/end-of-round';
import { initialTable } from '../../models/mf/model';
import { buildHistories } from '../../models/mf/histories';
import { splitServedFile } from '../../models/served-file';
import { generateSynthetic } from '../../bench/datasets';
import { createServer, type RunningServer } from '../../server/server';
import { SqliteStore } from '../../server/store/sqlite-store';
import { initialiseWith } from '../../server/training/initial-model';
import { createCoordinator, type Coordinator } from '../../server/rounds/coordinator';
import { createDeletionService } from '../../server/forgetting/deletion-service';
import { checkReceipt, deletionLogSchema, deletionPayload, deletionResponseSchema, deviceKeyHash, receiptHash, type Receipt } from '../../shared/protocol/deletion';
import { keysResponseSchema, transparencyResponseSchema } from '../../shared/protocol/http';
import { fromBase64Url, toBase64Url } from '../../shared/protocol/encoding';
import { createRng } from '../../shared/math/random';
import { sign, verify, type SigningKeyPair } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import { connectDevice, type SocketLike } from '../../client/rounds/connection';
import { memorySpentModels } from '../../client/rounds/spent-models';
import { createParticipant } from '../../client/rounds/participant';
import { capturedLogger } from '../server/helpers';
import { startDevice, type Device } from './fleet';

const DEVICES = 8;
let sodium: Sodium;
let dir: string;
let server: RunningServer;
let store: SqliteStore;
let coordinator: Coordinator;
let devices: Device[] = [];
const { logger, lines } = capturedLogger();
const waiters: (() => void)[] = [];

/** Resolve once `ready()` holds, checked at every coordinator event (never on a timer). */
function when(ready: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (ready() ? resolve() : waiters.push(check));
    check();
  });
}

/** A signed deletion request of a device, as it goes on the wire. */
function deletionRequest(identity: SigningKeyPair, nonce = sodium.randombytes_buf(16), timestamp = Date.now()) {
  return { deviceId: toBase64Url(identity.publicKey), nonce: toBase64Url(nonce), timestamp, signature: toBase64Url(sign(sodium, identity.privateKey, deletionPayload(identity.publicKey, nonce, timestamp))) };
}

const post = (body: unknown) => fetch(`${server.url}/v1/deletions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  await initBackend();
  await _sodium.ready;
  sodium = _sodium;
  dir = await mkdtemp(path.join(tmpdir(), 'confidant-forget-'));
  store = SqliteStore.open(path.join(dir, 'confidant.sqlite'));
  const rng = createRng(4);
  await initialiseWith(store, [{ params: { kind: 'implicit', lambda: 5, alpha: 5, valueScale: 5 }, table: initialTable(40, 4, 0.1, rng.normal) }], Date.now());
  coordinator = createCoordinator({
    store,
    sodium,
    samplingKey: new Uint8Array(32).fill(3),
    settings: { samplingRate: 1, graph: 'complete', clipNorm: 100, localEpochs: 1, endOfRound: END_OF_ROUND_DEFAULTS, stageTimeoutMs: 5_000, minCohort: 3, safety: NO_SYBILS, checkpoints: { keep: 4, spacing: 'uniform' } },
    log: (event, fields) => {
      logger.info(fields, event);
      waiters.splice(0).forEach((w) => w());
    },
  });
  const deletions = createDeletionService({ store, control: coordinator, sodium, delta: null, log: (event, fields) => logger.info(fields, event) });
  await store.receiptKey(() => sodium.crypto_sign_keypair(), Date.now());
  const catalogue = Array.from({ length: 40 }, (_, n) => ({ externalId: String(n + 1), title: `Film ${n + 1}`, categories: ['Drama'] }));
  const facts = { samplingRate: 1, clipNorm: 100, graph: 'complete' as const, minCohort: 3, serverLearningRate: 0.5, averaging: 0.9, privacy: { mode: 'off' as const, noiseMultiplier: 1, delta: 1e-6, epsilonBudget: 8 } };
  server = await createServer({ store, host: coordinator, port: 0, sodium, logger, deletions, serving: { catalogue, facts } });
  const histories = buildHistories(generateSynthetic({ users: DEVICES, items: 40, categories: 4, dim: 4, meanInteractions: 10, seed: 9 }).data).byUser;
  devices = await Promise.all(histories.map((history) => startDevice({ server, sodium, history })));
  await when(() => coordinator.eligibleDevices() === DEVICES);
});

afterAll(async () => {
  for (const d of devices) d.connection.close();
  await server?.close();
  await store?.close();
});

describe('a device asks to be forgotten', () => {
  let victim: Device;
  let receipt: Receipt;
  let request: ReturnType<typeof deletionRequest>;
  let versionBefore: number;

  it('trains first: two rounds with every device', async () => {
    for (let r = 0; r < 2; r++) expect(await coordinator.runRound(0)).toMatchObject({ status: 'completed', contributors: DEVICES });
    versionBefore = (await store.latestModelInfo())!.version;
    victim = devices[3]!;
  });

  it('is answered with a receipt that verifies with the published key, the shard rolled back and that model served at once', async () => {
    request = deletionRequest(victim.identity);
    const res = await post(request);
    expect(res.status).toBe(200);
    const body = deletionResponseSchema.parse(await res.json());
    expect(body.status).toBe('done');
    receipt = body.receipt!;
    const keys = keysResponseSchema.parse(await (await fetch(`${server.url}/v1/keys`)).json()).keys;
    const key = keys.find((k) => k.id === receipt.keyId && k.use.includes('receipts'))!;
    expect(checkReceipt(receipt, fromBase64Url(key.publicKey), (pk, m, s) => verify(sodium, pk, m, s))).toEqual({ ok: true, receipt });
    // It contributed to the model at step 0: the shard goes back to the initial checkpoint.
    expect(receipt).toMatchObject({ index: 0, deviceKeyHash: deviceKeyHash(victim.identity.publicKey), shard: 0, checkpoint: { step: 0 }, servedVersion: { version: versionBefore + 1 }, epsilon: null });
    const served = await fetch(`${server.url}/v1/model`);
    expect(served.headers.get('etag')).toBe(`"${receipt.servedVersion.sha256}"`);
    const initial = (await store.getCheckpoint(0, 0))!;
    expect(splitServedFile(new Uint8Array(await served.arrayBuffer()))[0]).toEqual(initial.served);
    expect((await store.listShards())[0]!.lineage).toBe(1);
    const card = transparencyResponseSchema.parse(await (await fetch(`${server.url}/v1/transparency`)).json());
    expect(card.deletions).toEqual({ honoured: 1, pending: 0 });
    expect(card.versions[0]).toMatchObject({ version: versionBefore + 1, cause: 'rollback', shard: 0 });
  });

  it('closes the deleted device, which can no longer connect, even to register again', async () => {
    await victim.connection.closed;
    for (const register of [false, true]) {
      await expect(
        connectDevice({ url: server.wsUrl, createSocket: (u) => new WebSocket(u) as unknown as SocketLike, sodium, identity: victim.identity, register, training: true, participant: createParticipant({ sodium, identity: victim.identity, spent: memorySpentModels(), floors: TEST_FLOORS, computeUpdate: () => Promise.reject(new Error('unused')) }) }),
      ).rejects.toThrow(register ? /auth.unknown_device: this key was deleted/ : /auth.unknown_device/);
    }
  });

  it('after the rollback, only devices that never trained on the rolled-back model train on it; then everyone else goes on', async () => {
    devices = devices.filter((d) => d !== victim);
    // Everyone left trained on the initial model before: re-running it without the victim would let the server
    // subtract the two sums and read the victim's update. So the round waits for devices that never did.
    const waiting = await coordinator.runRound(0);
    expect(waiting).toMatchObject({ status: 'skipped' });
    expect(waiting.status === 'skipped' && waiting.reason).toMatch(/only devices that never trained on this model may train on it: 7 of 7 connected already did/);
    const histories = buildHistories(generateSynthetic({ users: 4, items: 40, categories: 4, dim: 4, meanInteractions: 10, seed: 10 }).data).byUser;
    const newcomers = await Promise.all(histories.map((history) => startDevice({ server, sodium, history })));
    await when(() => coordinator.eligibleDevices() === devices.length + newcomers.length);
    expect(await coordinator.runRound(0)).toMatchObject({ status: 'completed', contributors: 4 });
    devices.push(...newcomers);
    expect(await coordinator.runRound(0)).toMatchObject({ status: 'completed', contributors: DEVICES - 1 + 4 });
  });

  it('the same request again, or a new nonce, returns the same receipt; the chain lists it without identifiers', async () => {
    const again = deletionResponseSchema.parse(await (await post(request)).json());
    expect(again.receipt).toEqual(receipt);
    const fresh = deletionResponseSchema.parse(await (await post(deletionRequest(victim.identity))).json());
    expect(fresh.receipt).toEqual(receipt);
    const status = deletionResponseSchema.parse(await (await fetch(`${server.url}/v1/deletions/${again.id}`)).json());
    expect(status).toMatchObject({ status: 'done', receipt });
    const log = deletionLogSchema.parse(await (await fetch(`${server.url}/v1/deletions/log`)).json());
    expect(log.entries).toEqual([expect.objectContaining({ index: 0, hash: receiptHash(receipt), previousHash: '0'.repeat(64), shard: 0 })]);
    expect(JSON.stringify(log)).not.toContain(victim.id);
  });

  it('leaves nothing of the device key in the data directory or the logs', async () => {
    const key = Buffer.from(victim.identity.publicKey);
    const forms = [key, Buffer.from(victim.id), Buffer.from(key.toString('hex')), Buffer.from(key.toString('base64'))];
    const files = await readdir(dir);
    expect(files).toContain('confidant.sqlite');
    expect(files).toContain('confidant.keys.sqlite');
    for (const f of files) {
      const bytes = await readFile(path.join(dir, f));
      for (const form of forms) expect(bytes.includes(form), `${f}`).toBe(false);
    }
    const logs = Buffer.from(lines.join('\n'));
    for (const form of forms) expect(logs.includes(form)).toBe(false);
    // The search finds what is there: another device, still registered, is in the key store's lookup… as a hash only,
    // but its id is in this process's memory, so plant it in a log line to show the matcher works.
    expect(Buffer.from(`${lines.join('\n')}${devices[0]!.id}`).includes(Buffer.from(devices[0]!.id))).toBe(true);
  });

  it.each([
    ['a bad signature', () => ({ ...deletionRequest(devices[1]!.identity), signature: toBase64Url(new Uint8Array(64)) }), 401, 'auth.bad_signature'],
    ['a timestamp outside the window', () => deletionRequest(devices[1]!.identity, undefined, Date.now() - 3_600_000), 409, 'auth.replayed'],
    ['an unknown device', () => deletionRequest(sodium.crypto_sign_keypair()), 404, 'auth.unknown_device'],
    ['a malformed body', () => ({ deviceId: 'x', nonce: '', timestamp: 1, signature: '' }), 400, 'message.invalid'],
    ['an unknown field', () => ({ ...deletionRequest(devices[1]!.identity), extra: true }), 400, 'message.invalid'],
  ])('refuses %s as a problem, changing nothing', async (_name, make, status, code) => {
    const before = await store.latestModelInfo();
    const res = await post(make());
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ code, status });
    expect(await store.latestModelInfo()).toEqual(before);
    expect((await store.getDevice(devices[1]!.id))?.deleting).toBe(false);
  });

  it('an unknown deletion id is a 404 problem', async () => {
    const res = await fetch(`${server.url}/v1/deletions/${'A'.repeat(22)}`);
    expect(res.status).toBe(404);
  });
});
