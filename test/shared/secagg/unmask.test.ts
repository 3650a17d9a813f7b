// unmaskSum, the server's last step: from honest shares it rebuilds the exact sum of the survivors' inputs; a
// tampered share is caught by the seed commitment or the public-key check and another t-subset is tried; with
// fewer than t shares it refuses ('share.too_few').
import { describe, expect, it } from 'vitest';
import { unmaskSum, type UnmaskInput } from '../../../shared/secagg/unmask';
import { decodeShare, encodeShare, split } from '../../../shared/secagg/shamir';
import { PRIME } from '../../../shared/secagg/field';
import { isSecAggError, type SecAggErrorCode } from '../../../shared/secagg/errors';
import { seededRandomBytes, sodium } from './helpers';
import { buildRound, type Fixture, type FixtureOptions } from './round-fixture';

/** Everything the honest server holds at the end of the round built by `fx` (run to 'done'). */
function serverView(fx: Fixture): UnmaskInput & { selfSeedShares: Map<string, Uint8Array[]>; maskKeyShares: Map<string, Uint8Array[]> } {
  const maskedSum = new Uint32Array(fx.devices[0]!.input.length);
  for (const y of fx.masked.values()) for (let i = 0; i < y.length; i++) maskedSum[i] = (maskedSum[i]! + y[i]!) >>> 0;
  const selfSeedShares = new Map<string, Uint8Array[]>();
  const maskKeyShares = new Map<string, Uint8Array[]>();
  for (const r of fx.reveals.values()) {
    for (const s of r.selfSeedShares) selfSeedShares.set(s.of, [...(selfSeedShares.get(s.of) ?? []), s.share]);
    for (const s of r.maskKeyShares) maskKeyShares.set(s.of, [...(maskKeyShares.get(s.of) ?? []), s.share]);
  }
  return {
    sodium,
    threshold: fx.config.threshold,
    advertised: new Map(fx.keys.map((a) => [a.deviceId, a])),
    graph: fx.graph,
    survivors: fx.lists.survivors,
    dropped: fx.lists.dropped,
    maskedSum,
    selfSeedShares,
    maskKeyShares,
  };
}

/** Σ of the survivors' plain inputs mod 2^32: what unmaskSum must return. */
function plainSum(fx: Fixture): number[] {
  const sum = new Uint32Array(fx.devices[0]!.input.length);
  for (const id of fx.lists.survivors) fx.dev(id).input.forEach((x, i) => (sum[i] = (sum[i]! + x) >>> 0));
  return Array.from(sum);
}

/** The same share with its first value moved by one in F_p: still well formed, but wrong. */
function tamper(encoded: Uint8Array): Uint8Array {
  const share = decodeShare(encoded, 32);
  share.y[0] = (share.y[0]! + 1) % PRIME;
  return encodeShare(share);
}

function expectSecAggError(run: () => unknown, code: SecAggErrorCode): void {
  let thrown: unknown;
  try {
    run();
  } catch (err) {
    thrown = err;
  }
  expect(isSecAggError(thrown, code), `expected SecAggError ${code}, got ${String(thrown)}`).toBe(true);
}

const COMPLETE: Omit<FixtureOptions, 'until'> = { n: 5, t: 3, graph: { kind: 'complete' } };
const SPARSE: Omit<FixtureOptions, 'until'> = { n: 7, t: 3, graph: { kind: 'sparse', degree: 4 } };

describe('unmaskSum rebuilds the exact sum from honest shares', () => {
  it.each([
    ['complete graph, everyone survives', { ...COMPLETE }],
    ['complete graph, one drops before its shares and one before its masked input', { ...COMPLETE, noShares: [1], noMasked: [3] }],
    ['sparse graph, everyone survives', { ...SPARSE }],
    ['sparse graph, one drops before its masked input', { ...SPARSE, noMasked: [4] }],
    ['sparse graph, one drops before its shares and one before its masked input', { ...SPARSE, noShares: [0], noMasked: [5] }],
  ] as const)('%s', (_name, setup) => {
    const fx = buildRound({ ...setup, until: 'done', vectorLength: 16 });
    const view = serverView(fx);
    expect(Array.from(unmaskSum(view))).toEqual(plainSum(fx));
    // The masked sum alone is not the sum (the masks are really there).
    expect(Array.from(view.maskedSum)).not.toEqual(plainSum(fx));
  });
});

describe('a tampered share is detected', () => {
  it('a wrong self-seed share among more than t: another t-subset verifies against the seed commitment', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[1]!;
    const shares = view.selfSeedShares.get(owner)!;
    expect(shares.length).toBeGreaterThan(fx.config.threshold);
    view.selfSeedShares.set(owner, [tamper(shares[0]!), ...shares.slice(1)]); // the first t-subset includes it
    expect(Array.from(unmaskSum(view))).toEqual(plainSum(fx));
  });

  it('a wrong mask-key share of a dropped device among more than t: another t-subset verifies against its public key', () => {
    const fx = buildRound({ n: 6, t: 4, graph: { kind: 'complete' }, noMasked: [2], until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.dropped[0]!;
    const shares = view.maskKeyShares.get(owner)!;
    expect(shares.length).toBe(5);
    view.maskKeyShares.set(owner, [shares[0]!, tamper(shares[1]!), ...shares.slice(2)]);
    expect(Array.from(unmaskSum(view))).toEqual(plainSum(fx));
  });

  it('with exactly t self-seed shares, one of them wrong → share.tampered', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[0]!;
    const shares = view.selfSeedShares.get(owner)!.slice(0, fx.config.threshold);
    view.selfSeedShares.set(owner, [tamper(shares[0]!), ...shares.slice(1)]);
    expectSecAggError(() => unmaskSum(view), 'share.tampered');
  });

  it('a consistent sharing of another seed (a valid byte string, but not the committed seed) → share.tampered', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[2]!;
    const forged = split(sodium.randombytes_buf(32), { shares: 5, threshold: 3, randomBytes: seededRandomBytes(1) }).map(encodeShare);
    view.selfSeedShares.set(owner, forged);
    expectSecAggError(() => unmaskSum(view), 'share.tampered');
  });

  it('a consistent sharing of another private key for a dropped device (not its advertised public key) → share.tampered', () => {
    const fx = buildRound({ ...COMPLETE, noMasked: [0], until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.dropped[0]!;
    const otherKey = sodium.crypto_box_keypair().privateKey;
    view.maskKeyShares.set(owner, split(otherKey, { shares: 4, threshold: 3, randomBytes: seededRandomBytes(2) }).map(encodeShare));
    expectSecAggError(() => unmaskSum(view), 'share.tampered');
  });
});

describe('too few shares → share.too_few', () => {
  it('t − 1 self-seed shares of a survivor', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[0]!;
    view.selfSeedShares.set(owner, view.selfSeedShares.get(owner)!.slice(0, fx.config.threshold - 1));
    expectSecAggError(() => unmaskSum(view), 'share.too_few');
  });

  it('t shares of which two are the same holder’s (a repeated share counts once)', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[0]!;
    const shares = view.selfSeedShares.get(owner)!;
    view.selfSeedShares.set(owner, [shares[0]!, shares[1]!, shares[1]!.slice()]);
    expectSecAggError(() => unmaskSum(view), 'share.too_few');
  });

  it('no self-seed shares at all for a survivor', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    view.selfSeedShares.delete(fx.lists.survivors[3]!);
    expectSecAggError(() => unmaskSum(view), 'share.too_few');
  });

  it('t − 1 mask-key shares of a dropped device', () => {
    const fx = buildRound({ ...COMPLETE, noMasked: [4], until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.dropped[0]!;
    view.maskKeyShares.set(owner, view.maskKeyShares.get(owner)!.slice(0, fx.config.threshold - 1));
    expectSecAggError(() => unmaskSum(view), 'share.too_few');
  });
});
