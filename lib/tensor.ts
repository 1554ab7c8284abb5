// The library's array type: float32 data in row-major order (NHWC for images) with a shape.
// Tensors are plain garbage-collected objects (V8 sees their memory); dispose() only releases it
// sooner.
import { describe } from './errors';

/** Dimensions, outermost first: [n, height, width, channels] for a batch of images. */
export type Shape = readonly number[];

/** Elements in a shape; throws a TypeError or RangeError for a dimension that is not a non-negative integer. */
export function shapeSize(shape: Shape, what = 'shape'): number {
  let size = 1;
  for (const [axis, dim] of shape.entries()) {
    if (typeof dim !== 'number')
      throw new TypeError(`${what}[${axis}] must be a non-negative integer, got ${describe(dim)}`);
    if (!Number.isInteger(dim) || dim < 0) {
      throw new RangeError(`${what}[${axis}] must be a non-negative integer, got ${dim} (shape [${shape.join(', ')}])`);
    }
    if (!Number.isSafeInteger(dim))
      throw new RangeError(`${what}[${axis}] is too large: ${dim} (shape [${shape.join(', ')}])`);
    size *= dim;
  }
  if (!Number.isSafeInteger(size)) {
    throw new RangeError(`${what} [${shape.join(', ')}] has too many elements`);
  }
  return size;
}

/** Whether a typed array's buffer was detached (transferred, e.g. to a worker, or disposed). */
export function isDetached(array: ArrayBufferView): boolean {
  if (array.byteLength > 0) return false;
  try {
    // Only a detached buffer refuses a new view; a merely empty one accepts it.
    new Uint8Array(array.buffer);
    return false;
  } catch {
    return true;
  }
}

/** A TypeError if `array` is detached: it would read as empty, silently. */
export function checkAttached(array: ArrayBufferView, what: string): void {
  if (isDetached(array)) {
    throw new TypeError(
      `${what}'s ArrayBuffer is detached (transferred, e.g. to a worker, or disposed): its data is gone`,
    );
  }
}

/**
 * A float32 array with a shape: convkit's inputs, outputs and weights. Make one with `ck.tensor`;
 * `reshape` and `slice` share its data.
 */
export class Tensor {
  /** The dimensions (frozen). */
  readonly shape: Shape;
  /** The number of elements. */
  readonly size: number;
  #data: Float32Array | null;

  /** Wraps data (no copy) after checking that it matches shape. */
  constructor(data: Float32Array, shape: Shape) {
    if (!(data instanceof Float32Array)) {
      throw new TypeError(`tensor data must be a Float32Array, got ${describe(data)}`);
    }
    checkAttached(data, 'tensor data');
    if (!Array.isArray(shape)) {
      throw new TypeError(`tensor shape must be an array of integers, got ${describe(shape)}`);
    }
    const size = shapeSize(shape);
    if (size !== data.length) {
      throw new RangeError(`tensor shape [${shape.join(', ')}] needs ${size} elements, but data has ${data.length}`);
    }
    this.#data = data;
    this.size = size;
    this.shape = Object.freeze([...shape]);
  }

  /**
   * The values, row-major (no copy). A TypeError once the tensor is disposed or its buffer was
   * detached, rather than an empty array that would read as zero samples.
   */
  get data(): Float32Array {
    const data = this.#data;
    if (data === null)
      throw new TypeError(`the tensor was disposed (shape [${this.shape.join(', ')}]); its data is gone`);
    // A typed array on a fixed-length buffer only changes length by being detached.
    if (data.length !== this.size) checkAttached(data, 'tensor data');
    return data;
  }

  /** Whether dispose() was called. */
  get isDisposed(): boolean {
    return this.#data === null;
  }

  /** The number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Always 'float32'. */
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
    const data = this.data;
    const build = (offset: number, axis: number): unknown => {
      if (axis === this.shape.length) return data[offset];
      const stride = this.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[axis] }, (_, i) => build(offset + i * stride, axis + 1));
    };
    return build(0, 0);
  }

  /**
   * Releases the data now instead of when the tensor is garbage collected; any later use of this
   * tensor throws a TypeError. When the tensor's Float32Array spans its whole ArrayBuffer (as the
   * outputs of predict do), the buffer is detached, so its memory goes back at the next minor
   * collection even while something still refers to the tensor; other tensors and arrays viewing
   * that buffer (reshape, slice, the array passed to ck.tensor) become unusable too. A tensor
   * that views part of a larger buffer (a slice) only lets go of its view. Calling it twice is fine.
   */
  dispose(): void {
    const data = this.#data;
    if (data === null) return;
    this.#data = null;
    if (
      data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength &&
      data.byteLength > 0 &&
      !(data.buffer instanceof SharedArrayBuffer)
    ) {
      structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] });
    }
  }
}

/**
 * Creates a float32 tensor. `data` may be a Float32Array (used without copying), a plain array of
 * numbers, or a nested array (its shape is inferred when `shape` is omitted).
 * @param data The values, row-major; other typed arrays are copied to float32.
 * @param shape The dimensions (default: inferred from nesting, or [data.length] for a flat array).
 * @throws {TypeError} for data that is not numbers, or a detached buffer.
 * @throws {RangeError} for ragged nested arrays or a shape whose size is not data's length.
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
    checkAttached(data, 'tensor data');
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
      if (Array.isArray(value))
        throw new RangeError(`tensor data is ragged: data${path} is an array, expected a number`);
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
