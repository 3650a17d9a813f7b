// The shop's catalogue on the device: every item's id, title and categories, in model-row order, read page by
// page from GET /v1/catalogue (whose order is the model's item order) and kept for offline use.
import { MAX_PAGE, catalogueResponseSchema, type CatalogueItem } from '../../shared/protocol/http';
import type { Api } from './api';

/** The catalogue as the device uses it. */
export interface Catalogue {
  readonly items: readonly CatalogueItem[];
  /** Every category, sorted. */
  readonly categories: readonly string[];
  /** The model row of a catalogue id. */
  rowOf(id: number): number | undefined;
  /** The item with a catalogue id. */
  byId(id: number): CatalogueItem | undefined;
}

/** Index a list of items (in model-row order). */
export function indexCatalogue(items: readonly CatalogueItem[], categories?: readonly string[]): Catalogue {
  const rows = new Map(items.map((item, row) => [item.id, row]));
  return {
    items,
    categories: categories ?? [...new Set(items.flatMap((i) => i.categories))].sort(),
    rowOf: (id) => rows.get(id),
    byId: (id) => {
      const row = rows.get(id);
      return row === undefined ? undefined : items[row];
    },
  };
}

const sameItem = (a: CatalogueItem, b: CatalogueItem | undefined) => b !== undefined && a.id === b.id && a.title === b.title && a.categories.join('|') === b.categories.join('|');

/**
 * Read the whole catalogue, a page at a time (the server caps pages at MAX_PAGE items). With a kept copy whose size
 * and first page match the server's, the copy is current (a deployment's catalogue is fixed with its data
 * directory): one request instead of one per page.
 */
export async function fetchCatalogue(api: Api, kept?: Catalogue): Promise<Catalogue> {
  if (kept) {
    const first = await api.json(`/v1/catalogue?offset=0&limit=${MAX_PAGE}`, catalogueResponseSchema);
    if (first.total === kept.items.length && first.items.every((item, n) => sameItem(item, kept.items[n]))) return kept;
  }
  const items: CatalogueItem[] = [];
  for (let offset = 0; ; ) {
    const page = await api.json(`/v1/catalogue?offset=${offset}&limit=${MAX_PAGE}`, catalogueResponseSchema);
    items.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return indexCatalogue(items, page.categories);
  }
}

/** Items whose title has every word of `query` (case-insensitive) and, when given, the category. */
export function searchCatalogue(catalogue: Catalogue, query: string, category?: string, limit = 50): CatalogueItem[] {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== '');
  const out: CatalogueItem[] = [];
  for (const item of catalogue.items) {
    if (category !== undefined && !item.categories.includes(category)) continue;
    const title = item.title.toLowerCase();
    if (words.some((w) => !title.includes(w))) continue;
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}
