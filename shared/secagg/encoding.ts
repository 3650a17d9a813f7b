// Canonical, unambiguous byte encoding of small tuples: key-derivation contexts, associated data, signed payloads.
import { SecAggError } from './errors';

/** One field of a tuple: text (UTF-8), a non-negative safe integer, or raw bytes. */
export type TuplePart = string | number | Uint8Array;

const TAG_TEXT = 1;
const TAG_UINT = 2;
const TAG_BYTES = 3;
const HEADER_BYTES = 5; // 1-byte type tag + 4-byte big-endian length
const UINT_BYTES = 8;

const utf8 = new TextEncoder();

/**
 * Encode a tuple so that distinct tuples never give the same bytes: each part carries a type tag
 * and its length, so ('ab', 'c') and ('a', 'bc'), or 7 and '7', cannot collide.
 */
export function encodeTuple(parts: readonly TuplePart[]): Uint8Array {
  const encoded = parts.map((part, index) => encodePart(part, index));
  const total = encoded.reduce((sum, e) => sum + HEADER_BYTES + e.body.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const { tag, body } of encoded) {
    out[at] = tag;
    view.setUint32(at + 1, body.length, false);
    out.set(body, at + HEADER_BYTES);
    at += HEADER_BYTES + body.length;
  }
  return out;
}

function encodePart(part: TuplePart, index: number): { tag: number; body: Uint8Array } {
  if (typeof part === 'string') return { tag: TAG_TEXT, body: utf8.encode(part) };
  if (part instanceof Uint8Array) return { tag: TAG_BYTES, body: part };
  if (!Number.isSafeInteger(part) || part < 0) {
    throw new SecAggError('encoding.bad_part', `tuple part ${index} must be a non-negative safe integer, got ${part}`);
  }
  const body = new Uint8Array(UINT_BYTES);
  new DataView(body.buffer).setBigUint64(0, BigInt(part), false);
  return { tag: TAG_UINT, body };
}
