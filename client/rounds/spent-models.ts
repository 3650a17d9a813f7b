// The device's record of the models it has already contributed to, per purpose. Two sums over cohorts that differ
// by one device reveal that device's update (threat model: replay across cohorts), so a device sends at most one
// masked input per (model hash, purpose) and refuses every later invitation to the same pair. The record must be
// durable before the masked input leaves: a device that crashed after sending and forgot would contribute twice.
//
// Implementations: memorySpentModels (tests and simulations, where the process is the device's whole life),
// fileSpentModels (client/rounds/spent-models-file.ts, Node devices), and the browser's IndexedDB store.
import type { RoundPurpose } from '../../shared/protocol/messages';

/** One (model hash, purpose) pair. */
export interface SpentKey {
  modelHash: Uint8Array;
  purpose: RoundPurpose;
}

/** The durable set of pairs this device has contributed to. */
export interface SpentModels {
  has(key: SpentKey): Promise<boolean>;
  /** Record the pair; resolves only once the record is durable. */
  record(key: SpentKey): Promise<void>;
}

/** The text form of a key: purpose, a space, the model hash in hex. */
export function spentKeyText(key: SpentKey): string {
  let hex = '';
  for (const b of key.modelHash) hex += b.toString(16).padStart(2, '0');
  return `${key.purpose} ${hex}`;
}

/** A record that lives as long as the process: for tests and simulations only. */
export function memorySpentModels(): SpentModels {
  const spent = new Set<string>();
  return {
    has: async (key) => spent.has(spentKeyText(key)),
    record: async (key) => void spent.add(spentKeyText(key)),
  };
}
