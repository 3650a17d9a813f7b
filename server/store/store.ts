// The server's persistent state behind one interface: devices, model versions, rounds and the server's own key.
//
// The interface is asynchronous although both implementations today are synchronous underneath: the
// design lets the same contract run on a database server later, and a Promise costs nothing here.
// Every implementation must pass test/server/store/store.conformance.ts.
import { z } from 'zod';

/** A registered device. `deviceId` is the base64url Ed25519 public key; times are epoch milliseconds. */
export interface DeviceRecord {
  deviceId: string;
  registeredAt: number;
  lastSeen: number;
  /** Whether the owner allows training; false until the device says otherwise (opt-in). */
  consentTraining: boolean;
}

/** How a model version came to be: which round, how many devices, what was clipped, what it cost. */
export const modelProvenanceSchema = z.strictObject({
  /** The store's round id (rounds.id) that produced it, or null (an initial or imported model). */
  round: z.number().int().min(1).nullable(),
  cohortSize: z.number().int().nonnegative(),
  survivors: z.number().int().nonnegative(),
  clipNorm: z.number().nonnegative().finite(),
  valuesClipped: z.number().int().nonnegative(),
  bytesIn: z.number().int().nonnegative(),
  bytesOut: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative().finite(),
  /** ε spent so far at the accountant's δ, or null when the model has no DP guarantee. */
  epsilon: z.number().nonnegative().finite().nullable(),
  /** The DP setting of the round that made this version (absent or null: no noise), what the accountant composes. */
  privacy: z
    .strictObject({
      /** The training population whose account this round is charged to (one per shard). */
      population: z.string().min(1).max(64),
      mode: z.enum(['central', 'distributed']),
      samplingRate: z.number().gt(0).lte(1),
      noiseMultiplier: z.number().positive().finite(),
      delta: z.number().gt(0).lt(1),
      /** Every DP setting this version's lineage has run, consecutive equal settings merged: the account in full. */
      history: z
        .array(z.strictObject({ samplingRate: z.number().gt(0).lte(1), noiseMultiplier: z.number().positive().finite(), steps: z.number().int().positive() }))
        .min(1)
        .max(10_000),
    })
    .nullable()
    .optional(),
});
export type ModelProvenance = z.infer<typeof modelProvenanceSchema>;

/** A model version without its bytes (listing, status pages). */
export interface ModelVersionInfo {
  version: number;
  createdAt: number;
  /** SHA-256 of the whole model file, lower-case hex (computed by the store, never taken from the caller). */
  sha256: string;
  sizeBytes: number;
  provenance: ModelProvenance;
}

/** A model version with its file. */
export interface ModelVersion extends ModelVersionInfo {
  data: Uint8Array;
}

/** What a caller supplies to store a new model version. */
export interface NewModelVersion {
  /** Must be greater than every stored version. */
  version: number;
  createdAt: number;
  data: Uint8Array;
  provenance: ModelProvenance;
}

export type RoundStatus = 'started' | 'completed' | 'aborted';

/** One secure-aggregation round as the operator sees it (counts only, no device ids). */
export interface RoundRecord {
  /** Store-assigned id, increasing. */
  id: number;
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
  sessionId: string;
  round: number;
  cohortSize: number;
  startedAt: number;
}

/** How a round ended. */
export interface RoundEnd {
  status: 'completed' | 'aborted';
  reason: string | null;
  survivors: number;
  endedAt: number;
}

/** The server's Ed25519 identity (libsodium layout: 64-byte private key = seed ‖ public key). */
export interface ServerIdentity {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** The store contract. Failures are StoreErrors (store/errors.ts) with a stable code. */
export interface Store {
  /** Register a device, or return the existing record unchanged (idempotent); `created` says which. */
  registerDevice(deviceId: string, at: number): Promise<{ device: DeviceRecord; created: boolean }>;
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>;
  /** Record that the device was seen (authenticated) at `at`. Unknown device: 'store.not_found'. */
  touchDevice(deviceId: string, at: number): Promise<void>;
  /** Set the training consent. Unknown device: 'store.not_found'. */
  setConsent(deviceId: string, training: boolean): Promise<DeviceRecord>;
  /** Every device, oldest registration first. Contains device ids: for the coordinator, never for HTTP. */
  listDevices(): Promise<DeviceRecord[]>;

  /** Store a model version and its bytes atomically. A version not above the latest: 'store.conflict'. */
  putModelVersion(model: NewModelVersion): Promise<ModelVersionInfo>;
  latestModel(): Promise<ModelVersion | undefined>;
  getModel(version: number): Promise<ModelVersion | undefined>;
  /** Newest first. */
  listModelVersions(limit: number): Promise<ModelVersionInfo[]>;

  /** Open a round. A (sessionId, round) seen before: 'store.conflict'. */
  roundStarted(round: NewRound): Promise<RoundRecord>;
  /** Close a round. Unknown id: 'store.not_found'; already ended: 'store.conflict'. */
  roundEnded(id: number, end: RoundEnd): Promise<RoundRecord>;
  /** Newest first. */
  listRounds(limit: number): Promise<RoundRecord[]>;

  /** The server's key pair: the stored one, or `generate()`'s result stored now (first run). */
  serverIdentity(generate: () => ServerIdentity, at: number): Promise<ServerIdentity>;

  close(): Promise<void>;
}
