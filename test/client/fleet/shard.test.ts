// The fleet's shard rule is the server's: for random keys and shard counts, both give the same shard.
import { describe, expect, it } from 'vitest';
import { shardOfDevice } from '../../../client/fleet/shard';
import { shardOf } from '../../../server/training/sharding';
import { toBase64Url } from '../../../shared/protocol/encoding';
import { sodium } from '../../shared/secagg/helpers';

describe('shardOfDevice', () => {
  it('agrees with the server for 200 keys at 1, 2, 4, 7 and 256 shards', () => {
    for (let n = 0; n < 200; n++) {
      const id = toBase64Url(sodium.crypto_sign_keypair().publicKey);
      for (const count of [1, 2, 4, 7, 256]) expect(shardOfDevice(id, count)).toBe(shardOf(id, count));
    }
  });
});
