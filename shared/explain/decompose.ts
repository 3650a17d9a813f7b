// Exact split of a recommendation score into the item's offset plus one term per history entry.
//
// The user vector is linear in the targets (Hu, Koren & Volinsky 2008, section 5): u = A⁻¹ Σ_j t_j x_j,
// so score_i = offset_i + x_iᵀ u = offset_i + Σ_j t_j · (x_iᵀ A⁻¹ x_j). Solving z = A⁻¹ x_i once with the
// user's Cholesky factor makes every term a dot product, and the terms are the model's own arithmetic:
// nothing is approximated, which is what makes the explanation faithful.
import { choleskySolve } from '../math/linalg';
import { featureRow, itemOffset, scoreItem } from '../model/reconstruct';
import type { ItemTable, ModelParams, UserSystem } from '../model/reconstruct';

/** One history entry's part of a score. */
export interface Contribution {
  /** History item id. */
  item: number;
  /** t_j · (x_iᵀ A⁻¹ x_j): the score points this entry adds (negative when it pulls the score down). */
  value: number;
  /** The entry's target t_j: confidence (implicit) or residual rating r − μ − b (explicit); its sign says liked or disliked. */
  target: number;
}

/** A score and its exact parts: score = offset + Σ contributions (up to rounding). */
export interface Explanation {
  item: number;
  score: number;
  /** Item bias (plus the global mean for ratings): the part no history entry is responsible for. */
  offset: number;
  /** One entry per history entry, in history order (a repeated item appears once per occurrence). */
  contributions: Contribution[];
}

function checkItem(table: ItemTable, item: number): void {
  if (!Number.isInteger(item) || item < 0 || item >= table.items) {
    throw new RangeError(`cannot explain item ${item}: it is outside the item table (0..${table.items - 1})`);
  }
}

function checkSystem(table: ItemTable, system: UserSystem, params: ModelParams): void {
  // A system solved against another table or model kind would give terms that do not add up to any real score.
  const intercept = params.kind === 'explicit';
  if (system.intercept !== intercept) {
    throw new RangeError(`user system ${system.intercept ? 'has' : 'lacks'} an intercept but params are '${params.kind}'`);
  }
  const size = table.dim + (intercept ? 1 : 0);
  if (system.size !== size) throw new RangeError(`user system has size ${system.size}, item table needs ${size}`);
  if (system.items.length !== system.targets.length) {
    throw new RangeError(`user system has ${system.items.length} items but ${system.targets.length} targets`);
  }
}

/** Feature rows of the history, built once and shared by every explained item. */
function historyRows(table: ItemTable, system: UserSystem): Float64Array {
  const n = system.items.length;
  const s = system.size;
  const rows = new Float64Array(n * s);
  const x = new Float64Array(s);
  for (let j = 0; j < n; j++) rows.set(featureRow(table, system.items[j]!, system.intercept, x), j * s);
  return rows;
}

function explainWithRows(
  table: ItemTable,
  system: UserSystem,
  item: number,
  params: ModelParams,
  rows: Float64Array,
): Explanation {
  checkItem(table, item);
  const s = system.size;
  const z = choleskySolve(system.factor, s, featureRow(table, item, system.intercept, new Float64Array(s)));
  const contributions: Contribution[] = [];
  for (let j = 0; j < system.items.length; j++) {
    let zx = 0;
    for (let p = 0; p < s; p++) zx += z[p]! * rows[j * s + p]!;
    const target = system.targets[j]!;
    contributions.push({ item: system.items[j]!, value: target * zx, target });
  }
  // The score is the model's own (scoreItem), not the sum of the parts, so a displayed score never drifts from a ranked one.
  return { item, score: scoreItem(table, system, item, params), offset: itemOffset(table, item, params), contributions };
}

/** Split one item's score into offset + one term per history entry (Hu, Koren & Volinsky 2008, section 5). */
export function explainScore(table: ItemTable, system: UserSystem, item: number, params: ModelParams): Explanation {
  checkSystem(table, system, params);
  return explainWithRows(table, system, item, params, historyRows(table, system));
}

/** explainScore for several items, sharing the history's feature rows. */
export function explainItems(
  table: ItemTable,
  system: UserSystem,
  items: Iterable<number>,
  params: ModelParams,
): Explanation[] {
  checkSystem(table, system, params);
  const rows = historyRows(table, system);
  return Array.from(items, (item) => explainWithRows(table, system, item, params, rows));
}
