// The served model on the device: downloaded from GET /v1/model, checked against the SHA-256 the server states
// for that version before it replaces the last good one, and kept so that the device works offline from it.
import { z } from 'zod';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeServedFile } from '../../models/served-file';
import type { MfModel } from '../../models/mf/model';
import { prepareServedTables, type ServedTables } from '../../shared/recommend/recommend';
import { servedBiases } from '../../shared/recommend/popular';
import { errorOf, type Api } from './api';

/** A model file as the device keeps it. */
export interface StoredModel {
  version: number;
  sha256: string;
  bytes: Uint8Array;
  savedAt: number;
}

/** A model ready to score. */
export interface LoadedModel {
  version: number;
  sha256: string;
  tables: ServedTables;
  /** Every item's served bias (what "popular" ranks by). */
  biases: Float64Array;
  /** Bytes of the model file (what the device downloaded). */
  bytes: number;
}

/** A download that was refused: the last good model stays in use. */
export class ModelRefusedError extends Error {
  override name = 'ModelRefusedError';
}

const modelInfoSchema = z.object({ version: z.number().int().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/** The shard models of a model file; throws ModelRefusedError for a file that does not decode. */
export function decodeModelFile(bytes: Uint8Array): MfModel[] {
  try {
    return decodeServedFile(bytes);
  } catch (err) {
    throw new ModelRefusedError(`the model file does not decode: ${(err as Error).message}`);
  }
}

/** Prepare decoded shard models for scoring (each shard's Gram once). */
export function prepareModel(stored: Pick<StoredModel, 'version' | 'sha256' | 'bytes'>, shards: readonly MfModel[]): LoadedModel {
  const tables = prepareServedTables(shards[0]!.params, shards.map((m) => m.table));
  return { version: stored.version, sha256: stored.sha256, tables, biases: servedBiases(tables), bytes: stored.bytes.length };
}

/** Decode and prepare a model file whose hash was checked; throws ModelRefusedError for a file that does not decode. */
export function loadModel(stored: StoredModel): LoadedModel {
  return prepareModel(stored, decodeModelFile(stored.bytes));
}

/**
 * Fetch the latest model unless `current` is it. The expected hash is the one GET /v1/model/info states for the
 * version; a body whose SHA-256 differs (tampered, truncated) is refused with a ModelRefusedError.
 */
export async function fetchLatestModel(api: Api, current: { sha256: string } | undefined, now: () => number = Date.now): Promise<StoredModel | undefined> {
  // A round may commit between the two requests: then the versions differ and we ask again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const info = await api.json('/v1/model/info', modelInfoSchema);
    if (current?.sha256 === info.sha256) return undefined;
    const response = await api.request('/v1/model');
    if (!response.ok) throw await errorOf(response);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (err) {
      throw new ModelRefusedError(`the model download broke off: ${(err as Error).message}`);
    }
    const version = Number(response.headers.get('X-Model-Version'));
    if (version !== info.version) continue;
    const actual = bytesToHex(sha256(bytes));
    if (actual !== info.sha256) throw new ModelRefusedError(`the downloaded model (${bytes.length} bytes) does not match the SHA-256 the server states for version ${info.version}: it was changed or cut short on the way`);
    return { version: info.version, sha256: actual, bytes, savedAt: now() };
  }
  throw new ModelRefusedError('the model changed during three downloads in a row; try again later');
}
