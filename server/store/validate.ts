// Argument checks shared by every Store implementation, so they refuse the same inputs with the same codes.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { MAX_SHARDS } from '../../models/served-file';
import { devicePublicKey } from '../device-id';
import { StoreError } from './errors';
import { modelProvenanceSchema, privacyAccountSchema, type DeletionCompletion, type DeviceSeen, type EnrollmentBatch, type Initialisation, type ModelProvenance, type NewDeletion, type NewRound, type PrivacyAccount, type RoundAbort, type RoundCommit, type ServerIdentity, type SkippedRound, type TokenRevocation } from './store';

/** Lower-case hex SHA-256 of a file. */
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

function checkBytes(value: Uint8Array, name: string): void {
  if (!(value instanceof Uint8Array) || value.length === 0) throw new StoreError('store.invalid', `${name} must be a non-empty Uint8Array`);
}

function parse<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StoreError('store.invalid', `${name}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
  }
  return parsed.data;
}

/** Refuse a listing limit outside 1..10 000. */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new StoreError('store.invalid', `limit must be an integer in 1..10000, got ${limit}`);
}

/** Refuse a shard number outside 0..MAX_SHARDS − 1. */
export function checkShard(shard: number): void {
  if (!Number.isSafeInteger(shard) || shard < 0 || shard >= MAX_SHARDS) throw new StoreError('store.invalid', `shard must be an integer in 0..${MAX_SHARDS - 1}, got ${shard}`);
}

/** Check a model version's provenance; returns it as parsed (unknown fields refused). */
export function checkProvenance(provenance: ModelProvenance): ModelProvenance {
  return parse(modelProvenanceSchema, provenance, 'provenance');
}

/** Check a privacy account. */
export function checkAccount(account: PrivacyAccount): PrivacyAccount {
  return parse(privacyAccountSchema, account, 'account');
}

/** Check a store's initialisation; returns the provenance as parsed. */
export function checkInitialisation(init: Initialisation): ModelProvenance {
  if (!Array.isArray(init.shards) || init.shards.length < 1 || init.shards.length > MAX_SHARDS) throw new StoreError('store.invalid', `shards must list 1..${MAX_SHARDS} shards`);
  init.shards.forEach((s, n) => {
    checkBytes(s.training, `shards[${n}].training`);
    checkBytes(s.served, `shards[${n}].served`);
  });
  checkBytes(init.model, 'model');
  checkTime(init.createdAt, 'createdAt');
  return checkProvenance(init.provenance);
}

/** Check a round commit's arguments (the store checks it against its state); returns the parsed provenance and account. */
export function checkRoundCommit(c: RoundCommit): { provenance: ModelProvenance; account: PrivacyAccount } {
  checkCount(c.roundId, 'roundId', 1);
  checkTime(c.endedAt, 'endedAt');
  checkCount(c.survivors, 'survivors');
  checkShard(c.shard);
  checkCount(c.lineage, 'lineage');
  checkCount(c.fromStep, 'fromStep');
  checkCount(c.iterates, 'iterates');
  checkBytes(c.training, 'training');
  checkBytes(c.served, 'served');
  checkBytes(c.model, 'model');
  if (!Array.isArray(c.basis)) throw new StoreError('store.invalid', 'basis must be an array of checkpoint ids');
  c.basis.forEach((id, n) => checkCount(id, `basis[${n}]`));
  if (!Array.isArray(c.contributors)) throw new StoreError('store.invalid', 'contributors must be an array of device ids');
  c.contributors.forEach(checkDeviceId);
  return { provenance: checkProvenance(c.provenance), account: checkAccount(c.account) };
}

/** Check a deletion being asked. */
export function checkNewDeletion(d: NewDeletion): void {
  if (typeof d.id !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(d.id)) throw new StoreError('store.invalid', 'id must be 22 base64url characters');
  checkDeviceId(d.deviceId);
  if (typeof d.keyHash !== 'string' || !/^[0-9a-f]{64}$/.test(d.keyHash)) throw new StoreError('store.invalid', 'keyHash must be 64 hex characters');
  if (!(d.nonce instanceof Uint8Array) || d.nonce.length !== 16) throw new StoreError('store.invalid', 'nonce must be 16 bytes');
  checkTime(d.requestedAt, 'requestedAt');
  checkTime(d.receivedAt, 'receivedAt');
  checkShard(d.shard);
}

/** Check a deletion's completion arguments. */
export function checkDeletionCompletion(c: DeletionCompletion): void {
  checkTime(c.completedAt, 'completedAt');
  if (typeof c.makeReceipt !== 'function') throw new StoreError('store.invalid', 'makeReceipt must be a function');
  if (c.rollback) {
    checkShard(c.rollback.shard);
    checkCount(c.rollback.toStep, 'rollback.toStep');
    checkBytes(c.rollback.model, 'rollback.model');
    c.rollback.basis.forEach((id, n) => checkCount(id, `rollback.basis[${n}]`));
    checkProvenance(c.rollback.provenance);
  }
}

/** Check a round that is opening. */
export function checkNewRound(round: NewRound): void {
  checkShard(round.shard);
  checkCount(round.lineage, 'lineage');
  checkCount(round.step, 'step');
  if (typeof round.sessionId !== 'string' || round.sessionId.length === 0 || round.sessionId.length > 64) {
    throw new StoreError('store.invalid', 'sessionId must be a string of 1..64 characters');
  }
  checkCount(round.round, 'round', 1);
  checkCount(round.cohortSize, 'cohortSize');
  checkTime(round.startedAt, 'startedAt');
}

/** Check a reason shown to operators: a string of 1..500 characters. */
export function checkReason(reason: string): void {
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > 500) throw new StoreError('store.invalid', 'reason must be 1..500 characters');
}

/** Check how a round aborted. */
/** Check a round's end; returns its charged account as parsed (null: none to store). */
export function checkRoundAbort(end: RoundAbort): PrivacyAccount | null {
  checkReason(end.reason);
  checkCount(end.survivors, 'survivors');
  checkTime(end.endedAt, 'endedAt');
  return end.account === undefined || end.account === null ? null : checkAccount(end.account);
}

/** Check a round skipped after sampling; returns its account as parsed (null: none to store). */
export function checkSkippedRound(skip: SkippedRound): PrivacyAccount | null {
  checkNewRound({ shard: skip.shard, lineage: skip.lineage, step: skip.step, sessionId: skip.sessionId, round: 1, cohortSize: skip.cohortSize, startedAt: skip.at });
  checkReason(skip.reason);
  return skip.account === null ? null : checkAccount(skip.account);
}

/** Refuse a server key pair of the wrong shape (32-byte public, 64-byte libsodium private key). */
export function checkIdentity(identity: ServerIdentity): void {
  if (!(identity.publicKey instanceof Uint8Array) || identity.publicKey.length !== 32 || !(identity.privateKey instanceof Uint8Array) || identity.privateKey.length !== 64) {
    throw new StoreError('store.invalid', 'server identity must be a 32-byte public key and a 64-byte private key');
  }
}

/** Most tokens one batch may hold, and most hashes one revocation may name (one transaction each). */
export const MAX_TOKENS_PER_CALL = 100_000;
/** Most last-seen entries one batched write may hold. */
export const MAX_SEEN_PER_CALL = 1_000_000;

/** Refuse anything but a 32-byte SHA-256 of an enrollment token. */
export function checkTokenHash(hash: Uint8Array, name = 'tokenHash'): void {
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new StoreError('store.invalid', `${name} must be a 32-byte SHA-256`);
}

/** Refuse a batch id that is not 16 lower-case hex characters. */
export function checkBatchId(batchId: string): void {
  if (typeof batchId !== 'string' || !/^[0-9a-f]{16}$/.test(batchId)) throw new StoreError('store.invalid', 'batchId must be 16 lower-case hex characters');
}

/** Check a batch of tokens being issued: 1..MAX_TOKENS_PER_CALL distinct hashes. */
export function checkEnrollmentBatch(batch: EnrollmentBatch): void {
  checkBatchId(batch.batchId);
  checkTime(batch.issuedAt, 'issuedAt');
  if (!Array.isArray(batch.hashes) || batch.hashes.length < 1 || batch.hashes.length > MAX_TOKENS_PER_CALL) throw new StoreError('store.invalid', `hashes must list 1..${MAX_TOKENS_PER_CALL} token hashes`);
  const seen = new Set<string>();
  batch.hashes.forEach((h, n) => {
    checkTokenHash(h, `hashes[${n}]`);
    const hex = Buffer.from(h).toString('hex');
    if (seen.has(hex)) throw new StoreError('store.invalid', `hashes[${n}] repeats an earlier hash`);
    seen.add(hex);
  });
}

/** Check which tokens a revocation names. */
export function checkRevocation(which: TokenRevocation): void {
  if ('hashes' in which) {
    if (!Array.isArray(which.hashes) || which.hashes.length > MAX_TOKENS_PER_CALL) throw new StoreError('store.invalid', `hashes must list at most ${MAX_TOKENS_PER_CALL} token hashes`);
    which.hashes.forEach((h, n) => checkTokenHash(h, `hashes[${n}]`));
  } else if ('batchId' in which) checkBatchId(which.batchId);
  else if (which.allUnused !== true) throw new StoreError('store.invalid', 'a revocation names hashes, a batchId, or allUnused: true');
}

/** Check a batch of last-seen times. */
export function checkSeen(seen: readonly DeviceSeen[]): void {
  if (!Array.isArray(seen) || seen.length > MAX_SEEN_PER_CALL) throw new StoreError('store.invalid', `seen must list at most ${MAX_SEEN_PER_CALL} entries`);
  seen.forEach((s, n) => {
    checkDeviceId(s.deviceId);
    checkTime(s.at, `seen[${n}].at`);
  });
}
