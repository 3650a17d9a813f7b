// One device's part in a secure-aggregation round (Bonawitz et al. 2017, §4, with the neighbour graph of
// Bell et al. 2020): pure steps over a state object, one per stage of stages.ts. Each step checks what the server
// sent and throws a DeviceAbort before anything secret leaves the device when a list, key or setting is wrong.
import { abortUnless, DeviceAbort } from './abort';
import { open, seal } from './aead';
import { agreeKey, generateKeyPair, KEY_CONTEXT, type KeyPair } from './keys';
import { buildGraph, checkThreshold } from './graph';
import { maskInput } from './masking';
import { decodeBundle, encodeBundle, type ShareBundle } from './share-bundle';
import { encodeShare, split } from './shamir';
import { sign, verify, type SigningKeyPair } from './sign';
import { isSecAggError } from './errors';
import { consistencyQuorum, corruptHolders } from './round-settings';
import type { Sodium } from './sodium';
import {
  advertisementPayload,
  confirmationPayload,
  graphCommitment,
  graphSeed,
  keyListDigest,
  maskSign,
  seedCommitment,
  shareAssociatedData,
  shareDigest,
  shareIndex,
  sharePayload,
  type Advertisement,
  type ConfirmedView,
  type RoundBinding,
} from './transcript';

/** Round settings a device needs for the protocol (a subset of the invitation's config). */
export interface DeviceRoundConfig {
  threshold: number;
  graph: { kind: 'complete' } | { kind: 'sparse'; degree: number };
  /** γ the round assumes (already checked against the device's floor). */
  corruptFraction: number;
}

/** Everything a device knows when it is invited. */
export interface DeviceRoundContext {
  sodium: Sodium;
  deviceId: string;
  identity: SigningKeyPair;
  binding: RoundBinding;
  /** settingsDigest of the invitation as this device received it (transcript.ts). */
  settings: Uint8Array;
  config: DeviceRoundConfig;
  /** The cohort the invitation named. */
  cohort: readonly string[];
  randomBytes: (n: number) => Uint8Array;
}

/** An advertised entry as the server relays it. */
export interface SignedAdvertisement extends Advertisement {
  signature: Uint8Array;
}

/** The shares this device holds for an owner, encoded, with the owner's signature over both. */
interface HeldShares {
  selfSeedShare: Uint8Array;
  maskKeyShare: Uint8Array;
  signature: Uint8Array;
}

type Step = 'advertised' | 'revealed' | 'shared' | 'checked' | 'masked' | 'confirmed' | 'unmasked';

/** The device's secrets and what it has learnt so far. */
export interface DeviceRoundState {
  step: Step;
  encKeys: KeyPair;
  maskKeys: KeyPair;
  selfSeed: Uint8Array;
  graphSecret: Uint8Array;
  advertised: Map<string, SignedAdvertisement>;
  keyList?: Uint8Array;
  seed?: Uint8Array;
  /** The neighbour graph over the advertised devices (same on every device: derived, not sent). */
  graph: Map<string, string[]>;
  neighbours: string[];
  /** Valid shares this device holds, by owner (including its own). */
  held: Map<string, HeldShares>;
  /** Neighbours whose bundles reached this device, valid or not (they dealt: Bonawitz's U2, seen from here). */
  dealt: Set<string>;
  /** Neighbours this device masked with. */
  partners: Set<string>;
  signed?: ConfirmedView;
  /** What has been revealed for whom: never both kinds for one device. */
  revealed: Map<string, 'selfSeed' | 'maskKey'>;
}

function expectStep(state: DeviceRoundState, step: Step, what: string): void {
  abortUnless(state.step === step, 'abort.out_of_order', () => `${what} after step ${state.step} (expected ${step})`);
}

/** Stage advertise: fresh X25519 key pairs, self-mask seed and graph randomness; the signed advertisement. */
export function advertise(ctx: DeviceRoundContext): { state: DeviceRoundState; message: SignedAdvertisement } {
  const { sodium } = ctx;
  const encKeys = generateKeyPair(sodium);
  const maskKeys = generateKeyPair(sodium);
  const selfSeed = ctx.randomBytes(32);
  const graphSecret = ctx.randomBytes(32);
  const ad: Advertisement = {
    deviceId: ctx.deviceId,
    encKey: encKeys.publicKey,
    maskKey: maskKeys.publicKey,
    seedCommitment: seedCommitment(sodium, selfSeed),
    graphCommitment: graphCommitment(sodium, graphSecret),
  };
  const signature = sign(sodium, ctx.identity.privateKey, advertisementPayload(ctx.binding, ctx.settings, ad));
  const state: DeviceRoundState = {
    step: 'advertised',
    encKeys,
    maskKeys,
    selfSeed,
    graphSecret,
    advertised: new Map(),
    graph: new Map(),
    neighbours: [],
    held: new Map(),
    dealt: new Set(),
    partners: new Set(),
    revealed: new Map(),
  };
  return { state, message: { ...ad, signature } };
}

function sameBytes(sodium: Sodium, a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium.memcmp(a, b);
}

/** A device id is its Ed25519 public key in base64url; an id that does not decode to 32 bytes cannot sign anything. */
export function identityKeyOf(sodium: Sodium, deviceId: string): Uint8Array | undefined {
  try {
    const key = sodium.from_base64(deviceId, sodium.base64_variants.URLSAFE_NO_PADDING);
    return key.length === 32 ? key : undefined;
  } catch {
    return undefined;
  }
}

function verifiedBy(sodium: Sodium, deviceId: string, payload: Uint8Array, signature: Uint8Array): boolean {
  const key = identityKeyOf(sodium, deviceId);
  return key !== undefined && verify(sodium, key, payload, signature);
}

/** Validate the key list: every lying-server case of the keys message. */
function checkKeyList(ctx: DeviceRoundContext, state: DeviceRoundState, devices: readonly SignedAdvertisement[]): void {
  const { sodium, config } = ctx;
  const cohort = new Set(ctx.cohort);
  abortUnless(devices.length <= cohort.size, 'abort.too_many_devices', () => `${devices.length} keys for a cohort of ${cohort.size}`);
  abortUnless(devices.length >= config.threshold, 'abort.too_few_devices', () => `${devices.length} devices advertised keys, fewer than t = ${config.threshold}`);
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  for (const d of devices) {
    abortUnless(!seenIds.has(d.deviceId), 'abort.duplicate_device', () => 'a device is listed twice');
    seenIds.add(d.deviceId);
    abortUnless(cohort.has(d.deviceId), 'abort.unknown_device', () => 'a listed device was not in the invited cohort');
    abortUnless(d.encKey.length === 32 && d.maskKey.length === 32 && d.seedCommitment.length === 32 && d.graphCommitment.length === 32, 'abort.bad_key', () => 'a key or commitment of the wrong size');
    for (const key of [d.encKey, d.maskKey]) {
      const hex = sodium.to_hex(key);
      abortUnless(!seenKeys.has(hex), 'abort.duplicate_key', () => 'two entries of the key list share a key');
      seenKeys.add(hex);
    }
    // The signature covers the settings digest: a device shown other settings (or another model) fails here.
    abortUnless(verifiedBy(sodium, d.deviceId, advertisementPayload(ctx.binding, ctx.settings, d), d.signature), 'abort.bad_signature', () => 'an advertisement does not verify over this round\'s session, model and settings (the server showed that device other settings or another model, or forged it)');
  }
  const own = devices.find((d) => d.deviceId === ctx.deviceId);
  abortUnless(own !== undefined, 'abort.own_key_missing', () => 'this device is missing from the key list');
  abortUnless(
    sameBytes(sodium, own.encKey, state.encKeys.publicKey) && sameBytes(sodium, own.maskKey, state.maskKeys.publicKey) && sameBytes(sodium, own.graphCommitment, graphCommitment(sodium, state.graphSecret)),
    'abort.own_key_missing',
    () => 'the key list carries keys for this device that it did not advertise',
  );
  const params = config.graph.kind === 'complete' ? ({ kind: 'complete', n: devices.length } as const) : ({ kind: 'sparse', n: devices.length, degree: config.graph.degree } as const);
  try {
    checkThreshold({ ...params, threshold: config.threshold, corruptDevices: corruptHolders(params, config.corruptFraction, ctx.cohort.length) });
  } catch (err) {
    if (isSecAggError(err)) throw new DeviceAbort('abort.threshold_unsafe', err.message);
    throw err;
  }
}

/** Stage reveal: check the final key list, then reveal the graph randomness committed to. */
export function revealGraph(ctx: DeviceRoundContext, state: DeviceRoundState, devices: readonly SignedAdvertisement[]): Uint8Array {
  expectStep(state, 'advertised', 'key list');
  checkKeyList(ctx, state, devices);
  state.advertised = new Map(devices.map((d) => [d.deviceId, d]));
  state.keyList = keyListDigest(ctx.sodium, ctx.binding, devices);
  state.step = 'revealed';
  return state.graphSecret;
}

function agree(ctx: DeviceRoundContext, mine: KeyPair, theirs: Uint8Array, context: string): Uint8Array {
  try {
    return agreeKey(ctx.sodium, mine, theirs, context);
  } catch (err) {
    if (isSecAggError(err)) throw new DeviceAbort('abort.bad_key', `a neighbour's key: ${err.message}`);
    throw err;
  }
}

/**
 * The seed from the reveals. A sparse graph needs every listed device's reveal — a missing one aborts, or the server
 * could choose the graph by leaving reveals out (see graphSeed); the complete graph does not depend on the seed, so
 * a device that did not reveal is simply one that dropped before dealing shares.
 */
function checkReveals(ctx: DeviceRoundContext, state: DeviceRoundState, reveals: readonly { deviceId: string; secret: Uint8Array }[]): Uint8Array {
  const { sodium } = ctx;
  const byId = new Map<string, Uint8Array>();
  for (const r of reveals) {
    abortUnless(state.advertised.has(r.deviceId), 'abort.unknown_device', () => 'a reveal from a device that is not on the key list');
    abortUnless(!byId.has(r.deviceId), 'abort.duplicate_device', () => 'two reveals from one device');
    abortUnless(sameBytes(sodium, graphCommitment(sodium, r.secret), state.advertised.get(r.deviceId)!.graphCommitment), 'abort.bad_reveal', () => 'a reveal does not open its device\'s commitment');
    byId.set(r.deviceId, r.secret);
  }
  abortUnless(byId.size === state.advertised.size || ctx.config.graph.kind === 'complete', 'abort.missing_reveal', () => `${state.advertised.size - byId.size} listed devices' graph randomness is missing: the server could choose the graph by leaving reveals out`);
  const own = byId.get(ctx.deviceId);
  abortUnless(own !== undefined && sameBytes(sodium, own, state.graphSecret), 'abort.bad_reveal', () => 'the seed message lacks this device\'s reveal, or carries another one');
  return graphSeed(sodium, ctx.binding, reveals);
}

/** Stage shares: derive the graph from the reveals, then Shamir-share the self seed and mask key, signed and sealed for each neighbour. */
export function shareKeys(ctx: DeviceRoundContext, state: DeviceRoundState, reveals: readonly { deviceId: string; secret: Uint8Array }[]): { to: string; ciphertext: Uint8Array }[] {
  expectStep(state, 'revealed', 'seed');
  const { sodium, config } = ctx;
  const seed = checkReveals(ctx, state, reveals);
  const ids = [...state.advertised.keys()].sort();
  const graph = config.graph.kind === 'complete' ? buildGraph(sodium, { devices: ids, kind: 'complete' }) : buildGraph(sodium, { devices: ids, kind: 'sparse', degree: config.graph.degree, seed });
  const neighbours = graph.get(ctx.deviceId)!;
  // Agree every key first, both kinds: a low-order key from any neighbour aborts before any share is sealed.
  const sealKeys = new Map(neighbours.map((v) => [v, agree(ctx, state.encKeys, state.advertised.get(v)!.encKey, KEY_CONTEXT.shareEncryption)]));
  for (const v of neighbours) agree(ctx, state.maskKeys, state.advertised.get(v)!.maskKey, KEY_CONTEXT.maskSeed);
  const holders = [ctx.deviceId, ...neighbours].sort();
  const splitOptions = { shares: holders.length, threshold: config.threshold, randomBytes: ctx.randomBytes };
  const seedShares = split(state.selfSeed, splitOptions);
  const keyShares = split(state.maskKeys.privateKey, splitOptions);
  const out: { to: string; ciphertext: Uint8Array }[] = [];
  holders.forEach((holder, at) => {
    const selfSeedShare = seedShares[at]!;
    const maskKeyShare = keyShares[at]!;
    const encoded = { selfSeedShare: encodeShare(selfSeedShare), maskKeyShare: encodeShare(maskKeyShare) };
    // Signed for its holder: a share revealed later is attributable, a forged one is set aside.
    const signature = sign(sodium, ctx.identity.privateKey, sharePayload(ctx.binding, ctx.deviceId, holder, shareDigest(sodium, encoded.selfSeedShare), shareDigest(sodium, encoded.maskKeyShare)));
    if (holder === ctx.deviceId) {
      state.held.set(holder, { ...encoded, signature });
      return;
    }
    const bundle: ShareBundle = { from: ctx.deviceId, to: holder, selfSeedShare, maskKeyShare, signature };
    out.push({ to: holder, ciphertext: seal(sodium, sealKeys.get(holder)!, encodeBundle(bundle), shareAssociatedData(ctx.binding, ctx.deviceId, holder)) });
  });
  state.seed = seed;
  state.graph = graph;
  state.neighbours = neighbours;
  state.step = 'shared';
  return out;
}

/** Open one bundle; undefined when it fails to open, decode or verify (its dealer is then complained about). */
function openBundle(ctx: DeviceRoundContext, state: DeviceRoundState, from: string, ciphertext: Uint8Array): HeldShares | undefined {
  const { sodium } = ctx;
  let bundle: ShareBundle;
  try {
    const key = agreeKey(sodium, state.encKeys, state.advertised.get(from)!.encKey, KEY_CONTEXT.shareEncryption);
    bundle = decodeBundle(open(sodium, key, ciphertext, shareAssociatedData(ctx.binding, from, ctx.deviceId)));
  } catch (err) {
    if (isSecAggError(err)) return undefined;
    throw err;
  }
  if (bundle.from !== from || bundle.to !== ctx.deviceId) return undefined;
  const x = shareIndex(from, state.graph.get(from)!, ctx.deviceId);
  if (bundle.selfSeedShare.x !== x || bundle.maskKeyShare.x !== x) return undefined;
  const held = { selfSeedShare: encodeShare(bundle.selfSeedShare), maskKeyShare: encodeShare(bundle.maskKeyShare), signature: bundle.signature };
  const payload = sharePayload(ctx.binding, from, ctx.deviceId, shareDigest(sodium, held.selfSeedShare), shareDigest(sodium, held.maskKeyShare));
  return verifiedBy(sodium, from, payload, bundle.signature) ? held : undefined;
}

/**
 * Stage check: open the bundles neighbours sealed for this device; return the dealers whose bundle is junk. A junk
 * bundle does not stop the round: this device simply will not mask with its dealer (nor the dealer with it).
 */
export function checkDelivery(ctx: DeviceRoundContext, state: DeviceRoundState, delivered: readonly { from: string; ciphertext: Uint8Array }[]): string[] {
  expectStep(state, 'shared', 'share delivery');
  const neighbours = new Set(state.neighbours);
  const senders = new Set<string>();
  // The server's lies first, before anything is opened or kept.
  for (const { from } of delivered) {
    abortUnless(neighbours.has(from), 'abort.not_neighbour', () => 'the server delivered shares from a device that is not a neighbour');
    abortUnless(!senders.has(from), 'abort.duplicate_device', () => 'the server delivered two share bundles from one neighbour');
    senders.add(from);
  }
  const complaints: string[] = [];
  for (const { from, ciphertext } of delivered) {
    state.dealt.add(from);
    const shares = openBundle(ctx, state, from, ciphertext);
    if (shares) state.held.set(from, shares);
    else complaints.push(from);
  }
  state.step = 'checked';
  return complaints.sort();
}

/**
 * Stage masked: mask the fixed-point input with every neighbour whose shares this device holds, except those that
 * complained about this device's bundle (`unpaired`, relayed by the server, who may lie about it). At least t
 * partners are required. Why t and not t − 1: the server learns this input if it gets the self seed — t shares,
 * which this device itself and a Sybils can supply, so t − 1 − a honest holders outside the partners suffice — and
 * every partner's pairwise seed (a partner is a Sybil, or honest and listed as dropped). A neighbourhood of m holders
 * fits both only if 1 + a + (partners − a) + (t − 1 − a) ≤ m, i.e. partners ≤ m + a − t; with partners ≥ t that
 * needs 2t ≤ m + a, which the threshold rules out (round-settings.ts). With t − 1 it needed only 2t ≤ m + a + 1: a
 * server that claimed complaints could read one input whenever m + a was odd (bench secagg-attacks, fake-complaints).
 */
export function maskedInput(ctx: DeviceRoundContext, state: DeviceRoundState, unpaired: readonly string[], input: Uint32Array): Uint32Array {
  expectStep(state, 'checked', 'masking');
  const neighbours = new Set(state.neighbours);
  for (const v of unpaired) abortUnless(neighbours.has(v), 'abort.not_neighbour', () => 'the server names a device that is not a neighbour as having complained');
  const cut = new Set(unpaired);
  for (const v of state.held.keys()) if (v !== ctx.deviceId && !cut.has(v)) state.partners.add(v);
  abortUnless(state.partners.size >= ctx.config.threshold, 'abort.too_few_devices', () => `${state.partners.size} neighbours to mask with, fewer than t = ${ctx.config.threshold}`);
  const pairwise = [...state.partners].map((v) => ({ seed: agree(ctx, state.maskKeys, state.advertised.get(v)!.maskKey, KEY_CONTEXT.maskSeed), sign: maskSign(ctx.deviceId, v) }));
  const y = maskInput(ctx.sodium, input, state.selfSeed, pairwise);
  state.step = 'masked';
  return y;
}

function checkLists(ctx: DeviceRoundContext, state: DeviceRoundState, survivors: readonly string[], dropped: readonly string[]): void {
  const all = new Set<string>();
  const survivorSet = new Set(survivors);
  for (const id of [...survivors, ...dropped]) {
    abortUnless(state.advertised.has(id), 'abort.unknown_device', () => 'a listed device never advertised keys');
    abortUnless(!all.has(id) || !(survivorSet.has(id) && dropped.includes(id)), 'abort.listed_twice', () => 'a device is listed as both survivor and dropped');
    abortUnless(!all.has(id), 'abort.duplicate_device', () => 'a device is listed twice');
    all.add(id);
  }
  abortUnless(!dropped.includes(ctx.deviceId), 'abort.self_dropped', () => 'this device is listed as dropped although it sent its input');
  abortUnless(survivorSet.has(ctx.deviceId), 'abort.missing_device', () => 'this device is missing from the survivors although it sent its input');
  for (const v of state.neighbours) {
    if (state.dealt.has(v)) abortUnless(all.has(v), 'abort.missing_device', () => 'a neighbour that dealt shares is in neither list');
    else abortUnless(!all.has(v), 'abort.already_dropped', () => 'a neighbour that dealt no shares to this device is listed again');
  }
  const quorum = consistencyQuorum(ctx.cohort.length, ctx.config.corruptFraction);
  abortUnless(survivors.length >= quorum, 'abort.too_few_devices', () => `${survivors.length} survivors, fewer than the consistency quorum ${quorum}`);
}

/** Stage confirm: check the survivor and dropped lists, then sign them with everything else this device saw. */
export function confirm(ctx: DeviceRoundContext, state: DeviceRoundState, survivors: readonly string[], dropped: readonly string[]): Uint8Array {
  expectStep(state, 'masked', 'survivor list');
  checkLists(ctx, state, survivors, dropped);
  state.signed = { settings: ctx.settings, keyList: state.keyList!, seed: state.seed!, survivors: [...survivors].sort(), dropped: [...dropped].sort() };
  state.step = 'confirmed';
  return sign(ctx.sodium, ctx.identity.privateKey, confirmationPayload(ctx.binding, state.signed));
}

/** A share revealed to the server: the share, the digest of the other share of its bundle, and the dealer's signature. */
export interface RevealedShare {
  of: string;
  share: Uint8Array;
  other: Uint8Array;
  signature: Uint8Array;
}

/**
 * Stage unmask: given the lists this device signed and a consistency quorum of valid confirmations of exactly what
 * it signed, reveal self-seed shares of surviving owners and mask-key shares of dropped ones — never both kinds for
 * one device. The quorum q > (N + A)/2 means no second list can gather one: every honest device that reveals
 * anything reveals under the same lists (round-settings.ts).
 */
export function reveal(
  ctx: DeviceRoundContext,
  state: DeviceRoundState,
  survivors: readonly string[],
  dropped: readonly string[],
  confirmations: readonly { deviceId: string; signature: Uint8Array }[],
): { selfSeedShares: RevealedShare[]; maskKeyShares: RevealedShare[] } {
  expectStep(state, 'confirmed', 'unmask request');
  const signed = state.signed!;
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, n) => x === b[n]);
  abortUnless(same(survivors, signed.survivors) && same(dropped, signed.dropped), 'abort.inconsistent_lists', () => 'the unmask request carries other lists than the ones this device signed');
  const payload = confirmationPayload(ctx.binding, signed);
  const survivorSet = new Set(signed.survivors);
  const quorum = consistencyQuorum(ctx.cohort.length, ctx.config.corruptFraction);
  const valid = new Set<string>();
  for (const c of confirmations) {
    if (valid.size >= quorum) break; // enough: the rest need not be checked
    if (valid.has(c.deviceId) || !survivorSet.has(c.deviceId)) continue;
    if (verifiedBy(ctx.sodium, c.deviceId, payload, c.signature)) valid.add(c.deviceId);
  }
  abortUnless(valid.size >= quorum, 'abort.too_few_confirmations', () => `${valid.size} valid confirmations of these lists, fewer than the consistency quorum ${quorum}`);
  const droppedSet = new Set(signed.dropped);
  const selfSeedShares: RevealedShare[] = [];
  const maskKeyShares: RevealedShare[] = [];
  for (const [owner, shares] of state.held) {
    const kind = survivorSet.has(owner) ? 'selfSeed' : droppedSet.has(owner) ? 'maskKey' : undefined;
    if (!kind) continue;
    const before = state.revealed.get(owner);
    abortUnless(before === undefined || before === kind, 'abort.both_shares', () => `revealing a ${kind} share after a ${before} share of the same device`);
    state.revealed.set(owner, kind);
    if (kind === 'selfSeed') selfSeedShares.push({ of: owner, share: shares.selfSeedShare, other: shareDigest(ctx.sodium, shares.maskKeyShare), signature: shares.signature });
    else maskKeyShares.push({ of: owner, share: shares.maskKeyShare, other: shareDigest(ctx.sodium, shares.selfSeedShare), signature: shares.signature });
  }
  state.step = 'unmasked';
  return { selfSeedShares, maskKeyShares };
}
