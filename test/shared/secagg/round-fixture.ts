// An honest secure-aggregation round built by hand from the pure device steps, stopped just before a chosen
// server message, so a test can feed one device a manipulated copy. Also a relay that runs the honest server
// with real participants and lets a test tamper with what one device receives.
import {
  advertise,
  confirm,
  maskedInput,
  reveal,
  shareKeys,
  type DeviceRoundConfig,
  type DeviceRoundContext,
  type DeviceRoundState,
  type SignedAdvertisement,
} from '../../../shared/secagg/device-round';
import { sodiumRandomBytes } from '../../../shared/secagg/random';
import { sign, type SigningKeyPair } from '../../../shared/secagg/sign';
import { advertisementPayload, confirmationPayload, type Advertisement, type RoundBinding } from '../../../shared/secagg/transcript';
import { createSecureRound, type RoundOutcome, type SecureRoundOptions } from '../../../server/rounds/secure-round';
import type { RoundMessage } from '../../../server/rounds/host';
import type { Outbound, Participant } from '../../../client/rounds/participant';
import type { ServerMessage } from '../../../shared/protocol/messages';
import { parseClientMessage, parseServerMessage } from '../../../shared/protocol/parse';
import { decodeMaskedFrame } from '../../../shared/protocol/binary-frame';
import { identities } from '../../conformance/harness';
import { sodium } from './helpers';

export type Person = { id: string; identity: SigningKeyPair };
export type Graph = DeviceRoundConfig['graph'];
/** The server message the devices are about to receive: every step before it has run. */
export type Until = 'keys' | 'deliver' | 'survivors' | 'unmask' | 'done';
const ORDER: Until[] = ['keys', 'deliver', 'survivors', 'unmask', 'done'];

export interface Dev extends Person {
  ctx: DeviceRoundContext;
  state: DeviceRoundState;
  ad: SignedAdvertisement;
  input: Uint32Array;
}

export interface Fixture {
  binding: RoundBinding;
  config: DeviceRoundConfig;
  cohort: string[];
  devices: Dev[];
  dev(id: string): Dev;
  /** The honest key list (stage 1). */
  keys: SignedAdvertisement[];
  /** Sealed bundles by sender (stage 1 replies). */
  outbox: Map<string, { to: string; ciphertext: Uint8Array }[]>;
  /** The honest deliveries for one device (stage 2). */
  deliveriesFor(id: string): { from: string; ciphertext: Uint8Array }[];
  masked: Map<string, Uint32Array>;
  /** The honest lists (stage 3): survivors sent a masked input, dropped sent shares but no input. */
  lists: { survivors: string[]; dropped: string[] };
  /** Every survivor's signature over the honest lists (stage 3 replies). */
  confirmations: { deviceId: string; signature: Uint8Array }[];
  /** Stage 4 replies by survivor. */
  reveals: Map<string, ReturnType<typeof reveal>>;
  /** Neighbour lists as the devices derive them (available from 'deliver' on). */
  graph: Map<string, string[]>;
}

export interface FixtureOptions {
  n: number;
  t: number;
  graph?: Graph;
  binding?: RoundBinding;
  /** Reuse identities (e.g. for a second round of the same devices). */
  people?: Person[];
  until: Until;
  /** Indices (in id order) of devices that advertise but never send shares. */
  noShares?: readonly number[];
  /** Indices of devices that send shares but never a masked input. */
  noMasked?: readonly number[];
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

/** Sign an advertisement as `identity` would (a Sybil the server controls can do this for any keys). */
export function signAd(identity: SigningKeyPair, binding: RoundBinding, ad: Advertisement): SignedAdvertisement {
  const plain = { deviceId: ad.deviceId, encKey: ad.encKey, maskKey: ad.maskKey, seedCommitment: ad.seedCommitment };
  return { ...plain, signature: sign(sodium, identity.privateKey, advertisementPayload(binding, plain)) };
}

/** Sign lists as a confirming survivor would. */
export function signLists(identity: SigningKeyPair, binding: RoundBinding, survivors: readonly string[], dropped: readonly string[]): Uint8Array {
  return sign(sodium, identity.privateKey, confirmationPayload(binding, survivors, dropped));
}

/** A copy of the bytes with one bit flipped at `at`. */
export function flip(bytes: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at] = out[at]! ^ (1 << bit);
  return out;
}

export function contextFor(p: Person, binding: RoundBinding, config: DeviceRoundConfig, cohort: readonly string[]): DeviceRoundContext {
  return { sodium, deviceId: p.id, identity: p.identity, binding, config, cohort, randomBytes: sodiumRandomBytes(sodium) };
}

let fixtures = 0;

/** Build an honest round and run every step before `until` on every device that takes part in it. */
export function buildRound(o: FixtureOptions): Fixture {
  const graphKind: Graph = o.graph ?? { kind: 'complete' };
  const binding = o.binding ?? makeBinding(`fixture-${++fixtures}`);
  const config: DeviceRoundConfig = { threshold: o.t, graph: graphKind };
  const who = o.people ?? people(o.n);
  const cohort = who.map((p) => p.id);
  const stop = ORDER.indexOf(o.until);
  const length = o.vectorLength ?? 8;
  const devices: Dev[] = who.map((p) => {
    const ctx = contextFor(p, binding, config, cohort);
    const { state, message } = advertise(ctx);
    return { ...p, ctx, state, ad: message, input: new Uint32Array(sodium.randombytes_buf(4 * length).slice().buffer) };
  });
  const byId = new Map(devices.map((d) => [d.id, d]));
  const noShares = new Set((o.noShares ?? []).map((k) => devices[k]!.id));
  const noMasked = new Set((o.noMasked ?? []).map((k) => devices[k]!.id));
  const keys = devices.map((d) => d.ad);
  const outbox = new Map<string, { to: string; ciphertext: Uint8Array }[]>();
  const masked = new Map<string, Uint32Array>();
  const confirmations: { deviceId: string; signature: Uint8Array }[] = [];
  const reveals = new Map<string, ReturnType<typeof reveal>>();
  const deliveriesFor = (id: string) => [...outbox.entries()].flatMap(([from, list]) => list.filter((b) => b.to === id).map((b) => ({ from, ciphertext: b.ciphertext })));

  if (stop > ORDER.indexOf('keys')) {
    for (const d of devices) if (!noShares.has(d.id)) outbox.set(d.id, shareKeys(d.ctx, d.state, keys));
  }
  if (stop > ORDER.indexOf('deliver')) {
    for (const d of devices) if (outbox.has(d.id) && !noMasked.has(d.id)) masked.set(d.id, maskedInput(d.ctx, d.state, deliveriesFor(d.id), d.input));
  }
  const survivors = [...masked.keys()].sort();
  const dropped = [...outbox.keys()].filter((id) => !masked.has(id)).sort();
  if (stop > ORDER.indexOf('survivors')) {
    for (const id of survivors) {
      const d = byId.get(id)!;
      confirmations.push({ deviceId: id, signature: confirm(d.ctx, d.state, survivors, dropped) });
    }
  }
  if (stop > ORDER.indexOf('unmask')) {
    for (const id of survivors) {
      const d = byId.get(id)!;
      reveals.set(id, reveal(d.ctx, d.state, survivors, dropped, confirmations));
    }
  }
  const withGraph = devices.find((d) => d.state.graph.size > 0);
  return {
    binding,
    config,
    cohort,
    devices,
    dev: (id) => byId.get(id)!,
    keys,
    outbox,
    deliveriesFor,
    masked,
    lists: { survivors, dropped },
    confirmations,
    reveals,
    graph: withGraph ? withGraph.state.graph : new Map(),
  };
}

/** A snapshot of what a device's state holds that could leak, to compare before and after a refused step. */
export function secretsSnapshot(state: DeviceRoundState): { stage: string; revealed: number; held: string[]; sharedWithMe: string[]; signed: boolean } {
  return { stage: state.stage, revealed: state.revealed.size, held: [...state.held.keys()].sort(), sharedWithMe: [...state.sharedWithMe].sort(), signed: state.signedLists !== undefined };
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
): Promise<{ outcome: RoundOutcome | undefined; exchanges: Exchange[] }> {
  const round = createSecureRound(options);
  const exchanges: Exchange[] = [];
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
        next.push(...round.receive(to, parsed, reply.kind === 'binary' ? reply.bytes.length : JSON.stringify(reply.message).length));
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
  return { outcome: round.outcome, exchanges };
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
