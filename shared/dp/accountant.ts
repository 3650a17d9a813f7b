// A pure RDP accountant: an account is plain data (orders, summed RDP curve, settings run), updated by returning a new one.
import { type DpSetting, perStepCurve, scaleRdp } from './rdp';
import { epsilonFromRdp, deltaFromRdp, type EpsilonAtOrder, type DeltaAtOrder } from './conversion';
import { DEFAULT_ORDERS } from './orders';
import { checkOrders, checkSetting, checkEpsilon, checkDelta, checkSamplingRate, checkNoiseMultiplier } from './validate';

/** What has been spent: the RDP curve over `orders` and the settings run, consecutive equal settings merged. */
export interface Account {
  readonly orders: readonly number[];
  readonly rdp: readonly number[];
  readonly history: readonly DpSetting[];
}

/** A privacy budget: the (ε, δ) that must not be exceeded. */
export interface Budget {
  readonly epsilon: number;
  readonly delta: number;
}

/** A setting about to be run; `steps` defaults to 1 (one round). */
export interface NextStep {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly steps?: number;
}

/**
 * Per-step curves by order list (by identity) and setting. Composition is multiplication of a cached curve, so
 * 10,000 rounds of one setting cost one curve (Mironov 2017 Prop. 1: RDP adds under composition).
 */
const curveCache = new WeakMap<readonly number[], Map<string, readonly number[]>>();
const CURVES_PER_ORDER_LIST = 64;

function cachedPerStepCurve(samplingRate: number, noiseMultiplier: number, orders: readonly number[]): readonly number[] {
  let byList = curveCache.get(orders);
  if (!byList) {
    byList = new Map();
    curveCache.set(orders, byList);
  }
  const key = `${samplingRate}|${noiseMultiplier}`;
  const hit = byList.get(key);
  if (hit) return hit;
  const curve = Object.freeze(perStepCurve(samplingRate, noiseMultiplier, orders));
  if (byList.size >= CURVES_PER_ORDER_LIST) byList.delete(byList.keys().next().value!);
  byList.set(key, curve);
  return curve;
}

function checkAccount(account: Account): void {
  if (account === null || typeof account !== 'object' || !Array.isArray(account.rdp) || !Array.isArray(account.history)) {
    throw new RangeError('account must be an Account made by createAccountant');
  }
  checkOrders(account.orders, 'account.orders');
  if (account.rdp.length !== account.orders.length) throw new RangeError(`account.rdp must have ${account.orders.length} values, got ${account.rdp.length}`);
}

/** A new, empty account over the given Rényi orders (default: dp_accounting's list). */
export function createAccountant(options: { orders?: readonly number[] } = {}): Account {
  const given = options.orders ?? DEFAULT_ORDERS;
  checkOrders(given);
  const orders = Object.isFrozen(given) ? given : Object.freeze([...given]);
  return Object.freeze({ orders, rdp: Object.freeze(new Array<number>(orders.length).fill(0)), history: Object.freeze([]) });
}

/** The account after also running `setting` (RDP of T Poisson-subsampled Gaussian steps added order by order; MTZ 2019). */
export function compose(account: Account, setting: DpSetting): Account {
  checkAccount(account);
  checkSetting(setting);
  const { samplingRate, noiseMultiplier, steps } = setting;
  const perStep = cachedPerStepCurve(samplingRate, noiseMultiplier, account.orders);
  const rdp = account.rdp.map((r, k) => r + scaleRdp(perStep[k]!, steps));
  const last = account.history[account.history.length - 1];
  const history =
    steps === 0
      ? account.history
      : last && last.samplingRate === samplingRate && last.noiseMultiplier === noiseMultiplier
        ? [...account.history.slice(0, -1), Object.freeze({ samplingRate, noiseMultiplier, steps: last.steps + steps })]
        : [...account.history, Object.freeze({ samplingRate, noiseMultiplier, steps })];
  return Object.freeze({ orders: account.orders, rdp: Object.freeze(rdp), history: Object.freeze(history) });
}

/** ε spent at `targetDelta`, and the order that gave it (improved conversion: Balle et al. 2020; CKS 2020). */
export function epsilon(account: Account, targetDelta: number): EpsilonAtOrder {
  checkAccount(account);
  return epsilonFromRdp(account.orders, account.rdp, targetDelta);
}

/** δ spent at `targetEpsilon`, and the order that gave it (CKS 2020 Prop. 12). */
export function delta(account: Account, targetEpsilon: number): DeltaAtOrder {
  checkAccount(account);
  return deltaFromRdp(account.orders, account.rdp, targetEpsilon);
}

/** Whether running `step` next would take the account past `budget` (check before a round starts). */
export function wouldExceed(account: Account, step: NextStep, budget: Budget): boolean {
  checkAccount(account);
  if (step === null || typeof step !== 'object') throw new RangeError('step must be { samplingRate, noiseMultiplier, steps? }');
  checkSamplingRate(step.samplingRate);
  checkNoiseMultiplier(step.noiseMultiplier);
  if (budget === null || typeof budget !== 'object') throw new RangeError('budget must be { epsilon, delta }');
  checkEpsilon(budget.epsilon, 'budget.epsilon');
  checkDelta(budget.delta, 'budget.delta');
  const next = compose(account, { samplingRate: step.samplingRate, noiseMultiplier: step.noiseMultiplier, steps: step.steps ?? 1 });
  return epsilonFromRdp(next.orders, next.rdp, budget.delta).epsilon > budget.epsilon;
}
