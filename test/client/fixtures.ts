// Fixtures of the device tests: a small catalogue with known categories, a seeded model over it, and events.
import { createRng } from '../../shared/math/random';
import type { CatalogueItem } from '../../shared/protocol/http';
import type { MfModel } from '../../models/mf/model';
import { encodeModel } from '../../models/serialize';
import { encodeServedFile } from '../../models/served-file';
import { indexCatalogue } from '../../client/core/catalogue';
import type { ShopEvent } from '../../client/core/events';

/** 40 items with ids 100, 103, 106, …: rows 0–9 Sci-Fi, 10–19 Comedy, 20–29 Drama, 30–39 Sci-Fi|Drama. */
export const ITEMS: CatalogueItem[] = Array.from({ length: 40 }, (_, row) => ({
  id: 100 + 3 * row,
  title: `Film ${row}`,
  categories: row < 10 ? ['Sci-Fi'] : row < 20 ? ['Comedy'] : row < 30 ? ['Drama'] : ['Sci-Fi', 'Drama'],
}));
export const catalogue = indexCatalogue(ITEMS);

/** A seeded implicit MF model over ITEMS (dim 6), with random biases. */
export function model(seed = 5, items = ITEMS.length, dim = 6): MfModel {
  const rng = createRng(seed);
  const vectors = new Float32Array(items * dim).map(() => 0.5 * rng.normal());
  const biases = new Float32Array(items).map(() => 0.1 * rng.normal());
  return { params: { kind: 'implicit', lambda: 0.1, alpha: 10, valueScale: 5 }, table: { items, dim, vectors, biases } };
}

/** The served file of one or more shard models. */
export function servedFile(models: MfModel[]): Uint8Array {
  return encodeServedFile(models.map((m) => encodeModel(m)));
}

/** An event on the item in `row`. */
export function event(type: 'view' | 'purchase' | 'rating', row: number, time: number, stars?: number): ShopEvent {
  const item = ITEMS[row]!;
  return { type, item: item.id, categories: [...item.categories], time, ...(stars !== undefined && { stars }) };
}
