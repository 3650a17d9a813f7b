// Device ids: the canonical unpadded base64url of a 32-byte Ed25519 public key, and nothing else.
//
// Canonical matters: 43 characters carry 258 bits, so without a round-trip check four spellings of
// one key would be four "different" devices (one key posing as several cohort members).
import { fromBase64Url, toBase64Url } from '../shared/protocol/encoding';

export const DEVICE_KEY_BYTES = 32;

/** The device's public key, or undefined when the id is not the canonical base64url of 32 bytes. */
export function devicePublicKey(deviceId: string): Uint8Array | undefined {
  if (typeof deviceId !== 'string' || deviceId.length !== 43) return undefined;
  try {
    const key = fromBase64Url(deviceId);
    return key.length === DEVICE_KEY_BYTES && toBase64Url(key) === deviceId ? key : undefined;
  } catch {
    return undefined;
  }
}
