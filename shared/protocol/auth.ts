// What a device signs to authenticate a connection: the server's key, the connection's nonce and the device id.
import { encodeTuple } from '../secagg/encoding';

/** Domain label of connection authentication. */
export const AUTH_CONTEXT = 'confidant/auth/v1';
export const NONCE_BYTES = 32;

/** Binding the server key ties a signature to one server; the single-use nonce ties it to one connection. */
export function authPayload(serverKey: Uint8Array, nonce: Uint8Array, deviceId: string): Uint8Array {
  return encodeTuple([AUTH_CONTEXT, serverKey, nonce, deviceId]);
}
