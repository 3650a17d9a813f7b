// Argument checks shared by every Store implementation, so they refuse the same inputs with the same codes.
import { createHash } from 'node:crypto';
import { devicePublicKey } from '../device-id';
import { StoreError } from './errors';
import { modelProvenanceSchema, type ModelProvenance, type NewModelVersion, type NewRound, type RoundEnd, type ServerIdentity } from './store';

/** Lower-case hex SHA-256 of a model file. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Refuse anything that is not a canonical device id (an Ed25519 public key in base64url). */
export function checkDeviceId(deviceId: string): void {
  if (!devicePublicKey(deviceId)) throw new StoreError('store.invalid', 'deviceId must be the canonical base64url of a 32-byte key');
}

/** Refuse a time that is not a non-negative integer of milliseconds. */
export function checkTime(at: number, name: string): void {
  if (!Number.isSafeInteger(at) || at < 0) throw new StoreError('store.invalid', `${name} must be a non-negative integer of milliseconds, got ${at}`);
}

function checkCount(value: number, name: string, min = 0): void {
  if (!Number.isSafeInteger(value) || value < min) throw new StoreError('store.invalid', `${name} must be an integer ≥ ${min}, got ${value}`);
}

/** Refuse a listing limit outside 1..10 000. */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new StoreError('store.invalid', `limit must be an integer in 1..10000, got ${limit}`);
}

/** Check a new model version; returns the provenance as parsed (unknown fields refused). */
export function checkNewModel(model: NewModelVersion): ModelProvenance {
  checkCount(model.version, 'version');
  checkTime(model.createdAt, 'createdAt');
  if (!(model.data instanceof Uint8Array) || model.data.length === 0) throw new StoreError('store.invalid', 'data must be a non-empty Uint8Array');
  const parsed = modelProvenanceSchema.safeParse(model.provenance);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StoreError('store.invalid', `provenance.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** Check a round that is opening. */
export function checkNewRound(round: NewRound): void {
  if (typeof round.sessionId !== 'string' || round.sessionId.length === 0 || round.sessionId.length > 64) {
    throw new StoreError('store.invalid', 'sessionId must be a string of 1..64 characters');
  }
  checkCount(round.round, 'round', 1);
  checkCount(round.cohortSize, 'cohortSize');
  checkTime(round.startedAt, 'startedAt');
}

/** Check how a round ended. */
export function checkRoundEnd(end: RoundEnd): void {
  if (end.status !== 'completed' && end.status !== 'aborted') throw new StoreError('store.invalid', `status must be 'completed' or 'aborted', got ${String(end.status)}`);
  if (end.reason !== null && (typeof end.reason !== 'string' || end.reason.length > 500)) throw new StoreError('store.invalid', 'reason must be null or at most 500 characters');
  checkCount(end.survivors, 'survivors');
  checkTime(end.endedAt, 'endedAt');
}

/** Refuse a server key pair of the wrong shape (32-byte public, 64-byte libsodium private key). */
export function checkIdentity(identity: ServerIdentity): void {
  if (!(identity.publicKey instanceof Uint8Array) || identity.publicKey.length !== 32 || !(identity.privateKey instanceof Uint8Array) || identity.privateKey.length !== 64) {
    throw new StoreError('store.invalid', 'server identity must be a 32-byte public key and a 64-byte private key');
  }
}
