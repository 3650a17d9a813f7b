// The binary frame of stage 2: [u32 LE header length][JSON header][u32 LE words of the masked vector].
import { ProtocolError } from './errors';
import { parseMaskedHeader } from './parse';
import type { MaskedHeader } from './messages';

const MAX_HEADER_BYTES = 512;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Encode a masked vector with its header. */
export function encodeMaskedFrame(header: MaskedHeader, vector: Uint32Array): Uint8Array {
  if (header.length !== vector.length) throw new RangeError(`header says ${header.length} words, vector has ${vector.length}`);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((4 + json.length) % 4)) % 4; // keep the payload 4-byte aligned
  const out = new Uint8Array(4 + json.length + pad + 4 * vector.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length + pad, true);
  out.set(json, 4);
  out.fill(0x20, 4 + json.length, 4 + json.length + pad);
  const payload = 4 + json.length + pad;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(vector.buffer, vector.byteOffset, 4 * vector.length), payload);
  else for (let n = 0; n < vector.length; n++) view.setUint32(payload + 4 * n, vector[n]!, true);
  return out;
}

/** Decode a binary frame; any inconsistency is a ProtocolError naming it. */
export function decodeMaskedFrame(bytes: Uint8Array): { header: MaskedHeader; vector: Uint32Array } {
  if (bytes.length < 4) throw new ProtocolError('message.malformed', 'binary frame shorter than its length prefix');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(0, true);
  if (headerBytes > MAX_HEADER_BYTES || 4 + headerBytes > bytes.length) throw new ProtocolError('message.malformed', `binary frame header length ${headerBytes} is out of range`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(4, 4 + headerBytes)));
  } catch {
    throw new ProtocolError('message.malformed', 'binary frame header is not valid JSON');
  }
  const header = parseMaskedHeader(raw);
  const payload = bytes.length - 4 - headerBytes;
  if (payload !== 4 * header.length) throw new ProtocolError('vector.bad_length', `masked vector has ${payload} bytes, header says ${header.length} words (${4 * header.length} bytes)`);
  const vector = new Uint32Array(header.length);
  const base = 4 + headerBytes;
  // Words are little-endian on the wire: on a little-endian machine (every one we run on) that is a plain copy.
  if (LITTLE_ENDIAN) new Uint8Array(vector.buffer).set(bytes.subarray(base, base + 4 * header.length));
  else for (let n = 0; n < header.length; n++) vector[n] = view.getUint32(base + 4 * n, true);
  return { header, vector };
}
