// Deletion requests and receipts: a signed receipt verifies offline; changing any field is refused naming that
// field; changing the manifest or the key breaks the signature; receipts chain by hash.
import { beforeAll, describe, expect, it } from 'vitest';
import _sodium from 'libsodium-wrappers';
import { checkReceipt, deletionPayload, deletionRequestSchema, GENESIS_HASH, RECEIPT_FIELDS, receiptHash, signReceipt, type ReceiptBody } from '../../../shared/protocol/deletion';
import { encodeTuple } from '../../../shared/secagg/encoding';
import { toBase64Url } from '../../../shared/protocol/encoding';
import { generateSigningKeyPair, sign, verify } from '../../../shared/secagg/sign';
import type { Sodium } from '../../../shared/secagg/sodium';

let sodium: Sodium;
beforeAll(async () => {
  await _sodium.ready;
  sodium = _sodium;
});

const body = (over: Partial<ReceiptBody> = {}): ReceiptBody => ({
  format: 'confidant-receipt',
  version: 1,
  index: 0,
  previousHash: GENESIS_HASH,
  deviceKeyHash: 'a'.repeat(64),
  nonce: 'AAAAAAAAAAAAAAAAAAAAAA',
  requestedAt: 1_000,
  completedAt: 1_500,
  shard: 2,
  checkpoint: { lineage: 1, step: 7, sha256: 'b'.repeat(64) },
  servedVersion: { version: 12, sha256: 'c'.repeat(64) },
  epsilon: 1.25,
  delta: 1e-6,
  keyId: '0123456789abcdef',
  ...over,
});

/** A value of the same type that differs, for every field. */
const changed: Record<keyof ReceiptBody, unknown> = {
  format: 'confidant-receipt-x',
  version: 2,
  index: 1,
  previousHash: 'd'.repeat(64),
  deviceKeyHash: 'e'.repeat(64),
  nonce: 'BAAAAAAAAAAAAAAAAAAAAA',
  requestedAt: 1_001,
  completedAt: 1_501,
  shard: 3,
  checkpoint: { lineage: 1, step: 6, sha256: 'b'.repeat(64) },
  servedVersion: { version: 12, sha256: 'f'.repeat(64) },
  epsilon: 1.2500001,
  delta: 1e-5,
  keyId: '0123456789abcdee',
};

describe('receipts', () => {
  it('a signed receipt verifies with the signing key, and only with it', () => {
    const key = generateSigningKeyPair(sodium);
    const receipt = signReceipt(body(), (m) => sign(sodium, key.privateKey, m));
    const check = (k: Uint8Array) => checkReceipt(JSON.parse(JSON.stringify(receipt)), k, (pk, m, s) => verify(sodium, pk, m, s));
    expect(check(key.publicKey)).toEqual({ ok: true, receipt });
    expect(check(generateSigningKeyPair(sodium).publicKey)).toMatchObject({ ok: false, problem: { field: 'signature' } });
  });

  it.each(RECEIPT_FIELDS.map((f) => [f]))('a changed %s is refused, naming that field', (field) => {
    const key = generateSigningKeyPair(sodium);
    const receipt = signReceipt(body(), (m) => sign(sodium, key.privateKey, m));
    const tampered = { ...receipt, [field]: changed[field] };
    const result = checkReceipt(tampered, key.publicKey, (pk, m, s) => verify(sodium, pk, m, s));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(['format', 'version'].includes(field) ? result.problem.field : result.problem).toEqual(['format', 'version'].includes(field) ? field : { field, message: `${field} is not what the server signed` });
  });

  it('a changed manifest (to match a changed field) breaks the signature', () => {
    const key = generateSigningKeyPair(sodium);
    const receipt = signReceipt(body(), (m) => sign(sodium, key.privateKey, m));
    const forged = signReceipt(body({ shard: 5 }), () => new Uint8Array(64));
    const tampered = { ...receipt, shard: 5, manifest: forged.manifest };
    expect(checkReceipt(tampered, key.publicKey, (pk, m, s) => verify(sodium, pk, m, s))).toMatchObject({ ok: false, problem: { field: 'signature' } });
  });

  it('chains: the hash covers the signature and every field, and differs between receipts', () => {
    const key = generateSigningKeyPair(sodium);
    const first = signReceipt(body(), (m) => sign(sodium, key.privateKey, m));
    const second = signReceipt(body({ index: 1, previousHash: receiptHash(first) }), (m) => sign(sodium, key.privateKey, m));
    expect(receiptHash(first)).toMatch(/^[0-9a-f]{64}$/);
    expect(receiptHash(second)).not.toBe(receiptHash(first));
    expect(receiptHash({ ...first, signature: second.signature })).not.toBe(receiptHash(first));
  });
});

describe('deletion requests', () => {
  it('sign the tuple (context, key, nonce, timestamp) and parse strictly', () => {
    const key = generateSigningKeyPair(sodium);
    const nonce = sodium.randombytes_buf(16);
    const payload = deletionPayload(key.publicKey, nonce, 1234);
    expect(payload).toEqual(encodeTuple(['confidant/deletion/v1', key.publicKey, nonce, 1234]));
    const wire = { deviceId: toBase64Url(key.publicKey), nonce: toBase64Url(nonce), timestamp: 1234, signature: toBase64Url(sign(sodium, key.privateKey, payload)) };
    const parsed = deletionRequestSchema.parse(wire);
    expect(verify(sodium, key.publicKey, deletionPayload(key.publicKey, parsed.nonce, parsed.timestamp), parsed.signature)).toBe(true);
    expect(deletionRequestSchema.safeParse({ ...wire, extra: 1 }).success).toBe(false);
    expect(deletionRequestSchema.safeParse({ ...wire, nonce: toBase64Url(new Uint8Array(15)) }).success).toBe(false);
    expect(deletionRequestSchema.safeParse({ ...wire, timestamp: -1 }).success).toBe(false);
  });
});
