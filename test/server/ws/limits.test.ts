// The size limits are computed from the protocol: each bound holds the largest legal message, and no more.
import { describe, expect, it } from 'vitest';
import { encodeMaskedFrame } from '../../../shared/protocol/binary-frame';
import { toBase64Url } from '../../../shared/protocol/encoding';
import { MAX_SHARE_CIPHERTEXT_BYTES } from '../../../shared/protocol/messages';
import { DEFAULT_LIMITS, maskedFrameBytes, maxPayloadBytes, resolveLimits, textMessageBytes } from '../../../server/ws/limits';
import { TokenBucket } from '../../../server/ws/token-bucket';

const ID = 'A'.repeat(43);
const MAX_SESSION = 'B'.repeat(22);

describe('message size bounds', () => {
  it.each([1, 16, 1000, 341_995])('a masked frame of %i words fits maskedFrameBytes, with room only for the header', (words) => {
    const frame = encodeMaskedFrame({ type: 'masked', sessionId: MAX_SESSION, round: Number.MAX_SAFE_INTEGER, length: words }, new Uint32Array(words));
    expect(frame.length).toBeLessThanOrEqual(maskedFrameBytes(words));
    expect(maskedFrameBytes(words) - frame.length).toBeLessThan(512);
    expect(maskedFrameBytes(words)).toBe(4 + 512 + 4 * words);
  });

  it.each([2, 4, 100, 1000])('the largest shares/unmask message of a %i-device cohort fits textMessageBytes', (cohort) => {
    const ciphertext = toBase64Url(new Uint8Array(MAX_SHARE_CIPHERTEXT_BYTES));
    const others = cohort - 1;
    const shares = JSON.stringify({ type: 'shares', sessionId: MAX_SESSION, round: Number.MAX_SAFE_INTEGER, shares: Array.from({ length: others }, () => ({ to: ID, ciphertext })) });
    const half = Math.floor(others / 2);
    const unmask = JSON.stringify({
      type: 'unmask',
      sessionId: MAX_SESSION,
      round: Number.MAX_SAFE_INTEGER,
      selfSeedShares: Array.from({ length: half }, () => ({ of: ID, share: ciphertext })),
      maskKeyShares: Array.from({ length: others - half }, () => ({ of: ID, share: ciphertext })),
    });
    const bound = textMessageBytes(cohort);
    expect(shares.length).toBeLessThanOrEqual(bound);
    expect(unmask.length).toBeLessThanOrEqual(bound);
    expect(bound - shares.length).toBeLessThan(300); // tight: not a generous round number
  });

  it('maxPayload is the larger of the two', () => {
    expect(maxPayloadBytes({ vectorLength: 10, maxCohort: 100 })).toBe(textMessageBytes(100));
    expect(maxPayloadBytes({ vectorLength: 1_000_000, maxCohort: 100 })).toBe(maskedFrameBytes(1_000_000));
  });
});

describe('resolveLimits', () => {
  it('fills defaults', () => {
    expect(resolveLimits({ vectorLength: 5 })).toEqual({ ...DEFAULT_LIMITS, vectorLength: 5 });
  });

  it.each([
    [{ vectorLength: 0 }, 'limits.vectorLength'],
    [{ vectorLength: 1.5 }, 'limits.vectorLength'],
    [{ vectorLength: 5, maxCohort: 1 }, 'limits.maxCohort'],
    [{ vectorLength: 5, maxConnections: 0 }, 'limits.maxConnections'],
    [{ vectorLength: 5, handshakeTimeoutMs: -1 }, 'limits.handshakeTimeoutMs'],
    [{ vectorLength: 5, rateBurst: 0 }, 'limits.rateBurst'],
    [{ vectorLength: 5, ratePerSecond: Number.NaN }, 'limits.ratePerSecond'],
    [{ vectorLength: 5, maxFragments: 0 }, 'limits.maxFragments'],
    [{ vectorLength: 5, heartbeatMs: 10 }, 'limits.heartbeatMs'],
    [{ vectorLength: 5, maxConnectionsPerAddress: -1 }, 'limits.maxConnectionsPerAddress'],
    [{ vectorLength: 5, registrationsPerAddressPerHour: 0.5 }, 'limits.registrationsPerAddressPerHour'],
    [{ vectorLength: 5, maxConcurrentRounds: 0 }, 'limits.maxConcurrentRounds'],
    [{ vectorLength: 5, maxRoundBytes: 0 }, 'limits.maxRoundBytes'],
    [{ vectorLength: 1000, maxRoundBytes: 3999 }, 'limits.maxRoundBytes (3999) is less than one masked vector of 1000 words (4000 bytes)'],
  ])('refuses %j, naming %s', (given, name) => {
    expect(() => resolveLimits(given)).toThrow(name);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate, never above the burst', () => {
    let t = 0;
    const bucket = new TokenBucket(3, 2, () => t);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    t = 500; // 0.5 s · 2/s = 1 token
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    t = 100_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('is full again once it has refilled completely, and not before', () => {
    let t = 0;
    const bucket = new TokenBucket(2, 1, () => t);
    expect(bucket.isFull()).toBe(true);
    bucket.take();
    expect(bucket.isFull()).toBe(false);
    t = 999;
    expect(bucket.isFull()).toBe(false);
    t = 1000;
    expect(bucket.isFull()).toBe(true);
  });

  it('a clock going backwards adds nothing', () => {
    let t = 1000;
    const bucket = new TokenBucket(1, 1, () => t);
    expect(bucket.take()).toBe(true);
    t = 0;
    expect(bucket.take()).toBe(false);
  });
});
