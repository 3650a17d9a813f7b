// The served model file: every shard's served table (each a complete model file, serialize.ts) in one bundle.
//
// Layout: 8-byte magic "CFDSERVE", u32 header length, a JSON header (format, version, how shard scores combine,
// each shard's file size and SHA-256), then the shard files back to back. A device downloads this one file to
// score on its own; its SHA-256 is the model version's checksum (the ETag of GET /v1/model).
import { sha256Hex } from '#sha256';
import { z } from 'zod';
import { MAX_SHARD_INDEX } from '../shared/protocol/messages';
import type { MfModel } from './mf/model';
import { decodeModel, ModelFormatError } from './serialize';

const MAGIC = new TextEncoder().encode('CFDSERVE');
export const SERVED_FORMAT_VERSION = 1;
const MAX_HEADER_BYTES = 1 << 20;
/** More shards than this is a corrupt or hostile header (the server refuses --shards above it too). */
export const MAX_SHARDS = MAX_SHARD_INDEX + 1;

const headerSchema = z.strictObject({
  format: z.literal('confidant-served'),
  version: z.literal(SERVED_FORMAT_VERSION),
  /** How the shards' scores make the served score (shared/recommend/recommend.ts). */
  combine: z.literal('mean'),
  shards: z
    .array(z.strictObject({ bytes: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .min(1)
    .max(MAX_SHARDS),
});

/** Bundle encoded shard model files (in shard order) into one served file. */
export function encodeServedFile(shardFiles: readonly Uint8Array[]): Uint8Array {
  if (shardFiles.length === 0 || shardFiles.length > MAX_SHARDS) throw new RangeError(`a served file holds 1..${MAX_SHARDS} shards, got ${shardFiles.length}`);
  const header = { format: 'confidant-served', version: SERVED_FORMAT_VERSION, combine: 'mean', shards: shardFiles.map((f) => ({ bytes: f.length, sha256: sha256Hex(f) })) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const total = shardFiles.reduce((a, f) => a + f.length, 0);
  const out = new Uint8Array(MAGIC.length + 4 + json.length + total);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  let o = MAGIC.length + 4 + json.length;
  for (const f of shardFiles) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/** One shard file inside a served file, with the SHA-256 it was checked against. */
export interface ServedShard {
  file: Uint8Array;
  sha256: string;
}

/** The shard files inside a served file with their checksums, each checked; throws a ModelFormatError saying what is wrong. */
export function servedShards(bytes: Uint8Array): ServedShard[] {
  if (bytes.length < MAGIC.length + 4) throw new ModelFormatError(`served model file is truncated: ${bytes.length} bytes`);
  for (let n = 0; n < MAGIC.length; n++) if (bytes[n] !== MAGIC[n]) throw new ModelFormatError('not a Confidant served model file (bad magic bytes)');
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (headerBytes > MAX_HEADER_BYTES) throw new ModelFormatError(`served model header claims ${headerBytes} bytes (limit ${MAX_HEADER_BYTES})`);
  const start = MAGIC.length + 4 + headerBytes;
  if (bytes.length < start) throw new ModelFormatError('served model file is truncated inside its header');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(MAGIC.length + 4, start)));
  } catch (err) {
    throw new ModelFormatError(`served model header is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelFormatError(`served model header is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const total = parsed.data.shards.reduce((a, s) => a + s.bytes, 0);
  if (bytes.length !== start + total) throw new ModelFormatError(`served model file is ${bytes.length} bytes, its header says ${start + total} (${bytes.length < start + total ? 'truncated' : 'trailing bytes'})`);
  const files: ServedShard[] = [];
  let o = start;
  for (const [s, entry] of parsed.data.shards.entries()) {
    const file = bytes.subarray(o, o + entry.bytes);
    if (sha256Hex(file) !== entry.sha256) throw new ModelFormatError(`served model shard ${s} does not match its checksum: the file is corrupted`);
    files.push({ file, sha256: entry.sha256 });
    o += entry.bytes;
  }
  return files;
}

/** The shard files inside a served file, each checked against the header; throws a ModelFormatError saying what is wrong. */
export function splitServedFile(bytes: Uint8Array): Uint8Array[] {
  return servedShards(bytes).map((s) => s.file);
}

/** Decode a served file into its shard models; they must share parameters and shape. */
export function decodeServedFile(bytes: Uint8Array): MfModel[] {
  const models = splitServedFile(bytes).map((f) => decodeModel(f));
  checkSameShape(models);
  return models;
}

/** Throw a ModelFormatError unless every shard model has shard 0's shape and parameters. */
export function checkSameShape(models: readonly MfModel[]): void {
  const first = models[0]!;
  for (const [s, m] of models.entries()) {
    if (m.table.items !== first.table.items || m.table.dim !== first.table.dim) throw new ModelFormatError(`served model shard ${s} has a different shape from shard 0`);
    if (JSON.stringify(m.params) !== JSON.stringify(first.params)) throw new ModelFormatError(`served model shard ${s} has different parameters from shard 0`);
  }
}
