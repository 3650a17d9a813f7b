// The catalogue as the API serves it: integer ids (the catalogue's own, e.g. MovieLens movieId) mapped to the
// model's item rows, categories, and title search. Public data only.
import type { ItemMeta } from '../../shared/data/interactions';
import type { CatalogueItem, CatalogueQuery } from '../../shared/protocol/http';

/** A catalogue ready to serve. */
export interface CatalogueIndex {
  readonly size: number;
  /** Every category, sorted. */
  readonly categories: readonly string[];
  /** The model row of an id, or undefined when the catalogue has no such item. */
  rowOf(id: number): number | undefined;
  /** The API form of the item in a model row. */
  item(row: number): CatalogueItem;
  /** The catalogue id of the item in a model row. */
  idOf(row: number): number;
  /** Whether the item in `row` has `category`. */
  hasCategory(row: number, category: string): boolean;
  /** One page of the items matching a query, in catalogue order. */
  search(query: CatalogueQuery): { items: CatalogueItem[]; total: number };
}

/** Index a catalogue whose external ids are non-negative integers (checked where the catalogue is loaded). */
export function indexCatalogue(meta: readonly ItemMeta[]): CatalogueIndex {
  const ids = meta.map((m) => Number(m.externalId));
  const rows = new Map(ids.map((id, row) => [id, row]));
  const items: CatalogueItem[] = meta.map((m, row) => ({ id: ids[row]!, title: m.title, categories: [...m.categories] }));
  const sets = meta.map((m) => new Set(m.categories));
  const lowerTitles = meta.map((m) => m.title.toLowerCase());
  const categories = [...new Set(meta.flatMap((m) => m.categories))].sort();
  const copy = (i: CatalogueItem): CatalogueItem => ({ ...i, categories: [...i.categories] });
  return {
    size: meta.length,
    categories,
    rowOf: (id) => rows.get(id),
    item: (row) => copy(items[row]!),
    idOf: (row) => ids[row]!,
    hasCategory: (row, category) => sets[row]!.has(category),
    search(query) {
      const words = (query.q ?? '').toLowerCase().split(/\s+/).filter((w) => w !== '');
      const matches: number[] = [];
      for (let row = 0; row < items.length; row++) {
        if (query.category !== undefined && !sets[row]!.has(query.category)) continue;
        if (words.some((w) => !lowerTitles[row]!.includes(w))) continue;
        matches.push(row);
      }
      return { items: matches.slice(query.offset, query.offset + query.limit).map((row) => copy(items[row]!)), total: matches.length };
    },
  };
}
