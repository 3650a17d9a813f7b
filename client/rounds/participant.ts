// A device's participant in federated rounds: turns server messages into replies, runs the secure-aggregation
// steps, and aborts (sending only `leave`) the moment a list or key from the server is inconsistent.
// No I/O of its own: the connection (WebSocket) or a simulation feeds it messages, so it runs unchanged
// in Node, in the browser and in the bench.
import type { Sodium } from '../../shared/secagg/sodium';
import type { SigningKeyPair } from '../../shared/secagg/sign';
import { sodiumRandomBytes, sodiumUniform01 } from '../../shared/secagg/random';
import { checkNoWrap, clipToNorm, encode } from '../../shared/secagg/fixed-point';
import { DeviceAbort } from '../../shared/secagg/abort';
import { advertise, checkDelivery, confirm, maskedInput, reveal, revealGraph, shareKeys, type DeviceRoundContext, type DeviceRoundState } from '../../shared/secagg/device-round';
import { safeThreshold } from '../../shared/secagg/round-settings';
import { settingsDigest } from '../../shared/secagg/transcript';
import type { SpentModels } from './spent-models';
import { encodeMaskedFrame } from '../../shared/protocol/binary-frame';
import type { ClientWireMessage, RoundConfig, RoundPurpose, ServerMessage } from '../../shared/protocol/messages';
import { isSecAggError } from '../../shared/secagg/errors';
import { createDiscreteGaussianSampler } from '../../shared/dp/discrete-gaussian';

/** What a device keeps about each round it joined: sizes and settings, never the update itself. */
export interface SentLogEntry {
  sessionId: string;
  round: number;
  modelVersion: number;
  startedAt: number;
  bytesSent: Record<string, number>;
  clipNorm: number;
  /** Whether the update's L2 norm exceeded clipNorm (it was scaled down). */
  clipped: boolean;
  /** Coordinates clamped to ±clipNorm by the fixed-point codec (0 after L2 clipping, kept as a check). */
  clampedCoordinates: number;
  scale: number;
  deviceNoiseStd: number;
  outcome?: { status: 'completed' | 'aborted'; reason?: string; modelVersion?: number };
}

/** An invitation as the participant hands it to the update computation. */
export interface Invitation {
  sessionId: string;
  round: number;
  /** The shard whose training model the round trains. */
  shard: number;
  modelVersion: number;
  modelHash: Uint8Array;
  purpose: RoundPurpose;
  config: RoundConfig;
}

/** The weakest round settings a device accepts; it refuses a round below any of them before doing any work. */
export interface DeviceFloors {
  /** γ_min: the device requires a threshold and quorum safe against at least this corrupt fraction. */
  corruptFraction: number;
  /** Fewest devices in a cohort: a sum over a handful says too much about each. */
  minCohort: number;
  /** Smallest fixed-point scale (coarser rounding would swamp the update). */
  minScale: number;
  /** Largest clipping norm (a larger one lets one device weigh more against the same noise). */
  maxClipNorm: number;
  /**
   * Smallest per-coordinate noise σ (fixed-point units) in a round that asks for distributed DP; with
   * minNoiseMultiplier it bounds the noise against this device's own sensitivity (clipNorm · scale).
   */
  minDeviceNoiseStd: number;
  minNoiseMultiplier: number;
}

/** Floors outside tests: γ = 0.1 as the server's default, cohorts of at least 10, no cap on clipping or noise. */
export const DEFAULT_FLOORS: DeviceFloors = { corruptFraction: 0.1, minCohort: 10, minScale: 1, maxClipNorm: Infinity, minDeviceNoiseStd: 0, minNoiseMultiplier: 0 };

/** Refuse an invitation whose settings are weaker than the floors (DeviceAbort 'abort.below_floor'). */
export function checkFloors(config: RoundConfig, cohort: number, floors: DeviceFloors): void {
  const below = (what: string, code: 'abort.below_floor' | 'abort.noise_too_low' = 'abort.below_floor') => {
    throw new DeviceAbort(code, what);
  };
  if (config.corruptFraction < floors.corruptFraction) below(`the round assumes a corrupt fraction of ${config.corruptFraction}, below this device's floor ${floors.corruptFraction}`);
  if (cohort < floors.minCohort) below(`a cohort of ${cohort}, below this device's floor of ${floors.minCohort}`);
  const params = config.graph.kind === 'complete' ? ({ kind: 'complete', n: cohort } as const) : ({ kind: 'sparse', n: cohort, degree: config.graph.degree } as const);
  const needed = safeThreshold(params, floors.corruptFraction);
  if (config.threshold < needed) below(`threshold ${config.threshold}, below the ${needed} that γ = ${floors.corruptFraction} requires for this graph`);
  if (config.scale < floors.minScale) below(`fixed-point scale ${config.scale}, below this device's floor ${floors.minScale}`);
  if (config.clipNorm > floors.maxClipNorm) below(`clipping norm ${config.clipNorm}, above this device's ceiling ${floors.maxClipNorm}`);
  if (config.deviceNoiseStd < floors.minDeviceNoiseStd) below(`the round asks for noise σ ${config.deviceNoiseStd}, below this device's minimum ${floors.minDeviceNoiseStd}`, 'abort.noise_too_low');
  const multiplier = config.deviceNoiseStd / (config.clipNorm * config.scale);
  if (multiplier < floors.minNoiseMultiplier) below(`noise multiplier ${multiplier.toPrecision(3)} (σ over clipNorm · scale), below this device's minimum ${floors.minNoiseMultiplier}`, 'abort.noise_too_low');
}

/** A reply to send: a JSON message or the binary masked-vector frame. */
export type Outbound = { kind: 'json'; message: ClientWireMessage } | { kind: 'binary'; bytes: Uint8Array };

/** Options of a participant. */
export interface ParticipantOptions {
  sodium: Sodium;
  identity: SigningKeyPair;
  /** The device's update for this invitation (the flattened local update); it must check the model hash. */
  computeUpdate(invitation: Invitation): Promise<Float32Array>;
  /** Replaces clipping and fixed-point encoding with a ready input (tests of the protocol's exact sums). */
  computeFixedPointInput?(invitation: Invitation): Promise<Uint32Array>;
  /** Called with each log entry when it changes (persist it: the "what my device sent" page reads it). */
  onLog?(entry: SentLogEntry): void;
  randomBytes?: (n: number) => Uint8Array;
  uniform01?: () => number;
  /** The weakest settings this device accepts (default DEFAULT_FLOORS; tests of tiny cohorts lower them). */
  floors?: Partial<DeviceFloors>;
  /** The durable record of (model, purpose) pairs this device contributed to (spent-models.ts). */
  spent: SpentModels;
}

/** The participant: feed it server messages, send what it returns. */
export interface Participant {
  readonly deviceId: string;
  handle(message: ServerMessage): Promise<Outbound[]>;
  /** The last round's abort, if it aborted on this device's own checks. */
  readonly lastAbort: DeviceAbort | undefined;
}

interface Active {
  ctx: DeviceRoundContext;
  state: DeviceRoundState;
  input: Uint32Array;
  purpose: RoundPurpose;
  log: SentLogEntry;
}

/** Create a participant for one device identity. */
export function createParticipant(o: ParticipantOptions): Participant {
  const { sodium } = o;
  const deviceId = sodium.to_base64(o.identity.publicKey, sodium.base64_variants.URLSAFE_NO_PADDING);
  const randomBytes = o.randomBytes ?? sodiumRandomBytes(sodium);
  const uniform01 = o.uniform01 ?? sodiumUniform01(sodium);
  const floors: DeviceFloors = { ...DEFAULT_FLOORS, ...o.floors };
  let active: Active | undefined;
  let lastAbort: DeviceAbort | undefined;
  const b64 = (bytes: Uint8Array) => sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);

  const json = (message: ClientWireMessage): Outbound => {
    if (active) {
      const size = JSON.stringify(message).length;
      active.log.bytesSent[message.type] = (active.log.bytesSent[message.type] ?? 0) + size;
    }
    return { kind: 'json', message };
  };
  const finish = (outcome: SentLogEntry['outcome']) => {
    if (!active) return;
    active.log.outcome = outcome;
    o.onLog?.(active.log);
    active = undefined;
  };
  const ofRound = (m: { sessionId: string; round: number }) => active && m.sessionId === active.ctx.binding.sessionId && m.round === active.ctx.binding.round;

  const step = async (message: ServerMessage): Promise<Outbound[]> => {
    switch (message.type) {
      case 'invite': {
        if (active) finish({ status: 'aborted', reason: 'a new invitation arrived before the round ended' });
        lastAbort = undefined;
        const invitation: Invitation = { sessionId: message.sessionId, round: message.round, shard: message.shard, modelVersion: message.modelVersion, modelHash: message.modelHash, purpose: message.purpose, config: message.config };
        const { config } = message;
        // Checked before any work: a round weaker than this device accepts is not joined at all.
        checkFloors(config, message.cohort.length, floors);
        // The server chose the scale; a full cohort at ±clipNorm must not wrap mod 2^32, or the sum is garbage.
        checkNoWrap({ clipNorm: config.clipNorm, cohortSize: message.cohort.length, scale: config.scale });
        if (await o.spent.has({ modelHash: message.modelHash, purpose: message.purpose })) {
          throw new DeviceAbort('abort.model_spent', `this device already contributed to this model (${message.purpose}); a second sum over a cohort that differs by one device would reveal an update`);
        }
        let encoded: Uint32Array;
        let clip = { wasClipped: false };
        let clippedCoordinates = 0;
        if (o.computeFixedPointInput) {
          encoded = await o.computeFixedPointInput(invitation);
        } else {
          const update = await o.computeUpdate(invitation);
          if (update.length !== config.vectorLength) throw new DeviceAbort('abort.session_mismatch', `update has ${update.length} values, the round expects ${config.vectorLength}`);
          // The clipped flag is counted through the secure sum (the server learns how many updates were
          // clipped, not whose); the rest is clipped to √(C² − 1) so the vector with the flag stays within C.
          const flag = config.clipFlagIndex >= 0 && config.clipFlagIndex < update.length && config.clipNorm > 1 ? config.clipFlagIndex : -1;
          if (flag >= 0) update[flag] = 0;
          const clipped = clipToNorm(update, flag >= 0 ? Math.sqrt(config.clipNorm ** 2 - 1) : config.clipNorm);
          if (flag >= 0) clipped.clipped[flag] = clipped.wasClipped ? 1 : 0;
          clip = clipped;
          ({ encoded, clippedCoordinates } = encode(clipped.clipped, { scale: config.scale, clipNorm: config.clipNorm }, uniform01));
        }
        if (encoded.length !== config.vectorLength) throw new DeviceAbort('abort.session_mismatch', `input has ${encoded.length} values, the round expects ${config.vectorLength}`);
        if (config.deviceNoiseStd > 0) addDeviceNoise(encoded, config.deviceNoiseStd, randomBytes);
        const binding = { sessionId: message.sessionId, round: message.round, modelHash: message.modelHash };
        const ctx: DeviceRoundContext = {
          sodium,
          deviceId,
          identity: o.identity,
          binding,
          // Signed into every advertisement and confirmation: a server showing devices different settings is caught.
          settings: settingsDigest(sodium, binding, { shard: message.shard, modelVersion: message.modelVersion, purpose: message.purpose, config, cohort: message.cohort }),
          config: { threshold: config.threshold, graph: config.graph, corruptFraction: config.corruptFraction },
          cohort: message.cohort,
          randomBytes,
        };
        const { state, message: ad } = advertise(ctx);
        active = {
          ctx,
          state,
          input: encoded,
          purpose: message.purpose,
          log: {
            sessionId: message.sessionId,
            round: message.round,
            modelVersion: message.modelVersion,
            startedAt: Date.now(),
            bytesSent: {},
            clipNorm: config.clipNorm,
            clipped: clip.wasClipped,
            clampedCoordinates: clippedCoordinates,
            scale: config.scale,
            deviceNoiseStd: config.deviceNoiseStd,
          },
        };
        const ref = { sessionId: message.sessionId, round: message.round };
        return [json({ type: 'advertise', ...ref, encKey: b64(ad.encKey), maskKey: b64(ad.maskKey), seedCommitment: b64(ad.seedCommitment), graphCommitment: b64(ad.graphCommitment), signature: b64(ad.signature) })];
      }
      case 'keys': {
        if (!ofRound(message)) return [];
        const secret = revealGraph(active!.ctx, active!.state, message.devices);
        return [json({ type: 'reveal', sessionId: message.sessionId, round: message.round, secret: b64(secret) })];
      }
      case 'seed': {
        if (!ofRound(message)) return [];
        const shares = shareKeys(active!.ctx, active!.state, message.reveals);
        return [json({ type: 'shares', sessionId: message.sessionId, round: message.round, shares: shares.map((x) => ({ to: x.to, ciphertext: b64(x.ciphertext) })) })];
      }
      case 'deliver': {
        if (!ofRound(message)) return [];
        const complaints = checkDelivery(active!.ctx, active!.state, message.shares);
        return [json({ type: 'check', sessionId: message.sessionId, round: message.round, complaints })];
      }
      case 'masking': {
        if (!ofRound(message)) return [];
        const a = active!;
        const y = maskedInput(a.ctx, a.state, message.unpaired, a.input);
        a.input = new Uint32Array(0); // the unmasked input is no longer needed: drop it
        // Durable before the upload leaves: this model is spent for this purpose, whatever happens to the round.
        await o.spent.record({ modelHash: a.ctx.binding.modelHash, purpose: a.purpose });
        const bytes = encodeMaskedFrame({ type: 'masked', sessionId: message.sessionId, round: message.round, length: y.length }, y);
        a.log.bytesSent.masked = bytes.length;
        return [{ kind: 'binary', bytes }];
      }
      case 'survivors': {
        if (!ofRound(message)) return [];
        const signature = confirm(active!.ctx, active!.state, message.survivors, message.dropped);
        return [json({ type: 'confirm', sessionId: message.sessionId, round: message.round, signature: b64(signature) })];
      }
      case 'unmask-request': {
        if (!ofRound(message)) return [];
        const r = reveal(active!.ctx, active!.state, message.survivors, message.dropped, message.confirmations);
        const wire = (x: { of: string; share: Uint8Array; other: Uint8Array; signature: Uint8Array }) => ({ of: x.of, share: b64(x.share), other: b64(x.other), signature: b64(x.signature) });
        return [json({ type: 'unmask', sessionId: message.sessionId, round: message.round, selfSeedShares: r.selfSeedShares.map(wire), maskKeyShares: r.maskKeyShares.map(wire) })];
      }
      case 'result': {
        if (ofRound(message)) finish({ status: message.status, ...(message.reason !== undefined && { reason: message.reason }), ...(message.modelVersion !== undefined && { modelVersion: message.modelVersion }) });
        return [];
      }
      default:
        return [];
    }
  };

  return {
    deviceId,
    get lastAbort() {
      return lastAbort;
    },
    async handle(message) {
      try {
        return await step(message);
      } catch (err) {
        const abort = err instanceof DeviceAbort ? err : isSecAggError(err) ? new DeviceAbort('abort.unsafe_config', err.message) : undefined;
        if (!abort) throw err;
        lastAbort = abort;
        const ref = active?.ctx.binding ?? ('sessionId' in message ? { sessionId: message.sessionId, round: message.round } : undefined);
        finish({ status: 'aborted', reason: `${abort.code}: ${abort.message}` });
        return ref ? [{ kind: 'json', message: { type: 'leave', sessionId: ref.sessionId, round: ref.round } }] : [];
      }
    },
  };
}

/** Distributed DP: add N_Z(0, σ²) to every coordinate (mod 2^32) from the CSPRNG, before masking (Kairouz, Liu & Steinke 2021). */
export function addDeviceNoise(encoded: Uint32Array, sigma: number, randomBytes: (n: number) => Uint8Array): void {
  const sampler = createDiscreteGaussianSampler({ sigma }, randomBytes);
  const noise = sampler.fill(new Int32Array(encoded.length));
  for (let n = 0; n < encoded.length; n++) encoded[n] = (encoded[n]! + noise[n]!) >>> 0;
}
