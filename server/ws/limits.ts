// The gateway's limits: message sizes computed from the round's shape, plus connection, rate and time caps.
//
// ws refuses (closes with 1009) any message above maxPayload before buffering it, so maxPayload sits
// at the largest legal message, not at ws's 100 MiB default. Two messages can be the largest: the
// binary masked vector (4 bytes per word + header) and, for big cohorts, a JSON list of share
// ciphertexts (one per neighbour). Each kind also gets its own tighter bound, checked per message.
import { toBase64Url } from '../../shared/protocol/encoding';
import { MAX_COHORT, MAX_SHARE_CIPHERTEXT_BYTES } from '../../shared/protocol/messages';

/** Mirrors MAX_HEADER_BYTES in shared/protocol/binary-frame.ts (not exported there). */
export const MASKED_HEADER_MAX_BYTES = 512;
/** u32 header-length prefix of the binary frame. */
const PREFIX_BYTES = 4;
/** Every field of a list message other than the list: type, sessionId, round, keys, brackets. */
const LIST_ENVELOPE_BYTES = 256;

/** Every limit of the gateway. */
export interface GatewayLimits {
  /** Words in a round's masked vector (the update vector's length). */
  vectorLength: number;
  /** Largest cohort a round may have here: bounds the list messages. */
  maxCohort: number;
  /** Open WebSocket connections, authenticated or not. */
  maxConnections: number;
  /** A connection must authenticate within this many ms. */
  handshakeTimeoutMs: number;
  /** Token bucket per connection: messages allowed at once, and refilled per second. */
  rateBurst: number;
  ratePerSecond: number;
  /** Refusals the gateway tolerates on one connection before closing it. */
  maxViolations: number;
  /** Fragments of one message (our clients never fragment; a proxy might, a little). */
  maxFragments: number;
  /** Ping interval; a connection that missed the previous pong is dropped. */
  heartbeatMs: number;
  /** Open connections from one client address (0 = no limit). */
  maxConnectionsPerAddress: number;
  /** New devices one client address may register per hour: a burst of this many, refilled at this rate (0 = no limit). */
  registrationsPerAddressPerHour: number;
  /** Rounds running at once (server/ws/round-budget.ts). */
  maxConcurrentRounds: number;
  /** Bytes one round may buffer: masked vectors and share ciphertexts (server/ws/round-budget.ts). */
  maxRoundBytes: number;
}

/** 2^20 bytes. */
export const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: Omit<GatewayLimits, 'vectorLength'> = {
  maxCohort: 1_000,
  maxConnections: 10_000,
  handshakeTimeoutMs: 10_000,
  rateBurst: 32,
  ratePerSecond: 8,
  maxViolations: 8,
  maxFragments: 64,
  heartbeatMs: 30_000,
  // Off when embedded (tests and benchmarks run fleets from one address), as the HTTP rate limit is; npm start's
  // production defaults for both are in server/config.ts.
  maxConnectionsPerAddress: 0,
  registrationsPerAddressPerHour: 0,
  // Worst case 8 × 256 MiB = 2 GiB of round buffers. 256 MiB holds ~190 masked vectors of the default model
  // (9 742 items × 32 dims ≈ 1.37 MB each), or a complete graph's share ciphertexts for well over 1 000 devices.
  maxConcurrentRounds: 8,
  maxRoundBytes: 256 * MIB,
};

/** Bytes of the largest legal binary masked-vector frame for `vectorLength` words. */
export function maskedFrameBytes(vectorLength: number): number {
  return PREFIX_BYTES + MASKED_HEADER_MAX_BYTES + 4 * vectorLength;
}

/** Bytes of one list entry at its largest, as our clients encode it (compact JSON) with its comma. */
function listEntryBytes(idKey: string, bytesKey: string): number {
  const entry = { [idKey]: 'A'.repeat(43), [bytesKey]: toBase64Url(new Uint8Array(MAX_SHARE_CIPHERTEXT_BYTES)) };
  return JSON.stringify(entry).length + 1;
}

/**
 * Bytes of the largest legal JSON message in a cohort of `maxCohort`: `shares` or `unmask`, with one
 * entry per other member (a device never sends itself a share; unmask's two lists are disjoint).
 */
export function textMessageBytes(maxCohort: number): number {
  const entry = Math.max(listEntryBytes('to', 'ciphertext'), listEntryBytes('of', 'share'));
  return LIST_ENVELOPE_BYTES + Math.max(1, maxCohort - 1) * entry;
}

/** ws's maxPayload: the larger of the two largest legal messages. */
export function maxPayloadBytes(limits: Pick<GatewayLimits, 'vectorLength' | 'maxCohort'>): number {
  return Math.max(maskedFrameBytes(limits.vectorLength), textMessageBytes(limits.maxCohort));
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new RangeError(`limits.${name} must be an integer in ${min}..${max}, got ${value}`);
}

/** Fill defaults and check every limit, naming the one that is wrong. */
export function resolveLimits(given: Partial<GatewayLimits> & Pick<GatewayLimits, 'vectorLength'>): GatewayLimits {
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...given };
  checkInt('vectorLength', limits.vectorLength, 1, 50_000_000);
  checkInt('maxCohort', limits.maxCohort, 2, MAX_COHORT);
  checkInt('maxConnections', limits.maxConnections, 1, 1_000_000);
  checkInt('handshakeTimeoutMs', limits.handshakeTimeoutMs, 1, 600_000);
  checkInt('rateBurst', limits.rateBurst, 1, 100_000);
  if (!(limits.ratePerSecond > 0 && limits.ratePerSecond <= 100_000)) throw new RangeError(`limits.ratePerSecond must be in (0, 100000], got ${limits.ratePerSecond}`);
  checkInt('maxViolations', limits.maxViolations, 0, 10_000);
  checkInt('maxFragments', limits.maxFragments, 1, 16_384);
  checkInt('heartbeatMs', limits.heartbeatMs, 100, 3_600_000);
  checkInt('maxConnectionsPerAddress', limits.maxConnectionsPerAddress, 0, 1_000_000);
  checkInt('registrationsPerAddressPerHour', limits.registrationsPerAddressPerHour, 0, 1_000_000);
  checkInt('maxConcurrentRounds', limits.maxConcurrentRounds, 1, 1024);
  checkInt('maxRoundBytes', limits.maxRoundBytes, 1, 65_536 * MIB);
  // A budget below one masked vector would refuse every round's first upload.
  if (limits.maxRoundBytes < 4 * limits.vectorLength) throw new RangeError(`limits.maxRoundBytes (${limits.maxRoundBytes}) is less than one masked vector of ${limits.vectorLength} words (${4 * limits.vectorLength} bytes): no round could complete`);
  return limits;
}
