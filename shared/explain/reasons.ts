// Turning an explanation's per-entry terms into reasons: per history item and per category, with shares.
//
// A share is a term's value divided by the sum of the positive terms at the same level of aggregation
// (items, or categories). That is what "Because you liked Alien (41%)" means: Alien supplied 41% of what
// pushed the score up. The positive shares then add up to 100%; a negative term gets a negative share
// (it argued against the item). Dividing by the net sum instead would let shares exceed 100% whenever some
// history argued against the item, and dividing by the absolute sum would understate every reason.
import type { Explanation } from './decompose';

/** A history item's merged part of a score. */
export interface Reason {
  item: number;
  /** Sum of the item's contributions (a history can hold an item more than once). */
  value: number;
  /** value / (sum of positive item values); 0 when no value is positive. */
  share: number;
  /** Sum of the item's targets: positive when the user liked it overall, negative when they disliked it. */
  target: number;
}

/** A category's part of a score. */
export interface CategoryReason {
  category: string;
  value: number;
  /** value / (sum of positive category values); 0 when no value is positive. */
  share: number;
}

/** The category of history items with no category metadata. */
export const UNCATEGORISED = 'uncategorised';

function positiveSum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) if (v > 0) s += v;
  return s;
}

/** Every history item's merged contribution with its share, largest first (ties by item id). */
export function allReasons(explanation: Explanation): Reason[] {
  const merged = new Map<number, { value: number; target: number }>();
  for (const c of explanation.contributions) {
    const m = merged.get(c.item);
    if (m) {
      m.value += c.value;
      m.target += c.target;
    } else merged.set(c.item, { value: c.value, target: c.target });
  }
  const total = positiveSum(Array.from(merged.values(), (m) => m.value));
  return Array.from(merged, ([item, m]) => ({ item, value: m.value, share: total > 0 ? m.value / total : 0, target: m.target }))
    .sort((a, b) => b.value - a.value || a.item - b.item);
}

/** The n history items that raised the score most, with shares; items that lowered it are never reasons. */
export function topReasons(explanation: Explanation, n: number): Reason[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`topReasons needs a non-negative integer n, got ${n}`);
  return allReasons(explanation).filter((r) => r.value > 0).slice(0, n);
}

/**
 * Contributions summed per category of the history item, largest first (ties by name). An item with several
 * categories gives each an equal part, so category totals still add up to the sum of contributions.
 * `itemCategories[item]` lists an item's categories; a missing or empty entry counts as UNCATEGORISED.
 */
export function reasonsByCategory(explanation: Explanation, itemCategories: readonly (readonly string[] | undefined)[]): CategoryReason[] {
  const totals = new Map<string, number>();
  for (const c of explanation.contributions) {
    // Deduplicate so an item listing a genre twice does not give it a double part.
    const cats = [...new Set(itemCategories[c.item] ?? [])];
    if (cats.length === 0) cats.push(UNCATEGORISED);
    const part = c.value / cats.length;
    for (const cat of cats) totals.set(cat, (totals.get(cat) ?? 0) + part);
  }
  const total = positiveSum(totals.values());
  return Array.from(totals, ([category, value]) => ({ category, value, share: total > 0 ? value / total : 0 }))
    .sort((a, b) => b.value - a.value || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
}

/**
 * The category holding more than half of the positive category contributions ("mostly because of your
 * Sci-Fi history"), else undefined. UNCATEGORISED never dominates: it says nothing about taste.
 */
export function dominantCategory(
  explanation: Explanation,
  itemCategories: readonly (readonly string[] | undefined)[],
): string | undefined {
  const top = reasonsByCategory(explanation, itemCategories)[0];
  return top !== undefined && top.share > 0.5 && top.category !== UNCATEGORISED ? top.category : undefined;
}
