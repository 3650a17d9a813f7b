// One device's part in a secure-aggregation round (Bonawitz et al. 2017, §4, with the neighbour graph of
// Bell et al. 2020): pure steps over a state object. Each step checks what the server sent and throws a
// DeviceAbort before anything secret leaves the device when a list or key is inconsistent.
import { abortUnless, DeviceAbort } from './abort';
import { open, seal } from './aead';
import { agreeKey, generateKeyPair, KEY_CONTEXT, type KeyPair } from './keys';
import { buildGraph, checkThreshold } from './graph';
import { maskInput } from './masking';
import { decodeBundle, encodeBundle } from './share-bundle';
import { encodeShare, split, type Share } from './shamir';
import { sign, verify, type SigningKeyPair } from './sign';
import { isSecAggError } from './errors';
import type { Sodium } from './sodium';
import {
  advertisementPayload,
  confirmationPayload,
  graphSeed,
  maskSign,
  seedCommitment,
  shareAssociatedData,
  shareIndex,
  type Advertisement,
  type RoundBinding,
} from './transcript';

/** Round settings a device needs for the protocol (a subset of the invitation's config). */
export interface DeviceRoundConfig {
  threshold: number;
  graph: { kind: 'complete' } | { kind: 'sparse'; degree: number };
}

/** Everything a device knows when it is invited. */
export interface DeviceRoundContext {
  sodium: Sodium;
  deviceId: string;
  identity: SigningKeyPair;
  binding: RoundBinding;
  config: DeviceRoundConfig;
  /** The cohort the invitation named. */
  cohort: readonly string[];
  randomBytes: (n: number) => Uint8Array;
}

/** An advertised entry as the server relays it. */
export interface SignedAdvertisement extends Advertisement {
  signature: Uint8Array;
}

type Stage = 'invited' | 'advertised' | 'shared' | 'masked' | 'confirmed' | 'revealed';

/** The device's secrets and what it has learnt so far. */
export interface DeviceRoundState {
  stage: Stage;
  encKeys: KeyPair;
  maskKeys: KeyPair;
  selfSeed: Uint8Array;
  advertised: Map<string, SignedAdvertisement>;
  /** The neighbour graph over the advertised devices (same on every device: derived, not sent). */
  graph: Map<string, string[]>;
  neighbours: string[];
  /** Shares this device holds, by owner (including its own). */
  held: Map<string, { selfSeedShare: Share; maskKeyShare: Share }>;
  /** Neighbours that sent shares (Bonawitz's U2, seen from this device). */
  sharedWithMe: Set<string>;
  signedLists?: { survivors: string[]; dropped: string[] };
  /** What has been revealed for whom: never both kinds for one device. */
  revealed: Map<string, 'selfSeed' | 'maskKey'>;
}

function expectStage(state: DeviceRoundState, stage: Stage, step: string): void {
  abortUnless(state.stage === stage, 'abort.out_of_order', () => `${step} in stage ${state.stage} (expected ${stage})`);
}

/** Stage 0: fresh X25519 key pairs and self-mask seed, and the signed advertisement. */
export function advertise(ctx: DeviceRoundContext): { state: DeviceRoundState; message: Advertisement & { signature: Uint8Array } } {
  const { sodium } = ctx;
  const encKeys = generateKeyPair(sodium);
  const maskKeys = generateKeyPair(sodium);
  const selfSeed = ctx.randomBytes(32);
  const ad: Advertisement = { deviceId: ctx.deviceId, encKey: encKeys.publicKey, maskKey: maskKeys.publicKey, seedCommitment: seedCommitment(sodium, selfSeed) };
  const signature = sign(sodium, ctx.identity.privateKey, advertisementPayload(ctx.binding, ad));
  const state: DeviceRoundState = {
    stage: 'advertised',
    encKeys,
    maskKeys,
    selfSeed,
    advertised: new Map(),
    graph: new Map(),
    neighbours: [],
    held: new Map(),
    sharedWithMe: new Set(),
    revealed: new Map(),
  };
  return { state, message: { ...ad, signature } };
}

function sameBytes(sodium: Sodium, a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium.memcmp(a, b);
}

/** Validate the key list (every lying-server case of stage 1) and return the neighbour graph. */
function checkKeyList(ctx: DeviceRoundContext, state: DeviceRoundState, devices: readonly SignedAdvertisement[]): Map<string, string[]> {
  const { sodium, config } = ctx;
  const cohort = new Set(ctx.cohort);
  abortUnless(devices.length <= cohort.size, 'abort.too_many_devices', () => `${devices.length} keys for a cohort of ${cohort.size}`);
  abortUnless(devices.length >= config.threshold, 'abort.too_few_devices', () => `${devices.length} devices advertised keys, fewer than t = ${config.threshold}`);
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  for (const d of devices) {
    abortUnless(!seenIds.has(d.deviceId), 'abort.duplicate_device', () => `device ${d.deviceId} is listed twice`);
    seenIds.add(d.deviceId);
    abortUnless(cohort.has(d.deviceId), 'abort.unknown_device', () => `device ${d.deviceId} was not in the invited cohort`);
    abortUnless(d.encKey.length === 32 && d.maskKey.length === 32 && d.seedCommitment.length === 32, 'abort.bad_key', () => `device ${d.deviceId} has a key of the wrong size`);
    for (const key of [d.encKey, d.maskKey]) {
      const hex = sodium.to_hex(key);
      abortUnless(!seenKeys.has(hex), 'abort.duplicate_key', () => `a key of device ${d.deviceId} is also used by another entry`);
      seenKeys.add(hex);
    }
    const signedOk = verify(sodium, fromId(sodium, d.deviceId), advertisementPayload(ctx.binding, d), d.signature);
    abortUnless(signedOk, 'abort.bad_signature', () => `the advertisement of ${d.deviceId} does not verify for this session and model (a different model or session was signed, or the key was forged)`);
  }
  const own = devices.find((d) => d.deviceId === ctx.deviceId);
  abortUnless(own !== undefined, 'abort.own_key_missing', () => 'this device is missing from the key list');
  abortUnless(
    sameBytes(sodium, own.encKey, state.encKeys.publicKey) && sameBytes(sodium, own.maskKey, state.maskKeys.publicKey),
    'abort.own_key_missing',
    () => 'the key list carries keys for this device that it did not advertise',
  );
  const ids = [...seenIds].sort();
  try {
    checkThreshold(config.graph.kind === 'complete' ? { kind: 'complete', n: ids.length, threshold: config.threshold } : { kind: 'sparse', n: ids.length, degree: config.graph.degree, threshold: config.threshold });
  } catch (err) {
    throw new DeviceAbort('abort.threshold_unsafe', (err as Error).message);
  }
  const seed = graphSeed(sodium, ctx.binding, devices);
  return config.graph.kind === 'complete' ? buildGraph(sodium, { devices: ids, kind: 'complete' }) : buildGraph(sodium, { devices: ids, kind: 'sparse', degree: config.graph.degree, seed });
}

/** A device id is its Ed25519 public key in base64url; an id that does not decode to 32 bytes cannot sign anything. */
function fromId(sodium: Sodium, deviceId: string): Uint8Array {
  try {
    const key = sodium.from_base64(deviceId, sodium.base64_variants.URLSAFE_NO_PADDING);
    if (key.length === 32) return key;
  } catch {
    // fall through: a malformed id is treated as a bad signature below
  }
  throw new DeviceAbort('abort.bad_signature', `device id ${deviceId} is not a valid Ed25519 public key`);
}

function agree(ctx: DeviceRoundContext, mine: KeyPair, theirs: Uint8Array, context: string, peer: string): Uint8Array {
  try {
    return agreeKey(ctx.sodium, mine, theirs, context);
  } catch (err) {
    if (isSecAggError(err)) throw new DeviceAbort('abort.bad_key', `key of ${peer}: ${err.message}`);
    throw err;
  }
}

/** Stage 1: check the key list, then Shamir-share the self seed and mask key, sealed for each neighbour. */
export function shareKeys(ctx: DeviceRoundContext, state: DeviceRoundState, devices: readonly SignedAdvertisement[]): { to: string; ciphertext: Uint8Array }[] {
  expectStage(state, 'advertised', 'key list');
  const graph = checkKeyList(ctx, state, devices);
  const neighbours = graph.get(ctx.deviceId)!;
  abortUnless(neighbours.length >= ctx.config.threshold, 'abort.too_few_devices', () => `${neighbours.length} neighbours, fewer than t = ${ctx.config.threshold}`);
  const byId = new Map(devices.map((d) => [d.deviceId, d]));
  // Agree every key first, both kinds: a low-order key from any neighbour aborts before any share is sealed.
  const shareKeysById = new Map(neighbours.map((v) => [v, agree(ctx, state.encKeys, byId.get(v)!.encKey, KEY_CONTEXT.shareEncryption, v)]));
  for (const v of neighbours) agree(ctx, state.maskKeys, byId.get(v)!.maskKey, KEY_CONTEXT.maskSeed, v);
  const holders = [ctx.deviceId, ...neighbours].sort();
  const splitOptions = { shares: holders.length, threshold: ctx.config.threshold, randomBytes: ctx.randomBytes };
  const seedShares = split(state.selfSeed, splitOptions);
  const keyShares = split(state.maskKeys.privateKey, splitOptions);
  const out: { to: string; ciphertext: Uint8Array }[] = [];
  holders.forEach((holder, at) => {
    const bundle = { from: ctx.deviceId, to: holder, selfSeedShare: seedShares[at]!, maskKeyShare: keyShares[at]! };
    if (holder === ctx.deviceId) {
      state.held.set(holder, { selfSeedShare: bundle.selfSeedShare, maskKeyShare: bundle.maskKeyShare });
      return;
    }
    out.push({ to: holder, ciphertext: seal(ctx.sodium, shareKeysById.get(holder)!, encodeBundle(bundle), shareAssociatedData(ctx.binding, ctx.deviceId, holder)) });
  });
  state.advertised = byId;
  state.graph = graph;
  state.neighbours = neighbours;
  state.stage = 'shared';
  return out;
}

/** Stage 2: open the bundles neighbours sealed for this device, then mask the fixed-point input. */
export function maskedInput(ctx: DeviceRoundContext, state: DeviceRoundState, delivered: readonly { from: string; ciphertext: Uint8Array }[], input: Uint32Array): Uint32Array {
  expectStage(state, 'shared', 'share delivery');
  const neighbours = new Set(state.neighbours);
  const received = new Map<string, { selfSeedShare: Share; maskKeyShare: Share }>();
  for (const { from, ciphertext } of delivered) {
    abortUnless(neighbours.has(from), 'abort.not_neighbour', () => `shares from ${from}, which is not a neighbour`);
    abortUnless(!received.has(from), 'abort.duplicate_device', () => `two share bundles from ${from}`);
    const key = agree(ctx, state.encKeys, state.advertised.get(from)!.encKey, KEY_CONTEXT.shareEncryption, from);
    let bundle;
    try {
      bundle = decodeBundle(open(ctx.sodium, key, ciphertext, shareAssociatedData(ctx.binding, from, ctx.deviceId)));
    } catch (err) {
      if (isSecAggError(err)) throw new DeviceAbort('abort.tampered_share', `bundle from ${from}: ${err.message}`);
      throw err;
    }
    abortUnless(bundle.from === from && bundle.to === ctx.deviceId, 'abort.tampered_share', () => `bundle from ${from} names ${bundle.from} → ${bundle.to}`);
    const x = shareIndex(from, state.graph.get(from)!, ctx.deviceId);
    abortUnless(bundle.selfSeedShare.x === x && bundle.maskKeyShare.x === x, 'abort.tampered_share', () => `bundle from ${from} has share index ${bundle.selfSeedShare.x}, expected ${x}`);
    received.set(from, { selfSeedShare: bundle.selfSeedShare, maskKeyShare: bundle.maskKeyShare });
  }
  abortUnless(received.size + 1 >= ctx.config.threshold, 'abort.too_few_devices', () => `${received.size} neighbours sent shares; with this device that is fewer than t = ${ctx.config.threshold}`);
  for (const [from, shares] of received) {
    state.held.set(from, shares);
    state.sharedWithMe.add(from);
  }
  const pairwise = [...state.sharedWithMe].map((v) => ({
    seed: agree(ctx, state.maskKeys, state.advertised.get(v)!.maskKey, KEY_CONTEXT.maskSeed, v),
    sign: maskSign(ctx.deviceId, v),
  }));
  const y = maskInput(ctx.sodium, input, state.selfSeed, pairwise);
  state.stage = 'masked';
  return y;
}

/** Stage 3: check the survivor and dropped lists, then sign them (the consistency check). */
export function confirm(ctx: DeviceRoundContext, state: DeviceRoundState, survivors: readonly string[], dropped: readonly string[]): Uint8Array {
  expectStage(state, 'masked', 'survivor list');
  checkLists(ctx, state, survivors, dropped);
  state.signedLists = { survivors: [...survivors].sort(), dropped: [...dropped].sort() };
  state.stage = 'confirmed';
  return sign(ctx.sodium, ctx.identity.privateKey, confirmationPayload(ctx.binding, survivors, dropped));
}

function checkLists(ctx: DeviceRoundContext, state: DeviceRoundState, survivors: readonly string[], dropped: readonly string[]): void {
  const all = new Set<string>();
  for (const id of [...survivors, ...dropped]) {
    abortUnless(state.advertised.has(id), 'abort.unknown_device', () => `${id} is in a list but never advertised keys`);
    const twice = all.has(id);
    abortUnless(!twice || !(survivors.includes(id) && dropped.includes(id)), 'abort.listed_twice', () => `${id} is listed as both survivor and dropped`);
    abortUnless(!twice, 'abort.duplicate_device', () => `${id} is listed twice`);
    all.add(id);
  }
  abortUnless(!dropped.includes(ctx.deviceId), 'abort.self_dropped', () => 'this device is listed as dropped although it sent its input');
  abortUnless(survivors.includes(ctx.deviceId), 'abort.missing_device', () => 'this device is missing from the survivors although it sent its input');
  for (const v of state.neighbours) {
    const listed = all.has(v);
    if (state.sharedWithMe.has(v)) abortUnless(listed, 'abort.missing_device', () => `neighbour ${v} sent shares but is in neither list`);
    else abortUnless(!listed, 'abort.already_dropped', () => `neighbour ${v} dropped before sending shares but is listed again`);
  }
  abortUnless(survivors.length >= ctx.config.threshold, 'abort.too_few_devices', () => `${survivors.length} survivors, fewer than t = ${ctx.config.threshold}`);
}

/**
 * Stage 4: given the same lists and at least t valid confirmations of them, reveal self-seed shares of
 * surviving holders' owners and mask-key shares of dropped ones — never both kinds for one device.
 */
export function reveal(
  ctx: DeviceRoundContext,
  state: DeviceRoundState,
  survivors: readonly string[],
  dropped: readonly string[],
  confirmations: readonly { deviceId: string; signature: Uint8Array }[],
): { selfSeedShares: { of: string; share: Uint8Array }[]; maskKeyShares: { of: string; share: Uint8Array }[] } {
  expectStage(state, 'confirmed', 'unmask request');
  const signed = state.signedLists!;
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, n) => x === b[n]);
  abortUnless(same(survivors, signed.survivors) && same(dropped, signed.dropped), 'abort.inconsistent_lists', () => 'the unmask request carries other lists than the ones this device signed');
  const payload = confirmationPayload(ctx.binding, signed.survivors, signed.dropped);
  const valid = new Set<string>();
  for (const c of confirmations) {
    if (valid.has(c.deviceId) || !signed.survivors.includes(c.deviceId)) continue;
    if (verify(ctx.sodium, fromId(ctx.sodium, c.deviceId), payload, c.signature)) valid.add(c.deviceId);
  }
  abortUnless(valid.size >= ctx.config.threshold, 'abort.too_few_confirmations', () => `${valid.size} valid confirmations of these lists, fewer than t = ${ctx.config.threshold}`);
  const survivorSet = new Set(signed.survivors);
  const selfSeedShares: { of: string; share: Uint8Array }[] = [];
  const maskKeyShares: { of: string; share: Uint8Array }[] = [];
  for (const [owner, shares] of state.held) {
    const kind = survivorSet.has(owner) ? 'selfSeed' : signed.dropped.includes(owner) ? 'maskKey' : undefined;
    if (!kind) continue;
    const before = state.revealed.get(owner);
    abortUnless(before === undefined || before === kind, 'abort.both_shares', () => `revealing the ${kind} share of ${owner} after its ${before} share`);
    state.revealed.set(owner, kind);
    if (kind === 'selfSeed') selfSeedShares.push({ of: owner, share: encodeShare(shares.selfSeedShare) });
    else maskKeyShares.push({ of: owner, share: encodeShare(shares.maskKeyShare) });
  }
  state.stage = 'revealed';
  return { selfSeedShares, maskKeyShares };
}
