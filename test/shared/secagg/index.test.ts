// The public API composes: three devices agree keys, share a seed, mask encoded updates; the masks cancel in the sum.
import { describe, expect, it } from 'vitest';
import {
  KEY_CONTEXT, addMod, agreeKey, buildGraph, checkThreshold, combine, decodeShare, decodeSum, encode, encodeShare, encodeTuple,
  expandMask, fixedPointScale, generateKeyPair, minimumThreshold, open, seal, sodiumRandomBytes, sodiumUniform01, split, subMod,
} from '../../../shared/secagg';
import { sodium } from './helpers';

describe('shared/secagg public API', () => {
  it('masks that cancel pairwise leave exactly the sum of the encoded updates', () => {
    const devices = ['a', 'b', 'c'];
    const graph = buildGraph(sodium, { devices, kind: 'complete' });
    const threshold = minimumThreshold({ kind: 'complete', n: devices.length });
    checkThreshold({ kind: 'complete', n: devices.length, threshold });
    const keys = new Map(devices.map((d) => [d, generateKeyPair(sodium)]));
    const clipNorm = 1;
    const scale = fixedPointScale({ clipNorm, cohortSize: devices.length, modulusBits: 32 });
    const updates = new Map(devices.map((d, i) => [d, Float32Array.of(0.25 * i, -0.5, 0.125)]));
    const uniform01 = sodiumUniform01(sodium);

    const sum = new Uint32Array(3);
    const plain = new Uint32Array(3);
    for (const d of devices) {
      const { encoded } = encode(updates.get(d)!, { scale, clipNorm }, uniform01);
      addMod(plain, encoded);
      const masked = encoded.slice();
      for (const other of graph.get(d)!) {
        const mask = expandMask(sodium, agreeKey(sodium, keys.get(d)!, keys.get(other)!.publicKey, KEY_CONTEXT.maskSeed), masked.length);
        // Bonawitz et al. 2017: the lower id adds PRG(s_uv), the higher subtracts it.
        if (d < other) addMod(masked, mask);
        else subMod(masked, mask);
      }
      addMod(sum, masked);
    }
    expect(Array.from(sum)).toEqual(Array.from(plain));
    // Each device's rounding moves its coordinate by under one unit of 1/scale.
    const decoded = decodeSum(sum, scale);
    [0.75, -1.5, 0.375].forEach((v, i) => expect(Math.abs(decoded[i]! - v)).toBeLessThan(devices.length / scale));
  });

  it('a seed shared to a neighbour travels sealed and comes back whole', () => {
    const [a, b] = [generateKeyPair(sodium), generateKeyPair(sodium)];
    const seed = sodium.randombytes_buf(32);
    const shares = split(seed, { shares: 3, threshold: 2, randomBytes: sodiumRandomBytes(sodium) });
    const ad = encodeTuple(['session', 1, 'a', 'b']);
    const boxes = shares.map((s) => seal(sodium, agreeKey(sodium, a, b.publicKey, KEY_CONTEXT.shareEncryption), encodeShare(s), ad));
    const keyAtB = agreeKey(sodium, b, a.publicKey, KEY_CONTEXT.shareEncryption);
    const opened = boxes.map((box) => decodeShare(open(sodium, keyAtB, box, ad), 32));
    expect(Buffer.from(combine(opened.slice(1), 32, 2)).equals(Buffer.from(seed))).toBe(true);
  });
});
