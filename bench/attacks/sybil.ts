// A Sybil: a device the lying server controls, made of the same pure device steps as an honest device
// (shared/secagg/device-round.ts), whose secrets — its keys, its self seed and every share dealt to it — the adversary
// reads. By default it answers each server message as an honest device would; an attack overrides what it needs.
import { DeviceAbort } from '../../shared/secagg/abort';
import { advertise, checkDelivery, confirm, maskedInput, reveal, revealGraph, shareKeys, type DeviceRoundContext, type DeviceRoundState, type SignedAdvertisement } from '../../shared/secagg/device-round';
import { sodiumRandomBytes } from '../../shared/secagg/random';
import { sign, type SigningKeyPair } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import { advertisementPayload, confirmationPayload, settingsDigest, type Advertisement, type ConfirmedView } from '../../shared/secagg/transcript';
import { encodeMaskedFrame } from '../../shared/protocol/binary-frame';
import { toBase64Url } from '../../shared/protocol/encoding';
import type { ClientWireMessage, ServerMessage } from '../../shared/protocol/messages';
import type { Outbound } from '../../client/rounds/participant';

/** A Sybil's context and state in one round. */
export interface SybilRound {
  ctx: DeviceRoundContext;
  state: DeviceRoundState;
}

/** A device the adversary controls. */
export interface Sybil {
  readonly id: string;
  readonly identity: SigningKeyPair;
  /** The input it masks (the adversary chose it, so it can subtract it from any sum). */
  readonly input: Uint32Array;
  /** Its state in each round it joined, by roundKey. */
  readonly rounds: Map<string, SybilRound>;
}

/** The key of a round in per-round maps. */
export const roundKey = (ref: { sessionId: string; round: number }): string => `${ref.sessionId}/${ref.round}`;

export function createSybil(identity: SigningKeyPair, id: string, input: Uint32Array): Sybil {
  return { id, identity, input, rounds: new Map() };
}

/** A device message as it goes on the wire: byte fields as base64url. */
export const json = (message: Record<string, unknown>): Outbound => ({ kind: 'json', message: JSON.parse(JSON.stringify(message, (_k, v: unknown) => (v instanceof Uint8Array ? toBase64Url(v) : v))) as ClientWireMessage });

/** The advertise message of an advertisement (any keys: a Sybil signs whatever it likes). */
export function advertiseMessage(ref: { sessionId: string; round: number }, ad: SignedAdvertisement): Outbound {
  return json({ type: 'advertise', ...ref, encKey: ad.encKey, maskKey: ad.maskKey, seedCommitment: ad.seedCommitment, graphCommitment: ad.graphCommitment, signature: ad.signature });
}

/** Sign an advertisement as this Sybil, over the settings of its round. */
export function signAdvertisement(sodium: Sodium, sybil: Sybil, r: SybilRound, ad: Advertisement): SignedAdvertisement {
  return { ...ad, signature: sign(sodium, sybil.identity.privateKey, advertisementPayload(r.ctx.binding, r.ctx.settings, ad)) };
}

/** This Sybil's signature over any survivor and dropped lists of its round (a Sybil confirms whatever it is shown). */
export function signLists(sodium: Sodium, sybil: Sybil, r: SybilRound, survivors: readonly string[], dropped: readonly string[]): Uint8Array {
  const view: ConfirmedView = { settings: r.ctx.settings, keyList: r.state.keyList!, seed: r.state.seed!, survivors: [...survivors].sort(), dropped: [...dropped].sort() };
  return sign(sodium, sybil.identity.privateKey, confirmationPayload(r.ctx.binding, view));
}

/**
 * What an honest device would answer, computed with the pure steps on the Sybil's own state (which the adversary
 * keeps). A step that refuses (DeviceAbort) yields no answer: the Sybil simply stays quiet.
 */
export function honestReply(sodium: Sodium, sybil: Sybil, message: ServerMessage): Outbound[] {
  const ref = 'sessionId' in message ? { sessionId: message.sessionId, round: message.round } : undefined;
  if (!ref) return [];
  try {
    if (message.type === 'invite') {
      const binding = { ...ref, modelHash: message.modelHash };
      const { config, cohort } = message;
      const ctx: DeviceRoundContext = {
        sodium,
        deviceId: sybil.id,
        identity: sybil.identity,
        binding,
        settings: settingsDigest(sodium, binding, { shard: message.shard, modelVersion: message.modelVersion, purpose: message.purpose, config, cohort }),
        config: { threshold: config.threshold, graph: config.graph, corruptFraction: config.corruptFraction },
        cohort,
        randomBytes: sodiumRandomBytes(sodium),
      };
      const { state, message: ad } = advertise(ctx);
      sybil.rounds.set(roundKey(ref), { ctx, state });
      return [advertiseMessage(ref, ad)];
    }
    const r = sybil.rounds.get(roundKey(ref));
    if (!r) return [];
    switch (message.type) {
      case 'keys':
        return [json({ type: 'reveal', ...ref, secret: revealGraph(r.ctx, r.state, message.devices) })];
      case 'seed':
        return [json({ type: 'shares', ...ref, shares: shareKeys(r.ctx, r.state, message.reveals) })];
      case 'deliver':
        return [json({ type: 'check', ...ref, complaints: checkDelivery(r.ctx, r.state, message.shares) })];
      case 'masking': {
        const y = maskedInput(r.ctx, r.state, message.unpaired, sybil.input);
        return [{ kind: 'binary', bytes: encodeMaskedFrame({ type: 'masked', ...ref, length: y.length }, y) }];
      }
      case 'survivors':
        return [json({ type: 'confirm', ...ref, signature: confirm(r.ctx, r.state, message.survivors, message.dropped) })];
      case 'unmask-request': {
        const out = reveal(r.ctx, r.state, message.survivors, message.dropped, message.confirmations);
        return [json({ type: 'unmask', ...ref, ...out })];
      }
      default:
        return [];
    }
  } catch (err) {
    if (err instanceof DeviceAbort) return [];
    throw err;
  }
}
