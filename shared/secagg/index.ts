// Public API of the secure-aggregation primitives (pure: libsodium is passed in, no I/O).
export { SecAggError, isSecAggError, SECAGG_ERROR_CODES } from './errors';
export type { SecAggErrorCode } from './errors';
export type { Sodium } from './sodium';
export { encodeTuple } from './encoding';
export type { TuplePart } from './encoding';
export { AGREE_DOMAIN, AGREED_KEY_BYTES, KEY_CONTEXT, X25519_KEY_BYTES, agreeKey, generateKeyPair, scalarMult } from './keys';
export type { KeyPair } from './keys';
export { SIGNATURE_BYTES, SIGN_PRIVATE_KEY_BYTES, SIGN_PUBLIC_KEY_BYTES, generateSigningKeyPair, sign, verify } from './sign';
export type { SigningKeyPair } from './sign';
export { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_OVERHEAD_BYTES, AEAD_TAG_BYTES, AEAD_VERSION, open, seal } from './aead';
export { MAX_MASK_WORDS, SEED_BYTES, expandMask, streamLengthBytes } from './prg';
export { sodiumRandomBytes, sodiumUniform01 } from './random';
export { PRIME } from './field';
export {
  CHUNK_BYTES, MAX_SHARES, SHARE_VERSION,
  chunkCount, checkShares, combine, decodeShare, encodeShare, encodedShareBytes, split,
} from './shamir';
export type { Share, SplitOptions } from './shamir';
export {
  MAX_SCALE, MAX_SUM_MAGNITUDE, MODULUS_BITS,
  addMod, checkNoWrap, clipToNorm, decodeSum, encode, fixedPointScale, maxEncodedMagnitude, subMod,
} from './fixed-point';
export type { FixedPointConfig } from './fixed-point';
export { GRAPH_SEED_BYTES, buildGraph, checkThreshold, minimumThreshold, neighbourhoodSize } from './graph';
export type { GraphParams, GraphSpec } from './graph';
