// A device's participant in federated rounds: turns server messages into replies, runs the secure-aggregation
// steps, and aborts (sending only `leave`) the moment a list or key from the server is inconsistent.
// No I/O of its own: the connection (WebSocket) or a simulation feeds it messages, so it runs unchanged
// in Node, in the browser and in the bench.
import type { Sodium } from '../../shared/secagg/sodium';
import type { SigningKeyPair } from '../../shared/secagg/sign';
import { sodiumRandomBytes, sodiumUniform01 } from '../../shared/secagg/random';
import { checkNoWrap, clipToNorm, encode } from '../../shared/secagg/fixed-point';
import { DeviceAbort } from '../../shared/secagg/abort';
import { advertise, confirm, maskedInput, reveal, shareKeys, type DeviceRoundContext, type DeviceRoundState } from '../../shared/secagg/device-round';
import { encodeMaskedFrame } from '../../shared/protocol/binary-frame';
import type { ClientWireMessage, RoundConfig, ServerMessage } from '../../shared/protocol/messages';
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
  config: RoundConfig;
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
  /**
   * The smallest per-coordinate noise σ (fixed-point units) this device accepts in a round that asks for
   * distributed DP: a server that promises DP but asks for less is refused (default: whatever the round says).
   */
  minDeviceNoiseStd?: number;
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
  log: SentLogEntry;
}

/** Create a participant for one device identity. */
export function createParticipant(o: ParticipantOptions): Participant {
  const { sodium } = o;
  const deviceId = sodium.to_base64(o.identity.publicKey, sodium.base64_variants.URLSAFE_NO_PADDING);
  const randomBytes = o.randomBytes ?? sodiumRandomBytes(sodium);
  const uniform01 = o.uniform01 ?? sodiumUniform01(sodium);
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
        const invitation: Invitation = { sessionId: message.sessionId, round: message.round, shard: message.shard, modelVersion: message.modelVersion, modelHash: message.modelHash, config: message.config };
        const { config } = message;
        // The server chose the scale; a full cohort at ±clipNorm must not wrap mod 2^32, or the sum is garbage.
        checkNoWrap({ clipNorm: config.clipNorm, cohortSize: message.cohort.length, scale: config.scale });
        // Checked before any work: a round promising less noise than this device requires is not joined at all.
        if (config.deviceNoiseStd < (o.minDeviceNoiseStd ?? 0)) throw new DeviceAbort('abort.noise_too_low', `the round asks for noise σ ${config.deviceNoiseStd}, below this device's minimum ${o.minDeviceNoiseStd}`);
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
        const ctx: DeviceRoundContext = {
          sodium,
          deviceId,
          identity: o.identity,
          binding: { sessionId: message.sessionId, round: message.round, modelHash: message.modelHash },
          config: { threshold: config.threshold, graph: config.graph },
          cohort: message.cohort,
          randomBytes,
        };
        const { state, message: ad } = advertise(ctx);
        active = {
          ctx,
          state,
          input: encoded,
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
        return [json({ type: 'advertise', sessionId: message.sessionId, round: message.round, encKey: b64(ad.encKey), maskKey: b64(ad.maskKey), seedCommitment: b64(ad.seedCommitment), signature: b64(ad.signature) })];
      }
      case 'keys': {
        if (!ofRound(message)) return [];
        const shares = shareKeys(active!.ctx, active!.state, message.devices);
        return [json({ type: 'shares', sessionId: message.sessionId, round: message.round, shares: shares.map((s) => ({ to: s.to, ciphertext: b64(s.ciphertext) })) })];
      }
      case 'deliver': {
        if (!ofRound(message)) return [];
        const a = active!;
        const y = maskedInput(a.ctx, a.state, message.shares, a.input);
        a.input = new Uint32Array(0); // the unmasked input is no longer needed: drop it
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
        return [
          json({
            type: 'unmask',
            sessionId: message.sessionId,
            round: message.round,
            selfSeedShares: r.selfSeedShares.map((s) => ({ of: s.of, share: b64(s.share) })),
            maskKeyShares: r.maskKeyShares.map((s) => ({ of: s.of, share: b64(s.share) })),
          }),
        ];
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
