// "Delete my data" against an HTTP server that speaks the deletion protocol (shared/protocol/deletion.ts) with a
// real Ed25519 receipt key: the device wipes only after a receipt that verifies, is for its key and answers its
// request; a changed receipt is shown as not verified with the field named, and nothing is wiped.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletionPayload, deletionRequestSchema, deviceKeyHash, signReceipt, type ReceiptBody } from '../../../shared/protocol/deletion';
import { describeKey } from '../../../server/http/transparency-routes';
import { keyId } from '../../../shared/protocol/key-id';
import { sign, verify } from '../../../shared/secagg/sign';
import { createApi } from '../../../client/core/api';
import { deleteMyData, type DeletionState } from '../../../client/deletion/flow';
import { identityFromSeed, newIdentity, recoveryCode, seedFromRecoveryCode } from '../../../client/device/identity';
import { createMemoryStore } from '../../../client/store/memory-store';
import { sodium } from '../../shared/secagg/helpers';
import { event } from '../fixtures';

const serverKey = sodium.crypto_sign_keypair();
let tamper: (body: ReceiptBody) => ReceiptBody = (b) => b;
let wrongDevice = false;
const requests = new Map<string, { body: ReceiptBody; polls: number }>();
let server: Server;
let baseUrl = '';

const readBody = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let text = '';
  req.on('data', (d: Buffer) => (text += d.toString()));
  req.on('end', () => resolve(text));
});

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const json = (status: number, value: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    if (req.method === 'GET' && req.url === '/v1/keys') return json(200, { keys: [describeKey(serverKey.publicKey, 1)] });
    if (req.method === 'POST' && req.url === '/v1/deletions') {
      const parsed = deletionRequestSchema.safeParse(JSON.parse(await readBody(req)));
      if (!parsed.success) return json(400, { code: 'message.invalid', detail: parsed.error.issues[0]!.message });
      const r = parsed.data;
      const key = sodium.from_base64(r.deviceId, sodium.base64_variants.URLSAFE_NO_PADDING);
      if (!verify(sodium, key, deletionPayload(key, r.nonce, r.timestamp), r.signature)) return json(401, { code: 'auth.bad_signature', detail: 'bad signature' });
      const id = sodium.to_base64(sodium.randombytes_buf(16), sodium.base64_variants.URLSAFE_NO_PADDING);
      const body: ReceiptBody = {
        format: 'confidant-receipt', version: 1, index: requests.size, previousHash: '0'.repeat(64),
        deviceKeyHash: wrongDevice ? deviceKeyHash(new Uint8Array(32)) : deviceKeyHash(key),
        nonce: sodium.to_base64(r.nonce, sodium.base64_variants.URLSAFE_NO_PADDING), requestedAt: r.timestamp, completedAt: r.timestamp + 5,
        shard: 1, checkpoint: { lineage: 0, step: 2, sha256: 'c'.repeat(64) }, servedVersion: { version: 9, sha256: 'd'.repeat(64) }, epsilon: 1.5, delta: 1e-6, keyId: keyId(serverKey.publicKey),
      };
      requests.set(id, { body, polls: 0 });
      return json(202, { id, status: 'pending', statusUrl: `/v1/deletions/${id}` });
    }
    const m = /^\/v1\/deletions\/([A-Za-z0-9_-]{22})$/.exec(req.url ?? '');
    const entry = m && requests.get(m[1]!);
    if (req.method === 'GET' && entry) {
      // Pending twice, then done with the receipt.
      if (entry.polls++ < 2) return json(200, { id: m[1], status: 'pending', statusUrl: req.url });
      const receipt = signReceipt(entry.body, (msg) => sign(sodium, serverKey.privateKey, msg));
      return json(200, { id: m[1], status: 'done', statusUrl: req.url, receipt: tamper === undefined ? receipt : { ...receipt, ...tamper(receipt), manifest: receipt.manifest, signature: receipt.signature } });
    }
    json(404, { code: 'route.not_found', detail: 'no such resource' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function run(identity = newIdentity(sodium)) {
  const store = createMemoryStore();
  await store.addEvent(event('rating', 1, 10, 4));
  await store.putIdentity({ ...identity, createdAt: 1 });
  const states: DeletionState['phase'][] = [];
  const final = await deleteMyData({ api: createApi({ baseUrl, fetch }), store, sodium, identity, now: () => 1_000_000, wait: async () => {}, onState: (s) => states.push(s.phase) });
  return { store, states, final };
}

describe('deleteMyData', () => {
  it('follows the request through pending to a receipt that verifies, keeps the receipt and wipes the rest', async () => {
    tamper = (b) => b;
    wrongDevice = false;
    const { store, states, final } = await run();
    // The POST answers pending, then two status requests are pending, the third is done.
    expect(states).toEqual(['sending', 'pending', 'pending', 'pending', 'verifying', 'deleted']);
    expect(final).toMatchObject({ phase: 'deleted', receipt: { shard: 1, servedVersion: { version: 9 } } });
    expect(await store.events()).toEqual([]);
    expect(await store.identity()).toBeUndefined();
    expect(await store.receipts()).toMatchObject([{ verified: true, verifiedWith: keyId(serverKey.publicKey) }]);
  });

  it('a receipt whose shard was changed after signing is not verified, names the field, and wipes nothing', async () => {
    tamper = (b) => ({ ...b, shard: 0 });
    const { store, final } = await run();
    expect(final).toEqual({ phase: 'not-verified', problem: { field: 'shard', message: 'shard is not what the server signed' } });
    expect(await store.events()).toHaveLength(1);
    expect(await store.receipts()).toEqual([]);
  });

  it('a genuine receipt for another device key is not this device\'s proof', async () => {
    tamper = (b) => b;
    wrongDevice = true;
    const { store, final } = await run();
    expect(final).toMatchObject({ phase: 'not-verified', problem: { field: 'deviceKeyHash' } });
    expect(await store.events()).toHaveLength(1);
    wrongDevice = false;
  });

  it('from another browser: the key rebuilt from the recovery code gets the receipt for the original key', async () => {
    tamper = (b) => b;
    wrongDevice = false;
    const original = newIdentity(sodium);
    // A fresh store (another browser): it has neither the key nor the data, only the code the person wrote down.
    const store = createMemoryStore();
    const rebuilt = identityFromSeed(sodium, seedFromRecoveryCode(recoveryCode(original)));
    const final = await deleteMyData({ api: createApi({ baseUrl, fetch }), store, sodium, identity: rebuilt, now: () => 1_000_000, wait: async () => {}, onState: () => {} });
    expect(final).toMatchObject({ phase: 'deleted', receipt: { deviceKeyHash: deviceKeyHash(original.publicKey) } });
    expect(await store.receipts()).toHaveLength(1);
  });

  it('a device that never contributed has nothing on the server: it wipes at once', async () => {
    const store = createMemoryStore();
    await store.addEvent(event('view', 2, 10));
    const final = await deleteMyData({ api: createApi({ baseUrl, fetch }), store, sodium, identity: undefined, now: () => 1, wait: async () => {}, onState: () => {} });
    expect(final).toEqual({ phase: 'deleted-locally' });
    expect(await store.events()).toEqual([]);
  });
});
