// Which shard a device trains in: fixed at registration by a hash of its public key (SISA, Bourtoule et al. 2021).
import { createHash } from 'node:crypto';

/**
 * The shard of a device among `count`: the first 32 bits of SHA-256("confidant/shard/v1" ‖ id), mod count.
 * The modulo bias is below count / 2^32 (under 10⁻⁷ for 256 shards). Public and keyless on purpose: anyone,
 * the device included, can check which shard a key belongs to.
 */
export function shardOf(deviceId: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  if (count === 1) return 0;
  return createHash('sha256').update('confidant/shard/v1\0').update(deviceId).digest().readUInt32BE(0) % count;
}
