// Every lying-server case aborts the device before a share leaves it (threat model cases 1–5, 10–12; fcp's
// ShareKeysRequestCausesAbortIf… and UnmaskingRequestCausesAbortIf…). Each test builds an honest round with the
// pure device steps, feeds one device a manipulated server message, and checks the abort code and that the
// refused step produced nothing: no ciphertexts, no masked vector, no signature, no revealed share.
import { describe, expect, it } from 'vitest';
import { DeviceAbort, type AbortCode } from '../../../shared/secagg/abort';
import { advertise, confirm, maskedInput, reveal, shareKeys, type SignedAdvertisement } from '../../../shared/secagg/device-round';
import { open, seal } from '../../../shared/secagg/aead';
import { agreeKey, generateKeyPair, KEY_CONTEXT } from '../../../shared/secagg/keys';
import { shareAssociatedData, type RoundBinding } from '../../../shared/secagg/transcript';
import type { ServerMessage } from '../../../shared/protocol/messages';
import { fixedInputParticipants, roundOptions } from '../../conformance/harness';
import { fromHex, loadWycheproof, sodium } from './helpers';
import {
  buildRound,
  flip,
  makeBinding,
  malleate,
  people,
  relayRound,
  secretsSnapshot,
  signAd,
  signLists,
  type Dev,
  type Fixture,
  type FixtureOptions,
} from './round-fixture';

/** Run `step`, expect a DeviceAbort with `code`, and return what the step returned (undefined when it threw). */
function expectAbort(step: () => unknown, code: AbortCode): unknown {
  let out: unknown;
  let thrown: unknown;
  try {
    out = step();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected DeviceAbort ${code}, the step returned ${out === undefined ? 'nothing' : 'a result'}`).toBeInstanceOf(DeviceAbort);
  expect((thrown as DeviceAbort).code).toBe(code);
  return out;
}

/** Count the device's random draws: Shamir's split is the only user, so 0 means no share was even made. */
function countDraws(me: Dev): { calls: number } {
  const counter = { calls: 0 };
  const inner = me.ctx.randomBytes;
  me.ctx.randomBytes = (n) => {
    counter.calls++;
    return inner(n);
  };
  return counter;
}

/** The k-th device other than `me`, in id order. */
const other = (fx: Fixture, me: Dev, k: number): Dev => fx.devices.filter((d) => d.id !== me.id)[k]!;
const outsider = () => people(1)[0]!;
const without = (list: readonly string[], id: string) => list.filter((x) => x !== id);
const withFields = (ad: SignedAdvertisement, fields: Partial<SignedAdvertisement>): SignedAdvertisement => ({ ...ad, ...fields });
const replaceEntry = (list: readonly SignedAdvertisement[], id: string, by: SignedAdvertisement): SignedAdvertisement[] => list.map((a) => (a.deviceId === id ? by : a));
const otherBinding = (b: RoundBinding, change: 'session' | 'round' | 'model'): RoundBinding =>
  change === 'session' ? { ...b, sessionId: makeBinding('another session').sessionId } : change === 'round' ? { ...b, round: b.round + 1 } : { ...b, modelHash: sodium.crypto_generichash(32, 'a different model', null) };

const COMPLETE: Omit<FixtureOptions, 'until'> = { n: 5, t: 3, graph: { kind: 'complete' } };
const SPARSE: Omit<FixtureOptions, 'until'> = { n: 7, t: 3, graph: { kind: 'sparse', degree: 4 } };

// ---- stage 1: the key list -------------------------------------------------------------------------------

type KeyCase = [name: string, code: AbortCode, tamper: (fx: Fixture, me: Dev) => SignedAdvertisement[]];

const KEY_LIST_CASES: KeyCase[] = [
  ['an encryption key of the wrong size (31 bytes)', 'abort.bad_key', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { encKey: other(fx, me, 0).ad.encKey.slice(0, 31) }))],
  ['a mask key of the wrong size (33 bytes)', 'abort.bad_key', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { maskKey: new Uint8Array(33).fill(9) }))],
  ['a seed commitment of the wrong size (16 bytes)', 'abort.bad_key', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { seedCommitment: new Uint8Array(16) }))],
  ['too few keys (t − 1, itself included)', 'abort.too_few_devices', (fx, me) => [me.ad, other(fx, me, 0).ad]],
  ['too many keys (a validly signed extra device not in the cohort)', 'abort.too_many_devices', (fx) => {
    const stranger = outsider();
    return [...fx.keys, signAd(stranger.identity, fx.binding, { deviceId: stranger.id, encKey: generateKeyPair(sodium).publicKey, maskKey: generateKeyPair(sodium).publicKey, seedCommitment: new Uint8Array(32) })];
  }],
  ['its own key missing', 'abort.own_key_missing', (fx, me) => fx.keys.filter((a) => a.deviceId !== me.id)],
  ['its own entry with another key under its original signature', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, me.id, withFields(me.ad, { encKey: generateKeyPair(sodium).publicKey }))],
  ['its own entry replaced by an earlier advertisement it signed for this same round (the invitation was sent twice)', 'abort.own_key_missing', (fx, me) => {
    me.state = advertise(me.ctx).state; // the device advertised again; the server relays the first keys
    return fx.keys;
  }],
  ['its own id twice', 'abort.duplicate_device', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, me.ad)],
  ['the same encryption key for two devices (a Sybil in the cohort copies an honest key and signs it)', 'abort.duplicate_key', (fx, me) => {
    const sybil = other(fx, me, 0);
    return replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, { ...sybil.ad, encKey: other(fx, me, 1).ad.encKey }));
  }],
  ['a Sybil advertising this device’s own mask key as its own', 'abort.duplicate_key', (fx, me) => {
    const sybil = other(fx, me, 0);
    return replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, { ...sybil.ad, maskKey: me.ad.maskKey }));
  }],
  ['a Sybil using one key as both its encryption and mask key', 'abort.duplicate_key', (fx, me) => {
    const sybil = other(fx, me, 0);
    return replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, { ...sybil.ad, maskKey: sybil.ad.encKey }));
  }],
  ['an unknown id (validly signed by an identity that was not invited)', 'abort.unknown_device', (fx, me) => {
    const stranger = outsider();
    return replaceEntry(fx.keys, other(fx, me, 0).id, signAd(stranger.identity, fx.binding, { deviceId: stranger.id, encKey: generateKeyPair(sodium).publicKey, maskKey: generateKeyPair(sodium).publicKey, seedCommitment: new Uint8Array(32) }));
  }],
  ['a repeated id (another device listed twice)', 'abort.duplicate_device', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, other(fx, me, 1).ad)],
  ['a forged advertisement signature (one bit flipped)', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { signature: flip(other(fx, me, 0).ad.signature, 5) }))],
  ['an advertisement signed by another identity (a Sybil signs keys under an honest id)', 'abort.bad_signature', (fx, me) => {
    const victim = other(fx, me, 1);
    const forged = signAd(other(fx, me, 0).identity, fx.binding, { ...victim.ad, encKey: generateKeyPair(sodium).publicKey });
    return replaceEntry(fx.keys, victim.id, forged);
  }],
  ['a malleated advertisement signature (S + ℓ, Wycheproof SignatureMalleability)', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { signature: malleate(other(fx, me, 0).ad.signature) }))],
  ['an advertisement signed for another session id', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, signAd(other(fx, me, 0).identity, otherBinding(fx.binding, 'session'), other(fx, me, 0).ad))],
  ['an advertisement signed for another round', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, signAd(other(fx, me, 0).identity, otherBinding(fx.binding, 'round'), other(fx, me, 0).ad))],
  [
    'an advertisement signed for another model hash (the server sent another model to that device: Pasquini et al. 2022)',
    'abort.bad_signature',
    (fx, me) => {
      // The isolated device really advertises, honestly, under the model it was given.
      const isolated = other(fx, me, 1);
      const { message } = advertise({ ...isolated.ctx, binding: otherBinding(fx.binding, 'model') });
      return replaceEntry(fx.keys, isolated.id, message);
    },
  ],
  ['keys withheld until t is no longer safe for the graph (t = 3 among 3 devices)', 'abort.threshold_unsafe', (fx, me) => [me.ad, other(fx, me, 0).ad, other(fx, me, 1).ad]],
];

function expectNoShareMade(fx: Fixture, me: Dev, list: readonly SignedAdvertisement[], code: AbortCode): void {
  const draws = countDraws(me);
  const before = secretsSnapshot(me.state);
  const out = expectAbort(() => shareKeys(me.ctx, me.state, list), code);
  expect(out).toBeUndefined(); // no ciphertexts
  expect(draws.calls).toBe(0); // no Shamir share was even computed
  expect(secretsSnapshot(me.state)).toEqual(before);
  expect(me.state.stage).toBe('advertised');
  expect(me.state.held.size).toBe(0);
  expect(me.state.revealed.size).toBe(0);
}

describe.each([
  ['complete graph, n = 5, t = 3', COMPLETE],
  ['sparse graph, n = 7, degree 4, t = 3', SPARSE],
])('stage 1, key list (%s): the device aborts before sealing any share', (_name, setup) => {
  it('accepts the honest key list (control)', () => {
    const fx = buildRound({ ...setup, until: 'keys' });
    const me = fx.devices[2]!;
    const out = shareKeys(me.ctx, me.state, fx.keys);
    expect(out).toHaveLength(setup.graph!.kind === 'complete' ? setup.n - 1 : 4);
  });

  it.each(KEY_LIST_CASES)('%s → %s', (_case, code, tamper) => {
    const fx = buildRound({ ...setup, until: 'keys' });
    const me = fx.devices[2]!;
    expectNoShareMade(fx, me, tamper(fx, me), code);
  });
});

describe('stage 1, key list: a threshold unsafe for the graph', () => {
  it.each([
    ['t = 2 with 5 devices, complete graph (t ≤ n/2: two disjoint quorums)', { n: 5, t: 2, graph: { kind: 'complete' } }],
    ['t = 5 with 5 devices, complete graph (more than the 4 other holders)', { n: 5, t: 5, graph: { kind: 'complete' } }],
    ['t = 2 with 7 devices, sparse graph of degree 4', { n: 7, t: 2, graph: { kind: 'sparse', degree: 4 } }],
  ] as const)('%s → abort.threshold_unsafe', (_name, setup) => {
    const fx = buildRound({ ...setup, until: 'keys' });
    const me = fx.devices[1]!;
    expectNoShareMade(fx, me, fx.keys, 'abort.threshold_unsafe');
  });
});

/** Distinct low-order public keys of Wycheproof's X25519 file (flag LowOrderPublic; all give a zero shared secret). */
const LOW_ORDER = [...new Set(loadWycheproof<{ public: string; shared: string }>('x25519_test.json').testGroups.flatMap((g) => g.tests.filter((t) => t.flags.includes('LowOrderPublic')).map((t) => t.public)))];

describe('stage 1, key list: a low-order X25519 key, validly signed by a Sybil in the cohort (threat model case 10)', () => {
  it('uses the Wycheproof low-order points (a sanity check of the table)', () => {
    expect(LOW_ORDER.length).toBeGreaterThanOrEqual(12);
    expect(LOW_ORDER).toContain('0000000000000000000000000000000000000000000000000000000000000000');
    expect(LOW_ORDER).toContain('0100000000000000000000000000000000000000000000000000000000000000');
  });

  it.each(LOW_ORDER)('as the Sybil’s encryption key: %s → abort.bad_key', (point) => {
    const fx = buildRound({ ...COMPLETE, until: 'keys' });
    const me = fx.devices[2]!;
    const sybil = other(fx, me, 0);
    const list = replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, { ...sybil.ad, encKey: fromHex(point) }));
    expectNoShareMade(fx, me, list, 'abort.bad_key');
  });

  // The mask key is only used in stage 2 (pairwise masks), but a low-order one is just as much a lying key
  // list: the device must refuse it in stage 1, before its shares are sealed for the Sybil and the others.
  it.each(['0000000000000000000000000000000000000000000000000000000000000000', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'])(
    'as the Sybil’s mask key: %s → abort.bad_key in stage 1',
    (point) => {
      const fx = buildRound({ ...COMPLETE, until: 'keys' });
      const me = fx.devices[2]!;
      const sybil = other(fx, me, 0);
      const list = replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, { ...sybil.ad, maskKey: fromHex(point) }));
      expectNoShareMade(fx, me, list, 'abort.bad_key');
    },
  );

  it('as the Sybil’s mask key, it is refused at the latest in stage 2, before any masked input', () => {
    const fx = buildRound({ ...COMPLETE, until: 'keys' });
    const me = fx.devices[2]!;
    const sybil = other(fx, me, 0);
    const list = replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, { ...sybil.ad, maskKey: new Uint8Array(32) }));
    let sealed: unknown;
    try {
      sealed = shareKeys(me.ctx, me.state, list);
    } catch (err) {
      expect((err as DeviceAbort).code).toBe('abort.bad_key'); // the fixed behaviour
      return;
    }
    expect(sealed).toHaveLength(4);
    // Everyone goes on with the same list, the Sybil too (it seals real bundles with its genuine encryption key).
    sybil.state.maskKeys = { ...sybil.state.maskKeys, publicKey: new Uint8Array(32) };
    const others = fx.devices.filter((d) => d.id !== me.id);
    const delivered = others.map((d) => ({ from: d.id, ciphertext: shareKeys(d.ctx, d.state, list).find((b) => b.to === me.id)!.ciphertext }));
    const out = expectAbort(() => maskedInput(me.ctx, me.state, delivered, me.input), 'abort.bad_key');
    expect(out).toBeUndefined(); // no masked vector
    expect(me.state.stage).toBe('shared');
    expect(me.state.revealed.size).toBe(0);
  });
});

describe('stage 1, key list: a device id that is valid base64url text but not a canonical 32-byte encoding', () => {
  // 43 characters match the protocol's deviceIdSchema, but the last one carries non-zero padding bits,
  // which libsodium's from_base64 refuses with a plain Error. The server chose the cohort, so it can list one.
  const NON_CANONICAL = 'A'.repeat(42) + 'B';

  it('invited and listed with an advertisement → a DeviceAbort (abort.bad_signature), not a plain Error', () => {
    const fx = buildRound({ ...COMPLETE, until: 'keys' });
    const me = fx.devices[2]!;
    const victim = other(fx, me, 0);
    me.ctx = { ...me.ctx, cohort: [...without(fx.cohort, victim.id), NON_CANONICAL] };
    const list = replaceEntry(fx.keys, victim.id, { ...victim.ad, deviceId: NON_CANONICAL });
    expectNoShareMade(fx, me, list, 'abort.bad_signature');
  });
});

// ---- stage 2: share delivery -----------------------------------------------------------------------------

type Delivery = { from: string; ciphertext: Uint8Array };
type DeliverCase = [name: string, code: AbortCode, tamper: (fx: Fixture, me: Dev) => Delivery[]];

/** A neighbour of `me` that sent it a bundle, and that bundle. */
function fromNeighbour(fx: Fixture, me: Dev, k = 0): { sender: Dev; bundle: Delivery } {
  const bundle = fx.deliveriesFor(me.id)[k]!;
  return { sender: fx.dev(bundle.from), bundle };
}

/** Re-seal the bundle `sender` made for `me` with the right key but another binding's associated data. */
function resealedFor(fx: Fixture, me: Dev, change: 'session' | 'round' | 'model'): Delivery[] {
  const { sender, bundle } = fromNeighbour(fx, me);
  const key = agreeKey(sodium, sender.state.encKeys, me.ad.encKey, KEY_CONTEXT.shareEncryption);
  const plain = open(sodium, key, bundle.ciphertext, shareAssociatedData(fx.binding, sender.id, me.id));
  const replayed = seal(sodium, key, plain, shareAssociatedData(otherBinding(fx.binding, change), sender.id, me.id));
  return [{ from: sender.id, ciphertext: replayed }, ...fx.deliveriesFor(me.id).slice(1)];
}

const DELIVER_CASES: DeliverCase[] = [
  ['shares from a device that never advertised', 'abort.not_neighbour', (fx, me) => [{ from: outsider().id, ciphertext: fromNeighbour(fx, me).bundle.ciphertext }, ...fx.deliveriesFor(me.id)]],
  ['shares claiming to come from the device itself', 'abort.not_neighbour', (fx, me) => [{ from: me.id, ciphertext: fromNeighbour(fx, me).bundle.ciphertext }, ...fx.deliveriesFor(me.id)]],
  ['two bundles from the same device', 'abort.duplicate_device', (fx, me) => [...fx.deliveriesFor(me.id), fromNeighbour(fx, me).bundle]],
  ['a tampered ciphertext (one bit flipped in the body)', 'abort.tampered_share', (fx, me) => {
    const [first, ...rest] = fx.deliveriesFor(me.id);
    return [{ from: first!.from, ciphertext: flip(first!.ciphertext, 40, 3) }, ...rest];
  }],
  ['a tampered nonce', 'abort.tampered_share', (fx, me) => {
    const [first, ...rest] = fx.deliveriesFor(me.id);
    return [{ from: first!.from, ciphertext: flip(first!.ciphertext, 2) }, ...rest];
  }],
  ['a truncated ciphertext', 'abort.tampered_share', (fx, me) => {
    const [first, ...rest] = fx.deliveriesFor(me.id);
    return [{ from: first!.from, ciphertext: first!.ciphertext.slice(0, -1) }, ...rest];
  }],
  ['a bundle re-addressed (sealed by a neighbour for another recipient)', 'abort.tampered_share', (fx, me) => {
    const { sender } = fromNeighbour(fx, me);
    const forSomeoneElse = fx.outbox.get(sender.id)!.find((b) => b.to !== me.id)!;
    return fx.deliveriesFor(me.id).map((d) => (d.from === sender.id ? { from: sender.id, ciphertext: forSomeoneElse.ciphertext } : d));
  }],
  ['a bundle relabelled (sealed for this device by one neighbour, presented as another’s)', 'abort.tampered_share', (fx, me) => {
    const [a, b, ...rest] = fx.deliveriesFor(me.id);
    return [{ from: a!.from, ciphertext: b!.ciphertext }, { from: b!.from, ciphertext: a!.ciphertext }, ...rest];
  }],
  ['a bundle sealed under another session’s associated data (replay, case 12)', 'abort.tampered_share', (fx, me) => resealedFor(fx, me, 'session')],
  ['a bundle sealed under another round’s associated data (replay, case 12)', 'abort.tampered_share', (fx, me) => resealedFor(fx, me, 'round')],
  ['a bundle sealed under another model hash', 'abort.tampered_share', (fx, me) => resealedFor(fx, me, 'model')],
];

function expectNoMaskedInput(me: Dev, delivered: Delivery[], code: AbortCode): void {
  const before = secretsSnapshot(me.state);
  const out = expectAbort(() => maskedInput(me.ctx, me.state, delivered, me.input), code);
  expect(out).toBeUndefined(); // no masked vector
  expect(secretsSnapshot(me.state)).toEqual(before);
  expect(me.state.stage).toBe('shared');
  expect([...me.state.held.keys()]).toEqual([me.id]); // only its own shares
  expect(me.state.sharedWithMe.size).toBe(0);
  expect(me.state.revealed.size).toBe(0);
}

describe.each([
  ['complete graph, n = 5, t = 3', COMPLETE],
  ['sparse graph, n = 7, degree 4, t = 3', SPARSE],
])('stage 2, share delivery (%s): the device aborts before masking', (_name, setup) => {
  it('accepts the honest deliveries (control)', () => {
    const fx = buildRound({ ...setup, until: 'deliver' });
    const me = fx.devices[2]!;
    expect(maskedInput(me.ctx, me.state, fx.deliveriesFor(me.id), me.input)).toHaveLength(me.input.length);
  });

  it.each(DELIVER_CASES)('%s → %s', (_case, code, tamper) => {
    const fx = buildRound({ ...setup, until: 'deliver' });
    const me = fx.devices[2]!;
    expectNoMaskedInput(me, tamper(fx, me), code);
  });
});

describe('stage 2, share delivery (sparse graph): shares from a device that is not a neighbour', () => {
  it('→ abort.not_neighbour, even though the bundle is genuine', () => {
    const fx = buildRound({ ...SPARSE, until: 'deliver' });
    const me = fx.devices[2]!;
    const mine = new Set(fx.graph.get(me.id)!);
    const stranger = fx.devices.find((d) => d.id !== me.id && !mine.has(d.id))!;
    expect(stranger).toBeDefined();
    const genuine = fx.outbox.get(stranger.id)![0]!; // sealed for one of its own neighbours
    expectNoMaskedInput(me, [...fx.deliveriesFor(me.id), { from: stranger.id, ciphertext: genuine.ciphertext }], 'abort.not_neighbour');
  });
});

// ---- stage 3: survivor lists -----------------------------------------------------------------------------

/**
 * n = 5, t = 3, complete graph. By index in id order: 0 = the device under test, 1 = P dropped before sending
 * shares, 3 = Q dropped after sending shares (before its masked input), 2 and 4 = R and W survive.
 * Honest lists: survivors [me, R, W], dropped [Q].
 */
function listsRound(until: 'survivors' | 'unmask') {
  const fx = buildRound({ ...COMPLETE, until, noShares: [1], noMasked: [3] });
  const [me, P, R, Q, W] = fx.devices as [Dev, Dev, Dev, Dev, Dev];
  return { fx, me, P, Q, R, W };
}
type Roles = ReturnType<typeof listsRound>;
type ListCase = [name: string, code: AbortCode, lists: (r: Roles) => { survivors: string[]; dropped: string[] }];


const LIST_CASES: ListCase[] = [
  ['itself listed as dropped', 'abort.self_dropped', ({ fx, me }) => ({ survivors: without(fx.lists.survivors, me.id), dropped: [...fx.lists.dropped, me.id] })],
  ['itself missing from both lists', 'abort.missing_device', ({ fx, me }) => ({ survivors: without(fx.lists.survivors, me.id), dropped: fx.lists.dropped })],
  ['itself in both lists', 'abort.listed_twice', ({ fx, me }) => ({ survivors: fx.lists.survivors, dropped: [...fx.lists.dropped, me.id] })],
  ['a survivor in both lists (to get both its shares: Flower’s _unmask, case 1)', 'abort.listed_twice', ({ fx, R }) => ({ survivors: fx.lists.survivors, dropped: [...fx.lists.dropped, R.id] })],
  ['a dropped device in both lists', 'abort.listed_twice', ({ fx, Q }) => ({ survivors: [...fx.lists.survivors, Q.id], dropped: fx.lists.dropped })],
  ['a duplicated survivor id', 'abort.duplicate_device', ({ fx, R }) => ({ survivors: [...fx.lists.survivors, R.id], dropped: fx.lists.dropped })],
  ['a duplicated dropped id', 'abort.duplicate_device', ({ fx, Q }) => ({ survivors: fx.lists.survivors, dropped: [Q.id, Q.id] })],
  ['a survivor id that never advertised', 'abort.unknown_device', ({ fx }) => ({ survivors: [...fx.lists.survivors, outsider().id], dropped: fx.lists.dropped })],
  ['a dropped id that never advertised', 'abort.unknown_device', ({ fx }) => ({ survivors: fx.lists.survivors, dropped: [...fx.lists.dropped, outsider().id] })],
  ['a neighbour that dropped before sending shares, listed as a survivor', 'abort.already_dropped', ({ fx, P }) => ({ survivors: [...fx.lists.survivors, P.id], dropped: fx.lists.dropped })],
  ['a neighbour that dropped before sending shares, listed as dropped', 'abort.already_dropped', ({ fx, P }) => ({ survivors: fx.lists.survivors, dropped: [...fx.lists.dropped, P.id] })],
  ['a neighbour that sent shares, missing from both lists (was dropped)', 'abort.missing_device', ({ fx }) => ({ survivors: fx.lists.survivors, dropped: [] })],
  ['a neighbour that sent shares, missing from both lists (was a survivor)', 'abort.missing_device', ({ fx, R }) => ({ survivors: without(fx.lists.survivors, R.id), dropped: fx.lists.dropped })],
  ['fewer than t survivors (one survivor moved to dropped)', 'abort.too_few_devices', ({ fx, R }) => ({ survivors: without(fx.lists.survivors, R.id), dropped: [...fx.lists.dropped, R.id] })],
];

describe('stage 3, survivor lists: the device aborts before signing', () => {
  it('signs the honest lists (control), in any order', () => {
    const r = listsRound('survivors');
    expect(r.fx.lists).toEqual({ survivors: [r.me.id, r.R.id, r.W.id].sort(), dropped: [r.Q.id] });
    expect(confirm(r.me.ctx, r.me.state, [...r.fx.lists.survivors].reverse(), r.fx.lists.dropped)).toHaveLength(64);
  });

  it.each(LIST_CASES)('%s → %s', (_case, code, lists) => {
    const r = listsRound('survivors');
    const { survivors, dropped } = lists(r);
    const before = secretsSnapshot(r.me.state);
    const out = expectAbort(() => confirm(r.me.ctx, r.me.state, survivors, dropped), code);
    expect(out).toBeUndefined(); // no signature
    expect(secretsSnapshot(r.me.state)).toEqual(before);
    expect(r.me.state.stage).toBe('masked');
    expect(r.me.state.signedLists).toBeUndefined();
    expect(r.me.state.revealed.size).toBe(0);
  });
});

// ---- stage 4: unmask request -----------------------------------------------------------------------------

type Confirmation = { deviceId: string; signature: Uint8Array };
type UnmaskCase = [name: string, code: AbortCode, request: (r: Roles) => { survivors: string[]; dropped: string[]; confirmations: Confirmation[] }];

const honest = (r: Roles) => ({ ...r.fx.lists, confirmations: r.fx.confirmations });
const sigOf = (r: Roles, d: Dev) => r.fx.confirmations.find((c) => c.deviceId === d.id)!;

const UNMASK_CASES: UnmaskCase[] = [
  ['other survivors than it signed (one moved to dropped)', 'abort.inconsistent_lists', (r) => ({ ...honest(r), survivors: without(r.fx.lists.survivors, r.R.id), dropped: [...r.fx.lists.dropped, r.R.id] })],
  ['other survivors than it signed (one added)', 'abort.inconsistent_lists', (r) => ({ ...honest(r), survivors: [...r.fx.lists.survivors, r.P.id] })],
  ['other dropped devices than it signed (one removed)', 'abort.inconsistent_lists', (r) => ({ ...honest(r), dropped: [] })],
  ['other dropped devices than it signed (one added)', 'abort.inconsistent_lists', (r) => ({ ...honest(r), dropped: [...r.fx.lists.dropped, r.P.id] })],
  ['fewer than t confirmations', 'abort.too_few_confirmations', (r) => ({ ...honest(r), confirmations: r.fx.confirmations.slice(0, 2) })],
  ['forged confirmation signatures (a bit flipped)', 'abort.too_few_confirmations', (r) => ({
    ...honest(r),
    confirmations: r.fx.confirmations.map((c) => (c.deviceId === r.me.id ? c : { deviceId: c.deviceId, signature: flip(c.signature, 7) })),
  })],
  ['malleated confirmation signatures (S + ℓ)', 'abort.too_few_confirmations', (r) => ({
    ...honest(r),
    confirmations: r.fx.confirmations.map((c) => (c.deviceId === r.me.id ? c : { deviceId: c.deviceId, signature: malleate(c.signature) })),
  })],
  ['confirmations that sign other lists', 'abort.too_few_confirmations', (r) => ({
    ...honest(r),
    confirmations: [sigOf(r, r.me), ...[r.R, r.W].map((d) => ({ deviceId: d.id, signature: signLists(d.identity, r.fx.binding, without(r.fx.lists.survivors, r.R.id), [...r.fx.lists.dropped, r.R.id]) }))],
  })],
  ['valid signatures over these lists from devices not in the survivor list', 'abort.too_few_confirmations', (r) => {
    const stranger = outsider();
    const extra = [r.P, r.Q, stranger].map((d) => ({ deviceId: d.id, signature: signLists(d.identity, r.fx.binding, r.fx.lists.survivors, r.fx.lists.dropped) }));
    return { ...honest(r), confirmations: [sigOf(r, r.me), sigOf(r, r.R), ...extra] };
  }],
  ['the same device’s confirmation three times (counted once)', 'abort.too_few_confirmations', (r) => ({ ...honest(r), confirmations: [sigOf(r, r.R), sigOf(r, r.R), sigOf(r, r.R)] })],
  ['a genuine confirmation attributed to another survivor', 'abort.too_few_confirmations', (r) => ({ ...honest(r), confirmations: [sigOf(r, r.me), sigOf(r, r.R), { deviceId: r.W.id, signature: sigOf(r, r.R).signature }] })],
];

describe('stage 4, unmask request: the device aborts before revealing any share', () => {
  it('reveals self-seed shares of survivors and mask-key shares of the dropped on an honest request (control)', () => {
    const r = listsRound('unmask');
    const out = reveal(r.me.ctx, r.me.state, [...r.fx.lists.survivors].reverse(), r.fx.lists.dropped, r.fx.confirmations);
    expect(out.selfSeedShares.map((s) => s.of).sort()).toEqual(r.fx.lists.survivors);
    expect(out.maskKeyShares.map((s) => s.of)).toEqual([r.Q.id]);
    expect(r.me.state.revealed.get(r.P.id)).toBeUndefined();
  });

  it.each(UNMASK_CASES)('%s → %s', (_case, code, request) => {
    const r = listsRound('unmask');
    const { survivors, dropped, confirmations } = request(r);
    const out = expectAbort(() => reveal(r.me.ctx, r.me.state, survivors, dropped, confirmations), code);
    expect(out).toBeUndefined(); // no share
    expect(r.me.state.revealed.size).toBe(0);
    expect(r.me.state.stage).toBe('confirmed');
  });
});

// ---- Bonawitz's consistency check ------------------------------------------------------------------------

describe('a server that tells two honest devices different survivor sets (case 3)', () => {
  /** n = 5, t = 3, all survive; the server tells A, C, E that E survived and B, D that E dropped. */
  function splitView() {
    const fx = buildRound({ ...COMPLETE, until: 'survivors' });
    const [A, B, C, D, E] = fx.devices as [Dev, Dev, Dev, Dev, Dev];
    const L1 = { survivors: fx.cohort, dropped: [] as string[] };
    const L2 = { survivors: without(fx.cohort, E.id), dropped: [E.id] };
    const c1 = [A, C, E].map((d) => ({ deviceId: d.id, signature: confirm(d.ctx, d.state, L1.survivors, L1.dropped) }));
    // Each of B and D sees nothing wrong: E sent shares, so "dropped after sharing" is plausible.
    const c2 = [B, D].map((d) => ({ deviceId: d.id, signature: confirm(d.ctx, d.state, L2.survivors, L2.dropped) }));
    return { A, B, C, D, E, L1, L2, c1, c2 };
  }

  it('A aborts when given B’s and D’s confirmations: they signed other lists, so they do not verify', () => {
    const { A, L1, c1, c2 } = splitView();
    const own = c1.find((c) => c.deviceId === A.id)!;
    expectAbort(() => reveal(A.ctx, A.state, L1.survivors, L1.dropped, [own, ...c2]), 'abort.too_few_confirmations');
    expect(A.state.revealed.size).toBe(0);
  });

  it('A aborts when given B’s lists', () => {
    const { A, L2, c2 } = splitView();
    expectAbort(() => reveal(A.ctx, A.state, L2.survivors, L2.dropped, c2), 'abort.inconsistent_lists');
    expect(A.state.revealed.size).toBe(0);
  });

  it('B aborts even with every confirmation pooled, so E’s mask key share never leaves B while A may reveal E’s self-seed share', () => {
    const { A, B, D, E, L1, L2, c1, c2 } = splitView();
    expectAbort(() => reveal(B.ctx, B.state, L2.survivors, L2.dropped, [...c1, ...c2]), 'abort.too_few_confirmations');
    expectAbort(() => reveal(D.ctx, D.state, L2.survivors, L2.dropped, [...c1, ...c2]), 'abort.too_few_confirmations');
    expect(B.state.revealed.size + D.state.revealed.size).toBe(0);
    // A's side has a quorum (t = 3 > n/2): it reveals E's self-seed share — and only that kind, from anyone.
    const out = reveal(A.ctx, A.state, L1.survivors, L1.dropped, c1);
    expect(out.selfSeedShares.some((s) => s.of === E.id)).toBe(true);
    expect(out.maskKeyShares).toHaveLength(0);
  });
});

// ---- replay from an earlier session (case 12) ------------------------------------------------------------

describe('replay from an earlier round or session (case 12)', () => {
  it('an advertisement from the previous round of the same devices fails verification → abort.bad_signature', () => {
    const who = people(5);
    const first = buildRound({ ...COMPLETE, people: who, binding: makeBinding('replay-ads', 1), until: 'keys' });
    const second = buildRound({ ...COMPLETE, people: who, binding: makeBinding('replay-ads', 2), until: 'keys' });
    const me = second.devices[2]!;
    const victim = other(second, me, 0);
    const replayed = first.dev(victim.id).ad;
    expectNoShareMade(second, me, replaceEntry(second.keys, victim.id, replayed), 'abort.bad_signature');
  });

  it('an advertisement from another session (same round number) fails verification → abort.bad_signature', () => {
    const who = people(5);
    const first = buildRound({ ...COMPLETE, people: who, binding: makeBinding('session-one', 1), until: 'keys' });
    const second = buildRound({ ...COMPLETE, people: who, binding: makeBinding('session-two', 1), until: 'keys' });
    const me = second.devices[2]!;
    expectNoShareMade(second, me, second.keys.map((a) => (a.deviceId === me.id ? a : first.dev(a.deviceId).ad)), 'abort.bad_signature');
  });

  it('confirmations of identical lists from the previous round fail verification → abort.too_few_confirmations', () => {
    const who = people(5);
    const first = buildRound({ ...COMPLETE, people: who, binding: makeBinding('replay-confirm', 1), until: 'unmask' });
    const second = buildRound({ ...COMPLETE, people: who, binding: makeBinding('replay-confirm', 2), until: 'unmask' });
    expect(second.lists).toEqual(first.lists); // same identities, everyone survived both rounds
    const me = second.devices[0]!;
    const mine = second.confirmations.find((c) => c.deviceId === me.id)!;
    const replayed = first.confirmations.filter((c) => c.deviceId !== me.id);
    expectAbort(() => reveal(me.ctx, me.state, second.lists.survivors, second.lists.dropped, [mine, ...replayed]), 'abort.too_few_confirmations');
    expect(me.state.revealed.size).toBe(0);
  });

  it('a share bundle from the previous round of the same devices is refused → abort.tampered_share', () => {
    const who = people(5);
    const first = buildRound({ ...COMPLETE, people: who, binding: makeBinding('replay-bundle', 1), until: 'deliver' });
    const second = buildRound({ ...COMPLETE, people: who, binding: makeBinding('replay-bundle', 2), until: 'deliver' });
    const me = second.devices[1]!;
    const old = first.deliveriesFor(me.id);
    expectNoMaskedInput(me, second.deliveriesFor(me.id).map((d) => old.find((o) => o.from === d.from)!), 'abort.tampered_share');
  });
});

// ---- order ------------------------------------------------------------------------------------------------

describe('a step in the wrong stage → abort.out_of_order', () => {
  it('a second key list after the shares were sent', () => {
    const fx = buildRound({ ...COMPLETE, until: 'deliver' });
    const me = fx.devices[0]!;
    const out = expectAbort(() => shareKeys(me.ctx, me.state, fx.keys), 'abort.out_of_order');
    expect(out).toBeUndefined();
    expect(me.state.stage).toBe('shared');
  });

  it('share delivery before the key list', () => {
    const fx = buildRound({ ...COMPLETE, until: 'keys' });
    const me = fx.devices[0]!;
    expectAbort(() => maskedInput(me.ctx, me.state, [], me.input), 'abort.out_of_order');
    expect(me.state.stage).toBe('advertised');
  });

  it('survivor lists before the masked input', () => {
    const fx = buildRound({ ...COMPLETE, until: 'deliver' });
    const me = fx.devices[0]!;
    expectAbort(() => confirm(me.ctx, me.state, fx.cohort, []), 'abort.out_of_order');
    expect(me.state.signedLists).toBeUndefined();
  });

  it('an unmask request before the device confirmed the lists', () => {
    const fx = buildRound({ ...COMPLETE, until: 'survivors' });
    const me = fx.devices[0]!;
    expectAbort(() => reveal(me.ctx, me.state, fx.lists.survivors, fx.lists.dropped, []), 'abort.out_of_order');
    expect(me.state.revealed.size).toBe(0);
  });

  it('a second unmask request (e.g. with other lists) after the device revealed', () => {
    const fx = buildRound({ ...COMPLETE, until: 'done', noMasked: [4] });
    const me = fx.devices[0]!;
    const before = new Map(me.state.revealed);
    const victim = fx.lists.survivors.find((id) => id !== me.id)!;
    const out = expectAbort(() => reveal(me.ctx, me.state, without(fx.lists.survivors, victim), [...fx.lists.dropped, victim], fx.confirmations), 'abort.out_of_order');
    expect(out).toBeUndefined();
    expect(me.state.revealed).toEqual(before);
    expect(me.state.revealed.get(victim)).toBe('selfSeed');
  });
});

// ---- through the participant: the reply is a bare `leave` ------------------------------------------------

describe('through client/rounds/participant.ts with the honest server: the aborted device sends exactly one `leave`', () => {
  type Tamper = (m: ServerMessage) => ServerMessage;
  const CASES: [name: string, code: AbortCode, stage: ServerMessage['type'], tamper: (target: string) => Tamper][] = [
    ['key list without its own key', 'abort.own_key_missing', 'keys', (target) => (m) => (m.type === 'keys' ? { ...m, devices: m.devices.filter((d) => d.deviceId !== target) } : m)],
    ['key list with a forged signature', 'abort.bad_signature', 'keys', (target) => (m) =>
      m.type === 'keys' ? { ...m, devices: m.devices.map((d) => (d.deviceId === target ? d : { ...d, signature: flip(d.signature, 0) })) } : m],
    ['itself listed as dropped', 'abort.self_dropped', 'survivors', (target) => (m) =>
      m.type === 'survivors' ? { ...m, survivors: without(m.survivors, target), dropped: [...m.dropped, target] } : m],
    ['an unmask request with other survivors than it signed', 'abort.inconsistent_lists', 'unmask-request', (target) => (m) => {
      if (m.type !== 'unmask-request') return m;
      const victim = m.survivors.find((id) => id !== target)!;
      return { ...m, survivors: without(m.survivors, victim), dropped: [...m.dropped, victim] };
    }],
    ['a non-canonical device id (43 base64url characters, non-zero padding bits) in its cohort and key list', 'abort.bad_signature', 'keys', (target) => {
      const weird = 'A'.repeat(42) + 'B';
      let victim: string | undefined;
      return (m) => {
        if (m.type === 'invite') {
          victim = m.cohort.find((id) => id !== target)!;
          return { ...m, cohort: [...without(m.cohort, victim), weird] };
        }
        return m.type === 'keys' ? { ...m, devices: m.devices.map((d) => (d.deviceId === victim ? { ...d, deviceId: weird } : d)) } : m;
      };
    }],
  ];

  it.each(CASES)('%s → %s', async (_name, code, stage, tamper) => {
    const who = people(5);
    const ids = who.map((p) => p.id);
    const target = ids[2]!;
    const inputs = new Map(ids.map((id, k) => [id, Uint32Array.from([k + 1, 100 * (k + 1), 0xffffffff])]));
    const participants = fixedInputParticipants(sodium, who, inputs);
    const change = tamper(target);
    const { outcome, exchanges } = await relayRound(roundOptions(sodium, ids, { threshold: 3, vectorLength: 3 }), participants, (to, m) => (to === target ? change(m) : m));

    const mine = exchanges.filter((e) => e.to === target);
    const at = mine.findIndex((e) => e.incoming.type === stage);
    expect(at).toBeGreaterThanOrEqual(0);
    const replies = mine[at]!.replies;
    expect(replies).toHaveLength(1);
    const reply = replies[0]!;
    expect(reply.kind).toBe('json');
    if (reply.kind !== 'json') return;
    const incoming = mine[at]!.incoming;
    if (!('sessionId' in incoming)) throw new Error('a round message has a session id');
    expect(reply.message).toEqual({ type: 'leave', sessionId: incoming.sessionId, round: incoming.round });
    expect(Object.keys(reply.message).sort()).toEqual(['round', 'sessionId', 'type']);
    expect(JSON.stringify(reply.message)).not.toMatch(/share|cipher|signature|Key|unmask/i);
    expect(participants.get(target)!.lastAbort?.code).toBe(code);
    // Nothing more comes from the device in this round.
    expect(mine.slice(at + 1).every((e) => e.replies.length === 0)).toBe(true);
    // The honest server goes on with the others.
    expect(outcome?.status).toBe('completed');
  });
});
