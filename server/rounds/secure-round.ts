// One secure-aggregation round on the server: stages with deadlines, each message checked, only the sum ever unmasked.
//
// The server holds masked vectors and their running sum, never an unmasked individual update. Every
// refusal is a ProtocolError with a stable code; a refused message never changes the round's state, so
// the round goes on for everyone else.
import type { Sodium } from '../../shared/secagg/sodium';
import { verify } from '../../shared/secagg/sign';
import { buildGraph, checkThreshold } from '../../shared/secagg/graph';
import { unmaskSum } from '../../shared/secagg/unmask';
import type { MaskApplier } from '../../shared/secagg/masking';
import { decodeShare } from '../../shared/secagg/shamir';
import { isSecAggError } from '../../shared/secagg/errors';
import { advertisementPayload, confirmationPayload, graphSeed, type Advertisement, type RoundBinding } from '../../shared/secagg/transcript';
import { ProtocolError } from '../../shared/protocol/errors';
import type { RoundConfig, ServerWireMessage } from '../../shared/protocol/messages';
import type { RoundMessage } from './host';

export type SecureStage = 'advertise' | 'shares' | 'masked' | 'confirm' | 'unmask' | 'done';
const ORDER: SecureStage[] = ['advertise', 'shares', 'masked', 'confirm', 'unmask', 'done'];
const STAGE_OF: Record<RoundMessage['type'], SecureStage | undefined> = {
  advertise: 'advertise',
  shares: 'shares',
  masked: 'masked',
  confirm: 'confirm',
  unmask: 'unmask',
  leave: undefined,
};

/** A message for one device. */
export interface Outgoing {
  to: string;
  message: ServerWireMessage;
}

/** How a round ended. */
export type RoundOutcome =
  | { status: 'completed'; sum: Uint32Array; contributors: string[]; bytesIn: number; bytesOut: number }
  | { status: 'aborted'; reason: string; bytesIn: number; bytesOut: number };

/** Settings of a round: who, what, and the model it trains. */
export interface SecureRoundOptions {
  sodium: Sodium;
  binding: RoundBinding;
  /** The shard the round trains (devices fetch its training model). */
  shard: number;
  modelVersion: number;
  config: RoundConfig;
  cohort: readonly string[];
  /** How masks are stripped from the sum (default libsodium, one at a time; the server passes its parallel node:crypto applier). */
  applyMasks?: MaskApplier;
}

/** The round's state machine (see the file comment). */
export interface SecureRound {
  readonly stage: SecureStage;
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

/** A set of device ids as the round consults it: membership and iteration. */
interface Members {
  has(id: string): boolean;
  [Symbol.iterator](): Iterator<string>;
}

const NOBODY: Members = new Set<string>();

/** The keys of a map as Members, without copying them. */
function keysOf(m: ReadonlyMap<string, unknown>): Members {
  return { has: (id) => m.has(id), [Symbol.iterator]: () => m.keys() };
}

function b64(sodium: Sodium, bytes: Uint8Array): string {
  return sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);
}

/** Create a round; call start() to invite the cohort. */
export function createSecureRound(o: SecureRoundOptions): SecureRound {
  const { sodium, binding, config } = o;
  const t = config.threshold;
  let stage: SecureStage = 'advertise';
  let outcome: RoundOutcome | undefined;
  let announced = false;
  let bytesIn = 0;
  let bytesOut = 0;
  const cohort = new Set(o.cohort);
  const gone = new Set<string>();
  const advertised = new Map<string, Advertisement & { signature: Uint8Array }>();
  let graph = new Map<string, string[]>();
  const bundles = new Map<string, { to: string; ciphertext: Uint8Array }[]>(); // by sender
  const maskedSum = new Uint32Array(config.vectorLength);
  const survivors = new Set<string>();
  let lists: { survivors: string[]; dropped: string[] } | undefined;
  const confirmations = new Map<string, Uint8Array>();
  const usedKeys = new Set<string>(); // every advertised public key (base64), so a copied key is refused in O(1)
  const sortedCohort = [...cohort].sort();
  const revealed = new Map<string, { selfSeedShares: { of: string; share: Uint8Array }[]; maskKeyShares: { of: string; share: Uint8Array }[] }>();

  const sizes = new WeakMap<ServerWireMessage, number>(); // one broadcast message is measured once, not per recipient
  const send = (to: string, message: ServerWireMessage): Outgoing => {
    let size = sizes.get(message);
    if (size === undefined) sizes.set(message, (size = JSON.stringify(message).length));
    bytesOut += size; // approximate: byte fields are counted as their base64 text
    return { to, message };
  };
  const ref = { sessionId: binding.sessionId, round: binding.round };
  // Live views, never copies: these are consulted for every message, and copying them made a round O(n³).
  const expected = (): Members => {
    switch (stage) {
      case 'advertise':
        return cohort;
      case 'shares':
        return keysOf(advertised);
      case 'masked':
        return keysOf(bundles);
      case 'confirm':
        return survivors;
      case 'unmask':
        return keysOf(confirmations);
      default:
        return NOBODY;
    }
  };
  const answered = (): Members => {
    switch (stage) {
      case 'advertise':
        return keysOf(advertised);
      case 'shares':
        return keysOf(bundles);
      case 'masked':
        return survivors;
      case 'confirm':
        return keysOf(confirmations);
      case 'unmask':
        return keysOf(revealed);
      default:
        return NOBODY;
    }
  };

  const abort = (reason: string): Outgoing[] => {
    const notify = [...cohort].filter((d) => !gone.has(d));
    stage = 'done';
    outcome = { status: 'aborted', reason, bytesIn, bytesOut };
    const message: ServerWireMessage = { type: 'result', ...ref, status: 'aborted', reason };
    return notify.map((d) => send(d, message));
  };

  /** Close the current stage with the devices that answered. */
  const advance = (): Outgoing[] => {
    switch (stage) {
      case 'advertise': {
        const who = [...advertised.keys()];
        if (who.length < t) return abort(`${who.length} devices advertised keys, fewer than the threshold ${t}`);
        const list = [...advertised.values()];
        const ids = [...advertised.keys()].sort();
        // The devices run the same check and would abort: end the round here, with the reason.
        try {
          checkThreshold(config.graph.kind === 'complete' ? { kind: 'complete', n: ids.length, threshold: t } : { kind: 'sparse', n: ids.length, degree: config.graph.degree, threshold: t });
        } catch (err) {
          if (isSecAggError(err)) return abort(`with ${ids.length} devices left: ${err.message}`);
          throw err;
        }
        const seed = graphSeed(sodium, binding, list);
        graph = config.graph.kind === 'complete' ? buildGraph(sodium, { devices: ids, kind: 'complete' }) : buildGraph(sodium, { devices: ids, kind: 'sparse', degree: config.graph.degree, seed });
        stage = 'shares';
        const devices = list.map((a) => ({ deviceId: a.deviceId, encKey: b64(sodium, a.encKey), maskKey: b64(sodium, a.maskKey), seedCommitment: b64(sodium, a.seedCommitment), signature: b64(sodium, a.signature) }));
        const message: ServerWireMessage = { type: 'keys', ...ref, devices };
        return ids.filter((d) => !gone.has(d)).map((d) => send(d, message));
      }
      case 'shares': {
        if (bundles.size < t) return abort(`${bundles.size} devices sent shares, fewer than the threshold ${t}`);
        stage = 'masked';
        const out: Outgoing[] = [];
        const inbox = new Map<string, { from: string; ciphertext: string }[]>();
        for (const [from, list] of bundles) {
          for (const b of list) {
            const box = inbox.get(b.to) ?? [];
            box.push({ from, ciphertext: b64(sodium, b.ciphertext) });
            inbox.set(b.to, box);
          }
        }
        for (const u of bundles.keys()) {
          if (gone.has(u)) continue;
          out.push(send(u, { type: 'deliver', ...ref, shares: inbox.get(u) ?? [] }));
        }
        return out;
      }
      case 'masked': {
        if (survivors.size < t) return abort(`${survivors.size} devices sent masked inputs, fewer than the threshold ${t}`);
        const s = [...survivors].sort();
        const d = [...bundles.keys()].filter((u) => !survivors.has(u)).sort();
        lists = { survivors: s, dropped: d };
        stage = 'confirm';
        const message: ServerWireMessage = { type: 'survivors', ...ref, survivors: s, dropped: d };
        return s.filter((u) => !gone.has(u)).map((u) => send(u, message));
      }
      case 'confirm': {
        if (confirmations.size < t) return abort(`${confirmations.size} survivors confirmed the lists, fewer than the threshold ${t}`);
        stage = 'unmask';
        const list = [...confirmations.entries()].map(([deviceId, signature]) => ({ deviceId, signature: b64(sodium, signature) }));
        const message: ServerWireMessage = { type: 'unmask-request', ...ref, ...lists!, confirmations: list };
        return [...confirmations.keys()].filter((u) => !gone.has(u)).map((u) => send(u, message));
      }
      case 'unmask': {
        const selfSeedShares = new Map<string, Uint8Array[]>();
        const maskKeyShares = new Map<string, Uint8Array[]>();
        const add = (m: Map<string, Uint8Array[]>, of: string, share: Uint8Array) => {
          const list = m.get(of);
          if (list) list.push(share);
          else m.set(of, [share]);
        };
        for (const r of revealed.values()) {
          for (const s of r.selfSeedShares) add(selfSeedShares, s.of, s.share);
          for (const s of r.maskKeyShares) add(maskKeyShares, s.of, s.share);
        }
        let sum: Uint32Array;
        try {
          sum = unmaskSum({ sodium, threshold: t, advertised, graph, survivors: lists!.survivors, dropped: lists!.dropped, maskedSum, selfSeedShares, maskKeyShares, ...(o.applyMasks && { applyMasks: o.applyMasks }) });
        } catch (err) {
          if (isSecAggError(err)) return abort(`unmasking failed: ${err.message}`);
          throw err;
        }
        stage = 'done';
        outcome = { status: 'completed', sum, contributors: lists!.survivors, bytesIn, bytesOut };
        // Nobody is told yet: the coordinator announces the result once the new model version is durable.
        return [];
      }
      default:
        return [];
    }
  };

  const maybeAdvance = (): Outgoing[] => {
    const done = answered();
    for (const d of expected()) if (!gone.has(d) && !done.has(d)) return [];
    return advance();
  };

  const check = (deviceId: string, message: RoundMessage): void => {
    if (!cohort.has(deviceId)) throw new ProtocolError('round.not_member', 'this device is not in the round\'s cohort');
    if (message.type === 'masked') {
      if (message.header.sessionId !== binding.sessionId || message.header.round !== binding.round) throw new ProtocolError('round.unknown', `no open round ${message.header.round} in session ${message.header.sessionId}`);
    } else if (message.sessionId !== binding.sessionId || message.round !== binding.round) {
      throw new ProtocolError('round.unknown', `no open round ${message.round} in session ${message.sessionId}`);
    }
    if (stage === 'done') throw new ProtocolError('stage.late', 'the round has ended');
    const target = STAGE_OF[message.type];
    if (target === undefined) return;
    const at = ORDER.indexOf(stage);
    const want = ORDER.indexOf(target);
    if (want < at) throw new ProtocolError(answered().has(deviceId) || wasAnswered(deviceId, target) ? 'stage.duplicate' : 'stage.late', `'${message.type}' belongs to stage ${target}, which has closed (now ${stage})`);
    if (want > at) throw new ProtocolError('stage.out_of_order', `'${message.type}' belongs to stage ${target}; the round is in stage ${stage}`);
    if (!expected().has(deviceId) || gone.has(deviceId)) throw new ProtocolError('round.not_member', `this device did not complete the earlier stages, so it has no part in stage ${stage}`);
    if (answered().has(deviceId)) throw new ProtocolError('stage.duplicate', `this device already sent its '${message.type}'`);
  };
  const wasAnswered = (deviceId: string, s: SecureStage): boolean =>
    (s === 'advertise' && advertised.has(deviceId)) || (s === 'shares' && bundles.has(deviceId)) || (s === 'masked' && survivors.has(deviceId)) || (s === 'confirm' && confirmations.has(deviceId));

  const accept = (deviceId: string, message: RoundMessage): void => {
    switch (message.type) {
      case 'advertise': {
        const ad = { deviceId, encKey: message.encKey, maskKey: message.maskKey, seedCommitment: message.seedCommitment, signature: message.signature };
        const id = sodium.from_base64(deviceId, sodium.base64_variants.URLSAFE_NO_PADDING);
        if (!verify(sodium, id, advertisementPayload(binding, ad), message.signature)) throw new ProtocolError('auth.bad_signature', 'the advertisement signature does not verify for this device, session and model');
        const enc = b64(sodium, ad.encKey);
        const mask = b64(sodium, ad.maskKey);
        if (usedKeys.has(enc) || usedKeys.has(mask)) throw new ProtocolError('message.invalid', 'a key of this advertisement is already used by another device');
        if (enc === mask) throw new ProtocolError('message.invalid', 'the two advertised keys must differ');
        usedKeys.add(enc).add(mask);
        advertised.set(deviceId, ad);
        return;
      }
      case 'shares': {
        const neighbours = graph.get(deviceId) ?? [];
        const to = message.shares.map((s) => s.to);
        const expectedTo = new Set(neighbours);
        if (to.length !== expectedTo.size || new Set(to).size !== to.length || to.some((x) => !expectedTo.has(x))) {
          throw new ProtocolError('share.not_neighbour', `expected exactly one share bundle for each of the ${expectedTo.size} neighbours`);
        }
        bundles.set(deviceId, message.shares);
        return;
      }
      case 'masked': {
        if (message.vector.length !== config.vectorLength) throw new ProtocolError('vector.bad_length', `masked vector has ${message.vector.length} words, the round expects ${config.vectorLength}`);
        const v = message.vector;
        for (let n = 0; n < v.length; n++) maskedSum[n] = (maskedSum[n]! + v[n]!) >>> 0;
        survivors.add(deviceId);
        return;
      }
      case 'confirm': {
        const id = sodium.from_base64(deviceId, sodium.base64_variants.URLSAFE_NO_PADDING);
        if (!verify(sodium, id, confirmationPayload(binding, lists!.survivors, lists!.dropped), message.signature)) throw new ProtocolError('auth.bad_signature', 'the confirmation does not verify over this round\'s lists');
        confirmations.set(deviceId, message.signature);
        return;
      }
      case 'unmask': {
        const surv = new Set(lists!.survivors);
        const drop = new Set(lists!.dropped);
        const owners = new Set<string>();
        for (const s of message.selfSeedShares) {
          if (!surv.has(s.of)) throw new ProtocolError('message.invalid', `a self-seed share for ${s.of}, which is not a survivor`);
          if (owners.has(s.of)) throw new ProtocolError('message.invalid', `two shares for ${s.of}`);
          owners.add(s.of);
        }
        for (const s of message.maskKeyShares) {
          if (!drop.has(s.of)) throw new ProtocolError('message.invalid', `a mask-key share for ${s.of}, which did not drop`);
          if (owners.has(s.of)) throw new ProtocolError('message.invalid', `two shares for ${s.of}`);
          owners.add(s.of);
        }
        for (const s of [...message.selfSeedShares, ...message.maskKeyShares]) {
          try {
            decodeShare(s.share, 32);
          } catch (err) {
            throw new ProtocolError('share.bad_length', `share for ${s.of}: ${(err as Error).message}`);
          }
        }
        revealed.set(deviceId, { selfSeedShares: message.selfSeedShares, maskKeyShares: message.maskKeyShares });
        return;
      }
      case 'leave':
        gone.add(deviceId);
        return;
    }
  };

  return {
    get stage() {
      return stage;
    },
    get outcome() {
      return outcome;
    },
    start() {
      const message: ServerWireMessage = { type: 'invite', ...ref, shard: o.shard, modelVersion: o.modelVersion, modelHash: b64(sodium, binding.modelHash), config, cohort: sortedCohort };
      return [...cohort].map((d) => send(d, message));
    },
    receive(deviceId, message, bytes) {
      check(deviceId, message);
      accept(deviceId, message);
      bytesIn += bytes;
      return maybeAdvance();
    },
    expire() {
      return stage === 'done' ? [] : advance();
    },
    drop(deviceId) {
      if (!cohort.has(deviceId) || stage === 'done') return [];
      gone.add(deviceId);
      return maybeAdvance();
    },
    abort(reason) {
      return stage === 'done' ? [] : abort(reason);
    },
    announce(result) {
      if (outcome?.status !== 'completed' || announced) throw new Error('announce() is for a completed round, once');
      announced = true;
      const message: ServerWireMessage = result.status === 'completed' ? { type: 'result', ...ref, status: 'completed', modelVersion: result.modelVersion } : { type: 'result', ...ref, status: 'aborted', reason: result.reason };
      return [...cohort].filter((d) => !gone.has(d)).map((d) => send(d, message));
    },
  };
}
