// Per-device data at rest: everything the server keeps about a device is sealed (AES-256-GCM) under that device's
// own key, and the row is found through a keyed hash of its public key, never the key itself. Deleting the
// device's key (crypto-shredding) makes every copy of its rows unreadable, including copies the server cannot
// scrub: backups, a database server's dead rows, old WAL segments.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { toBase64Url } from '../../shared/protocol/encoding';

/** What is sealed for a device. */
export interface DeviceSecrets {
  deviceId: string;
  registeredAt: number;
  lastSeen: number;
  consentTraining: boolean;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DEVICE_KEY_BYTES = 32;

/** A fresh random row reference (no relation to the device key). */
export function newDeviceRef(): string {
  return toBase64Url(randomBytes(16));
}

/** A fresh per-device data key. */
export function newDeviceKey(): Uint8Array {
  return new Uint8Array(randomBytes(DEVICE_KEY_BYTES));
}

/** The lookup hash of a device id: HMAC-SHA256 under the server's lookup secret. */
export function deviceLookup(secret: Uint8Array, deviceId: string): Buffer {
  return createHmac('sha256', secret).update('confidant/device-lookup/v1\0').update(deviceId).digest();
}

const aad = (ref: string) => Buffer.from(`confidant/device/v1\0${ref}`);

/** Seal a device's data under its key, bound to its row reference. */
export function sealDevice(key: Uint8Array, ref: string, secrets: DeviceSecrets): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(ref));
  const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Open a sealed row; throws when the key, the reference or the bytes do not match. */
export function openDevice(key: Uint8Array, ref: string, sealed: Uint8Array): DeviceSecrets {
  const bytes = Buffer.from(sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(aad(ref));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  const text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  return JSON.parse(text) as DeviceSecrets;
}
