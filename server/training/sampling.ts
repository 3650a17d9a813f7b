// Who is in a round: each device independently with probability q, decided by a PRF of the round's seed and the
// device's key (Poisson sampling, which the privacy accountant assumes; Chua et al. 2024).
//
// The seed derives from (shard, lineage, step, attempt) under the server's secret sampling key, so sampling is
// reproducible (the exactness test replays it), unpredictable to anyone without the key, and per device: removing
// one device changes no other device's draw. A rollback starts a new lineage, so its rounds never reuse a seed.
import { createHmac } from 'node:crypto';
import { encodeTuple } from '../../shared/secagg/encoding';

/** Where a round draws its cohort: the shard, its lineage, the step of the model it trains, and the attempt at that step. */
export interface RoundPosition {
  shard: number;
  lineage: number;
  step: number;
  /** Rounds already started or skipped after their draw at this (shard, lineage, step): a retry draws afresh. */
  attempt: number;
}

/** The round's seed: HMAC-SHA256 under the sampling key. */
export function roundSeed(samplingKey: Uint8Array, p: RoundPosition): Buffer {
  return createHmac('sha256', samplingKey).update(encodeTuple(['confidant/round-seed/v1', p.shard, p.lineage, p.step, p.attempt])).digest();
}

/** The device's uniform draw in [0, 1) for a seed: the first 53 bits of HMAC-SHA256(seed, device id). */
export function deviceDraw(seed: Uint8Array, deviceId: string): number {
  const h = createHmac('sha256', seed).update(deviceId).digest();
  // 21 high bits then 32 low bits: exactly 53 bits, so every draw is a distinct double in [0, 1).
  return ((h.readUInt32BE(0) >>> 11) * 2 ** 32 + h.readUInt32BE(4)) / 2 ** 53;
}

/** The devices of `eligible` in the round: draw < q. */
export function sampleCohort(samplingKey: Uint8Array, p: RoundPosition, eligible: readonly string[], q: number): string[] {
  if (!(q > 0 && q <= 1)) throw new RangeError(`q must be in (0, 1], got ${q}`);
  const seed = roundSeed(samplingKey, p);
  return eligible.filter((id) => deviceDraw(seed, id) < q);
}

/** The server's sampling key, derived from its identity key under its own label (no second secret to keep). */
export function samplingKeyOf(identityPrivateKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', identityPrivateKey).update('confidant/sampling-key/v1').digest());
}
