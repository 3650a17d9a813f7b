// The plaintext a device seals for one neighbour: who from, who to, its two Shamir shares, and its signature over
// both (transcript.ts, sharePayload), so that a share the holder later reveals is attributable.
import { decodeShare, encodeShare, encodedShareBytes, type Share } from './shamir';
import { SecAggError } from './errors';

const ID_CHARS = 43;
const SECRET_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** Shares of the sender's self-mask seed and of its mask private key, both held by the recipient, signed together. */
export interface ShareBundle {
  from: string;
  to: string;
  selfSeedShare: Share;
  maskKeyShare: Share;
  signature: Uint8Array;
}

/** Fixed layout: from (43 ASCII) ‖ to (43 ASCII) ‖ self-seed share ‖ mask-key share ‖ the dealer's signature. */
export function encodeBundle(b: ShareBundle): Uint8Array {
  if (b.from.length !== ID_CHARS || b.to.length !== ID_CHARS) throw new RangeError('device ids must be 43 characters');
  if (b.signature.length !== SIGNATURE_BYTES) throw new RangeError('the bundle signature must be 64 bytes');
  const s1 = encodeShare(b.selfSeedShare);
  const s2 = encodeShare(b.maskKeyShare);
  const out = new Uint8Array(2 * ID_CHARS + s1.length + s2.length + SIGNATURE_BYTES);
  out.set(new TextEncoder().encode(b.from), 0);
  out.set(new TextEncoder().encode(b.to), ID_CHARS);
  let o = 2 * ID_CHARS;
  for (const part of [s1, s2, b.signature]) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** Decode a bundle; a wrong length or a bad share is 'share.bad_length'. */
export function decodeBundle(bytes: Uint8Array): ShareBundle {
  const shareBytes = encodedShareBytes(SECRET_BYTES);
  if (bytes.length !== bundleBytes()) throw new SecAggError('share.bad_length', `share bundle has ${bytes.length} bytes, expected ${bundleBytes()}`);
  const text = new TextDecoder();
  const at = 2 * ID_CHARS;
  return {
    from: text.decode(bytes.subarray(0, ID_CHARS)),
    to: text.decode(bytes.subarray(ID_CHARS, at)),
    selfSeedShare: decodeShare(bytes.subarray(at, at + shareBytes), SECRET_BYTES),
    maskKeyShare: decodeShare(bytes.subarray(at + shareBytes, at + 2 * shareBytes), SECRET_BYTES),
    signature: bytes.slice(at + 2 * shareBytes),
  };
}

/** Plaintext size of one bundle (for limits and cost accounting). */
export function bundleBytes(): number {
  return 2 * ID_CHARS + 2 * encodedShareBytes(SECRET_BYTES) + SIGNATURE_BYTES;
}
