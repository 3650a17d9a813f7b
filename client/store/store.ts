// The device's store: the one contract the browser (IndexedDB) and the Node device (memory) implement. Everything
// a person's device keeps is here, and nothing of it leaves the device except what a use they allowed sends.
import type { CatalogueItem } from '../../shared/protocol/http';
import type { Receipt } from '../../shared/protocol/deletion';
import type { ShopEvent } from '../core/events';
import type { ConsentLogEntry, Permissions } from '../core/permissions';
import type { StoredModel } from '../core/model';

/** A round the device joined, as it logged it: sizes and settings, never the update. */
export interface RoundRecord {
  id?: number;
  kind: 'round';
  sessionId: string;
  round: number;
  shard: number;
  modelVersion: number;
  startedAt: number;
  /** Bytes sent per message type. */
  bytesSent: Record<string, number>;
  clipNorm: number;
  clipped: boolean;
  scale: number;
  deviceNoiseStd: number;
  /** Devices invited to the round (this one included). */
  cohortSize: number;
  /** Devices whose masked input the server took (told to the device in the round), and whether it was one. */
  survivors?: number;
  amongSurvivors?: boolean;
  outcome?: { status: 'completed' | 'aborted'; reason?: string; modelVersion?: number };
}

/** A server-assisted recommendation request: exactly what it carried. */
export interface AssistedRecord {
  id?: number;
  kind: 'assisted';
  time: number;
  /** Catalogue ids and values of the history sent (nothing else is: no identity, no kept-out categories). */
  items: number[];
  values: number[];
  k: number;
}

export type SentRecord = RoundRecord | AssistedRecord;

/** The device's identity key (Ed25519, libsodium layout: the private key is seed ‖ public key). */
export interface StoredIdentity {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  createdAt: number;
}

/** A deletion receipt the device keeps after wiping everything else. */
export interface StoredReceipt {
  id?: number;
  receivedAt: number;
  receipt: Receipt;
  /** The key it was verified with (its id in GET /v1/keys), and the outcome of that check. */
  verifiedWith: string;
  verified: boolean;
}

/** The catalogue as cached for offline use. */
export interface StoredCatalogue {
  items: CatalogueItem[];
  categories: string[];
}

/** Small settings: language, variety, feed mode, "not interested" items, pending deletion. */
export interface Settings {
  language: string;
  variety: number;
  feedMode: 'personal' | 'popular';
  notInterested: number[];
  pendingDeletion: { id: string; statusUrl: string; nonce: string; requestedAt: number; deviceKeyHash: string };
  recoveryAcknowledged: boolean;
}

/** The store's failure: storage full, blocked by another tab or refused by the browser. */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly reason: 'full' | 'blocked' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

/** Everything the device keeps, as one document (Export my data). */
export interface ExportDocument {
  format: 'confidant-device-export';
  version: 1;
  exportedAt: number;
  events: ShopEvent[];
  permissions: Permissions;
  consentLog: ConsentLogEntry[];
  sent: SentRecord[];
  settings: Partial<Settings>;
  /** The identity's public key (base64url); the private key is never exported. */
  identity: { publicKey: string; createdAt: number } | null;
  receipts: StoredReceipt[];
  model: { version: number; sha256: string; bytes: number } | null;
}

/** The contract. */
export interface DeviceStore {
  addEvent(event: ShopEvent): Promise<number>;
  events(): Promise<ShopEvent[]>;
  deleteEvent(id: number): Promise<void>;
  /** Delete events older than `time` (ms); returns how many. */
  deleteOlderThan(time: number): Promise<number>;
  permissions(): Promise<Permissions>;
  /** Replace the permissions and append (time, before, after) to the consent log; returns the entry. */
  setPermissions(next: Permissions, time: number): Promise<ConsentLogEntry>;
  consentLog(): Promise<ConsentLogEntry[]>;
  setting<K extends keyof Settings>(key: K): Promise<Settings[K] | undefined>;
  setSetting<K extends keyof Settings>(key: K, value: Settings[K] | undefined): Promise<void>;
  /** Add a sent record, or replace the round record of the same session. */
  putSent(record: SentRecord): Promise<void>;
  sent(): Promise<SentRecord[]>;
  model(): Promise<StoredModel | undefined>;
  putModel(model: StoredModel): Promise<void>;
  catalogue(): Promise<StoredCatalogue | undefined>;
  putCatalogue(catalogue: StoredCatalogue): Promise<void>;
  identity(): Promise<StoredIdentity | undefined>;
  putIdentity(identity: StoredIdentity): Promise<void>;
  addReceipt(receipt: StoredReceipt): Promise<void>;
  receipts(): Promise<StoredReceipt[]>;
  /** Erase everything but the receipts (after a verified deletion). */
  wipeExceptReceipts(): Promise<void>;
  close(): void;
}
