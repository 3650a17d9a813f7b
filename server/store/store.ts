// The server's persistent state behind one interface: devices, shards with their checkpoints, rounds, the
// served model versions and the server's own key.
//
// Training happens per shard (SISA): each shard has a lineage of checkpoints (its training table, its served
// average and the round that made them) and a privacy account that only ever grows. A model version is what
// people are served: one served table per shard, bundled in one file; its number is assigned here and only
// here, in the same transaction that stores the checkpoint and closes the round, so a round is durable before
// anyone is told it completed.
//
// The interface is asynchronous although both implementations today are synchronous underneath, so the same
// contract runs on a database server. Every implementation must pass test/server/store/store.conformance.ts.
import { z } from 'zod';
import type { Receipt } from '../../shared/protocol/deletion';

/** A registered device. `deviceId` is the base64url Ed25519 public key; times are epoch milliseconds. */
export interface DeviceRecord {
  deviceId: string;
  registeredAt: number;
  lastSeen: number;
  /** Whether the owner allows training; false until the device says otherwise (opt-in). */
  consentTraining: boolean;
  /** Its deletion was asked: it takes part in no round from then on. */
  deleting: boolean;
}

/** One DP setting the accountant composes (consecutive equal settings merged). */
export const privacyStepSchema = z.strictObject({
  samplingRate: z.number().gt(0).lte(1),
  noiseMultiplier: z.number().positive().finite(),
  steps: z.number().int().positive(),
});

/** A shard's privacy account: every round charged, never refunded (a rollback keeps it). */
export const privacyAccountSchema = z.strictObject({
  /** Every DP setting the shard has run. */
  history: z.array(privacyStepSchema).max(10_000),
  /** A round ran without noise: the shard's ε is unbounded from then on. */
  unbounded: z.boolean(),
});
export type PrivacyAccount = z.infer<typeof privacyAccountSchema>;

/** A round's DP setting as recorded with the version it made. */
const roundPrivacySchema = z.strictObject({
  mode: z.enum(['central', 'distributed']),
  samplingRate: z.number().gt(0).lte(1),
  noiseMultiplier: z.number().positive().finite(),
  delta: z.number().gt(0).lt(1),
});

/** Where each shard stood at a model version: its checkpoint and its ε so far. */
const shardStateSchema = z.strictObject({
  shard: z.number().int().nonnegative(),
  lineage: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  /** ε spent by the shard at the accountant's δ, or null when it has no DP guarantee. */
  epsilon: z.number().nonnegative().finite().nullable(),
});

/** How a model version came to be: what changed, which round, how many devices, what it cost. */
export const modelProvenanceSchema = z.strictObject({
  cause: z.enum(['initial', 'round', 'rollback']),
  /** The shard that changed (null for the initial version). */
  shard: z.number().int().nonnegative().nullable(),
  /** The store's round id (rounds.id) that produced it, or null. */
  round: z.number().int().min(1).nullable(),
  cohortSize: z.number().int().nonnegative(),
  survivors: z.number().int().nonnegative(),
  clipNorm: z.number().nonnegative().finite(),
  /** Updates that were clipped, counted through the secure sum. */
  valuesClipped: z.number().int().nonnegative(),
  bytesIn: z.number().int().nonnegative(),
  bytesOut: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative().finite(),
  /** The largest ε over the shards (the weakest guarantee), or null when some shard has none. */
  epsilon: z.number().nonnegative().finite().nullable(),
  /** The DP setting of the round that made this version (null: no noise, or no round). */
  privacy: roundPrivacySchema.nullable(),
  /** Every shard's state at this version. */
  shards: z.array(shardStateSchema).min(1).max(256),
});
export type ModelProvenance = z.infer<typeof modelProvenanceSchema>;

/** A model version without its bytes (listing, status pages). */
export interface ModelVersionInfo {
  version: number;
  createdAt: number;
  /** SHA-256 of the whole served file, lower-case hex (computed by the store, never taken from the caller). */
  sha256: string;
  sizeBytes: number;
  provenance: ModelProvenance;
}

/** A model version with its served file. */
export interface ModelVersion extends ModelVersionInfo {
  data: Uint8Array;
}

/** A shard's training state at one step of one lineage. */
export interface CheckpointInfo {
  id: number;
  shard: number;
  /** Increases when the shard rolls back: a new lineage never reuses an old one's (lineage, step). */
  lineage: number;
  /** Rounds completed in this lineage since the shard's start. */
  step: number;
  createdAt: number;
  /** The round that made it (null for a shard's first checkpoint). */
  round: number | null;
  /** SHA-256 of the training file (what an invitation names and devices check). */
  trainingSha256: string;
  /** Training iterates averaged into the served table. */
  iterates: number;
}

/** A checkpoint with its files. */
export interface Checkpoint extends CheckpointInfo {
  /** The item table devices train on (a model file). */
  training: Uint8Array;
  /** The served (averaged) table of this shard (a model file). */
  served: Uint8Array;
}

/** A shard as the coordinator sees it. */
export interface ShardRecord {
  shard: number;
  lineage: number;
  account: PrivacyAccount;
}

/** A shard's first checkpoint. */
export interface ShardInit {
  training: Uint8Array;
  served: Uint8Array;
}

/** The first state of a store: every shard's first checkpoint and the first model version built from them. */
export interface Initialisation {
  shards: ShardInit[];
  /** The served file bundling every shard's served table. */
  model: Uint8Array;
  createdAt: number;
  provenance: ModelProvenance;
}

/** Everything a completed round changes, written in one transaction. */
export interface RoundCommit {
  roundId: number;
  endedAt: number;
  survivors: number;
  shard: number;
  /** The lineage and step the round trained from; the new checkpoint is step + 1 of that lineage. */
  lineage: number;
  fromStep: number;
  training: Uint8Array;
  served: Uint8Array;
  iterates: number;
  /** The shard's account including this round. */
  account: PrivacyAccount;
  /** The served file of the new model version. */
  model: Uint8Array;
  /** The checkpoint ids of the other shards the served file was built from (this shard's entry is ignored). */
  basis: number[];
  provenance: ModelProvenance;
  /** The devices whose update is in the sum: each is recorded as having trained on the model at fromStep. */
  contributors: string[];
}

export type RoundStatus = 'started' | 'completed' | 'aborted';

/** One secure-aggregation round as the operator sees it (counts only, no device ids). */
export interface RoundRecord {
  /** Store-assigned id, increasing. */
  id: number;
  shard: number;
  /** The shard's lineage and the step of the model the round trained on. */
  lineage: number;
  step: number;
  sessionId: string;
  /** The protocol's round number within the session. */
  round: number;
  status: RoundStatus;
  reason: string | null;
  startedAt: number;
  endedAt: number | null;
  cohortSize: number;
  survivors: number | null;
}

/** A round that is opening. */
export interface NewRound {
  shard: number;
  lineage: number;
  step: number;
  sessionId: string;
  round: number;
  cohortSize: number;
  startedAt: number;
}

/** How an aborted round ended (a completed one ends in commitRound). */
export interface RoundAbort {
  reason: string;
  survivors: number;
  endedAt: number;
  /**
   * The shard's account with this round charged, stored in the same transaction: a DP round that aborts was drawn, and
   * whether it aborts depends on who was drawn (the same argument as SkippedRound). Absent or null: left as it is.
   */
  account?: PrivacyAccount | null;
}

/**
 * A round whose cohort was drawn but that did not run because of the draw (too few devices sampled for a secure
 * round). It counts as an attempt at its (shard, lineage, step), so the next draw is fresh; with DP, whether it ran
 * depended on who was sampled, so the draw is charged like a round that ran (see server/rounds/coordinator.ts).
 */
export interface SkippedRound {
  shard: number;
  lineage: number;
  step: number;
  sessionId: string;
  /** Devices drawn. */
  cohortSize: number;
  reason: string;
  at: number;
  /** The shard's account with this round charged; null leaves the account as it is (a round without DP). */
  account: PrivacyAccount | null;
}

/** The server's Ed25519 identity (libsodium layout: 64-byte private key = seed ‖ public key). */
export interface ServerIdentity {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** The stored identity, with when it was made. */
export interface StoredIdentity extends ServerIdentity {
  createdAt: number;
}

/** A deletion as the ledger holds it. */
export interface DeletionRecord {
  id: string;
  /** SHA-256 hex of the device's public key (what the receipt binds). */
  keyHash: string;
  nonce: Uint8Array;
  /** The device's timestamp, and the server's when it received the request. */
  requestedAt: number;
  receivedAt: number;
  shard: number;
  status: 'pending' | 'done';
  completedAt: number | null;
  receipt: Receipt | null;
}

/** A deletion being asked. */
export interface NewDeletion {
  id: string;
  deviceId: string;
  keyHash: string;
  nonce: Uint8Array;
  requestedAt: number;
  receivedAt: number;
  shard: number;
}

/** What the receipt's maker is told inside the transaction that completes a deletion. */
export interface ReceiptContext {
  index: number;
  previousHash: string;
  /** The first served version free of the device (the rollback's, or the latest when no rollback was needed). */
  servedVersion: { version: number; sha256: string };
  /** The shard's checkpoint the device is absent from: the rollback's target, or its head. */
  checkpoint: CheckpointInfo;
}

/** Everything completing a deletion changes, in one transaction. */
export interface DeletionCompletion {
  deletionId: string;
  completedAt: number;
  /** Roll the shard back to the checkpoint at `toStep` (a new lineage), serving `model`; null when the device never contributed. */
  rollback: { shard: number; toStep: number; model: Uint8Array; basis: number[]; provenance: ModelProvenance } | null;
  /** Build and sign the receipt (called inside the transaction, once). */
  makeReceipt(context: ReceiptContext): Receipt;
}

/** One entry of the public receipt chain (no device identifiers). */
export interface ChainEntry {
  index: number;
  hash: string;
  previousHash: string;
  completedAt: number;
  shard: number;
}

/** A receipt-signing key. */
export interface ReceiptKey {
  id: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  createdAt: number;
  retiredAt: number | null;
}

/** Rounds of one shard by how they ended. */
export interface RoundCounts {
  shard: number;
  completed: number;
  aborted: number;
}

/** A batch of single-use enrollment tokens as the store receives it: SHA-256 hashes only, never the tokens. */
export interface EnrollmentBatch {
  /** 16 lower-case hex characters (server/enrollment/tokens.ts makes it). */
  batchId: string;
  issuedAt: number;
  /** 32-byte SHA-256 of each token, distinct. */
  hashes: readonly Uint8Array[];
}

/** One batch's counts (no hashes): what `npm run tokens -- list` shows. */
export interface EnrollmentBatchCounts {
  batchId: string;
  issuedAt: number;
  issued: number;
  used: number;
  revoked: number;
}

/**
 * What registerDeviceWithToken did. `registered`: the device is new and the token is now used; `existing`: the key
 * was already registered, nothing was consumed; otherwise nothing was written.
 */
export type TokenRegistration =
  | { outcome: 'registered' | 'existing'; device: DeviceRecord }
  | { outcome: 'token_unknown' | 'token_used' | 'token_revoked' };

/** Which unused tokens to revoke: these (by hash), one batch, or every unused one. */
export type TokenRevocation = { hashes: readonly Uint8Array[] } | { batchId: string } | { allUnused: true };

/** A device seen (authenticated) at `at`: one entry of a batched last-seen write. */
export interface DeviceSeen {
  deviceId: string;
  at: number;
}

/** The store contract. Failures are StoreErrors (store/errors.ts) with a stable code. */
export interface Store {
  /** Register a device, or return the existing record unchanged (idempotent); `created` says which. */
  registerDevice(deviceId: string, at: number): Promise<{ device: DeviceRecord; created: boolean }>;
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>;
  /** Record that the device was seen (authenticated) at `at`. Unknown device: 'store.not_found'. */
  touchDevice(deviceId: string, at: number): Promise<void>;
  /**
   * Record many last-seen times in one transaction (the gateway batches them: one fsync, not one per authentication).
   * lastSeen only moves forward; a device no longer registered is skipped, not an error. Returns how many moved.
   */
  touchDevices(seen: readonly DeviceSeen[]): Promise<number>;
  /** Set the training consent. Unknown device: 'store.not_found'. */
  setConsent(deviceId: string, training: boolean): Promise<DeviceRecord>;
  /**
   * Register a device by consuming one unused enrollment token (by its SHA-256), in one transaction: the device row and
   * the token's `used` mark commit together or not at all, so a token admits one device even across a crash. A key
   * already registered is returned unchanged and consumes nothing; an unknown, used or revoked token writes nothing.
   */
  registerDeviceWithToken(deviceId: string, at: number, tokenHash: Uint8Array): Promise<TokenRegistration>;
  /** Store a batch of unused tokens. A hash or batch id already stored: 'store.conflict', and nothing is stored. */
  issueEnrollmentTokens(batch: EnrollmentBatch): Promise<void>;
  /** Revoke unused tokens (a used one stays used: its device stays registered); returns how many were revoked. */
  revokeEnrollmentTokens(which: TokenRevocation): Promise<number>;
  /** Every batch with its counts, oldest first. */
  listEnrollmentBatches(): Promise<EnrollmentBatchCounts[]>;
  /** Every device, oldest registration first. Contains device ids: for the coordinator, never for HTTP. */
  listDevices(): Promise<DeviceRecord[]>;
  /** Of `deviceIds`, those recorded as having trained on the model at `step` of `shard` (the once-per-model rule). */
  contributedAt(shard: number, step: number, deviceIds: readonly string[]): Promise<Set<string>>;
  /** The step of the first model of its shard the device trained on (undefined: it never contributed). */
  firstContribution(deviceId: string, shard: number): Promise<number | undefined>;
  /** firstContribution of the device a pending deletion names (the ledger keeps no device id, only its lookup hash). */
  deletionFirstContribution(deletionId: string): Promise<number | undefined>;

  /**
   * Create the shards and model version 1, once. A store that already has shards is left alone and its latest
   * version returned (`created` false); a different number of shards is 'store.conflict'.
   */
  initialise(init: Initialisation): Promise<{ version: ModelVersionInfo; created: boolean }>;
  /** The shards, in order (empty before initialise). */
  listShards(): Promise<ShardRecord[]>;
  /** The shard's head checkpoint (its latest). Unknown shard: 'store.not_found'. */
  currentCheckpoint(shard: number): Promise<Checkpoint>;
  /** Every kept checkpoint of the shard, oldest first (a rollback's possible targets). */
  listCheckpoints(shard: number): Promise<CheckpointInfo[]>;
  /** A kept checkpoint of the shard with its files (undefined when none is kept at that step). */
  getCheckpoint(shard: number, step: number): Promise<Checkpoint | undefined>;
  /** Drop the shard's checkpoints not in `keep` (the head and the first are always kept); returns how many went. */
  pruneCheckpoints(shard: number, keep: readonly number[]): Promise<number>;
  /** Drop the files of all but the newest `keep` model versions (their rows stay); returns how many went. */
  pruneModelFiles(keep: number): Promise<number>;
  /**
   * Close a completed round: store the shard's next checkpoint and account, and publish the next model version
   * (its number assigned here). 'store.conflict' when the shard has moved on since the round started (another
   * lineage or step), when a basis checkpoint is no longer its shard's latest, or when the round already ended.
   */
  commitRound(commit: RoundCommit): Promise<{ version: ModelVersionInfo; checkpoint: CheckpointInfo }>;

  latestModel(): Promise<ModelVersion | undefined>;
  /** The latest version without its file (cheap: for caches that only need to know whether it changed). */
  latestModelInfo(): Promise<ModelVersionInfo | undefined>;
  getModel(version: number): Promise<ModelVersion | undefined>;
  /** Newest first. */
  listModelVersions(limit: number): Promise<ModelVersionInfo[]>;

  /** Open a round. A (sessionId, round) seen before: 'store.conflict'; an unknown shard: 'store.not_found'. */
  roundStarted(round: NewRound): Promise<RoundRecord>;
  /** Close a round that aborted. Unknown id: 'store.not_found'; already ended: 'store.conflict'. */
  roundAborted(id: number, end: RoundAbort): Promise<RoundRecord>;
  /**
   * Record a round skipped after its cohort was drawn, in one transaction: an aborted round (round 1 of `sessionId`,
   * started and ended at `at`, no survivors; counted by roundsAt) and, unless `account` is null, the shard's account.
   * 'store.conflict' when the shard is not at (lineage, step) or the session was seen before; 'store.not_found' for an
   * unknown shard.
   */
  roundSkipped(skip: SkippedRound): Promise<RoundRecord>;
  /** Abort every round still open (at start-up: a round cannot outlive the process that ran it); returns how many. */
  abortOpenRounds(reason: string, at: number): Promise<number>;
  /** Newest first. */
  listRounds(limit: number): Promise<RoundRecord[]>;
  /** How many rounds were started at this (shard, lineage, step): the attempt number of the next one. */
  roundsAt(shard: number, lineage: number, step: number): Promise<number>;
  /** Completed and aborted rounds of every shard, in shard order. */
  countRounds(): Promise<RoundCounts[]>;

  /** The server's key pair: the stored one, or `generate()`'s result stored now (first run). */
  serverIdentity(generate: () => ServerIdentity, at: number): Promise<StoredIdentity>;

  /**
   * Record a deletion request and exclude the device from every round, in one transaction. The same (keyHash,
   * nonce) again, or any nonce once the device's deletion is done, returns that deletion (`created` false). An
   * unknown device: 'store.not_found'.
   */
  requestDeletion(deletion: NewDeletion): Promise<{ deletion: DeletionRecord; created: boolean }>;
  getDeletion(id: string): Promise<DeletionRecord | undefined>;
  /** Every deletion of a device key (by the key's SHA-256), oldest first. */
  findDeletions(keyHash: string): Promise<DeletionRecord[]>;
  /** Deletions recorded but not completed (finished at start-up). */
  pendingDeletions(): Promise<DeletionRecord[]>;
  /**
   * Complete a deletion in one transaction: roll the shard back (new lineage, the target's later checkpoints and
   * contributions gone), publish the rolled-back version, erase every row about the device, and append the receipt
   * to the chain. Then destroy the device's key and scrub the files (secure_delete, WAL truncated).
   */
  completeDeletion(completion: DeletionCompletion): Promise<DeletionRecord>;
  /**
   * Roll a shard back without a deletion (an operator's decision, and the control run of the exactness check): the
   * same changes as a deletion's rollback, with no device erased and no receipt. Returns the version published.
   */
  rollbackShard(rollback: NonNullable<DeletionCompletion['rollback']> & { at: number }): Promise<ModelVersionInfo>;
  /** The receipt chain, oldest first. */
  receiptChain(): Promise<ChainEntry[]>;
  /** The active receipt key (made with `generate` on first use). */
  receiptKey(generate: () => ServerIdentity, at: number): Promise<ReceiptKey>;
  /** Every receipt key, the active one first, then the retired ones newest first. */
  listReceiptKeys(): Promise<ReceiptKey[]>;
  /** Retire the active receipt key and make `generate()`'s the active one. */
  rotateReceiptKey(generate: () => ServerIdentity, at: number): Promise<ReceiptKey>;

  close(): Promise<void>;
}
