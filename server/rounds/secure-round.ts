// One secure-aggregation round on the server: a small state machine over the stage table (shared/secagg/stages.ts),
// with one handler per stage — who must answer, how one answer is checked and recorded, and how the stage closes
// (opening the next one, or aborting). Flower's secaggplus_workflow.py keeps the same shape: a state record and one
// method per stage.
//
// The server holds masked vectors and their running sum, never an unmasked individual update. Every refusal is a
// ProtocolError with a stable code. A refused message does not change the round's state, with one exception: a
// member whose advertised keys are unusable (not canonical, of small order, reused) is dropped from the round there
// and then, before any key list goes out, so one bad device cannot stop the round for the others. Reasons name
// devices by position, never by id: they reach logs and broadcasts.
import type { Sodium } from '../../shared/secagg/sodium';
import { verify } from '../../shared/secagg/sign';
import { buildGraph, checkThreshold, type GraphParams } from '../../shared/secagg/graph';
import { InconsistentDealer, unmaskSum, type ReceivedShare } from '../../shared/secagg/unmask';
import type { MaskApplier } from '../../shared/secagg/masking';
import { isSecAggError } from '../../shared/secagg/errors';
import { consistencyQuorum, corruptHolders } from '../../shared/secagg/round-settings';
import { STAGE_ORDER, stageOfDeviceMessage, type SecureStage } from '../../shared/secagg/stages';
import { x25519KeyProblem } from '../../shared/secagg/x25519-check';
import {
  advertisementPayload,
  confirmationPayload,
  graphCommitment,
  graphSeed,
  keyListDigest,
  settingsDigest,
  type Advertisement,
  type RoundBinding,
} from '../../shared/secagg/transcript';
import { ProtocolError } from '../../shared/protocol/errors';
import type { RoundConfig, RoundPurpose, ServerWireMessage } from '../../shared/protocol/messages';
import type { RoundMessage } from './host';

export type { SecureStage } from '../../shared/secagg/stages';

/** A message for one device. */
export interface Outgoing {
  to: string;
  message: ServerWireMessage;
}

/** How a round ended. `misbehaved` (ids, for the coordinator only, never broadcast): devices that broke the round's rules. */
export type RoundOutcome =
  | { status: 'completed'; sum: Uint32Array; contributors: string[]; misbehaved: string[]; bytesIn: number; bytesOut: number }
  | { status: 'aborted'; reason: string; misbehaved: string[]; maskedUploads: string[]; bytesIn: number; bytesOut: number };

/** Settings of a round: who, what, and the model it trains. */
export interface SecureRoundOptions {
  sodium: Sodium;
  binding: RoundBinding;
  /** The shard the round trains (devices fetch its training model). */
  shard: number;
  modelVersion: number;
  /** What the sum is for (default training): a device contributes once per (model, purpose). */
  purpose?: RoundPurpose;
  config: RoundConfig;
  cohort: readonly string[];
  /** How masks are stripped from the sum (default libsodium, one at a time; the server passes its parallel node:crypto applier). */
  applyMasks?: MaskApplier;
  /** The round's memory account (server/ws/round-budget.ts): bytes it buffers are reserved here first. */
  account?: { reserve(bytes: number): void };
}

/** The round's state machine (see the file comment). */
export interface SecureRound {
  readonly stage: SecureStage | 'done';
  readonly outcome: RoundOutcome | undefined;
  /** Messages that open the round (invitations). */
  start(): Outgoing[];
  /** Handle one device's message; throws a ProtocolError to refuse it. May complete the stage. */
  receive(deviceId: string, message: RoundMessage, bytes: number): Outgoing[];
  /** The stage's deadline passed: go on with whoever answered, or abort. */
  expire(): Outgoing[];
  /** A device disconnected: it will not answer any more stages. */
  drop(deviceId: string): Outgoing[];
  /** End the round now, telling every device still present why (a server decision, e.g. a deletion in the shard). */
  abort(reason: string): Outgoing[];
  /**
   * Tell the cohort how a completed round ended, once its model version is durable (or that it failed to be
   * stored, which aborts it). Only after the sum is in; only once.
   */
  announce(result: { status: 'completed'; modelVersion: number } | { status: 'aborted'; reason: string }): Outgoing[];
}

/** A refusal that also dropped the device from the round; `outgoing` must still be sent (the stage may have closed). */
export class MemberDropped extends ProtocolError {
  constructor(
    message: string,
    readonly outgoing: Outgoing[],
  ) {
    super('key.invalid', message);
  }
}

/** A set of device ids as the round consults it: membership and iteration. */
interface Members {
  has(id: string): boolean;
  [Symbol.iterator](): Iterator<string>;
}

/** The keys of a map as Members, without copying them. */
function keysOf(m: ReadonlyMap<string, unknown>): Members {
  return { has: (id) => m.has(id), [Symbol.iterator]: () => m.keys() };
}

type SignedAd = Advertisement & { signature: Uint8Array };
type UnmaskMessage = Extract<RoundMessage, { type: 'unmask' }>;

/** Everything the round knows; the handlers read and write it. */
interface RoundState {
  readonly o: SecureRoundOptions;
  readonly t: number;
  readonly quorum: number;
  readonly settings: Uint8Array;
  readonly cohort: ReadonlySet<string>;
  readonly ref: { sessionId: string; round: number };
  /** Devices that left, disconnected or were dropped for bad keys. */
  readonly gone: Set<string>;
  readonly misbehaved: Set<string>;
  readonly advertised: Map<string, SignedAd>;
  readonly usedKeys: Set<string>;
  readonly reveals: Map<string, Uint8Array>;
  keyList?: Uint8Array;
  seed?: Uint8Array;
  graph: Map<string, string[]>;
  /** Share bundles by dealer. */
  readonly bundles: Map<string, { to: string; ciphertext: Uint8Array }[]>;
  /** Complaints by complainer: the dealers whose bundle to it was junk. */
  readonly complaints: Map<string, ReadonlySet<string>>;
  readonly maskedSum: Uint32Array;
  readonly survivors: Set<string>;
  lists?: { survivors: string[]; dropped: string[] };
  readonly confirmations: Map<string, Uint8Array>;
  readonly revealed: Map<string, UnmaskMessage>;
}

/** What closing a stage yields: the messages opening the next one, an abort, or the end (sum in). */
type Closing = { next: [string, ServerWireMessage][] } | { abort: string } | { done: Extract<RoundOutcome, { status: 'completed' }>['sum']; contributors: string[]; misbehaved: string[] };

/** One stage of the round. */
interface StageHandler {
  /** Devices whose answers close the stage before its deadline. */
  expected(s: RoundState): Members;
  answered(s: RoundState): Members;
  /** Check one device's message and record it; throws a ProtocolError to refuse it. */
  accept(s: RoundState, deviceId: string, message: RoundMessage): void;
  close(s: RoundState): Closing;
}

function b64(sodium: Sodium, bytes: Uint8Array): string {
  return sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);
}

function identityKey(sodium: Sodium, deviceId: string): Uint8Array {
  return sodium.from_base64(deviceId, sodium.base64_variants.URLSAFE_NO_PADDING);
}

/** Send `message` to each of `to` still present. */
function toEach(s: RoundState, to: Iterable<string>, message: ServerWireMessage): [string, ServerWireMessage][] {
  const out: [string, ServerWireMessage][] = [];
  for (const d of to) if (!s.gone.has(d)) out.push([d, message]);
  return out;
}

/** The graph over `n` listed devices as the round's config describes it. */
function graphParams(config: RoundConfig, n: number): GraphParams {
  return config.graph.kind === 'complete' ? { kind: 'complete', n } : { kind: 'sparse', n, degree: config.graph.degree };
}

/** Expel a member whose keys cannot be used: it takes no further part, and the refusal tells it why. */
function expel(s: RoundState, deviceId: string, why: string): never {
  s.gone.add(deviceId);
  s.misbehaved.add(deviceId);
  throw new ProtocolError('key.invalid', `${why}: this device is dropped from the round`);
}

const advertiseStage: StageHandler = {
  expected: (s) => s.cohort,
  answered: (s) => keysOf(s.advertised),
  accept(s, deviceId, m) {
    if (m.type !== 'advertise') return;
    const { sodium, binding } = s.o;
    const ad: SignedAd = { deviceId, encKey: m.encKey, maskKey: m.maskKey, seedCommitment: m.seedCommitment, graphCommitment: m.graphCommitment, signature: m.signature };
    if (!verify(sodium, identityKey(sodium, deviceId), advertisementPayload(binding, s.settings, ad), m.signature)) throw new ProtocolError('auth.bad_signature', 'the advertisement signature does not verify for this device, session, model and settings');
    for (const [name, key] of [['encryption key', ad.encKey], ['mask key', ad.maskKey]] as const) {
      const problem = x25519KeyProblem(sodium, key);
      if (problem) expel(s, deviceId, `the ${name} is ${problem}`);
    }
    const enc = b64(sodium, ad.encKey);
    const mask = b64(sodium, ad.maskKey);
    if (enc === mask) expel(s, deviceId, 'the two advertised keys are the same');
    if (s.usedKeys.has(enc) || s.usedKeys.has(mask)) expel(s, deviceId, 'an advertised key is already used by another member');
    s.usedKeys.add(enc).add(mask);
    s.advertised.set(deviceId, ad);
  },
  close(s) {
    const n = s.advertised.size;
    if (n < s.quorum) return { abort: `${n} devices advertised keys, fewer than the consistency quorum ${s.quorum}` };
    // The devices run the same check and would abort: end the round here, with the reason.
    const params = graphParams(s.o.config, n);
    try {
      checkThreshold({ ...params, threshold: s.t, corruptDevices: corruptHolders(params, s.o.config.corruptFraction, s.cohort.size) });
    } catch (err) {
      if (isSecAggError(err)) return { abort: `with ${n} devices listed: ${err.message}` };
      throw err;
    }
    const list = [...s.advertised.values()];
    s.keyList = keyListDigest(s.o.sodium, s.o.binding, list);
    const sodium = s.o.sodium;
    const devices = list.map((a) => ({ deviceId: a.deviceId, encKey: b64(sodium, a.encKey), maskKey: b64(sodium, a.maskKey), seedCommitment: b64(sodium, a.seedCommitment), graphCommitment: b64(sodium, a.graphCommitment), signature: b64(sodium, a.signature) }));
    return { next: toEach(s, s.advertised.keys(), { type: 'keys', ...s.ref, devices }) };
  },
};

const revealStage: StageHandler = {
  expected: (s) => keysOf(s.advertised),
  answered: (s) => keysOf(s.reveals),
  accept(s, deviceId, m) {
    if (m.type !== 'reveal') return;
    const { sodium } = s.o;
    if (!sodium.memcmp(graphCommitment(sodium, m.secret), s.advertised.get(deviceId)!.graphCommitment)) throw new ProtocolError('reveal.mismatch', 'this graph randomness does not open the commitment this device advertised');
    s.reveals.set(deviceId, m.secret);
  },
  close(s) {
    // A sparse graph needs every listed device's reveal: the server must not choose the graph by leaving some out
    // (transcript.ts). The complete graph does not depend on the seed: whoever did not reveal has dropped.
    const silent = [...s.advertised.keys()].filter((d) => !s.reveals.has(d));
    if (silent.length > 0 && s.o.config.graph.kind === 'sparse') {
      for (const d of silent) s.misbehaved.add(d);
      return { abort: `${silent.length} of the ${s.advertised.size} listed devices did not reveal their graph randomness; the graph cannot be drawn without them` };
    }
    const { sodium, binding, config } = s.o;
    if (s.reveals.size < s.quorum) return { abort: `${s.reveals.size} devices revealed their graph randomness, fewer than the consistency quorum ${s.quorum}` };
    const reveals = [...s.reveals].map(([deviceId, secret]) => ({ deviceId, secret }));
    s.seed = graphSeed(sodium, binding, reveals);
    const ids = [...s.advertised.keys()].sort();
    s.graph = config.graph.kind === 'complete' ? buildGraph(sodium, { devices: ids, kind: 'complete' }) : buildGraph(sodium, { devices: ids, kind: 'sparse', degree: config.graph.degree, seed: s.seed });
    const message: ServerWireMessage = { type: 'seed', ...s.ref, reveals: reveals.map((r) => ({ deviceId: r.deviceId, secret: b64(sodium, r.secret) })) };
    return { next: toEach(s, s.reveals.keys(), message) };
  },
};

const sharesStage: StageHandler = {
  expected: (s) => keysOf(s.reveals),
  answered: (s) => keysOf(s.bundles),
  accept(s, deviceId, m) {
    if (m.type !== 'shares') return;
    const neighbours = new Set(s.graph.get(deviceId) ?? []);
    const to = m.shares.map((x) => x.to);
    if (to.length !== neighbours.size || new Set(to).size !== to.length || to.some((x) => !neighbours.has(x))) {
      throw new ProtocolError('share.not_neighbour', `expected exactly one share bundle for each of the ${neighbours.size} neighbours`);
    }
    s.o.account?.reserve(m.shares.reduce((bytes, x) => bytes + x.ciphertext.length, 0)); // throws 'limit.round_memory' past the budget
    s.bundles.set(deviceId, m.shares);
  },
  close(s) {
    if (s.bundles.size < s.quorum) return { abort: `${s.bundles.size} devices dealt shares, fewer than the consistency quorum ${s.quorum}` };
    const sodium = s.o.sodium;
    const inbox = new Map<string, { from: string; ciphertext: string }[]>();
    for (const [from, list] of s.bundles) {
      for (const b of list) {
        const box = inbox.get(b.to) ?? [];
        box.push({ from, ciphertext: b64(sodium, b.ciphertext) });
        inbox.set(b.to, box);
      }
    }
    return { next: [...s.bundles.keys()].filter((u) => !s.gone.has(u)).map((u) => [u, { type: 'deliver', ...s.ref, shares: inbox.get(u) ?? [] }]) };
  },
};

const checkStage: StageHandler = {
  expected: (s) => keysOf(s.bundles),
  answered: (s) => keysOf(s.complaints),
  accept(s, deviceId, m) {
    if (m.type !== 'check') return;
    const neighbours = new Set(s.graph.get(deviceId) ?? []);
    const named = new Set(m.complaints);
    if (named.size !== m.complaints.length) throw new ProtocolError('message.invalid', 'a dealer is named twice');
    for (const d of named) if (!neighbours.has(d) || !s.bundles.has(d)) throw new ProtocolError('message.invalid', 'a complaint names a device that dealt this device no shares');
    s.complaints.set(deviceId, named);
  },
  close(s) {
    if (s.complaints.size < s.quorum) return { abort: `${s.complaints.size} devices checked their shares, fewer than the consistency quorum ${s.quorum}` };
    // Each device learns which neighbours complained about its bundle: neither side of such a pair masks with the other.
    const unpaired = new Map<string, string[]>();
    for (const [complainer, dealers] of s.complaints) for (const d of dealers) unpaired.set(d, [...(unpaired.get(d) ?? []), complainer]);
    return { next: [...s.complaints.keys()].filter((u) => !s.gone.has(u)).map((u) => [u, { type: 'masking', ...s.ref, unpaired: (unpaired.get(u) ?? []).sort() }]) };
  },
};

const maskedStage: StageHandler = {
  expected: (s) => keysOf(s.complaints),
  answered: (s) => s.survivors,
  accept(s, _deviceId, m) {
    if (m.type !== 'masked') return;
    if (m.vector.length !== s.o.config.vectorLength) throw new ProtocolError('vector.bad_length', `masked vector has ${m.vector.length} words, the round expects ${s.o.config.vectorLength}`);
    const v = m.vector;
    const sum = s.maskedSum;
    for (let n = 0; n < v.length; n++) sum[n] = (sum[n]! + v[n]!) >>> 0;
    s.survivors.add(_deviceId);
  },
  close(s) {
    if (s.survivors.size < s.quorum) return { abort: `${s.survivors.size} devices sent masked inputs, fewer than the consistency quorum ${s.quorum}` };
    const survivors = [...s.survivors].sort();
    const dropped = [...s.bundles.keys()].filter((u) => !s.survivors.has(u)).sort();
    s.lists = { survivors, dropped };
    return { next: toEach(s, survivors, { type: 'survivors', ...s.ref, survivors, dropped }) };
  },
};

const confirmStage: StageHandler = {
  expected: (s) => s.survivors,
  answered: (s) => keysOf(s.confirmations),
  accept(s, deviceId, m) {
    if (m.type !== 'confirm') return;
    const { sodium, binding } = s.o;
    const payload = confirmationPayload(binding, { settings: s.settings, keyList: s.keyList!, seed: s.seed!, ...s.lists! });
    if (!verify(sodium, identityKey(sodium, deviceId), payload, m.signature)) throw new ProtocolError('auth.bad_signature', 'the confirmation does not verify over this round\'s settings, keys, graph and lists');
    s.confirmations.set(deviceId, m.signature);
  },
  close(s) {
    if (s.confirmations.size < s.quorum) return { abort: `${s.confirmations.size} survivors confirmed the lists, fewer than the consistency quorum ${s.quorum}` };
    const sodium = s.o.sodium;
    const confirmations = [...s.confirmations].map(([deviceId, signature]) => ({ deviceId, signature: b64(sodium, signature) }));
    return { next: toEach(s, s.confirmations.keys(), { type: 'unmask-request', ...s.ref, ...s.lists!, confirmations }) };
  },
};

const unmaskStage: StageHandler = {
  expected: (s) => keysOf(s.confirmations),
  answered: (s) => keysOf(s.revealed),
  accept(s, deviceId, m) {
    if (m.type !== 'unmask') return;
    const survivors = new Set(s.lists!.survivors);
    const dropped = new Set(s.lists!.dropped);
    const mine = new Set([deviceId, ...(s.graph.get(deviceId) ?? [])]); // a device holds shares of itself and its neighbours only
    const owners = new Set<string>();
    const checkOwner = (of: string, listed: Set<string>, what: string) => {
      if (!listed.has(of)) throw new ProtocolError('message.invalid', `a ${what} share for a device that is not ${what === 'self-seed' ? 'a survivor' : 'dropped'}`);
      if (!mine.has(of)) throw new ProtocolError('message.invalid', `a ${what} share for a device whose shares this device does not hold`);
      if (owners.has(of)) throw new ProtocolError('message.invalid', 'two shares for one device');
      owners.add(of);
    };
    for (const x of m.selfSeedShares) checkOwner(x.of, survivors, 'self-seed');
    for (const x of m.maskKeyShares) checkOwner(x.of, dropped, 'mask-key');
    s.o.account?.reserve([...m.selfSeedShares, ...m.maskKeyShares].reduce((bytes, x) => bytes + x.share.length + 96, 0)); // share, digest, signature
    s.revealed.set(deviceId, m);
  },
  close(s) {
    const { sodium, binding, config } = s.o;
    const selfSeedShares = new Map<string, ReceivedShare[]>();
    const maskKeyShares = new Map<string, ReceivedShare[]>();
    const add = (into: typeof selfSeedShares, holder: string, x: { of: string; share: Uint8Array; other: Uint8Array; signature: Uint8Array }) => {
      const list = into.get(x.of) ?? [];
      list.push({ holder, share: x.share, other: x.other, signature: x.signature });
      into.set(x.of, list);
    };
    for (const [holder, r] of s.revealed) {
      for (const x of r.selfSeedShares) add(selfSeedShares, holder, x);
      for (const x of r.maskKeyShares) add(maskKeyShares, holder, x);
    }
    // u masked with v iff v dealt (so u was delivered its bundle), and neither complained about the other's bundle.
    const complained = (by: string, about: string) => s.complaints.get(by)?.has(about) ?? false;
    const paired = (u: string, v: string) => s.bundles.has(v) && !complained(u, v) && !complained(v, u);
    try {
      const { sum, forgers } = unmaskSum({ sodium, binding, threshold: s.t, advertised: s.advertised, graph: s.graph, paired, survivors: s.lists!.survivors, dropped: s.lists!.dropped, maskedSum: s.maskedSum, selfSeedShares, maskKeyShares, ...(s.o.applyMasks && { applyMasks: s.o.applyMasks }) });
      for (const f of forgers) s.misbehaved.add(f);
      if (config.vectorLength !== sum.length) throw new Error('unreachable: the sum has the round\'s length');
      return { done: sum, contributors: s.lists!.survivors, misbehaved: [...s.misbehaved] };
    } catch (err) {
      if (err instanceof InconsistentDealer) s.misbehaved.add(err.dealer);
      if (isSecAggError(err)) return { abort: `unmasking failed: ${err.message}` };
      throw err;
    }
  },
};

/** One handler per stage, keyed by the stage table's names. */
const HANDLERS: Record<SecureStage, StageHandler> = {
  advertise: advertiseStage,
  reveal: revealStage,
  shares: sharesStage,
  check: checkStage,
  masked: maskedStage,
  confirm: confirmStage,
  unmask: unmaskStage,
};

/** Create a round; call start() to invite the cohort. */
export function createSecureRound(o: SecureRoundOptions): SecureRound {
  const { sodium, binding, config } = o;
  o.account?.reserve(4 * config.vectorLength); // the running sum of masked inputs
  const sortedCohort = [...o.cohort].sort();
  const purpose = o.purpose ?? 'training';
  const invitation = { shard: o.shard, modelVersion: o.modelVersion, purpose, config, cohort: sortedCohort };
  const s: RoundState = {
    o,
    t: config.threshold,
    quorum: consistencyQuorum(sortedCohort.length, config.corruptFraction),
    settings: settingsDigest(sodium, binding, invitation),
    cohort: new Set(sortedCohort),
    ref: { sessionId: binding.sessionId, round: binding.round },
    gone: new Set(),
    misbehaved: new Set(),
    advertised: new Map(),
    usedKeys: new Set(),
    reveals: new Map(),
    graph: new Map(),
    bundles: new Map(),
    complaints: new Map(),
    maskedSum: new Uint32Array(config.vectorLength),
    survivors: new Set(),
    confirmations: new Map(),
    revealed: new Map(),
  };
  let stage: SecureStage | 'done' = STAGE_ORDER[0]!;
  let outcome: RoundOutcome | undefined;
  let announced = false;
  let bytesIn = 0;
  let bytesOut = 0;

  const sizes = new WeakMap<ServerWireMessage, number>(); // one broadcast message is measured once, not per recipient
  const send = (to: string, message: ServerWireMessage): Outgoing => {
    let size = sizes.get(message);
    if (size === undefined) sizes.set(message, (size = JSON.stringify(message).length));
    bytesOut += size; // approximate: byte fields are counted as their base64 text
    return { to, message };
  };

  const abort = (reason: string): Outgoing[] => {
    stage = 'done';
    // Devices that sent a masked input used up this model: the coordinator must not invite them to it again.
    outcome = { status: 'aborted', reason, misbehaved: [...s.misbehaved], maskedUploads: [...s.survivors], bytesIn, bytesOut };
    const message: ServerWireMessage = { type: 'result', ...s.ref, status: 'aborted', reason };
    return sortedCohort.filter((d) => !s.gone.has(d)).map((d) => send(d, message));
  };

  /** Close the current stage with the devices that answered. */
  const advance = (): Outgoing[] => {
    if (stage === 'done') return [];
    const closing = HANDLERS[stage].close(s);
    if ('abort' in closing) return abort(closing.abort);
    if ('done' in closing) {
      stage = 'done';
      outcome = { status: 'completed', sum: closing.done, contributors: closing.contributors, misbehaved: closing.misbehaved, bytesIn, bytesOut };
      return []; // nobody is told yet: the coordinator announces the result once the new model version is durable
    }
    stage = STAGE_ORDER[STAGE_ORDER.indexOf(stage) + 1]!;
    return closing.next.map(([to, message]) => send(to, message));
  };

  const maybeAdvance = (): Outgoing[] => {
    if (stage === 'done') return [];
    const h = HANDLERS[stage];
    const done = h.answered(s);
    for (const d of h.expected(s)) if (!s.gone.has(d) && !done.has(d)) return [];
    return advance();
  };

  const check = (deviceId: string, message: RoundMessage): SecureStage | undefined => {
    if (!s.cohort.has(deviceId)) throw new ProtocolError('round.not_member', 'this device is not in the round\'s cohort');
    const ref = message.type === 'masked' ? message.header : message;
    if (ref.sessionId !== binding.sessionId || ref.round !== binding.round) throw new ProtocolError('round.unknown', `no open round ${ref.round} in session ${ref.sessionId}`);
    if (stage === 'done') throw new ProtocolError('stage.late', 'the round has ended');
    const target = stageOfDeviceMessage(message.type);
    if (target === undefined) return undefined; // leave
    const at = STAGE_ORDER.indexOf(stage);
    const want = STAGE_ORDER.indexOf(target);
    if (want < at) throw new ProtocolError(HANDLERS[target].answered(s).has(deviceId) ? 'stage.duplicate' : 'stage.late', `'${message.type}' belongs to stage ${target}, which has closed (now ${stage})`);
    if (want > at) throw new ProtocolError('stage.out_of_order', `'${message.type}' belongs to stage ${target}; the round is in stage ${stage}`);
    const h = HANDLERS[stage];
    if (!h.expected(s).has(deviceId) || s.gone.has(deviceId)) throw new ProtocolError('round.not_member', `this device did not complete the earlier stages, so it has no part in stage ${stage}`);
    if (h.answered(s).has(deviceId)) throw new ProtocolError('stage.duplicate', `this device already sent its '${message.type}'`);
    return target;
  };

  return {
    get stage() {
      return stage;
    },
    get outcome() {
      return outcome;
    },
    start() {
      const message: ServerWireMessage = { type: 'invite', ...s.ref, ...invitation, modelHash: b64(sodium, binding.modelHash) };
      return sortedCohort.map((d) => send(d, message));
    },
    receive(deviceId, message, bytes) {
      const target = check(deviceId, message);
      bytesIn += bytes;
      if (target === undefined) {
        s.gone.add(deviceId); // leave
      } else {
        try {
          HANDLERS[target].accept(s, deviceId, message);
        } catch (err) {
          // An expelled member is gone: the stage may now be complete for everyone else.
          if (err instanceof ProtocolError && s.gone.has(deviceId)) throw new MemberDropped(err.message, maybeAdvance());
          throw err;
        }
      }
      return maybeAdvance();
    },
    expire() {
      return advance();
    },
    drop(deviceId) {
      if (!s.cohort.has(deviceId) || stage === 'done') return [];
      s.gone.add(deviceId);
      return maybeAdvance();
    },
    abort(reason) {
      return stage === 'done' ? [] : abort(reason);
    },
    announce(result) {
      if (outcome?.status !== 'completed' || announced) throw new Error('announce() is for a completed round, once');
      announced = true;
      const message: ServerWireMessage = result.status === 'completed' ? { type: 'result', ...s.ref, status: 'completed', modelVersion: result.modelVersion } : { type: 'result', ...s.ref, status: 'aborted', reason: result.reason };
      return sortedCohort.filter((d) => !s.gone.has(d)).map((d) => send(d, message));
    },
  };
}
