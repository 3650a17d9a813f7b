// Checking a device's answer to its connection's challenge (the signed bytes are shared/protocol/auth.ts).
import { authPayload } from '../../shared/protocol/auth';
import { verify } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import { devicePublicKey } from '../device-id';

/** True when `signature` is the device's signature of this connection's challenge. */
export function verifyAuth(sodium: Sodium, serverKey: Uint8Array, nonce: Uint8Array, deviceId: string, signature: Uint8Array): boolean {
  const key = devicePublicKey(deviceId);
  return key !== undefined && verify(sodium, key, authPayload(serverKey, nonce, deviceId), signature);
}
