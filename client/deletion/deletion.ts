// "Delete my data", the device's side: send the deletion request signed with the identity key, follow its status
// until the receipt comes, and verify the receipt offline with the key the server publishes for receipts. Only a
// receipt that verifies, names this device's key and answers this request lets the device wipe its data.
import { checkReceipt, deletionPayload, deletionResponseSchema, deviceKeyHash, NONCE_BYTES, type DeletionRequestWire, type DeletionResponse, type Receipt, type ReceiptProblem } from '../../shared/protocol/deletion';
import { keysResponseSchema, type PublicKey } from '../../shared/protocol/http';
import { fromBase64Url, toBase64Url } from '../../shared/protocol/encoding';
import { sign, verify, type SigningKeyPair } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import { errorOf, type Api } from '../core/api';

/** A request on its way: what the device must remember to follow it and to check its receipt. */
export interface PendingDeletion {
  id: string;
  statusUrl: string;
  /** The request's nonce (base64url), which the receipt must carry. */
  nonce: string;
  requestedAt: number;
  deviceKeyHash: string;
}

/** The signed request body for an identity. */
export function deletionRequest(sodium: Sodium, identity: SigningKeyPair, nonce: Uint8Array, timestamp: number): DeletionRequestWire {
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`a nonce has ${NONCE_BYTES} bytes, got ${nonce.length}`);
  const signature = sign(sodium, identity.privateKey, deletionPayload(identity.publicKey, nonce, timestamp));
  return { deviceId: toBase64Url(identity.publicKey), nonce: toBase64Url(nonce), timestamp, signature: toBase64Url(signature) };
}

/** The API path of a status URL (absolute URLs must be of the server asked). */
function statusPath(api: Api, statusUrl: string): string {
  if (statusUrl.startsWith('/')) return statusUrl;
  const url = new URL(statusUrl);
  if (api.baseUrl !== '' && url.origin !== new URL(api.baseUrl).origin) throw new Error(`the status URL ${statusUrl} is not on the server asked`);
  return url.pathname;
}

/** POST /v1/deletions; returns the server's answer and what to remember about the request. */
export async function sendDeletion(api: Api, sodium: Sodium, identity: SigningKeyPair, now: number): Promise<{ pending: PendingDeletion; response: DeletionResponse }> {
  const nonce = sodium.randombytes_buf(NONCE_BYTES);
  const body = deletionRequest(sodium, identity, nonce, now);
  const response = await api.json('/v1/deletions', deletionResponseSchema, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { response, pending: { id: response.id, statusUrl: response.statusUrl, nonce: body.nonce, requestedAt: now, deviceKeyHash: deviceKeyHash(identity.publicKey) } };
}

/** GET the request's status. */
export async function deletionStatus(api: Api, pending: PendingDeletion): Promise<DeletionResponse> {
  const response = await api.request(statusPath(api, pending.statusUrl), { cache: 'no-store' });
  if (!response.ok) throw await errorOf(response);
  const parsed = deletionResponseSchema.safeParse(await response.json());
  if (!parsed.success) throw new Error(`the deletion status is not what the protocol says: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** The server's published receipt key with this id (GET /v1/keys), or undefined. */
export async function receiptKey(api: Api, keyId: string): Promise<PublicKey | undefined> {
  const { keys } = await api.json('/v1/keys', keysResponseSchema, { cache: 'no-store' });
  return keys.find((k) => k.id === keyId && k.use.includes('receipts'));
}

/** The outcome of checking a receipt. */
export type ReceiptCheck = { verified: true; receipt: Receipt; keyId: string } | { verified: false; problem: ReceiptProblem; keyId: string };

/** Verify a receipt with a published key, and that it is the receipt of this request (key hash and nonce). */
export function verifyReceipt(sodium: Sodium, raw: unknown, key: PublicKey | undefined, pending: Pick<PendingDeletion, 'nonce' | 'deviceKeyHash'>): ReceiptCheck {
  const keyId = key?.id ?? (raw as { keyId?: unknown } | null)?.keyId;
  const id = typeof keyId === 'string' ? keyId : '';
  if (!key) return { verified: false, keyId: id, problem: { field: 'keyId', message: `the server publishes no receipt key ${id.slice(0, 16)}` } };
  const checked = checkReceipt(raw, fromBase64Url(key.publicKey), (pk, m, s) => verify(sodium, pk, m, s));
  if (!checked.ok) return { verified: false, keyId: key.id, problem: checked.problem };
  if (checked.receipt.deviceKeyHash !== pending.deviceKeyHash) return { verified: false, keyId: key.id, problem: { field: 'deviceKeyHash', message: 'the receipt is for another device key' } };
  if (checked.receipt.nonce !== pending.nonce) return { verified: false, keyId: key.id, problem: { field: 'nonce', message: 'the receipt answers another request (its nonce differs)' } };
  return { verified: true, receipt: checked.receipt, keyId: key.id };
}
