// Deletion requests and receipts, defined once: the signed request a device sends, the receipt the server signs,
// their canonical encodings (the transcript tuple encoding of shared/secagg/encoding.ts), and offline checks.
//
// A receipt carries a manifest: the SHA-256 of every field's canonical encoding, in a fixed order, and the server
// signs the manifest. A verifier recomputes each digest, so a changed field is named (its digest no longer
// matches), and a changed manifest breaks the signature. The receipts form an append-only chain: each names the
// hash of the one before.
import { z } from 'zod';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeTuple, type TuplePart } from '../secagg/encoding';
import { bytesOfLength, fromBase64Url, toBase64Url } from './encoding';
import { deviceIdSchema } from './messages';

/** What a device signs to ask for its deletion. */
export const DELETION_CONTEXT = 'confidant/deletion/v1';
/** What the server signs in a receipt. */
export const RECEIPT_CONTEXT = 'confidant/receipt/v1';
/** A new request's timestamp must be within this of the server's clock (a replayed old request is refused). */
export const DELETION_WINDOW_MS = 10 * 60_000;
/** The hash a chain's first receipt names as its predecessor. */
export const GENESIS_HASH = '0'.repeat(64);
export const NONCE_BYTES = 16;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const time = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

// ---- the request ----------------------------------------------------------------------------------------------

/** POST /v1/deletions: the device's key, a fresh nonce, its clock, and its Ed25519 signature over deletionPayload. */
export const deletionRequestSchema = z.strictObject({
  deviceId: deviceIdSchema,
  nonce: bytesOfLength(NONCE_BYTES),
  timestamp: time,
  signature: bytesOfLength(64),
});
export type DeletionRequest = z.infer<typeof deletionRequestSchema>;
/** The request as sent (byte fields as base64url text). */
export type DeletionRequestWire = z.input<typeof deletionRequestSchema>;

/** The bytes a device signs: (context, its public key, nonce, timestamp). */
export function deletionPayload(deviceKey: Uint8Array, nonce: Uint8Array, timestamp: number): Uint8Array {
  return encodeTuple([DELETION_CONTEXT, deviceKey, nonce, timestamp]);
}

// ---- the receipt ----------------------------------------------------------------------------------------------

/** What the receipt proves, field by field (the manifest lists them in this order). */
export const receiptBodySchema = z.strictObject({
  format: z.literal('confidant-receipt'),
  version: z.literal(1),
  /** Position in the server's chain of receipts (0 for the first). */
  index: z.number().int().min(0),
  /** SHA-256 of the previous receipt's canonical encoding (GENESIS_HASH for the first). */
  previousHash: hex64,
  /** SHA-256 of the deleted device's public key: proves which key, without naming it to anyone who does not hold it. */
  deviceKeyHash: hex64,
  /** The request's nonce (base64url) and the device's timestamp. */
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  requestedAt: time,
  /** When the server had the device excluded, rolled back and the new model served. */
  completedAt: time,
  shard: z.number().int().min(0),
  /** The checkpoint the shard was rolled back to: from before the device's first contribution. */
  checkpoint: z.strictObject({ lineage: z.number().int().min(0), step: z.number().int().min(0), sha256: hex64 }),
  /** The first served model version free of the device. */
  servedVersion: z.strictObject({ version: z.number().int().min(1), sha256: hex64 }),
  /** The shard's ε so far at δ (the accountant's figure; a rollback never refunds it), null when unbounded. */
  epsilon: z.number().min(0).nullable(),
  delta: z.number().gt(0).lt(1).nullable(),
  /** The server key that signed (its id in GET /v1/keys). */
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
});
export type ReceiptBody = z.infer<typeof receiptBodySchema>;

/** The fields of a receipt body, in manifest order. */
export const RECEIPT_FIELDS = Object.keys(receiptBodySchema.shape) as (keyof ReceiptBody)[];

/** A signed receipt: the body, the manifest of field digests, and the signature over the manifest. */
export const receiptSchema = receiptBodySchema.extend({
  /** SHA-256 of each field's canonical encoding, in RECEIPT_FIELDS order. */
  manifest: z.array(hex64).length(RECEIPT_FIELDS.length),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type Receipt = z.infer<typeof receiptSchema>;

/** A field's value as tuple parts: text, integers and nested objects in key order; a non-integer as its decimal text. */
function parts(value: unknown): TuplePart[] {
  if (value === null) return ['null'];
  if (typeof value === 'string') return [value];
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? [value] : [`number:${String(value)}`];
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [k, ...parts(v)]);
  throw new TypeError(`cannot encode a ${typeof value}`);
}

/** SHA-256 of one field's canonical encoding (name and value). */
export function fieldDigest(name: keyof ReceiptBody, value: unknown): string {
  return bytesToHex(sha256(encodeTuple([RECEIPT_CONTEXT, 'field', name, ...parts(value)])));
}

/** The manifest of a body: every field's digest, in order. */
export function receiptManifest(body: ReceiptBody): string[] {
  return RECEIPT_FIELDS.map((name) => fieldDigest(name, body[name]));
}

/** The bytes the server signs: the context, the signing key's id and the manifest. */
export function manifestPayload(keyId: string, manifest: readonly string[]): Uint8Array {
  return encodeTuple([RECEIPT_CONTEXT, 'manifest', keyId, manifest.length, ...manifest]);
}

/** SHA-256 of a whole receipt (manifest and signature included): what the next receipt names as previousHash. */
export function receiptHash(receipt: Receipt): string {
  return bytesToHex(sha256(encodeTuple([RECEIPT_CONTEXT, 'receipt', ...receipt.manifest, receipt.signature])));
}

/** Sign a receipt body with an Ed25519 signer (the server's key); `sign` returns the 64-byte detached signature. */
export function signReceipt(body: ReceiptBody, sign: (message: Uint8Array) => Uint8Array): Receipt {
  const manifest = receiptManifest(body);
  return { ...body, manifest, signature: toBase64Url(sign(manifestPayload(body.keyId, manifest))) };
}

/** Why a receipt does not verify: the field that was changed (or 'signature', 'format'), and what is wrong. */
export interface ReceiptProblem {
  field: string;
  message: string;
}

/**
 * Check a receipt offline against a public key: its shape, each field against the signed manifest (naming the
 * field that changed), and the signature. `verify` is an Ed25519 verifier (libsodium's, shared/secagg/sign.ts).
 */
export function checkReceipt(raw: unknown, publicKey: Uint8Array, verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean): { ok: true; receipt: Receipt } | { ok: false; problem: ReceiptProblem } {
  const parsed = receiptSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problem: { field: issue.path.map(String).join('.') || 'format', message: issue.message } };
  }
  const receipt = parsed.data;
  for (const [n, name] of RECEIPT_FIELDS.entries()) {
    if (fieldDigest(name, receipt[name]) !== receipt.manifest[n]) return { ok: false, problem: { field: name, message: `${name} is not what the server signed` } };
  }
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(receipt.signature);
  } catch {
    return { ok: false, problem: { field: 'signature', message: 'the signature is not base64url' } };
  }
  if (!verify(publicKey, manifestPayload(receipt.keyId, receipt.manifest), signature)) {
    return { ok: false, problem: { field: 'signature', message: 'the signature does not verify with this key: the manifest was changed, or another key signed it' } };
  }
  return { ok: true, receipt };
}

/** SHA-256 hex of a device's public key (what a receipt names). */
export function deviceKeyHash(deviceKey: Uint8Array): string {
  return bytesToHex(sha256(deviceKey));
}

// ---- the HTTP answers -----------------------------------------------------------------------------------------

export const deletionStatusSchema = z.enum(['pending', 'done']);

/** POST /v1/deletions (202 pending, 200 done) and GET /v1/deletions/:id. */
export const deletionResponseSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  status: deletionStatusSchema,
  /** Where to ask again (GET). */
  statusUrl: z.string().max(200),
  receipt: receiptSchema.optional(),
});
export type DeletionResponse = z.infer<typeof deletionResponseSchema>;

/** GET /v1/deletions/log: the chain, with no device identifiers. */
export const deletionLogSchema = z.strictObject({
  entries: z.array(z.strictObject({ index: z.number().int().min(0), hash: hex64, previousHash: hex64, completedAt: time, shard: z.number().int().min(0) })),
});
export type DeletionLog = z.infer<typeof deletionLogSchema>;
