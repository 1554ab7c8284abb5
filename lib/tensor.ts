// The library's array type: float32 data in row-major order (NHWC for images) with a shape.
// Tensors are plain garbage-collected objects: there is nothing to dispose.

export type Shape = readonly number[];

/** Elements in a shape; throws a RangeError for a dimension that is not a positive integer. */
export function shapeSize(shape: Shape, what = 'shape'): number {
  let size = 1;
  for (const [axis, dim] of shape.entries()) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new RangeError(`${what}[${axis}] must be a non-negative integer, got ${dim} (shape [${shape.join(', ')}])`);
    }
    size *= dim;
  }
  if (!Number.isSafeInteger(size)) {
    throw new RangeError(`${what} [${shape.join(', ')}] has too many elements`);
  }
  return size;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;

  /** Wraps data (no copy) after checking that it matches shape. */
  constructor(data: Float32Array, shape: Shape) {
    if (!(data instanceof Float32Array)) {
      throw new TypeError(`tensor data must be a Float32Array, got ${describe(data)}`);
    }
    if (!Array.isArray(shape)) {
      throw new TypeError(`tensor shape must be an array of integers, got ${describe(shape)}`);
    }
    const size = shapeSize(shape);
    if (size !== data.length) {
      throw new RangeError(`tensor shape [${shape.join(', ')}] needs ${size} elements, but data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  get dtype(): 'float32' {
    return 'float32';
  }

  /** A tensor over the same data with another shape of the same size. */
  reshape(shape: Shape): Tensor {
    return new Tensor(this.data, shape);
  }

  /** Rows [start, end) along the first axis, sharing data. */
  slice(start: number, end: number): Tensor {
    if (this.rank === 0) throw new RangeError('slice needs a tensor of rank 1 or more, got a scalar (shape [])');
    const rows = this.shape[0];
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > rows || start > end) {
      throw new RangeError(`slice [${start}, ${end}) is out of range for ${rows} rows`);
    }
    const rowSize = rows === 0 ? 0 : this.size / rows;
    return new Tensor(this.data.subarray(start * rowSize, end * rowSize), [end - start, ...this.shape.slice(1)]);
  }

  /** Nested arrays, for printing and tests on small tensors. */
  toArray(): unknown {
    const build = (offset: number, axis: number): unknown => {
      if (axis === this.shape.length) return this.data[offset];
      const stride = this.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[axis] }, (_, i) => build(offset + i * stride, axis + 1));
    };
    return build(0, 0);
  }

  /**
   * Kept for familiarity with tfjs and a no-op: a tensor holds no native memory, its Float32Array
   * is freed by the garbage collector like any other.
   */
  dispose(): void {}
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an Array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value === 'object' ? `an object (${value.constructor?.name ?? 'Object'})` : `${typeof value} ${String(value)}`;
}

/**
 * Creates a float32 tensor. `data` may be a Float32Array (used without copying), a plain array of
 * numbers, or a nested array (its shape is inferred when `shape` is omitted).
 */
export function tensor(data: Float32Array | ArrayLike<number> | unknown[], shape?: Shape): Tensor {
  if (data instanceof Float32Array) {
    return new Tensor(data, shape ?? [data.length]);
  }
  if (Array.isArray(data)) {
    const inferred = nestedShape(data);
    const values = toFloat32(inferred.length > 1 ? data.flat(inferred.length - 1) : data);
    return new Tensor(values, shape ?? inferred);
  }
  if (ArrayBuffer.isView(data)) {
    const values = toFloat32(Array.from(data as ArrayLike<unknown>));
    return new Tensor(values, shape ?? [values.length]);
  }
  throw new TypeError(`tensor data must be a Float32Array or an array of numbers, got ${describe(data)}`);
}

/** The shape of a nested array; a RangeError names the first element of another length or depth. */
function nestedShape(data: unknown[]): number[] {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const check = (value: unknown, axis: number, path: string): void => {
    if (axis === shape.length) {
      if (Array.isArray(value)) throw new RangeError(`tensor data is ragged: data${path} is an array, expected a number`);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[axis]) {
      const got = Array.isArray(value) ? `has ${value.length} elements` : `is ${describe(value)}`;
      throw new RangeError(`tensor data is ragged: data${path} ${got}, expected an array of ${shape[axis]}`);
    }
    value.forEach((v, i) => check(v, axis + 1, `${path}[${i}]`));
  };
  check(data, 0, '');
  return shape;
}

function toFloat32(values: unknown[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') {
      throw new TypeError(`tensor data[${i}] must be a number, got ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}
