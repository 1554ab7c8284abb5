// The IDX format of MNIST-style data sets: a 4-byte magic number (0x00 0x00, a type code, the number
// of dimensions), one big-endian uint32 per dimension, then the values, big-endian, row-major.
// Files may be gzipped; they are recognised by the gzip magic bytes, not by their name.
import { readFile } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import { describe } from '../errors';
import { Tensor, checkAttached } from '../tensor';

/** The value types an IDX file may hold. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
/** The typed array readIdx returns for each IdxDtype. */
export type IdxTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** One parsed IDX file. `data` is in native byte order and never shares memory with the input. */
export interface IdxArray {
  /** The type of the values, from the magic number's type code. */
  dtype: IdxDtype;
  /** 1 to 4 dimensions, as the header gives them (a dimension may be 0). */
  shape: number[];
  /** Row-major values; data.length is the product of shape. */
  data: IdxTypedArray;
}

/** Options of `ck.datasets.loadIdx`. */
export interface LoadIdxOptions {
  /** Divide uint8 pixels by 255 so they lie in [0, 1]. Defaults to true; only valid for uint8 images. */
  normalize?: boolean;
}

/** Images and labels of a classification data set. */
export interface IdxDataset {
  /** Images as [count, rows, columns, 1] float32 (NHWC with one channel). */
  x: Tensor;
  /** The class index of each image. */
  y: Int32Array;
}

interface IdxType {
  dtype: IdxDtype;
  /** Bytes per value. */
  size: number;
  view(buffer: ArrayBufferLike, byteOffset: number, length: number): IdxTypedArray;
}

const idxTypes = new Map<number, IdxType>([
  [0x08, { dtype: 'uint8', size: 1, view: (b, o, n) => new Uint8Array(b, o, n) }],
  [0x09, { dtype: 'int8', size: 1, view: (b, o, n) => new Int8Array(b, o, n) }],
  [0x0b, { dtype: 'int16', size: 2, view: (b, o, n) => new Int16Array(b, o, n) }],
  [0x0c, { dtype: 'int32', size: 4, view: (b, o, n) => new Int32Array(b, o, n) }],
  [0x0d, { dtype: 'float32', size: 4, view: (b, o, n) => new Float32Array(b, o, n) }],
  [0x0e, { dtype: 'float64', size: 8, view: (b, o, n) => new Float64Array(b, o, n) }],
]);

const maxDimensions = 4;
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const gunzipAsync = promisify(gunzip);

/**
 * Parses one IDX file, gzipped or not. `what` names the file in error messages (a path, say).
 * Malformed files throw a RangeError (bad magic, rank, size, truncation, trailing bytes), a
 * TypeError (unknown type code) or an Error (corrupt gzip stream, with zlib's error as `cause`).
 */
export function readIdx(buffer: Uint8Array, what: string): IdxArray {
  checkReadArguments(buffer, what);
  if (!isGzip(buffer)) return parseIdx(buffer, what, { gunzipped: false, owned: false });
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(buffer);
  } catch (error) {
    throw corruptGzip(what, error);
  }
  return parseIdx(bytes, what, { gunzipped: true, owned: true });
}

/**
 * Reads an IDX images file ([count, rows, columns]) and an IDX labels file ([count] uint8) into
 * `x` [count, rows, columns, 1] float32 and `y` class indices. Files are read and unzipped off the
 * event loop, and pixels are converted in slices so other work keeps running meanwhile.
 */
export async function loadIdx(
  imagesPath: string,
  labelsPath: string,
  options: LoadIdxOptions = {},
): Promise<IdxDataset> {
  if (typeof imagesPath !== 'string' || imagesPath === '') {
    throw new TypeError(`loadIdx: imagesPath must be a non-empty string, got ${describe(imagesPath)}`);
  }
  if (typeof labelsPath !== 'string' || labelsPath === '') {
    throw new TypeError(`loadIdx: labelsPath must be a non-empty string, got ${describe(labelsPath)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`loadIdx: options must be an object, got ${describe(options)}`);
  }
  const normalize = options.normalize ?? true;
  if (typeof normalize !== 'boolean') {
    throw new TypeError(`loadIdx: options.normalize must be a boolean, got ${describe(normalize)}`);
  }

  const [images, labels] = await Promise.all([readIdxFile(imagesPath, 'images'), readIdxFile(labelsPath, 'labels')]);
  if (images.shape.length !== 3) {
    throw new RangeError(
      `${imagesPath}: an images file must have 3 dimensions [count, rows, columns], got shape [${images.shape.join(', ')}]`,
    );
  }
  if (labels.shape.length !== 1) {
    throw new RangeError(
      `${labelsPath}: a labels file must have 1 dimension [count], got shape [${labels.shape.join(', ')}]`,
    );
  }
  // uint8 labels are class indices in [0, 255] by construction: no sign or range check is needed.
  if (labels.dtype !== 'uint8') {
    throw new TypeError(`${labelsPath}: labels must be unsigned bytes (IDX type 0x08, uint8), got ${labels.dtype}`);
  }
  const [count, rows, columns] = images.shape;
  if (labels.shape[0] !== count) {
    throw new RangeError(`${imagesPath} has ${count} images but ${labelsPath} has ${labels.shape[0]} labels`);
  }
  if (normalize && images.dtype !== 'uint8') {
    throw new TypeError(
      `${imagesPath}: normalize divides uint8 pixels by 255, but the images are ${images.dtype}; pass { normalize: false }`,
    );
  }
  const pixels = await toFloat32(images.data, normalize);
  return { x: new Tensor(pixels, [count, rows, columns, 1]), y: new Int32Array(labels.data) };
}

async function readIdxFile(path: string, role: string): Promise<IdxArray> {
  let buffer: Uint8Array;
  try {
    buffer = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new Error(`loadIdx: cannot read the ${role} file ${path}: ${reason}`, { cause: error });
  }
  if (!isGzip(buffer)) return parseIdx(buffer, path, { gunzipped: false, owned: true });
  let bytes: Uint8Array;
  try {
    bytes = await gunzipAsync(buffer);
  } catch (error) {
    throw corruptGzip(path, error);
  }
  return parseIdx(bytes, path, { gunzipped: true, owned: true });
}

/** Converts values to float32 (divided by 255 if normalize), yielding to the event loop between slices. */
async function toFloat32(data: IdxTypedArray, normalize: boolean): Promise<Float32Array> {
  const out = new Float32Array(data.length);
  const slice = 1 << 20;
  for (let start = 0; start < data.length; start += slice) {
    const end = Math.min(start + slice, data.length);
    if (normalize) {
      // a division, not a multiplication by 1/255, so that 255 maps to exactly 1
      for (let i = start; i < end; i++) out[i] = data[i] / 255;
    } else {
      out.set(data.subarray(start, end), start);
    }
    if (end < data.length) await yieldToEventLoop();
  }
  return out;
}

function checkReadArguments(buffer: Uint8Array, what: string): void {
  if (typeof what !== 'string') {
    throw new TypeError(`readIdx: what must be a string naming the file, got ${describe(what)}`);
  }
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`readIdx: ${what} must be a Uint8Array (or Buffer), got ${describe(buffer)}`);
  }
  checkAttached(buffer, what);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function corruptGzip(what: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`${what}: corrupt gzip stream (${reason})`, { cause: error });
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0').toUpperCase()}`;
}

interface Origin {
  /** For messages: the sizes are those of the decompressed data. */
  gunzipped: boolean;
  /** Nobody else holds `bytes`, so single-byte values may be returned as a view of them. */
  owned: boolean;
}

/** Parses uncompressed IDX bytes; reads only within bytes[0, length). */
function parseIdx(bytes: Uint8Array, what: string, origin: Origin): IdxArray {
  const got = `got ${bytes.length}${origin.gunzipped ? ' after gunzip' : ''}`;
  if (bytes.length < 4) {
    throw new RangeError(`${what}: too short for an IDX file: expected at least a 4-byte magic number, ${got} bytes`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new RangeError(
      `${what}: not an IDX file: the magic number must start with 0x00 0x00, got ${hex(bytes[0])} ${hex(bytes[1])}`,
    );
  }
  const type = idxTypes.get(bytes[2]);
  if (type === undefined) {
    const known = [...idxTypes].map(([code, t]) => `${hex(code)} (${t.dtype})`).join(', ');
    throw new TypeError(
      `${what}: unknown IDX type code ${hex(bytes[2])} in the magic number, expected one of ${known}`,
    );
  }
  const rank = bytes[3];
  if (rank < 1 || rank > maxDimensions) {
    throw new RangeError(`${what}: the IDX number of dimensions must be 1 to ${maxDimensions}, got ${rank}`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new RangeError(`${what}: truncated header: ${rank} dimensions need ${headerBytes} bytes, ${got}`);
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const shape = Array.from({ length: rank }, (_, axis) => header.getUint32(4 + 4 * axis, false));
  // BigInt: four uint32 dimensions can overflow a double's exact range
  const count = shape.reduce((n, dim) => n * BigInt(dim), 1n);
  const expected = BigInt(headerBytes) + count * BigInt(type.size);
  const layout = `${headerBytes} header bytes and [${shape.join(', ')}] ${type.dtype} values`;
  if (BigInt(bytes.length) < expected) {
    throw new RangeError(`${what}: truncated data: expected ${expected} bytes (${layout}), ${got}`);
  }
  if (BigInt(bytes.length) > expected) {
    throw new RangeError(`${what}: trailing bytes after the data: expected ${expected} bytes (${layout}), ${got}`);
  }
  if (type.size === 1 && origin.owned) {
    // no copy of a 47 MB image file on the event loop when nobody else can see the bytes
    return { dtype: type.dtype, shape, data: type.view(bytes.buffer, bytes.byteOffset + headerBytes, Number(count)) };
  }
  // Copy into a fresh, aligned buffer (not bytes.slice: on a Buffer that is a view), then swap
  // each value's bytes from big-endian to the host order.
  const values = new Uint8Array(bytes.subarray(headerBytes));
  if (type.size > 1 && hostIsLittleEndian) swapBytes(values, type.size);
  return { dtype: type.dtype, shape, data: type.view(values.buffer, 0, Number(count)) };
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let start = 0; start < bytes.length; start += size) {
    for (let lo = start, hi = start + size - 1; lo < hi; lo++, hi--) {
      const t = bytes[lo];
      bytes[lo] = bytes[hi];
      bytes[hi] = t;
    }
  }
}
