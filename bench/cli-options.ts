// Parsers for CLI option values: each refuses a bad value with a message saying what was expected.
import { InvalidArgumentError } from 'commander';

/** An integer in [min, max]. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}.`);
    }
    return n;
  };
}

/** A finite number greater than `min` (or ≥ with inclusive). */
export function numberOption(min: number, inclusive = false, max = Infinity): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (inclusive ? n < min : n <= min) || n > max) {
      throw new InvalidArgumentError(`expected a number ${inclusive ? '≥' : '>'} ${min}${Number.isFinite(max) ? ` and ≤ ${max}` : ''}.`);
    }
    return n;
  };
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}.`);
    return value as T;
  };
}

/** A comma-separated list, each element parsed by `item`. */
export function listOption<T>(item: (value: string) => T): (value: string) => T[] {
  return (value) => {
    const parts = value.split(',').map((p) => p.trim());
    if (parts.length === 0 || parts.some((p) => p === '')) throw new InvalidArgumentError('expected a comma-separated list with no empty entries.');
    return parts.map((p) => {
      try {
        return item(p);
      } catch (err) {
        throw new InvalidArgumentError(`list entry '${p}': ${(err as Error).message}`);
      }
    });
  };
}
