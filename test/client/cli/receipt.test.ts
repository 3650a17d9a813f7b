// `npm run receipt -- verify`: a genuine receipt is verified and explained; a changed field is refused naming it,
// with exit code 1; the key can be given in hex or fetched from a server's published keys.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import _sodium from 'libsodium-wrappers';
import { GENESIS_HASH, receiptHash, signReceipt, type Receipt } from '../../../shared/protocol/deletion';
import { keyFingerprint, keyId } from '../../../shared/protocol/key-id';
import { toBase64Url } from '../../../shared/protocol/encoding';
import { generateSigningKeyPair, sign, type SigningKeyPair } from '../../../shared/secagg/sign';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'confidant-receipt-'));
let key: SigningKeyPair;
let receipt: Receipt;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await _sodium.ready;
  key = generateSigningKeyPair(_sodium);
  receipt = signReceipt(
    { format: 'confidant-receipt', version: 1, index: 0, previousHash: GENESIS_HASH, deviceKeyHash: 'ab'.repeat(32), nonce: 'A'.repeat(22), requestedAt: 1_700_000_000_000, completedAt: 1_700_000_000_500, shard: 1, checkpoint: { lineage: 0, step: 3, sha256: 'cd'.repeat(32) }, servedVersion: { version: 9, sha256: 'ef'.repeat(32) }, epsilon: 1.5, delta: 1e-6, keyId: keyId(key.publicKey) },
    (m) => sign(_sodium, key.privateKey, m),
  );
});

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli/receipt.ts', ...args], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

const write = (name: string, value: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('receipt verify', () => {
  it('verifies a receipt with the key in hex and says what it proves', async () => {
    const r = await run(['verify', write('good.json', { id: 'x', status: 'done', receipt }), '--key', hex(key.publicKey)]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`verified: signed by receipt key ${keyId(key.publicKey)} (fingerprint ${keyFingerprint(key.publicKey)})`);
    expect(r.out).toContain('shard 1 was rolled back to its checkpoint at step 3');
    expect(r.out).toContain('first served model free of the device is version 9');
    expect(r.out).toContain('ε = 1.5 at δ = 0.000001');
    expect(r.out).toContain(receiptHash(receipt));
  });

  it.each([
    ['shard', { shard: 2 }],
    ['servedVersion', { servedVersion: { version: 8, sha256: 'ef'.repeat(32) } }],
    ['epsilon', { epsilon: 0.5 }],
  ])('refuses a changed %s, naming it, with exit code 1', async (field, change) => {
    const r = await run(['verify', write(`bad-${field}.json`, { ...receipt, ...change }), '--key', hex(key.publicKey)]);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(`receipt: refused: ${field}: ${field} is not what the server signed`);
  });

  it('refuses another key, a missing file, and a bad flag, in one line each', async () => {
    const other = generateSigningKeyPair(_sodium);
    const wrong = await run(['verify', write('good2.json', receipt), '--key', hex(other.publicKey)]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^receipt: refused: signature: /);
    const missing = await run(['verify', join(dir, 'none.json'), '--key', hex(key.publicKey)]);
    expect(missing.err.trim()).toMatch(/^receipt: cannot read .*none\.json: ENOENT$/);
    const bad = await run(['verify', write('good3.json', receipt), '--key', 'zz']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('expected 64 hex characters');
    const both = await run(['verify', write('good4.json', receipt)]);
    expect(both.err.trim()).toBe('receipt: give exactly one of --server URL and --key HEX');
  });

  it('with --server, takes the published key (retired ones too) and finds the receipt in the public chain', async () => {
    const keys = { keys: [{ id: keyId(key.publicKey), algorithm: 'Ed25519', publicKey: toBase64Url(key.publicKey), fingerprint: keyFingerprint(key.publicKey), use: ['receipts'], status: 'retired', createdAt: 1 }] };
    const chain = { entries: [{ index: 0, hash: receiptHash(receipt), previousHash: GENESIS_HASH, completedAt: receipt.completedAt, shard: 1 }] };
    const server = createServer((req, res) => {
      const body = req.url === '/v1/keys' ? keys : req.url === '/v1/deletions/log' ? chain : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const ok = await run(['verify', write('good5.json', receipt), '--server', url]);
      expect(ok.code).toBe(0);
      expect(ok.out).toContain("The server's public chain (GET /v1/deletions/log) holds it at entry 0.");
      chain.entries[0]!.hash = '0'.repeat(64);
      const missing = await run(['verify', write('good6.json', receipt), '--server', url]);
      expect(missing.err.trim()).toBe("receipt: refused: index: the server's public chain has no entry 0 with this receipt's hash");
    } finally {
      server.close();
    }
  });
});
