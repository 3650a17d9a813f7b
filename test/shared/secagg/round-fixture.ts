// An honest secure-aggregation round built by hand from the pure device steps, stopped just before a chosen
// server message, so a test can feed one device a manipulated copy. Also a relay that runs the honest server
// with real participants and lets a test tamper with what one device receives.
import {
  advertise,
  checkDelivery,
  confirm,
  maskedInput,
  reveal,
  revealGraph,
  shareKeys,
  type DeviceRoundConfig,
  type DeviceRoundContext,
  type DeviceRoundState,
  type SignedAdvertisement,
} from '../../../shared/secagg/device-round';
import { sodiumRandomBytes } from '../../../shared/secagg/random';
import { sign, type SigningKeyPair } from '../../../shared/secagg/sign';
import { advertisementPayload, confirmationPayload, graphSeed, keyListDigest, settingsDigest, type Advertisement, type RoundBinding } from '../../../shared/secagg/transcript';
import { createSecureRound, MemberDropped, type RoundOutcome, type SecureRoundOptions } from '../../../server/rounds/secure-round';
import type { RoundMessage } from '../../../server/rounds/host';
import type { Outbound, Participant } from '../../../client/rounds/participant';
import type { ServerMessage } from '../../../shared/protocol/messages';
import { parseClientMessage, parseServerMessage } from '../../../shared/protocol/parse';
import { decodeMaskedFrame } from '../../../shared/protocol/binary-frame';
import { ProtocolError } from '../../../shared/protocol/errors';
import { identities } from '../../conformance/harness';
import { sodium } from './helpers';

export type Person = { id: string; identity: SigningKeyPair };
export type Graph = DeviceRoundConfig['graph'];
/** The server message the devices are about to receive: every step before it has run. */
export type Until = 'keys' | 'seed' | 'deliver' | 'masking' | 'survivors' | 'unmask' | 'done';
const ORDER: Until[] = ['keys', 'seed', 'deliver', 'masking', 'survivors', 'unmask', 'done'];

export interface Dev extends Person {
  ctx: DeviceRoundContext;
  state: DeviceRoundState;
  ad: SignedAdvertisement;
  input: Uint32Array;
}

type Reveal = { deviceId: string; secret: Uint8Array };

export interface Fixture {
  binding: RoundBinding;
  /** The settings digest every device of the fixture signs into its messages. */
  settings: Uint8Array;
  config: DeviceRoundConfig;
  cohort: string[];
  devices: Dev[];
  dev(id: string): Dev;
  /** The honest key list (the keys message). */
  keys: SignedAdvertisement[];
  keyList: Uint8Array;
  /** The graph randomness revealed (the seed message). */
  graphReveals: Reveal[];
  seed: Uint8Array;
  /** Sealed bundles by sender (replies to the seed message). */
  outbox: Map<string, { to: string; ciphertext: Uint8Array }[]>;
  /** The honest deliveries for one device (the deliver message). */
  deliveriesFor(id: string): { from: string; ciphertext: Uint8Array }[];
  /** Complaints by device (replies to the deliver message). */
  complaints: Map<string, string[]>;
  /** The neighbours that complained about one device (the masking message). */
  unpairedFor(id: string): string[];
  masked: Map<string, Uint32Array>;
  /** The honest lists: survivors sent a masked input, dropped sent shares but no input. */
  lists: { survivors: string[]; dropped: string[] };
  /** Every survivor's signature over the honest lists (replies to the survivors message). */
  confirmations: { deviceId: string; signature: Uint8Array }[];
  /** Replies to the unmask request, by survivor. */
  unmasked: Map<string, ReturnType<typeof reveal>>;
  /** Neighbour lists as the devices derive them (available from 'deliver' on). */
  graph: Map<string, string[]>;
}

export interface FixtureOptions {
  n: number;
  t: number;
  graph?: Graph;
  /** γ the round assumes (default 0: the fixtures' tiny cohorts). */
  corruptFraction?: number;
  binding?: RoundBinding;
  /** Reuse identities (e.g. for a second round of the same devices). */
  people?: Person[];
  until: Until;
  /** Indices (in id order) of devices that advertise but never reveal. */
  noReveal?: readonly number[];
  /** Indices of devices that reveal but never send shares. */
  noShares?: readonly number[];
  /** Indices of devices that send shares but never a masked input. */
  noMasked?: readonly number[];
  /** Replace a sealed bundle before delivery: [dealer index, recipient index] pairs get junk. */
  junk?: readonly (readonly [number, number])[];
  vectorLength?: number;
}

/** A round binding with a session id derived from `label`. */
export function makeBinding(label: string, round = 1, model = 'model v1'): RoundBinding {
  const sessionId = sodium.to_base64(sodium.crypto_generichash(16, `session ${label}`, null), sodium.base64_variants.URLSAFE_NO_PADDING);
  return { sessionId, round, modelHash: sodium.crypto_generichash(32, model, null) };
}

/** n fresh device identities, sorted by id. */
export function people(n: number): Person[] {
  return identities(sodium, n);
}

/** The settings digest of a fixture round (what an invitation with these settings would give). */
export function fixtureSettings(binding: RoundBinding, config: DeviceRoundConfig, cohort: readonly string[]): Uint8Array {
  return settingsDigest(sodium, binding, { shard: 0, modelVersion: 0, purpose: 'training', config, cohort });
}

/** Sign an advertisement as `identity` would (a Sybil the server controls can do this for any keys). */
export function signAd(identity: SigningKeyPair, binding: RoundBinding, settings: Uint8Array, ad: Advertisement): SignedAdvertisement {
  const plain = { deviceId: ad.deviceId, encKey: ad.encKey, maskKey: ad.maskKey, seedCommitment: ad.seedCommitment, graphCommitment: ad.graphCommitment };
  return { ...plain, signature: sign(sodium, identity.privateKey, advertisementPayload(binding, settings, plain)) };
}

/** Sign lists as a confirming survivor of `fx` would. */
export function signLists(fx: Pick<Fixture, 'binding' | 'settings' | 'keyList' | 'seed'>, identity: SigningKeyPair, survivors: readonly string[], dropped: readonly string[]): Uint8Array {
  return sign(sodium, identity.privateKey, confirmationPayload(fx.binding, { settings: fx.settings, keyList: fx.keyList, seed: fx.seed, survivors, dropped }));
}

/** A copy of the bytes with one bit flipped at `at`. */
export function flip(bytes: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at] = out[at]! ^ (1 << bit);
  return out;
}

export function contextFor(p: Person, binding: RoundBinding, config: DeviceRoundConfig, cohort: readonly string[]): DeviceRoundContext {
  return { sodium, deviceId: p.id, identity: p.identity, binding, settings: fixtureSettings(binding, config, cohort), config, cohort, randomBytes: sodiumRandomBytes(sodium) };
}

let fixtures = 0;

/** Build an honest round and run every step before `until` on every device that takes part in it. */
export function buildRound(o: FixtureOptions): Fixture {
  const graphKind: Graph = o.graph ?? { kind: 'complete' };
  const binding = o.binding ?? makeBinding(`fixture-${++fixtures}`);
  const config: DeviceRoundConfig = { threshold: o.t, graph: graphKind, corruptFraction: o.corruptFraction ?? 0 };
  const who = o.people ?? people(o.n);
  const cohort = who.map((p) => p.id);
  const stop = ORDER.indexOf(o.until);
  const past = (u: Until) => stop > ORDER.indexOf(u);
  const length = o.vectorLength ?? 8;
  const devices: Dev[] = who.map((p) => {
    const ctx = contextFor(p, binding, config, cohort);
    const { state, message } = advertise(ctx);
    return { ...p, ctx, state, ad: message, input: new Uint32Array(sodium.randombytes_buf(4 * length).slice().buffer) };
  });
  const byId = new Map(devices.map((d) => [d.id, d]));
  const ids = (list: readonly number[] | undefined) => new Set((list ?? []).map((k) => devices[k]!.id));
  const noReveal = ids(o.noReveal);
  const noShares = ids(o.noShares);
  const noMasked = ids(o.noMasked);
  const junk = new Set((o.junk ?? []).map(([from, to]) => `${devices[from]!.id}>${devices[to]!.id}`));
  const keys = devices.map((d) => d.ad);
  const graphReveals: Reveal[] = [];
  const outbox = new Map<string, { to: string; ciphertext: Uint8Array }[]>();
  const complaints = new Map<string, string[]>();
  const masked = new Map<string, Uint32Array>();
  const confirmations: { deviceId: string; signature: Uint8Array }[] = [];
  const unmasked = new Map<string, ReturnType<typeof reveal>>();
  const deliveriesFor = (id: string) => [...outbox.entries()].flatMap(([from, list]) => list.filter((b) => b.to === id).map((b) => ({ from, ciphertext: b.ciphertext })));
  const unpairedFor = (id: string) => [...complaints.entries()].filter(([, named]) => named.includes(id)).map(([by]) => by).sort();

  if (past('keys')) for (const d of devices) if (!noReveal.has(d.id)) graphReveals.push({ deviceId: d.id, secret: revealGraph(d.ctx, d.state, keys) });
  if (past('seed')) {
    for (const d of devices) {
      if (noReveal.has(d.id) || noShares.has(d.id)) continue;
      const sealed = shareKeys(d.ctx, d.state, graphReveals);
      // A junk bundle: the dealer's real ciphertext for someone else, which the recipient cannot open.
      outbox.set(d.id, sealed.map((b) => (junk.has(`${d.id}>${b.to}`) ? { to: b.to, ciphertext: flip(b.ciphertext, 40) } : b)));
    }
  }
  if (past('deliver')) for (const id of outbox.keys()) complaints.set(id, checkDelivery(byId.get(id)!.ctx, byId.get(id)!.state, deliveriesFor(id)));
  if (past('masking')) {
    for (const id of complaints.keys()) if (!noMasked.has(id)) masked.set(id, maskedInput(byId.get(id)!.ctx, byId.get(id)!.state, unpairedFor(id), byId.get(id)!.input));
  }
  const survivors = [...masked.keys()].sort();
  const dropped = [...outbox.keys()].filter((id) => !masked.has(id)).sort();
  if (past('survivors')) {
    for (const id of survivors) {
      const d = byId.get(id)!;
      confirmations.push({ deviceId: id, signature: confirm(d.ctx, d.state, survivors, dropped) });
    }
  }
  if (past('unmask')) {
    for (const id of survivors) {
      const d = byId.get(id)!;
      unmasked.set(id, reveal(d.ctx, d.state, survivors, dropped, confirmations));
    }
  }
  const withGraph = devices.find((d) => d.state.graph.size > 0);
  return {
    binding,
    settings: fixtureSettings(binding, config, cohort),
    config,
    cohort,
    devices,
    dev: (id) => byId.get(id)!,
    keys,
    keyList: keyListDigest(sodium, binding, keys),
    graphReveals,
    seed: graphSeed(sodium, binding, graphReveals),
    outbox,
    deliveriesFor,
    complaints,
    unpairedFor,
    masked,
    lists: { survivors, dropped },
    confirmations,
    unmasked,
    graph: withGraph ? withGraph.state.graph : new Map(),
  };
}

/** A snapshot of what a device's state holds that could leak, to compare before and after a refused step. */
export function secretsSnapshot(state: DeviceRoundState): { step: string; revealed: number; held: string[]; dealt: string[]; partners: string[]; signed: boolean } {
  return { step: state.step, revealed: state.revealed.size, held: [...state.held.keys()].sort(), dealt: [...state.dealt].sort(), partners: [...state.partners].sort(), signed: state.signed !== undefined };
}

// ---- the honest server with real participants -----------------------------------------------------------

const LIMITS = { maxTextBytes: 64 * 1024 * 1024 };

export interface Exchange {
  to: string;
  incoming: ServerMessage;
  replies: Outbound[];
}

/**
 * Relay one round between the honest server and the participants through the wire schemas (as the in-memory
 * bench does), letting `tamper` rewrite any parsed server message before a device sees it.
 */
export async function relayRound(
  options: SecureRoundOptions,
  participants: ReadonlyMap<string, Participant>,
  tamper: (to: string, message: ServerMessage) => ServerMessage = (_to, m) => m,
): Promise<{ outcome: RoundOutcome | undefined; exchanges: Exchange[]; refusals: { to: string; error: ProtocolError }[] }> {
  const round = createSecureRound(options);
  const exchanges: Exchange[] = [];
  const refusals: { to: string; error: ProtocolError }[] = [];
  let announced = false;
  let queue = round.start();
  for (let guard = 0; guard < 50 && queue.length > 0; guard++) {
    const next: typeof queue = [];
    for (const { to, message } of queue) {
      const participant = participants.get(to);
      if (!participant) continue;
      const incoming = tamper(to, parseServerMessage(JSON.stringify(message), LIMITS));
      const replies = await participant.handle(incoming);
      exchanges.push({ to, incoming, replies });
      if (round.stage === 'done') continue;
      for (const reply of replies) {
        let parsed: RoundMessage;
        if (reply.kind === 'binary') {
          const { header, vector } = decodeMaskedFrame(reply.bytes);
          parsed = { type: 'masked', header, vector };
        } else {
          parsed = parseClientMessage(JSON.stringify(reply.message), LIMITS) as RoundMessage;
        }
        try {
          next.push(...round.receive(to, parsed, reply.kind === 'binary' ? reply.bytes.length : JSON.stringify(reply.message).length));
        } catch (err) {
          // A refusal goes back to the device (as the gateway would send it); the round goes on.
          if (!(err instanceof ProtocolError)) throw err;
          if (err instanceof MemberDropped) next.push(...err.outgoing);
          refusals.push({ to, error: err });
        }
      }
    }
    if (next.length === 0 && round.stage !== 'done') next.push(...round.expire());
    // A completed round is announced as the coordinator does once its version is stored (the next version, here).
    if (next.length === 0 && round.outcome?.status === 'completed' && !announced) {
      announced = true;
      next.push(...round.announce({ status: 'completed', modelVersion: options.modelVersion + 1 }));
    }
    queue = next;
  }
  return { outcome: round.outcome, exchanges, refusals };
}

/** ℓ, the Ed25519 group order. */
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/** The malleated signature (R, S + ℓ): the same point equation, a non-canonical S (threat model case 11). */
export function malleate(signature: Uint8Array): Uint8Array {
  const s = signature.subarray(32).reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n) + GROUP_ORDER;
  const out = signature.slice();
  for (let i = 0; i < 32; i++) out[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
  return out;
}
