// The plaintext a device seals for one neighbour: who from, who to, and its two Shamir shares.
import { decodeShare, encodeShare, encodedShareBytes, type Share } from './shamir';
import { SecAggError } from './errors';

const ID_CHARS = 43;
const SECRET_BYTES = 32;

/** Shares of the sender's self-mask seed and of its mask private key, both held by the recipient. */
export interface ShareBundle {
  from: string;
  to: string;
  selfSeedShare: Share;
  maskKeyShare: Share;
}

/** Fixed layout: from (43 ASCII) ‖ to (43 ASCII) ‖ self-seed share ‖ mask-key share. */
export function encodeBundle(b: ShareBundle): Uint8Array {
  if (b.from.length !== ID_CHARS || b.to.length !== ID_CHARS) throw new RangeError('device ids must be 43 characters');
  const s1 = encodeShare(b.selfSeedShare);
  const s2 = encodeShare(b.maskKeyShare);
  const out = new Uint8Array(2 * ID_CHARS + s1.length + s2.length);
  out.set(new TextEncoder().encode(b.from), 0);
  out.set(new TextEncoder().encode(b.to), ID_CHARS);
  out.set(s1, 2 * ID_CHARS);
  out.set(s2, 2 * ID_CHARS + s1.length);
  return out;
}

/** Decode a bundle; a wrong length or a bad share is 'share.bad_length'. */
export function decodeBundle(bytes: Uint8Array): ShareBundle {
  const shareBytes = encodedShareBytes(SECRET_BYTES);
  if (bytes.length !== 2 * ID_CHARS + 2 * shareBytes) throw new SecAggError('share.bad_length', `share bundle has ${bytes.length} bytes, expected ${2 * ID_CHARS + 2 * shareBytes}`);
  const text = new TextDecoder();
  return {
    from: text.decode(bytes.subarray(0, ID_CHARS)),
    to: text.decode(bytes.subarray(ID_CHARS, 2 * ID_CHARS)),
    selfSeedShare: decodeShare(bytes.subarray(2 * ID_CHARS, 2 * ID_CHARS + shareBytes), SECRET_BYTES),
    maskKeyShare: decodeShare(bytes.subarray(2 * ID_CHARS + shareBytes), SECRET_BYTES),
  };
}

/** Sealed size of one bundle (for limits and cost accounting). */
export function bundleBytes(): number {
  return 2 * ID_CHARS + 2 * encodedShareBytes(SECRET_BYTES);
}
