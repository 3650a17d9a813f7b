// Seeded synthetic interactions with known latent structure, and syntheticLike to imitate a real dataset's activity.
import type { InteractionData, ItemMeta } from '../../shared/data/interactions';
import { createRng, shuffleInPlace, type Rng } from '../../shared/math/random';
import {
  buildAlias,
  logNormalFromMeanMedian,
  meanAndMedian,
  sampleAlias,
  searchCumulative,
  stratifiedNormals,
  type AliasTable,
} from './sampling';

/** Generator settings; everything but the sizes and seed has a MovieLens-flavoured default. */
export interface SyntheticOptions {
  users: number;
  items: number;
  categories: number;
  /** Latent factor dimension. */
  dim: number;
  seed: number;
  name?: string;
  /** Mean interactions per user (default 30). */
  meanInteractions?: number;
  /** Median interactions per user (default: min + 0.45·(mean − min), i.e. MovieLens-like skew). */
  medianInteractions?: number;
  /** Every user has at least this many interactions (default 5, capped at items). */
  minInteractions?: number;
  /** Zipf exponent of item popularity by rank (default 1). */
  popularityExponent?: number;
  /** β in popularity^β · exp(affinity / temperature) (default 1). */
  popularityWeight?: number;
  /** Lower means users stick more to their preferred categories (default 0.25). */
  temperature?: number;
  /** Each user prefers 1..this many categories (default 3). */
  preferredCategories?: number;
  /** Share of items with a second category (default 0.3). */
  secondCategoryRate?: number;
  /** Zipf exponent of category sizes (default 0.5: a few big genres, many small). */
  categoryExponent?: number;
  /** Spread of item factors around their category centroid (default 0.35). */
  itemNoise?: number;
  /** Spread of user factors around their preference mix (default 0.3). */
  userNoise?: number;
  /** Standard deviation of rating noise in stars (default 0.6). */
  ratingNoise?: number;
  /** Candidates per draw in the importance-resampling step (default 4; more is closer to exact and slower). */
  candidates?: number;
  /** Earliest timestamp, seconds since the epoch (default 2015-01-01). */
  startTime?: number;
}

/** The latent structure the data was drawn from. */
export interface SyntheticTruth {
  /** users × dim, row-major. */
  userFactors: Float32Array;
  /** items × dim, row-major. */
  itemFactors: Float32Array;
  /** Primary category per item. */
  itemCategory: Int32Array;
  /** Zipf popularity per item, summing to 1. */
  itemPopularity: Float64Array;
  /** Unit-norm category centroids, categories × dim, row-major. */
  categoryCentroids: Float32Array;
  /** The categories each user prefers. */
  userCategories: Int32Array[];
}

/** Generated data plus the truth behind it. */
export interface SyntheticDataset {
  data: InteractionData;
  truth: SyntheticTruth;
}

const DAY = 86_400;
const SECOND_CATEGORY_WEIGHT = 0.5;
const RATING_BASE = 2.9;
const RATING_SLOPE = 1.5;
const USER_BIAS_SD = 0.35;
/** Users needing more than this share of all items are drawn exactly rather than by candidate sampling. */
const EXACT_SHARE = 1 / 8;
const MAX_ROUNDS = 20;

function positiveInt(name: string, x: number): number {
  if (!Number.isInteger(x) || x < 1) throw new RangeError(`generateSynthetic: ${name} must be a positive integer, got ${x}`);
  return x;
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[ao + d]! * b[bo + d]!;
  return s;
}

function gaussianRow(out: Float32Array, offset: number, dim: number, scale: number, rng: Rng): void {
  for (let d = 0; d < dim; d++) out[offset + d] = out[offset + d]! + scale * rng.normal();
}

function unitCentroids(categories: number, dim: number, rng: Rng): Float32Array {
  const m = new Float32Array(categories * dim);
  for (let c = 0; c < categories; c++) {
    gaussianRow(m, c * dim, dim, 1, rng);
    const norm = Math.sqrt(dot(m, c * dim, m, c * dim, dim)) || 1;
    for (let d = 0; d < dim; d++) m[c * dim + d] = m[c * dim + d]! / norm;
  }
  return m;
}

/** Draw k distinct indices from an alias table (k no more than its size). */
function distinctDraws(table: AliasTable, k: number, rng: Rng): number[] {
  const out: number[] = [];
  while (out.length < k) {
    const c = sampleAlias(table, rng);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** Round to half stars within 0.5..5. */
function toStars(x: number): number {
  return Math.min(5, Math.max(0.5, Math.round(x * 2) / 2));
}

/**
 * Generate users × items interactions: items clustered by category, users preferring a few categories, Zipf popularity,
 * log-normal activity. Each user draws items without replacement with probability ∝ popularity^β · exp(affinity / T);
 * light users do so approximately (category proposal + importance resampling over a few candidates) so that a draw costs
 * O(candidates · dim) rather than O(items), heavy users exactly (Gumbel top-k over all items).
 */
export function generateSynthetic(opts: SyntheticOptions): SyntheticDataset {
  const users = positiveInt('users', opts.users);
  const items = positiveInt('items', opts.items);
  const categories = positiveInt('categories', opts.categories);
  const dim = positiveInt('dim', opts.dim);
  if (categories > items) throw new RangeError(`generateSynthetic: categories (${categories}) exceed items (${items})`);
  const minCount = Math.min(items, positiveInt('minInteractions', opts.minInteractions ?? 5));
  const mean = opts.meanInteractions ?? 30;
  if (!(mean >= minCount)) throw new RangeError(`generateSynthetic: meanInteractions (${mean}) must be at least minInteractions (${minCount})`);
  const median = opts.medianInteractions ?? minCount + 0.45 * (mean - minCount);
  if (!(median >= minCount && median <= mean)) {
    throw new RangeError(`generateSynthetic: medianInteractions (${median}) must lie between minInteractions (${minCount}) and meanInteractions (${mean})`);
  }
  const temperature = opts.temperature ?? 0.25;
  const beta = opts.popularityWeight ?? 1;
  const candidates = positiveInt('candidates', opts.candidates ?? 4);
  const maxPreferred = Math.min(categories, positiveInt('preferredCategories', opts.preferredCategories ?? 3));

  const root = createRng(opts.seed);
  // One forked stream per stage, so changing one stage's draws leaves the others' untouched.
  const rCategories = root.fork('categories');
  const rItems = root.fork('items');
  const rPopularity = root.fork('popularity');
  const rUsers = root.fork('users');
  const rCounts = root.fork('counts');
  const rPicks = root.fork('picks');
  const rRatings = root.fork('ratings');
  const rTime = root.fork('time');

  // Categories: unit centroids and Zipf-like sizes.
  const centroids = unitCentroids(categories, dim, rCategories);
  const sizeWeights = Float64Array.from({ length: categories }, (_, c) => (c + 1) ** -(opts.categoryExponent ?? 0.5));
  const sizeTable = buildAlias(sizeWeights);

  // Items: every category gets at least one, the rest by size weight, shuffled so ids carry no category information.
  const primaryList = Array.from({ length: items }, (_, i) => (i < categories ? i : sampleAlias(sizeTable, rItems)));
  shuffleInPlace(primaryList, rItems);
  const itemCategory = Int32Array.from(primaryList);
  const itemFactors = new Float32Array(items * dim);
  const itemMeta: ItemMeta[] = [];
  const secondRate = opts.secondCategoryRate ?? 0.3;
  const itemNoise = (opts.itemNoise ?? 0.35) / Math.sqrt(dim);
  for (let i = 0; i < items; i++) {
    const p = itemCategory[i]!;
    const names = [`Category ${p}`];
    for (let d = 0; d < dim; d++) itemFactors[i * dim + d] = centroids[p * dim + d]!;
    if (categories > 1 && rItems.float() < secondRate) {
      let s = sampleAlias(sizeTable, rItems);
      while (s === p) s = sampleAlias(sizeTable, rItems);
      names.push(`Category ${s}`);
      for (let d = 0; d < dim; d++) itemFactors[i * dim + d] = itemFactors[i * dim + d]! + SECOND_CATEGORY_WEIGHT * centroids[s * dim + d]!;
    }
    gaussianRow(itemFactors, i * dim, dim, itemNoise, rItems);
    itemMeta.push({ externalId: String(i), title: `Item ${i}`, categories: names });
  }

  // Popularity: Zipf over a random ranking of the items.
  const rank = shuffleInPlace(Array.from({ length: items }, (_, i) => i), rPopularity);
  const itemPopularity = new Float64Array(items);
  const s = opts.popularityExponent ?? 1;
  let popTotal = 0;
  for (let r = 0; r < items; r++) popTotal += (r + 1) ** -s;
  for (let r = 0; r < items; r++) itemPopularity[rank[r]!] = (r + 1) ** -s / popTotal;
  const logPopWeight = Float64Array.from(itemPopularity, (p) => beta * Math.log(p));

  // Per category: its items, an alias table over popularity^β, and the log of that mass for the category proposal.
  const categoryItems: number[][] = Array.from({ length: categories }, () => []);
  for (let i = 0; i < items; i++) categoryItems[itemCategory[i]!]!.push(i);
  const categoryTables = categoryItems.map((list) => buildAlias(list.map((i) => Math.exp(logPopWeight[i]! - logPopWeight[list[0]!]!))));
  const categoryLogMass = categoryItems.map((list) => {
    let m = 0;
    for (const i of list) m += Math.exp(logPopWeight[i]!);
    return Math.log(m);
  });
  const preferenceTable = buildAlias(categoryItems.map((list) => list.length));

  // Users: a Dirichlet(1) mix of a few preferred centroids plus noise.
  const userFactors = new Float32Array(users * dim);
  const userCategories: Int32Array[] = [];
  const userNoise = (opts.userNoise ?? 0.3) / Math.sqrt(dim);
  for (let u = 0; u < users; u++) {
    const prefs = distinctDraws(preferenceTable, 1 + rUsers.int(maxPreferred), rUsers);
    const w = prefs.map(() => -Math.log(1 - rUsers.float()));
    const wSum = w.reduce((a, b) => a + b, 0);
    prefs.forEach((c, j) => {
      for (let d = 0; d < dim; d++) userFactors[u * dim + d] = userFactors[u * dim + d]! + (w[j]! / wSum) * centroids[c * dim + d]!;
    });
    gaussianRow(userFactors, u * dim, dim, userNoise, rUsers);
    userCategories.push(Int32Array.from(prefs));
  }

  // Activity: min + log-normal excess, so the mean and median are as asked; stratified, so that even a few hundred
  // users show those statistics rather than whatever the heavy tail happened to produce.
  const counts = new Int32Array(users);
  const z = stratifiedNormals(users, rCounts);
  const excessMean = mean - minCount;
  const { mu, sigma } = excessMean > 0 ? logNormalFromMeanMedian(excessMean, Math.max(median - minCount, excessMean * 1e-3)) : { mu: -Infinity, sigma: 0 };
  let total = 0;
  for (let u = 0; u < users; u++) {
    const excess = excessMean > 0 ? Math.exp(mu + sigma * z[u]!) : 0;
    counts[u] = Math.min(items, minCount + Math.round(excess));
    total += counts[u]!;
  }

  const user = new Int32Array(total);
  const item = new Int32Array(total);
  const value = new Float32Array(total);
  const timestamp = new Float64Array(total);
  const takenBy = new Int32Array(items).fill(-1);
  const cum = new Float64Array(categories);
  const userCentroidAffinity = new Float64Array(categories);
  const candItem = new Int32Array(candidates);
  const candWeight = new Float64Array(candidates);
  const startTime = opts.startTime ?? 1_420_070_400;
  const ratingNoise = opts.ratingNoise ?? 0.6;
  let n = 0;

  const record = (u: number, i: number, t: number, bias: number): void => {
    takenBy[i] = u;
    const affinity = dot(userFactors, u * dim, itemFactors, i * dim, dim);
    user[n] = u;
    item[n] = i;
    value[n] = toStars(RATING_BASE + RATING_SLOPE * affinity + bias + ratingNoise * rRatings.normal());
    timestamp[n] = t;
    n++;
  };

  // Exact sampling without replacement: Gumbel top-k over every item not yet taken, in draw order.
  const drawExact = (u: number, k: number): number[] => {
    const free: number[] = [];
    const keys = new Float64Array(items);
    for (let i = 0; i < items; i++) {
      if (takenBy[i] === u) continue;
      free.push(i);
      keys[i] = logPopWeight[i]! + dot(userFactors, u * dim, itemFactors, i * dim, dim) / temperature - Math.log(-Math.log(1 - rPicks.float()));
    }
    free.sort((a, b) => keys[b]! - keys[a]!);
    return free.slice(0, k);
  };

  // Approximate draw: category from the exact centroid-level mass, item by popularity within it, then resample the
  // candidates by their item-level residual exp((affinity − centroid affinity) / T). Returns −1 when everything it
  // tried was already taken.
  const drawApprox = (u: number): number => {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let m = 0;
      let wTotal = 0;
      for (let k = 0; k < candidates; k++) {
        const c = searchCumulative(cum, categories, rPicks.float() * cum[categories - 1]!);
        const i = categoryItems[c]![sampleAlias(categoryTables[c]!, rPicks)]!;
        if (takenBy[i] === u) continue;
        const w = Math.exp((dot(userFactors, u * dim, itemFactors, i * dim, dim) - userCentroidAffinity[c]!) / temperature);
        candItem[m] = i;
        candWeight[m] = w;
        wTotal += w;
        m++;
      }
      if (m === 0) continue;
      let target = rPicks.float() * wTotal;
      for (let k = 0; k < m - 1; k++) {
        target -= candWeight[k]!;
        if (target < 0) return candItem[k]!;
      }
      return candItem[m - 1]!;
    }
    return -1;
  };

  for (let u = 0; u < users; u++) {
    const k = counts[u]!;
    const bias = USER_BIAS_SD * rRatings.normal();
    let t = startTime + Math.floor(rTime.float() * 3 * 365 * DAY);
    const nextTime = (): number => (t += 1 + Math.floor(-Math.log(1 - rTime.float()) * (DAY / 4)));
    let done = 0;
    if (k <= items * EXACT_SHARE) {
      let logMax = -Infinity;
      for (let c = 0; c < categories; c++) {
        userCentroidAffinity[c] = dot(userFactors, u * dim, centroids, c * dim, dim);
        cum[c] = categoryLogMass[c]! + userCentroidAffinity[c]! / temperature;
        logMax = Math.max(logMax, cum[c]!);
      }
      let acc = 0;
      for (let c = 0; c < categories; c++) cum[c] = acc += Math.exp(cum[c]! - logMax);
      for (; done < k; done++) {
        const i = drawApprox(u);
        if (i < 0) break;
        record(u, i, nextTime(), bias);
      }
    }
    if (done < k) for (const i of drawExact(u, k - done)) record(u, i, nextTime(), bias);
  }

  const data: InteractionData = {
    name: opts.name ?? `synthetic-${opts.seed}`,
    users,
    items,
    user,
    item,
    value,
    timestamp,
    userIds: Array.from({ length: users }, (_, u) => String(u)),
    itemIds: Array.from({ length: items }, (_, i) => String(i)),
    itemMeta,
  };
  return { data, truth: { userFactors, itemFactors, itemCategory, itemPopularity, categoryCentroids: centroids, userCategories } };
}

/**
 * Generator options imitating a real dataset: its users, items and category counts and its per-user activity
 * (mean, median and minimum interactions per user). Anything in `opts` wins, e.g. users: 100_000 to scale up.
 */
export function syntheticLike(data: InteractionData, opts: Partial<SyntheticOptions> & { seed: number; dim?: number }): SyntheticOptions {
  const counts = new Int32Array(data.users);
  for (let n = 0; n < data.user.length; n++) counts[data.user[n]!]!++;
  let min = Infinity;
  for (let u = 0; u < data.users; u++) if (counts[u]! > 0) min = Math.min(min, counts[u]!);
  const { mean, median } = meanAndMedian(counts);
  const categoryNames = new Set<string>();
  for (const m of data.itemMeta ?? []) for (const c of m.categories) categoryNames.add(c);
  const items = opts.items ?? data.items;
  return {
    users: data.users,
    items,
    categories: Math.min(items, Math.max(1, categoryNames.size || 18)),
    dim: 16,
    name: `synthetic-like-${data.name}`,
    minInteractions: Number.isFinite(min) ? Math.min(min, items) : 1,
    meanInteractions: mean,
    medianInteractions: Math.min(median, mean),
    ...opts,
  };
}
