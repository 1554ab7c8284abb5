// Argument checks for the public API: each throws a TypeError or RangeError that names the
// field and shows what it received.
import { describe } from './tensor';

export function positiveInt(value: unknown, field: string): number {
  if (typeof value !== 'number') throw new TypeError(`${field} must be a positive integer, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${field} must be a positive integer, got ${value}`);
  return value;
}

export function finiteNumber(value: unknown, field: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number') throw new TypeError(`${field} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${field} must be a finite number in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** A positive integer or a pair of them, as Keras accepts for kernel sizes, strides and pools. */
export function intPair(value: unknown, field: string): [number, number] {
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new RangeError(`${field} must be a number or a pair [height, width], got ${value.length} values`);
    return [positiveInt(value[0], `${field}[0]`), positiveInt(value[1], `${field}[1]`)];
  }
  const n = positiveInt(value, field);
  return [n, n];
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw new TypeError(`${field} must be one of ${allowed.join(', ')}; got ${describe(value)}`);
  if (!allowed.includes(value as T)) throw new RangeError(`${field} must be one of ${allowed.join(', ')}; got '${value}'`);
  return value as T;
}

export function booleanOr(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${field} must be a boolean, got ${describe(value)}`);
  return value;
}
