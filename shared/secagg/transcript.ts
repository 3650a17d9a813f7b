// What gets signed, authenticated or hashed in a round: each binds the session, the round, the model hash and the
// round's settings, so a server that shows devices different models or different settings is caught the moment
// their signatures are checked against one another (before any share leaves a device).
import { encodeTuple } from './encoding';
import type { Sodium } from './sodium';

/** Identifies one round of one session, and the model version every participant trains on. */
export interface RoundBinding {
  sessionId: string;
  round: number;
  /** SHA-256 of the model file (Pasquini et al. 2022: one model for everyone in a round). */
  modelHash: Uint8Array;
}

/** An advertisement: a device's two X25519 keys, its self-seed commitment and its graph-randomness commitment. */
export interface Advertisement {
  deviceId: string;
  encKey: Uint8Array;
  maskKey: Uint8Array;
  seedCommitment: Uint8Array;
  graphCommitment: Uint8Array;
}

/** What a round's settings digest covers: everything the invitation told the device besides the binding. */
export interface RoundSettingsView {
  shard: number;
  modelVersion: number;
  purpose: string;
  config: unknown;
  cohort: readonly string[];
}

/** The round's settings as every device must have seen them: a digest of the invitation's canonical form. */
export function settingsDigest(sodium: Sodium, b: RoundBinding, settings: RoundSettingsView): Uint8Array {
  // The config is plain JSON from the invitation; a sorted-key serialisation makes it canonical.
  const canonical = JSON.stringify(settings.config, (_key, value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))) : value));
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v2/settings', b.sessionId, b.round, b.modelHash, settings.shard, settings.modelVersion, settings.purpose, canonical, settings.cohort.length, ...[...settings.cohort].sort()]), null);
}

/** Digest of the final key list (every advertisement, in id order): signers of a survivor list also sign the keys they saw. */
export function keyListDigest(sodium: Sodium, b: RoundBinding, ads: Iterable<Advertisement>): Uint8Array {
  const sorted = [...ads].sort((x, y) => (x.deviceId < y.deviceId ? -1 : x.deviceId > y.deviceId ? 1 : 0));
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v2/key-list', b.sessionId, b.round, b.modelHash, sorted.length, ...sorted.flatMap((a) => [a.deviceId, a.encKey, a.maskKey, a.seedCommitment, a.graphCommitment])]), null);
}

/** Bytes a device signs when it advertises its keys (stage advertise). */
export function advertisementPayload(b: RoundBinding, settings: Uint8Array, a: Advertisement): Uint8Array {
  return encodeTuple(['confidant/secagg/v2/advertise', b.sessionId, b.round, b.modelHash, settings, a.deviceId, a.encKey, a.maskKey, a.seedCommitment, a.graphCommitment]);
}

/** Commitment to a self-mask seed: BLAKE2b-256 of the seed under its own label (hiding: the seed has 256 random bits). */
export function seedCommitment(sodium: Sodium, seed: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v1/seed-commitment', seed]), null);
}

/** Commitment to a device's graph randomness (hiding and binding, as the seed commitment). */
export function graphCommitment(sodium: Sodium, secret: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v2/graph-commitment', secret]), null);
}

/**
 * Seed of the sparse neighbour graph: a hash of the graph randomness of every device on the key list, revealed
 * only after the list (with every commitment) was final. One honest device's fresh 256 bits make the seed uniform,
 * and the server cannot steer it: it fixed the list, its Sybils' commitments included, before any honest reveal.
 *
 * How many graphs can a server still try? One per round. Every listed device's reveal is required (a device
 * aborts when one is missing, before any share leaves it), so the server cannot choose among the 2^a seeds it
 * would get by withholding the reveals of the a Sybils it controls; to try another graph it must abort and run a
 * new round — new keys, new randomness, an abort every device sees. That is safe because each graph is then an
 * independent uniform draw, and the threshold already covers all but a SPARSE_TAIL (2^-30) share of them for each
 * victim (round-settings.ts, corruptHolders): R rounds give a server at most R·2^-30 per victim. (An honest device
 * that vanishes between advertising and revealing also aborts the attempt; the coordinator retries without it.)
 */
export function graphSeed(sodium: Sodium, b: RoundBinding, reveals: readonly { deviceId: string; secret: Uint8Array }[]): Uint8Array {
  const sorted = [...reveals].sort((x, y) => (x.deviceId < y.deviceId ? -1 : x.deviceId > y.deviceId ? 1 : 0));
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v2/graph-seed', b.sessionId, b.round, b.modelHash, ...sorted.flatMap((r) => [r.deviceId, r.secret])]), null);
}

/** Digest of one encoded share: what a dealer signs for it, and what a holder reveals of the share it keeps back. */
export function shareDigest(sodium: Sodium, encodedShare: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(32, encodeTuple(['confidant/secagg/v2/share-digest', encodedShare]), null);
}

/**
 * Bytes a dealer signs for the two shares it deals one holder (one signature per bundle, not per share: half the
 * Ed25519 work). A holder revealing one share sends the other's digest with it, so the server can check the
 * signature — and attribute a forged share to the holder that revealed it — without seeing the other share.
 */
export function sharePayload(b: RoundBinding, dealer: string, holder: string, selfSeedDigest: Uint8Array, maskKeyDigest: Uint8Array): Uint8Array {
  return encodeTuple(['confidant/secagg/v2/shares', b.sessionId, b.round, b.modelHash, dealer, holder, selfSeedDigest, maskKeyDigest]);
}

/** What a survivor signs in the consistency check: the settings, the key list and graph seed it saw, and the lists. */
export interface ConfirmedView {
  settings: Uint8Array;
  keyList: Uint8Array;
  seed: Uint8Array;
  survivors: readonly string[];
  dropped: readonly string[];
}

/** Bytes a survivor signs in the consistency check. */
export function confirmationPayload(b: RoundBinding, v: ConfirmedView): Uint8Array {
  return encodeTuple([
    'confidant/secagg/v2/confirm',
    b.sessionId,
    b.round,
    b.modelHash,
    v.settings,
    v.keyList,
    v.seed,
    v.survivors.length,
    ...[...v.survivors].sort(),
    v.dropped.length,
    ...[...v.dropped].sort(),
  ]);
}

/** Associated data of the share bundle sent from one device to another. */
export function shareAssociatedData(b: RoundBinding, from: string, to: string): Uint8Array {
  return encodeTuple(['confidant/secagg/v1/share-bundle', b.sessionId, b.round, b.modelHash, from, to]);
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
