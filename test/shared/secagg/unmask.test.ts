// unmaskSum, the server's last step: from honest shares it rebuilds the exact sum of the survivors' inputs. A share
// a holder forged fails the fast path; its dealer's signature does not verify, so it is set aside and its holder
// named, and the secret is rebuilt from t signed shares — no subset search. A dealer that signed inconsistent shares
// makes the round fail ('share.tampered'); fewer than t signed shares is 'share.too_few'.
import { describe, expect, it } from 'vitest';
import { unmaskSum, type ReceivedShare, type UnmaskInput } from '../../../shared/secagg/unmask';
import { decodeShare, encodeShare, split } from '../../../shared/secagg/shamir';
import { PRIME } from '../../../shared/secagg/field';
import { isSecAggError, type SecAggErrorCode } from '../../../shared/secagg/errors';
import { sign } from '../../../shared/secagg/sign';
import { shareDigest, sharePayload } from '../../../shared/secagg/transcript';
import { seededRandomBytes, sodium } from './helpers';
import { buildRound, type Fixture, type FixtureOptions } from './round-fixture';

type View = UnmaskInput & { selfSeedShares: Map<string, ReceivedShare[]>; maskKeyShares: Map<string, ReceivedShare[]> };

/** Everything the honest server holds at the end of the round built by `fx` (run to 'done'). */
function serverView(fx: Fixture): View {
  const maskedSum = new Uint32Array(fx.devices[0]!.input.length);
  for (const y of fx.masked.values()) for (let i = 0; i < y.length; i++) maskedSum[i] = (maskedSum[i]! + y[i]!) >>> 0;
  const selfSeedShares = new Map<string, ReceivedShare[]>();
  const maskKeyShares = new Map<string, ReceivedShare[]>();
  for (const [holder, r] of fx.unmasked) {
    for (const x of r.selfSeedShares) selfSeedShares.set(x.of, [...(selfSeedShares.get(x.of) ?? []), { holder, share: x.share, other: x.other, signature: x.signature }]);
    for (const x of r.maskKeyShares) maskKeyShares.set(x.of, [...(maskKeyShares.get(x.of) ?? []), { holder, share: x.share, other: x.other, signature: x.signature }]);
  }
  const complained = (by: string, about: string) => fx.complaints.get(by)?.includes(about) ?? false;
  return {
    sodium,
    binding: fx.binding,
    threshold: fx.config.threshold,
    advertised: new Map(fx.keys.map((a) => [a.deviceId, a])),
    graph: fx.graph,
    paired: (u, v) => fx.outbox.has(v) && !complained(u, v) && !complained(v, u),
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

/** The same share with its first value moved by one in F_p: still well formed, but wrong (and no longer signed). */
function tamper(r: ReceivedShare): ReceivedShare {
  const share = decodeShare(r.share, 32);
  share.y[0] = (share.y[0]! + 1) % PRIME;
  return { ...r, share: encodeShare(share) };
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
    ['complete graph, a junk bundle unpairs two devices (n = 6, t = 4)', { n: 6, t: 4, graph: { kind: 'complete' }, junk: [[1, 4]] }],
    ['complete graph, a junk bundle to a device that then drops (n = 6, t = 4)', { n: 6, t: 4, graph: { kind: 'complete' }, junk: [[1, 4]], noMasked: [4] }],
    ['sparse graph, a junk bundle unpairs two neighbours and the dealer drops', { n: 9, t: 3, graph: { kind: 'sparse', degree: 4 }, junk: [[2, 3], [2, 1], [2, 0], [2, 4], [2, 5], [2, 6], [2, 7], [2, 8]], noMasked: [2] }],
  ] as const)('%s', (_name, setup) => {
    const fx = buildRound({ ...setup, until: 'done', vectorLength: 16 });
    const view = serverView(fx);
    const { sum, forgers } = unmaskSum(view);
    expect(Array.from(sum)).toEqual(plainSum(fx));
    expect(forgers).toEqual([]);
    // The masked sum alone is not the sum (the masks are really there).
    expect(Array.from(view.maskedSum)).not.toEqual(plainSum(fx));
  });
});

describe('a share a holder forged is set aside, and its holder named', () => {
  it('a wrong self-seed share among more than t: its signature fails, the sum is still exact', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[1]!;
    const shares = view.selfSeedShares.get(owner)!;
    expect(shares.length).toBeGreaterThan(fx.config.threshold);
    view.selfSeedShares.set(owner, [tamper(shares[0]!), ...shares.slice(1)]); // the fast path's first t include it
    const { sum, forgers } = unmaskSum(view);
    expect(Array.from(sum)).toEqual(plainSum(fx));
    expect(forgers).toEqual([shares[0]!.holder]);
  });

  it('a wrong mask-key share of a dropped device among more than t: set aside, the sum is still exact', () => {
    const fx = buildRound({ n: 6, t: 4, graph: { kind: 'complete' }, noMasked: [2], until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.dropped[0]!;
    const shares = view.maskKeyShares.get(owner)!;
    expect(shares.length).toBe(5);
    view.maskKeyShares.set(owner, [shares[0]!, tamper(shares[1]!), ...shares.slice(2)]);
    const { sum, forgers } = unmaskSum(view);
    expect(Array.from(sum)).toEqual(plainSum(fx));
    expect(forgers).toEqual([shares[1]!.holder]);
  });

  it('another holder’s genuine share replayed under a Sybil holder’s name: the signature names the real holder, so it is set aside', () => {
    const fx = buildRound({ n: 6, t: 4, graph: { kind: 'complete' }, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[0]!;
    const shares = view.selfSeedShares.get(owner)!;
    const sybil = shares[1]!.holder;
    // The Sybil sends honest holder 0's share as its own, and holder 2's share arrives forged, so the fast path fails:
    // checked one by one, the copy's signature binds holder 0, not the Sybil, and the forged one verifies for no one.
    view.selfSeedShares.set(owner, [{ ...shares[0]!, holder: sybil }, shares[0]!, tamper(shares[2]!), ...shares.slice(3)]);
    const { sum, forgers } = unmaskSum(view);
    expect(Array.from(sum)).toEqual(plainSum(fx));
    expect(forgers.sort()).toEqual([sybil, shares[2]!.holder].sort());
  });

  it('with exactly t self-seed shares, one of them wrong → share.too_few (one is set aside, t − 1 remain)', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[0]!;
    const shares = view.selfSeedShares.get(owner)!.slice(0, fx.config.threshold);
    view.selfSeedShares.set(owner, [tamper(shares[0]!), ...shares.slice(1)]);
    expectSecAggError(() => unmaskSum(view), 'share.too_few');
  });

  it('a consistent sharing of another seed, unsigned (holders collude to rewrite a secret) → share.too_few', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[2]!;
    const genuine = view.selfSeedShares.get(owner)!;
    const forged = split(sodium.randombytes_buf(32), { shares: 5, threshold: 3, randomBytes: seededRandomBytes(1) }).map(encodeShare);
    view.selfSeedShares.set(owner, genuine.map((r, k) => ({ ...r, share: forged[k]! })));
    expectSecAggError(() => unmaskSum(view), 'share.too_few');
  });
});

describe('a dealer that signed inconsistent shares → share.tampered (the round cannot be unmasked; its signatures prove it)', () => {
  it('a survivor dealt, and signed, shares of a seed other than the one it committed to', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.survivors[2]!;
    const dealer = fx.dev(owner);
    const other = split(sodium.randombytes_buf(32), { shares: 5, threshold: 3, randomBytes: seededRandomBytes(3) }).map(encodeShare);
    const resigned = view.selfSeedShares.get(owner)!.map((r, k) => {
      const share = other[k]!;
      return { ...r, share, signature: sign(sodium, dealer.identity.privateKey, sharePayload(fx.binding, owner, r.holder, shareDigest(sodium, share), r.other)) };
    });
    view.selfSeedShares.set(owner, resigned);
    expectSecAggError(() => unmaskSum(view), 'share.tampered');
  });

  it('a dropped device dealt, and signed, shares of a private key other than its advertised one', () => {
    const fx = buildRound({ ...COMPLETE, noMasked: [0], until: 'done' });
    const view = serverView(fx);
    const owner = fx.lists.dropped[0]!;
    const dealer = fx.dev(owner);
    const otherKey = split(sodium.crypto_box_keypair().privateKey, { shares: 5, threshold: 3, randomBytes: seededRandomBytes(2) }).map(encodeShare);
    view.maskKeyShares.set(owner, view.maskKeyShares.get(owner)!.map((r, k) => ({ ...r, share: otherKey[k]!, signature: sign(sodium, dealer.identity.privateKey, sharePayload(fx.binding, owner, r.holder, r.other, shareDigest(sodium, otherKey[k]!))) })));
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
    view.selfSeedShares.set(owner, [shares[0]!, shares[1]!, { ...shares[1]!, share: shares[1]!.share.slice() }]);
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
