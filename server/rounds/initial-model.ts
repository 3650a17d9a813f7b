// The model a fresh deployment starts from: a small random item table over the catalogue (no user data at all).
import { createRng } from '../../shared/math/random';
import { IMPLICIT_DEFAULTS } from '../../models/mf/implicit-als';
import { initialTable, type MfModel } from '../../models/mf/model';
import { encodeModel } from '../../models/serialize';
import type { Store } from '../store/store';

/** Settings of the initial model. */
export interface InitialModelOptions {
  items: number;
  dim?: number;
  /** The table is public, so a fixed seed is fine: anyone can rebuild and check version 1. */
  seed?: number;
  now: () => number;
}

/** An implicit-feedback MF model with the foundation's defaults and a seeded Gaussian table. */
export function initialModel(o: { items: number; dim?: number; seed?: number }): MfModel {
  if (!Number.isInteger(o.items) || o.items < 1) throw new RangeError(`items must be a positive integer, got ${o.items}`);
  const dim = o.dim ?? IMPLICIT_DEFAULTS.dim;
  const rng = createRng(o.seed ?? 1).fork('initial-model');
  const params = { kind: 'implicit' as const, lambda: IMPLICIT_DEFAULTS.lambda, alpha: IMPLICIT_DEFAULTS.alpha, valueScale: IMPLICIT_DEFAULTS.valueScale };
  return { params, table: initialTable(o.items, dim, IMPLICIT_DEFAULTS.initStd, rng.normal) };
}

/** Store version 1 when the store has no model yet; returns the latest version either way. */
export async function ensureInitialModel(store: Store, o: InitialModelOptions): Promise<{ version: number; created: boolean }> {
  const latest = await store.latestModel();
  if (latest) return { version: latest.version, created: false };
  const data = encodeModel(initialModel(o));
  await store.putModelVersion({
    version: 1,
    createdAt: o.now(),
    data,
    provenance: { round: null, cohortSize: 0, survivors: 0, clipNorm: 0, valuesClipped: 0, bytesIn: 0, bytesOut: 0, durationMs: 0, epsilon: null },
  });
  return { version: 1, created: true };
}
