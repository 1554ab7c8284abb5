// Argument checks for the public API: each throws a TypeError or RangeError that names the
// field and shows what it received.

/** A value as error messages show it: `null`, `an Array`, a typed array's class, `an object (Map)`, or a primitive's type and value (`number -1`). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an Array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value === 'object'
    ? `an object (${value.constructor?.name ?? 'Object'})`
    : `${typeof value} ${String(value)}`;
}

export function positiveInt(value: unknown, field: string): number {
  if (typeof value !== 'number') throw new TypeError(`${field} must be a positive integer, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${field} must be a positive integer, got ${value}`);
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
    if (value.length !== 2)
      throw new RangeError(`${field} must be a number or a pair [height, width], got ${value.length} values`);
    return [positiveInt(value[0], `${field}[0]`), positiveInt(value[1], `${field}[1]`)];
  }
  const n = positiveInt(value, field);
  return [n, n];
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string')
    throw new TypeError(`${field} must be one of ${allowed.join(', ')}; got ${describe(value)}`);
  if (!allowed.includes(value as T))
    throw new RangeError(`${field} must be one of ${allowed.join(', ')}; got '${value}'`);
  return value as T;
}

export function booleanOr(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${field} must be a boolean, got ${describe(value)}`);
  return value;
}

/** An integer (a seed, an epoch number), optionally in [min, max]. */
export function integer(
  value: unknown,
  field: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number') throw new TypeError(`${field} must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    const bounds = min === Number.MIN_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER ? '' : ` in [${min}, ${max}]`;
    throw new RangeError(`${field} must be an integer${bounds}, got ${value}`);
  }
  return value;
}

/** A per-sample shape: a non-empty array of positive integers. */
export function shapeOption(value: unknown, field: string): number[] {
  if (!Array.isArray(value))
    throw new TypeError(`${field} must be an array of positive integers, got ${describe(value)}`);
  if (value.length === 0) throw new RangeError(`${field} must have at least one dimension, got []`);
  return value.map((d, i) => positiveInt(d, `${field}[${i}]`));
}

/** An optional options object: `{}` when undefined, a TypeError naming `owner` when not an object. */
export function optionsObject<T extends object>(value: T | undefined, owner: string): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object')
    throw new TypeError(`${owner} options must be an object, got ${describe(value)}`);
  return value;
}

/** The options object of a call that has required options, or a TypeError saying what it needs. */
export function requiredArgs<T>(args: T, owner: string, example: string): T {
  if (args === null || typeof args !== 'object') {
    throw new TypeError(`${owner} takes an options object such as ${example}, got ${describe(args)}`);
  }
  return args;
}
