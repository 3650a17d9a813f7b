// Byte fields in JSON messages: unpadded base64url strings with an exact decoded length, checked at parse time.
import { z } from 'zod';

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Decode unpadded base64url; throws on anything else. */
export function fromBase64Url(text: string): Uint8Array {
  if (!B64URL.test(text) || text.length % 4 === 1) throw new RangeError('not unpadded base64url');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let n = 0; n < bin.length; n++) out[n] = bin.charCodeAt(n);
  return out;
}

/** Encode bytes as unpadded base64url. */
export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  const chunk = 0x8000;
  for (let n = 0; n < bytes.length; n += chunk) bin += String.fromCharCode(...bytes.subarray(n, n + chunk));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Length in characters of the base64url form of `bytes` bytes. */
export function base64UrlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** A zod schema for a byte field of exactly `length` bytes (e.g. a 32-byte key), decoded to Uint8Array. */
export function bytesOfLength(length: number) {
  return z
    .string()
    .length(base64UrlLength(length), `must be ${length} bytes (${base64UrlLength(length)} base64url characters)`)
    .transform((text, ctx) => {
      try {
        return fromBase64Url(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be unpadded base64url' });
        return z.NEVER;
      }
    });
}

/** A zod schema for a byte field of between `min` and `max` bytes. */
export function bytesBetween(min: number, max: number) {
  return z
    .string()
    .min(base64UrlLength(min))
    .max(base64UrlLength(max), `must be at most ${max} bytes`)
    .transform((text, ctx) => {
      try {
        const bytes = fromBase64Url(text);
        if (bytes.length < min) throw new RangeError('too short');
        return bytes;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be ${min}..${max} bytes of unpadded base64url` });
        return z.NEVER;
      }
    });
}
