// Model files: 8-byte magic, u32 header length, a small JSON header (version, shapes, dtype, checksum), float32 payload.
import { sha256Hex } from '#sha256';
import { z } from 'zod';
import type { MfModel } from './mf/model';

const MAGIC = new TextEncoder().encode('CFDMODEL');
export const MODEL_FORMAT_VERSION = 1;
/** Headers are small; a larger one means a corrupt or hostile file. */
const MAX_HEADER_BYTES = 1 << 20;

/** A model file that cannot be read: the message says what is wrong with it. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

const positiveInt = z.number().int().positive();
const finite = z.number().refine(Number.isFinite, 'must be finite');
const headerSchema = z.strictObject({
  format: z.literal('confidant-mf'),
  version: z.literal(MODEL_FORMAT_VERSION),
  dtype: z.literal('float32'),
  params: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('implicit'), lambda: finite, alpha: finite, valueScale: finite }),
    z.strictObject({ kind: z.literal('explicit'), lambda: finite, lambdaBias: finite, globalMean: finite }),
  ]),
  items: positiveInt,
  dim: positiveInt,
  tensors: z.tuple([
    z.strictObject({ name: z.literal('vectors'), shape: z.tuple([positiveInt, positiveInt]), byteOffset: z.literal(0) }),
    z.strictObject({ name: z.literal('biases'), shape: z.tuple([positiveInt]), byteOffset: z.number().int().nonnegative() }),
  ]),
  payloadBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type ModelHeader = z.infer<typeof headerSchema>;

/** Encode a model as bytes (header + payload); the checksum covers the payload. */
export function encodeModel(model: MfModel): Uint8Array {
  const { items, dim, vectors, biases } = model.table;
  if (vectors.length !== items * dim || biases.length !== items) throw new RangeError('model table arrays do not match items × dim');
  if (!vectors.every(Number.isFinite) || !biases.every(Number.isFinite)) throw new RangeError('model has NaN or infinite weights: refusing to save it');
  const payload = new Uint8Array((vectors.length + biases.length) * 4);
  const view = new DataView(payload.buffer);
  vectors.forEach((x, n) => view.setFloat32(n * 4, x, true));
  biases.forEach((x, n) => view.setFloat32((vectors.length + n) * 4, x, true));
  const header: ModelHeader = {
    format: 'confidant-mf',
    version: MODEL_FORMAT_VERSION,
    dtype: 'float32',
    params: model.params,
    items,
    dim,
    tensors: [
      { name: 'vectors', shape: [items, dim], byteOffset: 0 },
      { name: 'biases', shape: [items], byteOffset: vectors.length * 4 },
    ],
    payloadBytes: payload.length,
    sha256: sha256Hex(payload),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((MAGIC.length + 4 + json.length) % 4)) % 4; // keep the payload 4-byte aligned
  const out = new Uint8Array(MAGIC.length + 4 + json.length + pad + payload.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length + pad, true);
  out.set(json, MAGIC.length + 4);
  out.fill(0x20, MAGIC.length + 4 + json.length, MAGIC.length + 4 + json.length + pad);
  out.set(payload, MAGIC.length + 4 + json.length + pad);
  return out;
}

/** Read only the header (e.g. to show a version) after checking magic and size. */
export function decodeModelHeader(bytes: Uint8Array): { header: ModelHeader; payloadOffset: number } {
  if (bytes.length < MAGIC.length + 4) throw new ModelFormatError(`model file is truncated: ${bytes.length} bytes is shorter than its fixed preamble`);
  for (let n = 0; n < MAGIC.length; n++) {
    if (bytes[n] !== MAGIC[n]) throw new ModelFormatError('not a Confidant model file (bad magic bytes)');
  }
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (headerBytes > MAX_HEADER_BYTES) throw new ModelFormatError(`model header claims ${headerBytes} bytes (limit ${MAX_HEADER_BYTES})`);
  const payloadOffset = MAGIC.length + 4 + headerBytes;
  if (bytes.length < payloadOffset) throw new ModelFormatError(`model file is truncated inside its header (${bytes.length} < ${payloadOffset} bytes)`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(MAGIC.length + 4, payloadOffset)));
  } catch (err) {
    throw new ModelFormatError(`model header is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelFormatError(`model header is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const h = parsed.data;
  const [vRows, vCols] = h.tensors[0].shape;
  if (vRows !== h.items || vCols !== h.dim || h.tensors[1].shape[0] !== h.items) {
    throw new ModelFormatError(`model header shapes disagree with items=${h.items}, dim=${h.dim}`);
  }
  if (h.tensors[1].byteOffset !== h.items * h.dim * 4 || h.payloadBytes !== (h.items * h.dim + h.items) * 4) {
    throw new ModelFormatError('model header offsets or payload size disagree with its shapes');
  }
  return { header: h, payloadOffset };
}

/** Whether this host stores numbers little-endian, as model files do. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decode and verify a model file; truncation, corruption or a wrong version is a ModelFormatError. */
export function decodeModel(bytes: Uint8Array): MfModel {
  const { header, payloadOffset } = decodeModelHeader(bytes);
  const payload = bytes.subarray(payloadOffset);
  if (payload.length !== header.payloadBytes) {
    throw new ModelFormatError(`model payload is ${payload.length} bytes, header says ${header.payloadBytes} (${payload.length < header.payloadBytes ? 'truncated' : 'trailing bytes'})`);
  }
  if (sha256Hex(payload) !== header.sha256) throw new ModelFormatError('model payload checksum mismatch: the file is corrupted');
  const count = header.items * header.dim;
  const vectors = new Float32Array(count);
  const biases = new Float32Array(header.items);
  if (LITTLE_ENDIAN) {
    // The file is little-endian float32, as the host is: a byte copy (a DataView read per value took 20 ms a shard).
    new Uint8Array(vectors.buffer).set(payload.subarray(0, count * 4));
    new Uint8Array(biases.buffer).set(payload.subarray(count * 4, (count + header.items) * 4));
  } else {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (let n = 0; n < count; n++) vectors[n] = view.getFloat32(n * 4, true);
    for (let n = 0; n < header.items; n++) biases[n] = view.getFloat32((count + n) * 4, true);
  }
  for (const arr of [vectors, biases]) {
    if (!arr.every(Number.isFinite)) throw new ModelFormatError('model payload contains NaN or infinite values');
  }
  return { params: header.params, table: { items: header.items, dim: header.dim, vectors, biases } };
}
