// Which shard a device key lands in, computed the way the server does (the rule is public and keyless on purpose:
// SHA-256("confidant/shard/v1" ‖ 0 ‖ device id), first 32 bits big-endian, mod the shard count). The demo fleet
// uses it to spread its simulated people evenly over the shards.
import { sha256 } from '@noble/hashes/sha2.js';

const PREFIX = new TextEncoder().encode('confidant/shard/v1\0');

/** The shard of a device id (base64url public key) among `count`. */
export function shardOfDevice(deviceId: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  if (count === 1) return 0;
  const id = new TextEncoder().encode(deviceId);
  const bytes = new Uint8Array(PREFIX.length + id.length);
  bytes.set(PREFIX);
  bytes.set(id, PREFIX.length);
  const h = sha256(bytes);
  return (((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!) % count;
}
