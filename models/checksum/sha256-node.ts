// SHA-256 of a model file on Node: OpenSSL through node:crypto, ~20× the pure-JavaScript hash (6.5 ms against 127 ms
// for eight 1.3 MB shard files). Each served version hashes every shard file a few times (encode, split, decode),
// which made the pure hash most of a deletion's time at 8 shards. package.json's "#sha256" import picks this file on Node.
import { createHash } from 'node:crypto';

/** The SHA-256 of `bytes`, as 64 lowercase hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
