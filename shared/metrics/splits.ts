// Train/test splits of an interaction dataset: leave-one-out, random holdout, k folds, per-user holdout.
import type { InteractionData } from '../data/interactions';
import { createRng, shuffleInPlace } from '../math/random';

/** A train/test pair over the same id space. */
export interface Split {
  train: InteractionData;
  test: InteractionData;
}

/** The sub-dataset made of the interactions at `rows`: same users, items, ids and metadata (shared, not copied). */
export function subset(data: InteractionData, rows: ArrayLike<number>, name = data.name): InteractionData {
  const n = rows.length;
  const out: InteractionData = {
    name,
    users: data.users,
    items: data.items,
    user: new Int32Array(n),
    item: new Int32Array(n),
    value: new Float32Array(n),
    timestamp: new Float64Array(n),
    userIds: data.userIds,
    itemIds: data.itemIds,
  };
  if (data.itemMeta) out.itemMeta = data.itemMeta;
  for (let j = 0; j < n; j++) {
    const r = rows[j]!;
    out.user[j] = data.user[r]!;
    out.item[j] = data.item[r]!;
    out.value[j] = data.value[r]!;
    out.timestamp[j] = data.timestamp[r]!;
  }
  return out;
}

function splitByMask(data: InteractionData, isTest: Uint8Array): Split {
  const train: number[] = [];
  const test: number[] = [];
  for (let r = 0; r < isTest.length; r++) (isTest[r] ? test : train).push(r);
  return { train: subset(data, train), test: subset(data, test) };
}

function checkFraction(name: string, f: number): void {
  if (!(f > 0 && f < 1)) throw new RangeError(`${name} must be in (0, 1), got ${f}`);
}

/**
 * Leave-one-out (He et al. 2017): each user's latest interaction is held out, ties broken by the larger
 * item id so the split is deterministic. Users with fewer than 2 interactions keep everything in train.
 */
export function leaveOneOutSplit(data: InteractionData): Split {
  const latest = new Int32Array(data.users).fill(-1);
  const count = new Int32Array(data.users);
  for (let r = 0; r < data.user.length; r++) {
    const u = data.user[r]!;
    count[u]!++;
    const l = latest[u]!;
    if (l < 0 || data.timestamp[r]! > data.timestamp[l]! || (data.timestamp[r] === data.timestamp[l] && data.item[r]! > data.item[l]!)) latest[u] = r;
  }
  const isTest = new Uint8Array(data.user.length);
  for (let u = 0; u < data.users; u++) if (count[u]! >= 2) isTest[latest[u]!] = 1;
  return splitByMask(data, isTest);
}

/** A seeded random holdout of round(testFraction · interactions) interactions, testFraction in (0, 1). */
export function randomSplit(data: InteractionData, options: { testFraction: number; seed: number }): Split {
  checkFraction('testFraction', options.testFraction);
  const order = shuffleInPlace(Array.from({ length: data.user.length }, (_, r) => r), createRng(options.seed).fork('random-split'));
  const isTest = new Uint8Array(data.user.length);
  const nTest = Math.round(options.testFraction * order.length);
  for (let j = 0; j < nTest; j++) isTest[order[j]!] = 1;
  return splitByMask(data, isTest);
}

/** `folds` disjoint, seeded test folds that together cover every interaction; fold sizes differ by at most one. */
export function kFoldSplits(data: InteractionData, options: { folds: number; seed: number }): Split[] {
  const k = options.folds;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer ≥ 2, got ${k}`);
  if (k > data.user.length) throw new RangeError(`folds (${k}) exceeds the number of interactions (${data.user.length})`);
  const order = shuffleInPlace(Array.from({ length: data.user.length }, (_, r) => r), createRng(options.seed).fork('k-fold'));
  const fold = new Int32Array(data.user.length);
  order.forEach((r, j) => (fold[r] = j % k));
  return Array.from({ length: k }, (_, f) => splitByMask(data, Uint8Array.from(fold, (x) => (x === f ? 1 : 0))));
}

/**
 * For full ranking: each user's interactions are split at random, round(testFraction · n) held out but clamped
 * to [1, n − 1], so every user with n ≥ 2 has both a test and a training item; users with n < 2 stay in train.
 */
export function perUserHoldoutSplit(data: InteractionData, options: { testFraction: number; seed: number }): Split {
  checkFraction('testFraction', options.testFraction);
  const rng = createRng(options.seed).fork('per-user-holdout');
  const rowsOf: number[][] = Array.from({ length: data.users }, () => []);
  for (let r = 0; r < data.user.length; r++) rowsOf[data.user[r]!]!.push(r);
  const isTest = new Uint8Array(data.user.length);
  for (const rows of rowsOf) {
    if (rows.length < 2) continue;
    shuffleInPlace(rows, rng);
    const nTest = Math.min(rows.length - 1, Math.max(1, Math.round(options.testFraction * rows.length)));
    for (let j = 0; j < nTest; j++) isTest[rows[j]!] = 1;
  }
  return splitByMask(data, isTest);
}
