// The model a fresh deployment starts from: a small random item table per shard over the catalogue (no user data).
import { createRng } from '../../shared/math/random';
import { IMPLICIT_DEFAULTS } from '../../models/mf/implicit-als';
import { initialTable, type MfModel } from '../../models/mf/model';
import { initialShardModels } from '../../models/federated/end-of-round';
import { encodeServedFile } from '../../models/served-file';
import type { ModelVersionInfo, Store } from '../store/store';
import { encodeShardModels } from './shard-state';

/** Settings of the initial model. */
export interface InitialModelOptions {
  items: number;
  shards: number;
  dim?: number;
  /** The tables are public, so a fixed seed is fine: anyone can rebuild and check version 1. */
  seed?: number;
  now: () => number;
}

/** An implicit-feedback MF model with the foundation's defaults and a seeded Gaussian table (one per shard). */
export function initialModel(o: { items: number; dim?: number; seed?: number; shard?: number }): MfModel {
  if (!Number.isInteger(o.items) || o.items < 1) throw new RangeError(`items must be a positive integer, got ${o.items}`);
  const dim = o.dim ?? IMPLICIT_DEFAULTS.dim;
  const rng = createRng(o.seed ?? 1).fork('initial-model').fork(o.shard ?? 0);
  const params = { kind: 'implicit' as const, lambda: IMPLICIT_DEFAULTS.lambda, alpha: IMPLICIT_DEFAULTS.alpha, valueScale: IMPLICIT_DEFAULTS.valueScale };
  return { params, table: initialTable(o.items, dim, IMPLICIT_DEFAULTS.initStd, rng.normal) };
}

/** Create the shards and version 1 when the store has none; returns the latest version either way. */
export async function ensureInitialModel(store: Store, o: InitialModelOptions): Promise<{ version: ModelVersionInfo; created: boolean }> {
  if (!Number.isInteger(o.shards) || o.shards < 1) throw new RangeError(`shards must be a positive integer, got ${o.shards}`);
  return initialiseWith(store, Array.from({ length: o.shards }, (_, shard) => initialModel({ ...o, shard })), o.now());
}

/** Initialise a store with the given first model of each shard (a no-op when it has shards already). */
export async function initialiseWith(store: Store, models: readonly MfModel[], at: number): Promise<{ version: ModelVersionInfo; created: boolean }> {
  const files = models.map((m) => encodeShardModels(initialShardModels(m)));
  return store.initialise({
    shards: files,
    model: encodeServedFile(files.map((f) => f.served)),
    createdAt: at,
    provenance: {
      cause: 'initial',
      shard: null,
      round: null,
      cohortSize: 0,
      survivors: 0,
      clipNorm: 0,
      valuesClipped: 0,
      bytesIn: 0,
      bytesOut: 0,
      durationMs: 0,
      epsilon: 0,
      privacy: null,
      shards: files.map((_, shard) => ({ shard, lineage: 0, step: 0, epsilon: 0 })),
    },
  });
}
