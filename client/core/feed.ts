// The "For you" list, computed on the device from the downloaded model and the local history: the shared
// recommender (exact shares) over the allowed history, then the variety re-ranker, which only reorders. With no
// usable history, or when the person asks for it, the feed is the popular items, labelled as such.
import { recommend, type Recommendation } from '../../shared/recommend/recommend';
import { popularItems } from '../../shared/recommend/popular';
import type { CatalogueItem } from '../../shared/protocol/http';
import { calibrate, categoryMix } from '../recommend/variety';
import type { Catalogue } from './catalogue';
import { toRows, type IdHistory } from './history';
import type { LoadedModel } from './model';
import { categoriesAllowed, type Permissions } from './permissions';

/** How many items the For you page shows, and how large a pool variety chooses them from. */
export const FEED_SIZE = 10;
export const VARIETY_POOL = 50;

/** One history item's exact part of a score. */
export interface FeedShare {
  item: CatalogueItem;
  share: number;
}

/** A personalised item: score = bias + Σ shares (the shares of every history item, largest first). */
export interface FeedItem {
  item: CatalogueItem;
  score: number;
  bias: number;
  shares: FeedShare[];
  /** Chosen by the variety control over a higher-scoring item, and the categories it brings. */
  forVariety: boolean;
  adds: string[];
}

/** Why a feed is the popular list. */
export type PopularReason = 'no-history' | 'chosen' | 'not-allowed';

/** What the For you page shows. */
export type Feed = { kind: 'personal'; source: 'device' | 'server'; items: FeedItem[] } | { kind: 'popular'; reason: PopularReason; items: { item: CatalogueItem; score: number }[] };

/** The rows recommendations must skip: items in a category kept out, and items marked "not interested". */
export function blockedRows(catalogue: Catalogue, p: Permissions, notInterested: ReadonlySet<number>): Uint8Array {
  const blocked = new Uint8Array(catalogue.items.length);
  catalogue.items.forEach((item, row) => {
    if (notInterested.has(item.id) || !categoriesAllowed(p, item.categories)) blocked[row] = 1;
  });
  return blocked;
}

/** The popular items the permissions admit (no history used: not personal). */
export function popularFeed(model: LoadedModel, catalogue: Catalogue, blocked: Uint8Array, reason: PopularReason, k = FEED_SIZE): Feed {
  return { kind: 'popular', reason, items: popularItems(model.biases, k, (row) => blocked[row] === 0).map((p) => ({ item: catalogue.items[p.item]!, score: p.score })) };
}

/** Re-rank a relevance-ordered pool for variety and attach the catalogue entries. */
export function withVariety(pool: readonly Recommendation[], catalogue: Catalogue, history: { items: readonly number[]; values: readonly number[] }, level: number, k = FEED_SIZE): FeedItem[] {
  const person = categoryMix(history.items.map((row, n) => ({ categories: catalogue.items[row]!.categories, weight: history.values[n]! })));
  const byRow = new Map(pool.map((r) => [r.item, r]));
  const picks = calibrate(pool.map((r) => ({ item: r.item, score: r.score, categories: catalogue.items[r.item]!.categories })), person, k, level);
  return picks.map((pick) => {
    const r = byRow.get(pick.item)!;
    return { item: catalogue.items[r.item]!, score: r.score, bias: r.bias, shares: r.shares.map((s) => ({ item: catalogue.items[s.item]!, share: s.share })), forVariety: pick.forVariety, adds: pick.adds };
  });
}

/** The personalised feed computed on the device, or the popular one when the history is empty. */
export function deviceFeed(o: { model: LoadedModel; catalogue: Catalogue; history: IdHistory; permissions: Permissions; notInterested: ReadonlySet<number>; variety: number; k?: number }): Feed {
  const k = o.k ?? FEED_SIZE;
  const blocked = blockedRows(o.catalogue, o.permissions, o.notInterested);
  const rows = toRows(o.history, o.catalogue.rowOf);
  // Blocked rows are neither recommended nor used as history: a category kept out has no influence.
  const kept = { items: [] as number[], values: [] as number[] };
  rows.items.forEach((row, n) => {
    if (blocked[row] === 0) {
      kept.items.push(row);
      kept.values.push(rows.values[n]!);
    }
  });
  if (kept.items.length === 0) return popularFeed(o.model, o.catalogue, blocked, 'no-history', k);
  const pool = recommend(o.model.tables, { history: kept, k: Math.max(k, VARIETY_POOL), excluded: (row) => blocked[row] === 1 });
  return { kind: 'personal', source: 'device', items: withVariety(pool, o.catalogue, kept, o.variety, k) };
}
