// Parameter checks shared by every DP function: each throws a RangeError naming the parameter.

const show = (value: unknown): string => (typeof value === 'number' || typeof value === 'bigint' ? String(value) : JSON.stringify(value) ?? String(value));

function isNumber(value: unknown): value is number {
  return typeof value === 'number';
}

/** ε: finite and > 0. */
export function checkEpsilon(value: number, name = 'epsilon'): void {
  if (!isNumber(value) || !Number.isFinite(value) || !(value > 0)) throw new RangeError(`${name} must be a finite number > 0, got ${show(value)}`);
}

/** δ: strictly inside (0, 1). */
export function checkDelta(value: number, name = 'delta'): void {
  if (!isNumber(value) || !(value > 0 && value < 1)) throw new RangeError(`${name} must be in (0, 1), got ${show(value)}`);
}

/** q: in [0, 1] (q = 0 is allowed: nobody is sampled, nothing is spent). */
export function checkSamplingRate(value: number, name = 'samplingRate'): void {
  if (!isNumber(value) || !(value >= 0 && value <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${show(value)}`);
}

/** σ (noise multiplier): finite and ≥ 0 (σ = 0 means no noise and an infinite ε). */
export function checkNoiseMultiplier(value: number, name = 'noiseMultiplier'): void {
  if (!isNumber(value) || !Number.isFinite(value) || !(value >= 0)) throw new RangeError(`${name} must be a finite number ≥ 0, got ${show(value)}`);
}

/** C (clipping norm) or any other strictly positive finite scale. */
export function checkPositive(value: number, name: string): void {
  if (!isNumber(value) || !Number.isFinite(value) || !(value > 0)) throw new RangeError(`${name} must be a finite number > 0, got ${show(value)}`);
}

/** A finite number ≥ 0. */
export function checkNonNegative(value: number, name: string): void {
  if (!isNumber(value) || !Number.isFinite(value) || !(value >= 0)) throw new RangeError(`${name} must be a finite number ≥ 0, got ${show(value)}`);
}

/** Steps (number of compositions) or any count: a non-negative safe integer. */
export function checkCount(value: number, name = 'steps'): void {
  if (!isNumber(value) || !Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${show(value)}`);
}

/** A count that must be at least 1 (devices, threshold, length of a cohort …). */
export function checkPositiveCount(value: number, name: string): void {
  if (!isNumber(value) || !Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be an integer ≥ 1, got ${show(value)}`);
}

/** Rényi orders: a non-empty list of finite numbers ≥ 1. */
export function checkOrders(orders: readonly number[], name = 'orders'): void {
  if (!Array.isArray(orders) || orders.length === 0) throw new RangeError(`${name} must be a non-empty list of Rényi orders ≥ 1`);
  for (let i = 0; i < orders.length; i++) {
    const order = orders[i];
    if (!isNumber(order) || !Number.isFinite(order) || !(order >= 1)) throw new RangeError(`${name}[${i}] must be a finite Rényi order ≥ 1, got ${show(order)}`);
  }
}

/** One Rényi order: finite and ≥ 1. */
export function checkOrder(order: number, name = 'order'): void {
  if (!isNumber(order) || !Number.isFinite(order) || !(order >= 1)) throw new RangeError(`${name} must be a finite Rényi order ≥ 1, got ${show(order)}`);
}

/** A setting of the Poisson-subsampled Gaussian: q in [0, 1], σ ≥ 0, steps a non-negative integer. */
export function checkSetting(setting: { samplingRate: number; noiseMultiplier: number; steps: number }): void {
  if (setting === null || typeof setting !== 'object') throw new RangeError(`setting must be an object { samplingRate, noiseMultiplier, steps }, got ${show(setting)}`);
  checkSamplingRate(setting.samplingRate);
  checkNoiseMultiplier(setting.noiseMultiplier);
  checkCount(setting.steps, 'steps');
}
