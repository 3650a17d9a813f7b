// What gets signed, authenticated or hashed in a round: each binds the session, the round and the model hash.
import { encodeTuple } from './encoding';
import type { Sodium } from './sodium';

/** Identifies one round of one session, and the model version every participant trains on. */
export interface RoundBinding {
  sessionId: string;
  round: number;
  /** SHA-256 of the model file (Pasquini et al. 2022: one model for everyone in a round). */
  modelHash: Uint8Array;
}

/** An advertisement: a device's two X25519 keys and its self-seed commitment. */
export interface Advertisement {
  deviceId: string;
  encKey: Uint8Array;
  maskKey: Uint8Array;
  seedCommitment: Uint8Array;
}

/** Bytes a device signs when it advertises its keys (stage 0). */
export function advertisementPayload(b: RoundBinding, a: Advertisement): Uint8Array {
  return encodeTuple(['confidant/secagg/v1/advertise', b.sessionId, b.round, b.modelHash, a.deviceId, a.encKey, a.maskKey, a.seedCommitment]);
}

/** Bytes a survivor signs in the consistency check (stage 3): the sorted survivor and dropped lists. */
export function confirmationPayload(b: RoundBinding, survivors: readonly string[], dropped: readonly string[]): Uint8Array {
  return encodeTuple(['confidant/secagg/v1/confirm', b.sessionId, b.round, b.modelHash, survivors.length, ...[...survivors].sort(), dropped.length, ...[...dropped].sort()]);
}

/** Associated data of the share bundle sent from one device to another. */
export function shareAssociatedData(b: RoundBinding, from: string, to: string): Uint8Array {
  return encodeTuple(['confidant/secagg/v1/share-bundle', b.sessionId, b.round, b.modelHash, from, to]);
}

/** Commitment to a self-mask seed: BLAKE2b-256 of the seed under its own label (hiding: the seed has 256 random bits). */
export function seedCommitment(sodium: Sodium, seed: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v1/seed-commitment', seed]), null);
}

/**
 * Seed of the sparse neighbour graph, derived from the advertised keys so the server cannot pick who
 * neighbours whom (it could only re-run the whole stage, which every device sees as a new key list).
 */
export function graphSeed(sodium: Sodium, b: RoundBinding, advertisements: readonly Advertisement[]): Uint8Array {
  const sorted = [...advertisements].sort((x, y) => (x.deviceId < y.deviceId ? -1 : x.deviceId > y.deviceId ? 1 : 0));
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v1/graph-seed', b.sessionId, b.round, b.modelHash, ...sorted.flatMap((a) => [a.deviceId, a.encKey, a.maskKey])]), null);
}

/** +1 when `me` sorts before `peer`, else −1: the sign of the pairwise mask in y_u (Bonawitz et al. 2017). */
export function maskSign(me: string, peer: string): 1 | -1 {
  return me < peer ? 1 : -1;
}

/** The Shamir x-coordinate of `holder` for the secrets of `owner`: 1 + its rank among owner and its neighbours. */
export function shareIndex(owner: string, neighbours: readonly string[], holder: string): number {
  const holders = [owner, ...neighbours].sort();
  const at = holders.indexOf(holder);
  if (at < 0) throw new RangeError(`${holder} holds no share of ${owner}'s secrets`);
  return at + 1;
}
