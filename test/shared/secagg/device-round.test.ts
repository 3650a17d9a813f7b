// Every lying-server case aborts the device before a share leaves it (threat model cases 1–5, 10–12, 25–29; fcp's
// ShareKeysRequestCausesAbortIf… and UnmaskingRequestCausesAbortIf…). Each test builds an honest round with the
// pure device steps, feeds one device a manipulated server message, and checks the abort code and that the
// refused step produced nothing: no reveal, no ciphertexts, no masked vector, no signature, no revealed share.
// A junk bundle from a neighbour is not the server's lie but a bad device's: it is complained about, not aborted on.
import { describe, expect, it } from 'vitest';
import { DeviceAbort, type AbortCode } from '../../../shared/secagg/abort';
import { advertise, checkDelivery, confirm, maskedInput, reveal, revealGraph, shareKeys, type SignedAdvertisement } from '../../../shared/secagg/device-round';
import { open, seal } from '../../../shared/secagg/aead';
import { agreeKey, generateKeyPair, KEY_CONTEXT } from '../../../shared/secagg/keys';
import { graphCommitment, shareAssociatedData, type RoundBinding } from '../../../shared/secagg/transcript';
import type { ServerMessage } from '../../../shared/protocol/messages';
import { fixedInputParticipants, roundOptions } from '../../conformance/harness';
import { fromHex, loadWycheproof, sodium } from './helpers';
import {
  buildRound,
  fixtureSettings,
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

// ---- the keys message: the key list -------------------------------------------------------------------------------

type KeyCase = [name: string, code: AbortCode, tamper: (fx: Fixture, me: Dev) => SignedAdvertisement[]];

const KEY_LIST_CASES: KeyCase[] = [
  ['an encryption key of the wrong size (31 bytes)', 'abort.bad_key', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { encKey: other(fx, me, 0).ad.encKey.slice(0, 31) }))],
  ['a mask key of the wrong size (33 bytes)', 'abort.bad_key', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { maskKey: new Uint8Array(33).fill(9) }))],
  ['a seed commitment of the wrong size (16 bytes)', 'abort.bad_key', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { seedCommitment: new Uint8Array(16) }))],
  ['too few keys (t − 1, itself included)', 'abort.too_few_devices', (fx, me) => [me.ad, other(fx, me, 0).ad]],
  ['too many keys (a validly signed extra device not in the cohort)', 'abort.too_many_devices', (fx) => {
    const stranger = outsider();
    return [...fx.keys, signAd(stranger.identity, fx.binding, fx.settings, { deviceId: stranger.id, encKey: generateKeyPair(sodium).publicKey, maskKey: generateKeyPair(sodium).publicKey, seedCommitment: new Uint8Array(32), graphCommitment: new Uint8Array(32) })];
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
    return replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, fx.settings, { ...sybil.ad, encKey: other(fx, me, 1).ad.encKey }));
  }],
  ['a Sybil advertising this device’s own mask key as its own', 'abort.duplicate_key', (fx, me) => {
    const sybil = other(fx, me, 0);
    return replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, fx.settings, { ...sybil.ad, maskKey: me.ad.maskKey }));
  }],
  ['a Sybil using one key as both its encryption and mask key', 'abort.duplicate_key', (fx, me) => {
    const sybil = other(fx, me, 0);
    return replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, fx.settings, { ...sybil.ad, maskKey: sybil.ad.encKey }));
  }],
  ['an unknown id (validly signed by an identity that was not invited)', 'abort.unknown_device', (fx, me) => {
    const stranger = outsider();
    return replaceEntry(fx.keys, other(fx, me, 0).id, signAd(stranger.identity, fx.binding, fx.settings, { deviceId: stranger.id, encKey: generateKeyPair(sodium).publicKey, maskKey: generateKeyPair(sodium).publicKey, seedCommitment: new Uint8Array(32), graphCommitment: new Uint8Array(32) }));
  }],
  ['a repeated id (another device listed twice)', 'abort.duplicate_device', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, other(fx, me, 1).ad)],
  ['a forged advertisement signature (one bit flipped)', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { signature: flip(other(fx, me, 0).ad.signature, 5) }))],
  ['an advertisement signed by another identity (a Sybil signs keys under an honest id)', 'abort.bad_signature', (fx, me) => {
    const victim = other(fx, me, 1);
    const forged = signAd(other(fx, me, 0).identity, fx.binding, fx.settings, { ...victim.ad, encKey: generateKeyPair(sodium).publicKey });
    return replaceEntry(fx.keys, victim.id, forged);
  }],
  ['a malleated advertisement signature (S + ℓ, Wycheproof SignatureMalleability)', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, withFields(other(fx, me, 0).ad, { signature: malleate(other(fx, me, 0).ad.signature) }))],
  ['an advertisement signed for another session id', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, signAd(other(fx, me, 0).identity, otherBinding(fx.binding, 'session'), fx.settings, other(fx, me, 0).ad))],
  ['an advertisement signed for another round', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, other(fx, me, 0).id, signAd(other(fx, me, 0).identity, otherBinding(fx.binding, 'round'), fx.settings, other(fx, me, 0).ad))],
  [
    'an advertisement signed over other settings (the server showed that device a lower threshold: case 27)',
    'abort.bad_signature',
    (fx, me) => {
      const isolated = other(fx, me, 1);
      const weaker = { ...fx.config, threshold: fx.config.threshold - 1 };
      const { message } = advertise({ ...isolated.ctx, config: weaker, settings: fixtureSettings(fx.binding, weaker, fx.cohort) });
      return replaceEntry(fx.keys, isolated.id, message);
    },
  ],
  [
    'an advertisement signed for another cohort (the server invited that device with another member list)',
    'abort.bad_signature',
    (fx, me) => {
      const isolated = other(fx, me, 1);
      const cohort = [...without(fx.cohort, other(fx, me, 0).id), outsider().id].sort();
      const { message } = advertise({ ...isolated.ctx, cohort, settings: fixtureSettings(fx.binding, fx.config, cohort) });
      return replaceEntry(fx.keys, isolated.id, message);
    },
  ],
  ['its own entry with another graph commitment under its original signature', 'abort.bad_signature', (fx, me) => replaceEntry(fx.keys, me.id, withFields(me.ad, { graphCommitment: graphCommitment(sodium, new Uint8Array(32)) }))],
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
  const out = expectAbort(() => revealGraph(me.ctx, me.state, list), code);
  expect(out).toBeUndefined(); // no reveal: the graph randomness stays on the device
  expect(draws.calls).toBe(0); // no Shamir share was even computed
  expect(secretsSnapshot(me.state)).toEqual(before);
  expect(me.state.step).toBe('advertised');
  expect(me.state.held.size).toBe(0);
  expect(me.state.revealed.size).toBe(0);
}

/** Run the key list and reveal steps honestly on every device, then expect `me` to abort sealing shares with `reveals`. */
function expectNoShareSealed(me: Dev, reveals: { deviceId: string; secret: Uint8Array }[], code: AbortCode): void {
  const draws = countDraws(me);
  const before = secretsSnapshot(me.state);
  const out = expectAbort(() => shareKeys(me.ctx, me.state, reveals), code);
  expect(out).toBeUndefined(); // no ciphertexts
  expect(draws.calls).toBe(0);
  expect(secretsSnapshot(me.state)).toEqual(before);
  expect(me.state.step).toBe('revealed');
}

describe.each([
  ['complete graph, n = 5, t = 3', COMPLETE],
  ['sparse graph, n = 7, degree 4, t = 3', SPARSE],
])('key list (%s): the device aborts before revealing its graph randomness', (_name, setup) => {
  it('accepts the honest key list and reveals what it committed to (control)', () => {
    const fx = buildRound({ ...setup, until: 'keys' });
    const me = fx.devices[2]!;
    const secret = revealGraph(me.ctx, me.state, fx.keys);
    expect(sodium.memcmp(graphCommitment(sodium, secret), me.ad.graphCommitment)).toBe(true);
  });

  it.each(KEY_LIST_CASES)('%s → %s', (_case, code, tamper) => {
    const fx = buildRound({ ...setup, until: 'keys' });
    const me = fx.devices[2]!;
    expectNoShareMade(fx, me, tamper(fx, me), code);
  });
});

describe('key list: a threshold unsafe for the graph', () => {
  it.each([
    ['t = 2 with 5 devices, complete graph (t ≤ n/2: two disjoint quorums)', { n: 5, t: 2, graph: { kind: 'complete' } }],
    ['t = 5 with 5 devices, complete graph (more than the 4 other holders)', { n: 5, t: 5, graph: { kind: 'complete' } }],
    ['t = 2 with 7 devices, sparse graph of degree 4', { n: 7, t: 2, graph: { kind: 'sparse', degree: 4 } }],
    ['t = 3 with 5 devices and γ = 0.2 (one Sybil: 2t ≤ m + a, the split-survivor attack of case 25)', { n: 5, t: 3, graph: { kind: 'complete' }, corruptFraction: 0.2 }],
    ['t = 5 with 10 devices and γ = 0.1 (t must exceed (10 + 1)/2)', { n: 10, t: 5, graph: { kind: 'complete' }, corruptFraction: 0.1 }],
  ] as const)('%s → abort.threshold_unsafe', (_name, setup) => {
    const fx = buildRound({ ...setup, until: 'keys' });
    const me = fx.devices[1]!;
    expectNoShareMade(fx, me, fx.keys, 'abort.threshold_unsafe');
  });
});

/** Distinct low-order public keys of Wycheproof's X25519 file (flag LowOrderPublic; all give a zero shared secret). */
const LOW_ORDER = [...new Set(loadWycheproof<{ public: string; shared: string }>('x25519_test.json').testGroups.flatMap((g) => g.tests.filter((t) => t.flags.includes('LowOrderPublic')).map((t) => t.public)))];

describe('a low-order X25519 key, validly signed by a Sybil in the cohort (threat model case 10)', () => {
  it('uses the Wycheproof low-order points (a sanity check of the table)', () => {
    expect(LOW_ORDER.length).toBeGreaterThanOrEqual(12);
    expect(LOW_ORDER).toContain('0000000000000000000000000000000000000000000000000000000000000000');
    expect(LOW_ORDER).toContain('0100000000000000000000000000000000000000000000000000000000000000');
  });

  /** The honest round up to the seed message, with the Sybil's advertisement re-signed with `change`. */
  function withSybilKey(change: (ad: SignedAdvertisement) => Partial<SignedAdvertisement>) {
    const fx = buildRound({ ...COMPLETE, until: 'keys' });
    const me = fx.devices[2]!;
    const sybil = other(fx, me, 0);
    const list = replaceEntry(fx.keys, sybil.id, signAd(sybil.identity, fx.binding, fx.settings, { ...sybil.ad, ...change(sybil.ad) }));
    // The Sybil reveals what it committed to; everyone else checks the list first.
    const reveals = fx.devices.map((d) => ({ deviceId: d.id, secret: d === sybil ? d.state.graphSecret : revealGraph(d.ctx, d.state, list) }));
    return { me, reveals };
  }

  it.each(LOW_ORDER)('as the Sybil’s encryption key: %s → abort.bad_key before any share is sealed', (point) => {
    const { me, reveals } = withSybilKey(() => ({ encKey: fromHex(point) }));
    expectNoShareSealed(me, reveals, 'abort.bad_key');
  });

  // The mask key is only used for the pairwise masks, but a low-order one is just as much a lying key list: the
  // device refuses it before its shares are sealed for the Sybil and the others.
  it.each(['0000000000000000000000000000000000000000000000000000000000000000', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'])(
    'as the Sybil’s mask key: %s → abort.bad_key before any share is sealed',
    (point) => {
      const { me, reveals } = withSybilKey(() => ({ maskKey: fromHex(point) }));
      expectNoShareSealed(me, reveals, 'abort.bad_key');
    },
  );
});

describe('key list: a device id that is valid base64url text but not a canonical 32-byte encoding', () => {
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

// ---- the seed message: graph randomness (case 28) ------------------------------------------------------

type RevealCase = [name: string, code: AbortCode, tamper: (fx: Fixture, me: Dev) => { deviceId: string; secret: Uint8Array }[]];

const REVEAL_CASES: RevealCase[] = [
  ['a listed device’s reveal left out (the server choosing among seeds)', 'abort.missing_reveal', (fx, me) => fx.graphReveals.filter((r) => r.deviceId !== other(fx, me, 0).id)],
  ['a reveal that does not open its commitment (a Sybil grinding after the list was final)', 'abort.bad_reveal', (fx, me) => fx.graphReveals.map((r) => (r.deviceId === other(fx, me, 0).id ? { ...r, secret: flip(r.secret, 3) } : r))],
  ['another secret in place of its own reveal', 'abort.bad_reveal', (fx, me) => fx.graphReveals.map((r) => (r.deviceId === me.id ? { ...r, secret: new Uint8Array(32).fill(7) } : r))],
  ['its own reveal left out', 'abort.missing_reveal', (fx, me) => fx.graphReveals.filter((r) => r.deviceId !== me.id)],
  ['a reveal from a device not on the key list', 'abort.unknown_device', (fx) => [...fx.graphReveals, { deviceId: outsider().id, secret: new Uint8Array(32) }]],
  ['two reveals from one device', 'abort.duplicate_device', (fx) => [...fx.graphReveals, fx.graphReveals[0]!]],
];

describe('seed message, sparse graph (n = 7, degree 4): every listed device’s reveal is required', () => {
  it('derives the same graph as every other device from the honest reveals (control)', () => {
    const fx = buildRound({ ...SPARSE, until: 'seed' });
    for (const d of fx.devices) shareKeys(d.ctx, d.state, fx.graphReveals);
    const graphs = new Set(fx.devices.map((d) => JSON.stringify([...d.state.graph])));
    expect(graphs.size).toBe(1);
  });

  it.each(REVEAL_CASES)('%s → %s', (_case, code, tamper) => {
    const fx = buildRound({ ...SPARSE, until: 'seed' });
    const me = fx.devices[2]!;
    expectNoShareSealed(me, tamper(fx, me), code);
  });

  it('a different set of reveals gives a different graph: the server cannot keep one and change the other', () => {
    const a = buildRound({ ...SPARSE, until: 'seed' });
    const me = a.devices[0]!;
    shareKeys(me.ctx, me.state, a.graphReveals);
    const b = buildRound({ ...SPARSE, people: a.devices, binding: a.binding, until: 'seed' }); // same people, fresh randomness
    const you = b.devices[0]!;
    shareKeys(you.ctx, you.state, b.graphReveals);
    expect(JSON.stringify([...me.state.graph])).not.toBe(JSON.stringify([...you.state.graph]));
  });
});

describe('seed message, complete graph: the graph does not depend on the seed, so a missing reveal is a dropout', () => {
  it('deals to every neighbour even when another device did not reveal', () => {
    const fx = buildRound({ ...COMPLETE, until: 'seed', noReveal: [0] });
    const me = fx.devices[2]!;
    expect(shareKeys(me.ctx, me.state, fx.graphReveals)).toHaveLength(COMPLETE.n - 1);
  });

  it('still refuses a reveal that does not open its commitment → abort.bad_reveal', () => {
    const fx = buildRound({ ...COMPLETE, until: 'seed' });
    const me = fx.devices[2]!;
    expectNoShareSealed(me, REVEAL_CASES[1]![2](fx, me), 'abort.bad_reveal');
  });
});

// ---- the deliver message: share bundles -----------------------------------------------------------------------------

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

/** The server's lies about who dealt: the device aborts. */
const DELIVER_CASES: DeliverCase[] = [
  ['shares from a device that never advertised', 'abort.not_neighbour', (fx, me) => [{ from: outsider().id, ciphertext: fromNeighbour(fx, me).bundle.ciphertext }, ...fx.deliveriesFor(me.id)]],
  ['shares claiming to come from the device itself', 'abort.not_neighbour', (fx, me) => [{ from: me.id, ciphertext: fromNeighbour(fx, me).bundle.ciphertext }, ...fx.deliveriesFor(me.id)]],
  ['two bundles from the same device', 'abort.duplicate_device', (fx, me) => [...fx.deliveriesFor(me.id), fromNeighbour(fx, me).bundle]],
];

type JunkCase = [name: string, tamper: (fx: Fixture, me: Dev) => { delivered: Delivery[]; blamed: string[] }];

/** Junk from one dealer (or the network): the device names the dealer and goes on (case 30: one bad device cannot stop a round). */
const JUNK_CASES: JunkCase[] = [
  ['a tampered ciphertext (one bit flipped in the body)', (fx, me) => {
    const [first, ...rest] = fx.deliveriesFor(me.id);
    return { delivered: [{ from: first!.from, ciphertext: flip(first!.ciphertext, 40, 3) }, ...rest], blamed: [first!.from] };
  }],
  ['a tampered nonce', (fx, me) => {
    const [first, ...rest] = fx.deliveriesFor(me.id);
    return { delivered: [{ from: first!.from, ciphertext: flip(first!.ciphertext, 2) }, ...rest], blamed: [first!.from] };
  }],
  ['a truncated ciphertext', (fx, me) => {
    const [first, ...rest] = fx.deliveriesFor(me.id);
    return { delivered: [{ from: first!.from, ciphertext: first!.ciphertext.slice(0, -1) }, ...rest], blamed: [first!.from] };
  }],
  ['a bundle re-addressed (sealed by a neighbour for another recipient)', (fx, me) => {
    const { sender } = fromNeighbour(fx, me);
    const forSomeoneElse = fx.outbox.get(sender.id)!.find((b) => b.to !== me.id)!;
    return { delivered: fx.deliveriesFor(me.id).map((d) => (d.from === sender.id ? { from: sender.id, ciphertext: forSomeoneElse.ciphertext } : d)), blamed: [sender.id] };
  }],
  ['two bundles swapped (each sealed for this device, presented as the other’s)', (fx, me) => {
    const [a, b, ...rest] = fx.deliveriesFor(me.id);
    return { delivered: [{ from: a!.from, ciphertext: b!.ciphertext }, { from: b!.from, ciphertext: a!.ciphertext }, ...rest], blamed: [a!.from, b!.from].sort() };
  }],
  ['a bundle sealed under another session’s associated data (replay, case 12)', (fx, me) => ({ delivered: resealedFor(fx, me, 'session'), blamed: [fromNeighbour(fx, me).sender.id] })],
  ['a bundle sealed under another round’s associated data (replay, case 12)', (fx, me) => ({ delivered: resealedFor(fx, me, 'round'), blamed: [fromNeighbour(fx, me).sender.id] })],
  ['a bundle sealed under another model hash', (fx, me) => ({ delivered: resealedFor(fx, me, 'model'), blamed: [fromNeighbour(fx, me).sender.id] })],
];

function expectNoComplaints(me: Dev, delivered: Delivery[], code: AbortCode): void {
  const before = secretsSnapshot(me.state);
  const out = expectAbort(() => checkDelivery(me.ctx, me.state, delivered), code);
  expect(out).toBeUndefined();
  expect(me.state.step).toBe('shared');
  expect([...me.state.held.keys()]).toEqual([me.id]); // only its own shares
  expect(before.revealed).toBe(0);
  expect(me.state.revealed.size).toBe(0);
}

describe.each([
  ['complete graph, n = 5, t = 3', COMPLETE],
  ['sparse graph, n = 7, degree 4, t = 3', SPARSE],
])('share delivery (%s)', (_name, setup) => {
  it('opens the honest deliveries and complains about no one (control)', () => {
    const fx = buildRound({ ...setup, until: 'deliver' });
    const me = fx.devices[2]!;
    expect(checkDelivery(me.ctx, me.state, fx.deliveriesFor(me.id))).toEqual([]);
    expect(me.state.held.size).toBe(fx.deliveriesFor(me.id).length + 1);
  });

  it.each(DELIVER_CASES)('%s → %s', (_case, code, tamper) => {
    const fx = buildRound({ ...setup, until: 'deliver' });
    const me = fx.devices[2]!;
    expectNoComplaints(me, tamper(fx, me), code);
  });

  it.each(JUNK_CASES)('%s → the dealer is named, its shares are not kept, and the device goes on', (_case, tamper) => {
    const fx = buildRound({ ...setup, until: 'deliver' });
    const me = fx.devices[2]!;
    const { delivered, blamed } = tamper(fx, me);
    expect(checkDelivery(me.ctx, me.state, delivered)).toEqual(blamed);
    for (const d of blamed) expect(me.state.held.has(d)).toBe(false);
    // It masks with every other neighbour that dealt, if at least t remain; else it refuses to mask at all.
    const others = fx.deliveriesFor(me.id).map((d) => d.from).filter((f) => !blamed.includes(f)).sort();
    if (others.length >= fx.config.threshold) {
      expect(maskedInput(me.ctx, me.state, [], me.input)).toHaveLength(me.input.length);
      expect([...me.state.partners].sort()).toEqual(others);
    } else {
      expect(expectAbort(() => maskedInput(me.ctx, me.state, [], me.input), 'abort.too_few_devices')).toBeUndefined();
    }
  });
});

describe('share delivery: a share signed by someone other than its dealer', () => {
  it('a bundle that opens but whose signature was made by another identity → the dealer is named', () => {
    // A Sybil dealer seals well-formed shares but signs them with a key that is not its own: its shares would be
    // unattributable later, so the holder refuses them now.
    const fx = buildRound({ ...COMPLETE, until: 'deliver' });
    const me = fx.devices[2]!;
    const dealer = other(fx, me, 0);
    const forged = { ...dealer.identity, privateKey: other(fx, me, 1).identity.privateKey };
    const sealedAgain = shareKeys({ ...dealer.ctx, identity: forged }, { ...advertise(dealer.ctx).state, ...dealer.state, step: 'revealed', held: new Map() }, fx.graphReveals);
    const delivered = fx.deliveriesFor(me.id).map((d) => (d.from === dealer.id ? { from: dealer.id, ciphertext: sealedAgain.find((b) => b.to === me.id)!.ciphertext } : d));
    expect(checkDelivery(me.ctx, me.state, delivered)).toEqual([dealer.id]);
  });
});

describe('share delivery (sparse graph): shares from a device that is not a neighbour', () => {
  it('→ abort.not_neighbour, even though the bundle is genuine', () => {
    const fx = buildRound({ ...SPARSE, until: 'deliver' });
    const me = fx.devices[2]!;
    const mine = new Set(fx.graph.get(me.id)!);
    const stranger = fx.devices.find((d) => d.id !== me.id && !mine.has(d.id))!;
    expect(stranger).toBeDefined();
    const genuine = fx.outbox.get(stranger.id)![0]!; // sealed for one of its own neighbours
    expectNoComplaints(me, [...fx.deliveriesFor(me.id), { from: stranger.id, ciphertext: genuine.ciphertext }], 'abort.not_neighbour');
  });
});

// ---- the masking message: complaints relayed -----------------------------------------------------------

describe('masking (complete graph, n = 5, t = 3)', () => {
  it('a neighbour’s complaint unpairs the two: neither masks with the other, and the sum still cancels', () => {
    // Device 1 deals junk to device 3: 3 complains about 1, the server tells 1, and neither masks with the other.
    const fx = buildRound({ ...COMPLETE, until: 'survivors', junk: [[1, 3]] });
    const [, one, , three] = fx.devices as Dev[];
    expect(fx.complaints.get(three!.id)).toEqual([one!.id]);
    expect(fx.unpairedFor(one!.id)).toEqual([three!.id]);
    expect(one!.state.partners.has(three!.id)).toBe(false);
    expect(three!.state.partners.has(one!.id)).toBe(false);
    // Without self masks the pairwise masks must cancel exactly: Σ y_u − Σ PRG(b_u) = Σ x_u (checked in unmask.test.ts
    // end to end); here, the pairing is symmetric.
    for (const d of fx.devices) for (const p of d.state.partners) expect(fx.dev(p).state.partners.has(d.id)).toBe(true);
  });

  it('a complainer that is not a neighbour → abort.not_neighbour, no masked input', () => {
    const fx = buildRound({ ...SPARSE, until: 'masking' });
    const me = fx.devices[2]!;
    const mine = new Set(fx.graph.get(me.id)!);
    const stranger = fx.devices.find((d) => d.id !== me.id && !mine.has(d.id))!;
    expect(expectAbort(() => maskedInput(me.ctx, me.state, [stranger.id], me.input), 'abort.not_neighbour')).toBeUndefined();
    expect(me.state.step).toBe('checked');
  });

  it('complaints that leave fewer than t partners → abort.too_few_devices, no masked input (t − 1 let a server read one input)', () => {
    // A server claiming complaints to unpair a victim from honest neighbours would leave it masked by too few.
    const fx = buildRound({ ...COMPLETE, until: 'masking' });
    const me = fx.devices[2]!;
    const cut = fx.deliveriesFor(me.id).map((d) => d.from).slice(0, 2); // 4 − 2 = 2 partners, t = 3
    expect(expectAbort(() => maskedInput(me.ctx, me.state, cut, me.input), 'abort.too_few_devices')).toBeUndefined();
    expect(me.state.step).toBe('checked');
  });
});

// ---- the survivors message -----------------------------------------------------------------------------

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
  ['fewer survivors than the consistency quorum (one survivor moved to dropped)', 'abort.too_few_devices', ({ fx, R }) => ({ survivors: without(fx.lists.survivors, R.id), dropped: [...fx.lists.dropped, R.id] })],
];

describe('survivor lists: the device aborts before signing', () => {
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
    expect(r.me.state.step).toBe('masked');
    expect(r.me.state.signed).toBeUndefined();
    expect(r.me.state.revealed.size).toBe(0);
  });
});

// ---- the unmask request -----------------------------------------------------------------------------

type Confirmation = { deviceId: string; signature: Uint8Array };
type UnmaskCase = [name: string, code: AbortCode, request: (r: Roles) => { survivors: string[]; dropped: string[]; confirmations: Confirmation[] }];

const honest = (r: Roles) => ({ ...r.fx.lists, confirmations: r.fx.confirmations });
const sigOf = (r: Roles, d: Dev) => r.fx.confirmations.find((c) => c.deviceId === d.id)!;

const UNMASK_CASES: UnmaskCase[] = [
  ['other survivors than it signed (one moved to dropped)', 'abort.inconsistent_lists', (r) => ({ ...honest(r), survivors: without(r.fx.lists.survivors, r.R.id), dropped: [...r.fx.lists.dropped, r.R.id] })],
  ['other survivors than it signed (one added)', 'abort.inconsistent_lists', (r) => ({ ...honest(r), survivors: [...r.fx.lists.survivors, r.P.id] })],
  ['other dropped devices than it signed (one removed)', 'abort.inconsistent_lists', (r) => ({ ...honest(r), dropped: [] })],
  ['other dropped devices than it signed (one added)', 'abort.inconsistent_lists', (r) => ({ ...honest(r), dropped: [...r.fx.lists.dropped, r.P.id] })],
  ['fewer confirmations than the consistency quorum', 'abort.too_few_confirmations', (r) => ({ ...honest(r), confirmations: r.fx.confirmations.slice(0, 2) })],
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
    confirmations: [sigOf(r, r.me), ...[r.R, r.W].map((d) => ({ deviceId: d.id, signature: signLists(r.fx, d.identity, without(r.fx.lists.survivors, r.R.id), [...r.fx.lists.dropped, r.R.id]) }))],
  })],
  ['valid signatures over these lists from devices not in the survivor list', 'abort.too_few_confirmations', (r) => {
    const stranger = outsider();
    const extra = [r.P, r.Q, stranger].map((d) => ({ deviceId: d.id, signature: signLists(r.fx, d.identity, r.fx.lists.survivors, r.fx.lists.dropped) }));
    return { ...honest(r), confirmations: [sigOf(r, r.me), sigOf(r, r.R), ...extra] };
  }],
  ['the same device’s confirmation three times (counted once)', 'abort.too_few_confirmations', (r) => ({ ...honest(r), confirmations: [sigOf(r, r.R), sigOf(r, r.R), sigOf(r, r.R)] })],
  ['confirmations of these lists over another key list (the signers were shown other keys)', 'abort.too_few_confirmations', (r) => ({
    ...honest(r),
    confirmations: [sigOf(r, r.me), ...[r.R, r.W].map((d) => ({ deviceId: d.id, signature: signLists({ ...r.fx, keyList: new Uint8Array(32) }, d.identity, r.fx.lists.survivors, r.fx.lists.dropped) }))],
  })],
  ['confirmations of these lists over another graph seed', 'abort.too_few_confirmations', (r) => ({
    ...honest(r),
    confirmations: [sigOf(r, r.me), ...[r.R, r.W].map((d) => ({ deviceId: d.id, signature: signLists({ ...r.fx, seed: new Uint8Array(32) }, d.identity, r.fx.lists.survivors, r.fx.lists.dropped) }))],
  })],
  ['a genuine confirmation attributed to another survivor', 'abort.too_few_confirmations', (r) => ({ ...honest(r), confirmations: [sigOf(r, r.me), sigOf(r, r.R), { deviceId: r.W.id, signature: sigOf(r, r.R).signature }] })],
];

describe('unmask request: the device aborts before revealing any share', () => {
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
    expect(r.me.state.step).toBe('confirmed');
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

  it('share bundles from the previous round of the same devices do not open: every dealer is named, none is kept', () => {
    const who = people(5);
    const first = buildRound({ ...COMPLETE, people: who, binding: makeBinding('replay-bundle', 1), until: 'deliver' });
    const second = buildRound({ ...COMPLETE, people: who, binding: makeBinding('replay-bundle', 2), until: 'deliver' });
    const me = second.devices[1]!;
    const old = first.deliveriesFor(me.id);
    const complaints = checkDelivery(me.ctx, me.state, second.deliveriesFor(me.id).map((d) => old.find((o) => o.from === d.from)!));
    expect(complaints).toEqual(old.map((d) => d.from).sort());
    expect([...me.state.held.keys()]).toEqual([me.id]);
    // With no partner left it cannot mask safely: it refuses rather than send an input masked by its self seed alone.
    expectAbort(() => maskedInput(me.ctx, me.state, [], me.input), 'abort.too_few_devices');
  });
});

// ---- order ------------------------------------------------------------------------------------------------

describe('a step in the wrong stage → abort.out_of_order', () => {
  it('a second key list after the shares were sent', () => {
    const fx = buildRound({ ...COMPLETE, until: 'deliver' });
    const me = fx.devices[0]!;
    const out = expectAbort(() => revealGraph(me.ctx, me.state, fx.keys), 'abort.out_of_order');
    expect(out).toBeUndefined();
    expect(me.state.step).toBe('shared');
  });

  it('a seed message before the key list', () => {
    const fx = buildRound({ ...COMPLETE, until: 'keys' });
    const me = fx.devices[0]!;
    expectAbort(() => shareKeys(me.ctx, me.state, []), 'abort.out_of_order');
    expect(me.state.step).toBe('advertised');
  });

  it('share delivery before the seed', () => {
    const fx = buildRound({ ...COMPLETE, until: 'seed' });
    const me = fx.devices[0]!;
    expectAbort(() => checkDelivery(me.ctx, me.state, []), 'abort.out_of_order');
    expect(me.state.step).toBe('revealed');
  });

  it('a masking message before the delivery was checked', () => {
    const fx = buildRound({ ...COMPLETE, until: 'deliver' });
    const me = fx.devices[0]!;
    expectAbort(() => maskedInput(me.ctx, me.state, [], me.input), 'abort.out_of_order');
    expect(me.state.step).toBe('shared');
  });

  it('survivor lists before the masked input', () => {
    const fx = buildRound({ ...COMPLETE, until: 'deliver' });
    const me = fx.devices[0]!;
    expectAbort(() => confirm(me.ctx, me.state, fx.cohort, []), 'abort.out_of_order');
    expect(me.state.signed).toBeUndefined();
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
  // Complete graph (n = 5, t = 3) unless the case says sparse (n = 7, degree 4, t = 3): a device that leaves after
  // advertising aborts a sparse round (its reveal is missing), so cases at the key list use the complete graph.
  const CASES: [name: string, code: AbortCode, stage: ServerMessage['type'], tamper: (target: string) => Tamper, graph?: 'sparse'][] = [
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
    // (A non-canonical id in a tampered invitation no longer reaches the key list: the device's advertisement is signed
    // over the cohort it was shown, so the honest server refuses it; the pure test above covers the key list.)
    ['a masking message naming a non-neighbour as complainer', 'abort.not_neighbour', 'masking', () => (m) => (m.type === 'masking' ? { ...m, unpaired: [people(1)[0]!.id] } : m), 'sparse'],
    ['a seed message without another device’s reveal, sparse graph', 'abort.missing_reveal', 'seed', (target) => (m) => (m.type === 'seed' ? { ...m, reveals: m.reveals.filter((r, k) => r.deviceId === target || k > 0) } : m), 'sparse'],
  ];

  it.each(CASES)('%s → %s', async (_name, code, stage, tamper, graph) => {
    const who = people(graph === 'sparse' ? 7 : 5);
    const ids = who.map((p) => p.id);
    const target = ids[2]!;
    const inputs = new Map(ids.map((id, k) => [id, Uint32Array.from([k + 1, 100 * (k + 1), 0xffffffff])]));
    const participants = fixedInputParticipants(sodium, who, inputs);
    const change = tamper(target);
    const { outcome, exchanges } = await relayRound(roundOptions(sodium, ids, { threshold: 3, vectorLength: 3, graph: graph === 'sparse' ? { kind: 'sparse', degree: 4 } : { kind: 'complete' } }), participants, (to, m) => (to === target ? change(m) : m));

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
