// Every WebSocket message of the round protocol, defined once with runtime validation; server and device both parse with these.
//
// Text frames carry JSON; byte fields are unpadded base64url of an exact length. The masked vector, the one
// large message, travels in a binary frame (see binary-frame.ts) so the upload stays within a few bytes of
// the plain 32-bit vector. Schemas are strict: unknown fields (including "__proto__") are refused.
import { z } from 'zod';
import { bytesBetween, bytesOfLength } from './encoding';

export const PROTOCOL_VERSION = 2;
/** Largest cohort a round may have (bounds every list in a message). */
export const MAX_COHORT = 10_000;
/** Shards are numbered 0..MAX_SHARD_INDEX (models/served-file.ts bundles at most 256). */
export const MAX_SHARD_INDEX = 255;
/** Largest ciphertext of one share bundle (two Shamir shares + ids, sealed): generous upper bound. */
export const MAX_SHARE_CIPHERTEXT_BYTES = 1024;

/** A device is named by its Ed25519 identity public key (32 bytes, base64url). */
// 43 characters carry 258 bits: the last one's two spare bits must be zero, so each key has exactly one id.
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'must be a device id (43 canonical base64url characters: an Ed25519 public key)');
const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be a session id (16 bytes base64url)');
const roundSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const key32 = bytesOfLength(32);
const signature = bytesOfLength(64);
const shareCiphertext = bytesBetween(1, MAX_SHARE_CIPHERTEXT_BYTES);
const deviceList = z.array(deviceIdSchema).max(MAX_COHORT);

const roundRef = { sessionId: sessionIdSchema, round: roundSchema };
/** A share revealed in stage unmask: the share, the digest of the other share of its bundle, and the dealer's signature over both. */
const revealedShare = z.strictObject({ of: deviceIdSchema, share: shareCiphertext, other: key32, signature });

/** What a round's sum is for. */
export const purposeSchema = z.enum(['training', 'evaluation']);
export type RoundPurpose = z.infer<typeof purposeSchema>;

/** Secure-aggregation settings of a round, announced in the invitation and bound into signatures via the session. */
export const roundConfigSchema = z.strictObject({
  threshold: z.number().int().min(2).max(MAX_COHORT),
  graph: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('complete') }),
    z.strictObject({ kind: z.literal('sparse'), degree: z.number().int().min(2).max(MAX_COHORT) }),
  ]),
  vectorLength: z.number().int().min(1).max(50_000_000),
  clipNorm: z.number().positive().finite(),
  scale: z.number().int().min(1).max(2 ** 31 - 1),
  /** γ: the fraction of the cohort the threshold and the consistency quorum assume a lying server controls. */
  corruptFraction: z.number().min(0).max(0.5),
  localEpochs: z.number().int().min(1).max(100),
  localLearningRate: z.number().positive().finite(),
  /** Distributed DP: per-device integer noise standard deviation in the fixed-point domain (0 = none). */
  deviceNoiseStd: z.number().nonnegative().finite(),
  /** Index of the coordinate a device sets to 1 when its update was clipped (the sum counts clipped updates); −1 = none. */
  clipFlagIndex: z.number().int().min(-1).max(50_000_000),
  /** Milliseconds each stage stays open. */
  stageTimeoutMs: z.number().int().min(10).max(3_600_000),
});
export type RoundConfig = z.infer<typeof roundConfigSchema>;

// ---- device → server -------------------------------------------------------------------------------

export const clientMessageSchema = z.discriminatedUnion('type', [
  /** Answer to the connection's challenge: proves possession of the identity key (and registers it when asked; `token`: a single-use enrollment token, for servers that require one). */
  z.strictObject({ type: z.literal('auth'), v: z.literal(PROTOCOL_VERSION), deviceId: deviceIdSchema, register: z.boolean(), signature, token: z.string().min(1).max(128).optional() }),
  /** What the device's owner allows; the server samples only devices that allow training. */
  z.strictObject({ type: z.literal('consent'), training: z.boolean() }),
  /**
   * Stage advertise: two X25519 public keys, a commitment to the self-mask seed and one to the device's graph
   * randomness, signed with the identity key over the session, the model and the round's settings.
   */
  z.strictObject({ type: z.literal('advertise'), ...roundRef, encKey: key32, maskKey: key32, seedCommitment: key32, graphCommitment: key32, signature }),
  /** Stage reveal: the graph randomness committed to, once the key list is final. */
  z.strictObject({ type: z.literal('reveal'), ...roundRef, secret: key32 }),
  /** Stage shares: one sealed share bundle per neighbour. */
  z.strictObject({ type: z.literal('shares'), ...roundRef, shares: z.array(z.strictObject({ to: deviceIdSchema, ciphertext: shareCiphertext })).max(MAX_COHORT) }),
  /** Stage check: the dealers whose bundles did not open, decode or verify (this device will not mask with them). */
  z.strictObject({ type: z.literal('check'), ...roundRef, complaints: deviceList }),
  /** Stage confirm: signature over the survivor set, the session, the model, the settings and the graph (consistency check). */
  z.strictObject({ type: z.literal('confirm'), ...roundRef, signature }),
  /** Stage unmask: self-seed shares of survivors and mask-key shares of dropped devices, never both for one device, each attributable to its dealer. */
  z.strictObject({
    type: z.literal('unmask'),
    ...roundRef,
    selfSeedShares: z.array(revealedShare).max(MAX_COHORT),
    maskKeyShares: z.array(revealedShare).max(MAX_COHORT),
  }),
  /** Leave the current round cleanly. */
  z.strictObject({ type: z.literal('leave'), ...roundRef }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
/** A device message as sent on the wire (byte fields as base64url text). */
export type ClientWireMessage = z.input<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];

/** Header of the binary frame that carries stage 2's masked vector. */
export const maskedHeaderSchema = z.strictObject({ type: z.literal('masked'), ...roundRef, length: z.number().int().min(1).max(50_000_000) });
export type MaskedHeader = z.infer<typeof maskedHeaderSchema>;

// ---- server → device -------------------------------------------------------------------------------

const keyEntry = z.strictObject({ deviceId: deviceIdSchema, encKey: key32, maskKey: key32, seedCommitment: key32, graphCommitment: key32, signature });

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('challenge'), v: z.literal(PROTOCOL_VERSION), nonce: key32, serverKey: key32 }),
  z.strictObject({ type: z.literal('welcome'), deviceId: deviceIdSchema, registered: z.boolean() }),
  z.strictObject({ type: z.literal('refused'), code: z.string().max(64), message: z.string().max(2000), path: z.array(z.union([z.string(), z.number()])).max(32).optional() }),
  /**
   * A round opens for this device: the shard it trains, whose training model (GET /v1/shards/:shard/model) must
   * hash to modelHash (bound into signatures); modelVersion is the served version at the invitation.
   */
  z.strictObject({
    type: z.literal('invite'),
    ...roundRef,
    shard: z.number().int().min(0).max(MAX_SHARD_INDEX),
    modelVersion: z.number().int().min(0),
    modelHash: key32,
    /** What the sum is for: a device contributes at most once per (model hash, purpose). */
    purpose: purposeSchema,
    config: roundConfigSchema,
    cohort: deviceList,
  }),
  /** Opens stage reveal: the advertised keys and commitments of the cohort (final: the server may add no one). */
  z.strictObject({ type: z.literal('keys'), ...roundRef, devices: z.array(keyEntry).max(MAX_COHORT) }),
  /** Opens stage shares: every reveal of graph randomness; the neighbour graph is derived from them, not chosen by the server. */
  z.strictObject({ type: z.literal('seed'), ...roundRef, reveals: z.array(z.strictObject({ deviceId: deviceIdSchema, secret: key32 })).max(MAX_COHORT) }),
  /** Opens stage check: the share bundles other devices sealed for this one. */
  z.strictObject({ type: z.literal('deliver'), ...roundRef, shares: z.array(z.strictObject({ from: deviceIdSchema, ciphertext: shareCiphertext })).max(MAX_COHORT) }),
  /** Opens stage masked: the neighbours that complained about this device's bundle (neither side masks with the other). */
  z.strictObject({ type: z.literal('masking'), ...roundRef, unpaired: deviceList }),
  /** Opens stage confirm: who sent a masked vector (survivors) and who did not (dropped), to be signed. */
  z.strictObject({ type: z.literal('survivors'), ...roundRef, survivors: deviceList, dropped: deviceList }),
  /** Stage 4: the same lists with at least t survivors' signatures over them. */
  z.strictObject({
    type: z.literal('unmask-request'),
    ...roundRef,
    survivors: deviceList,
    dropped: deviceList,
    confirmations: z.array(z.strictObject({ deviceId: deviceIdSchema, signature })).max(MAX_COHORT),
  }),
  z.strictObject({ type: z.literal('result'), ...roundRef, status: z.enum(['completed', 'aborted']), reason: z.string().max(500).optional(), modelVersion: z.number().int().min(0).optional() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
/** A server message as sent on the wire (byte fields as base64url text). */
export type ServerWireMessage = z.input<typeof serverMessageSchema>;
export type ServerMessageType = ServerMessage['type'];
