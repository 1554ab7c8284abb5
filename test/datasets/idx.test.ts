import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { type IdxDtype, loadIdx, readIdx } from '../../lib/datasets';
import { randomInt, rng } from '../helpers/random';

// An IDX encoder written independently of the parser: DataView's big-endian setters per type.
const encodings: Record<IdxDtype, { code: number; size: number; set: (v: DataView, at: number, x: number) => void }> = {
  uint8: { code: 0x08, size: 1, set: (v, at, x) => v.setUint8(at, x) },
  int8: { code: 0x09, size: 1, set: (v, at, x) => v.setInt8(at, x) },
  int16: { code: 0x0b, size: 2, set: (v, at, x) => v.setInt16(at, x, false) },
  int32: { code: 0x0c, size: 4, set: (v, at, x) => v.setInt32(at, x, false) },
  float32: { code: 0x0d, size: 4, set: (v, at, x) => v.setFloat32(at, x, false) },
  float64: { code: 0x0e, size: 8, set: (v, at, x) => v.setFloat64(at, x, false) },
};

function idxFile(dtype: IdxDtype, shape: number[], values: number[]): Uint8Array {
  const { code, size, set } = encodings[dtype];
  const bytes = new Uint8Array(4 + 4 * shape.length + size * values.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0, 0, code, shape.length]);
  shape.forEach((dim, axis) => view.setUint32(4 + 4 * axis, dim, false));
  values.forEach((x, i) => set(view, 4 + 4 * shape.length + size * i, x));
  return bytes;
}

/** A header alone: magic (type code, rank) then the given dimensions, for malformed files. */
function header(code: number, rank: number, dims: number[] = []): number[] {
  return [0, 0, code, rank, ...dims.flatMap((d) => [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])];
}

/** Runs f and returns what it threw, checking the exact class and message. */
function expectError(f: () => unknown, type: ErrorConstructor, message: string): Error {
  let thrown: unknown;
  try {
    f();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'nothing was thrown').toBeInstanceOf(Error);
  expect((thrown as Error).constructor).toBe(type);
  expect((thrown as Error).message).toBe(message);
  return thrown as Error;
}

async function expectRejection(p: Promise<unknown>, type: ErrorConstructor, message: string): Promise<Error> {
  const thrown = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown, 'the promise resolved').toBeInstanceOf(Error);
  expect((thrown as Error).constructor).toBe(type);
  expect((thrown as Error).message).toBe(message);
  return thrown as Error;
}

const typedArrays: Record<IdxDtype, new (length: number) => ArrayBufferView> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

// Extremes and values whose bytes differ, so a wrong byte order or a sign error shows.
const dtypeCases: { dtype: IdxDtype; shape: number[]; values: number[] }[] = [
  { dtype: 'uint8', shape: [2, 3], values: [0, 1, 127, 128, 254, 255] },
  { dtype: 'int8', shape: [4], values: [-128, -1, 0, 127] },
  { dtype: 'int16', shape: [2, 2], values: [-32768, -2, 258, 32767] },
  { dtype: 'int32', shape: [3, 1, 1], values: [-2147483648, 16909060, 2147483647] },
  { dtype: 'float32', shape: [1, 2, 2], values: [1.5, -0.25, Math.fround(3.4e38), Math.fround(1e-45)] },
  { dtype: 'float64', shape: [2, 1, 1, 2], values: [Math.PI, -1e300, 5e-324, -0] },
  { dtype: 'uint8', shape: [0, 28, 28], values: [] },
];

describe('readIdx parses every IDX type, plain or gzipped', () => {
  it.each(
    dtypeCases.flatMap((c) => [
      { ...c, gzip: false, name: `${c.dtype} [${c.shape}] plain` },
      { ...c, gzip: true, name: `${c.dtype} [${c.shape}] gzipped` },
    ]),
  )('$name', ({ dtype, shape, values, gzip }) => {
    const plain = idxFile(dtype, shape, values);
    const parsed = readIdx(gzip ? gzipSync(plain) : plain, 'test.idx');
    expect(parsed.dtype).toBe(dtype);
    expect(parsed.shape).toEqual(shape);
    expect(parsed.data).toBeInstanceOf(typedArrays[dtype]);
    expect(Array.from(parsed.data)).toEqual(values);
  });

  it('reads only its own bytes of a larger, unaligned buffer, and returns a copy', () => {
    const file = idxFile('int16', [3], [1, -2, 300]);
    const backing = new Uint8Array(file.length + 10).fill(7);
    backing.set(file, 3);
    const parsed = readIdx(backing.subarray(3, 3 + file.length), 'embedded.idx');
    expect(Array.from(parsed.data)).toEqual([1, -2, 300]);
    backing.fill(0);
    expect(Array.from(parsed.data)).toEqual([1, -2, 300]);

    // the bytes after the view would complete the data: they must not be read
    expectError(
      () => readIdx(new Uint8Array(file.buffer, 0, file.length - 1).subarray(0), 'short.idx'),
      RangeError,
      'short.idx: truncated data: expected 14 bytes (8 header bytes and [3] int16 values), got 13',
    );
    const plainUint8 = idxFile('uint8', [2], [5, 6]);
    const copy = readIdx(plainUint8, 'u8.idx');
    plainUint8.fill(0);
    expect(Array.from(copy.data)).toEqual([5, 6]);
  });

  it('accepts a Node Buffer', () => {
    const parsed = readIdx(Buffer.from(idxFile('int32', [2], [7, -7])), 'buffer.idx');
    expect(Array.from(parsed.data)).toEqual([7, -7]);
  });
});

describe('readIdx rejects malformed files with the file name and the field', () => {
  const f = 'f.idx';
  const cases: { name: string; bytes: number[] | Uint8Array; type: ErrorConstructor; message: string }[] = [
    {
      name: 'empty file',
      bytes: [],
      type: RangeError,
      message: 'f.idx: too short for an IDX file: expected at least a 4-byte magic number, got 0 bytes',
    },
    {
      name: 'wrong magic (a text file)',
      bytes: [...Buffer.from('hello world')],
      type: RangeError,
      message: 'f.idx: not an IDX file: the magic number must start with 0x00 0x00, got 0x68 0x65',
    },
    {
      name: 'wrong second magic byte',
      bytes: [0, 1, 8, 1, 0, 0, 0, 0],
      type: RangeError,
      message: 'f.idx: not an IDX file: the magic number must start with 0x00 0x00, got 0x00 0x01',
    },
    {
      name: 'unknown type code',
      bytes: header(0x0a, 1, [1]),
      type: TypeError,
      message:
        'f.idx: unknown IDX type code 0x0A in the magic number, expected one of 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32), 0x0E (float64)',
    },
    {
      name: 'zero dimensions',
      bytes: header(0x08, 0),
      type: RangeError,
      message: 'f.idx: the IDX number of dimensions must be 1 to 4, got 0',
    },
    {
      name: 'five dimensions',
      bytes: header(0x08, 5, [1, 1, 1, 1, 1]),
      type: RangeError,
      message: 'f.idx: the IDX number of dimensions must be 1 to 4, got 5',
    },
    {
      name: 'truncated header',
      bytes: header(0x08, 3, [1, 2]),
      type: RangeError,
      message: 'f.idx: truncated header: 3 dimensions need 16 bytes, got 12',
    },
    {
      name: 'truncated data',
      bytes: idxFile('int16', [2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 23),
      type: RangeError,
      message: 'f.idx: truncated data: expected 24 bytes (12 header bytes and [2, 3] int16 values), got 23',
    },
    {
      name: 'dimensions far past the end (no overflow, no allocation)',
      bytes: header(0x0e, 4, [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]),
      type: RangeError,
      message:
        'f.idx: truncated data: expected 2722258932832206508135981771861358805020 bytes (20 header bytes and [4294967295, 4294967295, 4294967295, 4294967295] float64 values), got 20',
    },
    {
      name: 'trailing garbage',
      bytes: [...idxFile('uint8', [2], [1, 2]), 0],
      type: RangeError,
      message: 'f.idx: trailing bytes after the data: expected 10 bytes (8 header bytes and [2] uint8 values), got 11',
    },
  ];
  it.each(cases)('$name', ({ bytes, type, message }) => {
    expectError(() => readIdx(Uint8Array.from(bytes), f), type, message);
  });

  it('measures a gzipped file after decompression', () => {
    const short = idxFile('int16', [2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 23);
    expectError(
      () => readIdx(gzipSync(short), 'f.idx.gz'),
      RangeError,
      'f.idx.gz: truncated data: expected 24 bytes (12 header bytes and [2, 3] int16 values), got 23 after gunzip',
    );
  });

  it("names the file on a corrupt gzip stream and keeps zlib's error as the cause", () => {
    const zipped = gzipSync(idxFile('uint8', [4], [1, 2, 3, 4]));
    const truncated = expectError(
      () => readIdx(zipped.subarray(0, zipped.length - 5), 'a.gz'),
      Error,
      'a.gz: corrupt gzip stream (unexpected end of file)',
    );
    expect((truncated.cause as NodeJS.ErrnoException).code).toBe('Z_BUF_ERROR');
    const badCrc = Uint8Array.from(zipped);
    badCrc[badCrc.length - 6] ^= 0xff; // the CRC32 of the trailer
    expectError(() => readIdx(badCrc, 'b.gz'), Error, 'b.gz: corrupt gzip stream (incorrect data check)');
    expectError(
      () => readIdx(Uint8Array.from([0x1f, 0x8b]), 'c.gz'),
      Error,
      'c.gz: corrupt gzip stream (unexpected end of file)',
    );
  });

  it('rejects arguments of the wrong type', () => {
    expectError(
      () => readIdx('data' as unknown as Uint8Array, 'x.idx'),
      TypeError,
      'readIdx: x.idx must be a Uint8Array (or Buffer), got string data',
    );
    expectError(
      () => readIdx(new ArrayBuffer(8) as unknown as Uint8Array, 'x.idx'),
      TypeError,
      'readIdx: x.idx must be a Uint8Array (or Buffer), got an object (ArrayBuffer)',
    );
    expectError(
      () => readIdx(new Uint8Array(8), undefined as unknown as string),
      TypeError,
      'readIdx: what must be a string naming the file, got undefined undefined',
    );
  });
});

describe('readIdx under seeded random corruption', () => {
  const bases = [
    idxFile(
      'uint8',
      [3, 4, 5],
      Array.from({ length: 60 }, (_, i) => (i * 37) % 256),
    ),
    idxFile(
      'int16',
      [2, 3, 2],
      Array.from({ length: 12 }, (_, i) => i * 1000 - 6000),
    ),
    idxFile('float64', [2, 2], [0.5, -1, 2, 1e10]),
    idxFile('int32', [5], [1, -1, 2, -2, 3]),
  ];
  const sizes: Record<IdxDtype, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };
  const kinds = [
    'truncate',
    'flip header',
    'dimension past the end',
    'flip data',
    'append',
    'truncate gzip',
    'flip gzip',
  ] as const;

  function mutate(random: () => number, base: Uint8Array, kind: (typeof kinds)[number]): Uint8Array {
    const headerBytes = 4 + 4 * base[3];
    const bytes = Uint8Array.from(base);
    switch (kind) {
      case 'truncate':
        return bytes.subarray(0, randomInt(random, 0, bytes.length - 1));
      case 'flip header':
        for (let n = randomInt(random, 1, 3); n > 0; n--)
          bytes[randomInt(random, 0, headerBytes - 1)] ^= 1 << randomInt(random, 0, 7);
        return bytes;
      case 'dimension past the end': {
        const at = 4 + 4 * randomInt(random, 0, base[3] - 1);
        const dim = new DataView(bytes.buffer).getUint32(at, false);
        new DataView(bytes.buffer).setUint32(at, randomInt(random, dim + 1, 0xffffffff), false);
        return bytes;
      }
      case 'flip data':
        bytes[randomInt(random, headerBytes, bytes.length - 1)] ^= 1 << randomInt(random, 0, 7);
        return bytes;
      case 'append':
        return Uint8Array.from([
          ...bytes,
          ...Array.from({ length: randomInt(random, 1, 9) }, () => randomInt(random, 0, 255)),
        ]);
      case 'truncate gzip': {
        const zipped = gzipSync(bytes);
        return zipped.subarray(0, randomInt(random, 0, zipped.length - 1));
      }
      case 'flip gzip': {
        const zipped = Uint8Array.from(gzipSync(bytes));
        zipped[randomInt(random, 0, zipped.length - 1)] ^= 1 << randomInt(random, 0, 7);
        return zipped;
      }
    }
  }

  it('500 mutations each parse consistently or throw a named RangeError/TypeError/Error', () => {
    const started = performance.now();
    const outcomes = new Map<string, number>();
    for (let seed = 0; seed < 500; seed++) {
      const random = rng(9000 + seed);
      const base = bases[seed % bases.length];
      const kind = kinds[randomInt(random, 0, kinds.length - 1)];
      const mutated = mutate(random, base, kind);
      // valid-looking bytes right after the view: reading past its end would make truncations parse
      const backing = new Uint8Array(mutated.length + base.length);
      backing.set(mutated);
      backing.set(base, mutated.length);
      const what = `case ${seed} (${kind})`;
      let result: ReturnType<typeof readIdx> | undefined;
      try {
        result = readIdx(backing.subarray(0, mutated.length), what);
      } catch (error) {
        const type = (error as Error).constructor;
        expect([RangeError, TypeError, Error], `${what}: ${String(error)}`).toContain(type);
        expect((error as Error).message.startsWith(`${what}: `), `${what}: ${String(error)}`).toBe(true);
        if (kind === 'truncate' || kind === 'dimension past the end' || kind === 'append')
          expect(type, what).toBe(RangeError);
        if (kind === 'dimension past the end') expect((error as Error).message, what).toContain('truncated data');
        if (kind === 'append') expect((error as Error).message, what).toContain('trailing bytes');
        if (kind === 'truncate gzip' && mutated.length >= 2)
          expect((error as Error).message, what).toContain('corrupt gzip stream');
        outcomes.set(`${kind}: ${type.name}`, (outcomes.get(`${kind}: ${type.name}`) ?? 0) + 1);
        continue;
      }
      expect(['truncate', 'dimension past the end', 'append', 'truncate gzip'], `${what} parsed`).not.toContain(kind);
      const size = sizes[result.dtype];
      expect(result.shape.length, what).toBeGreaterThanOrEqual(1);
      expect(result.shape.length, what).toBeLessThanOrEqual(4);
      expect(result.data.length, what).toBe(result.shape.reduce((a, b) => a * b, 1));
      expect(result.data, what).toBeInstanceOf(typedArrays[result.dtype]);
      if (kind !== 'flip gzip')
        expect(4 + 4 * result.shape.length + size * result.data.length, what).toBe(mutated.length);
      if (kind === 'flip data')
        expect([result.dtype, result.shape], what).toEqual([readIdx(base, 'base').dtype, readIdx(base, 'base').shape]);
      outcomes.set(`${kind}: parsed`, (outcomes.get(`${kind}: parsed`) ?? 0) + 1);
    }
    // every kind of mutation was exercised, and both outcomes occurred
    for (const kind of kinds)
      expect(
        [...outcomes.keys()].some((key) => key.startsWith(kind)),
        kind,
      ).toBe(true);
    expect(outcomes.get('flip data: parsed')).toBeGreaterThan(0);
    expect(outcomes.get('truncate: RangeError')).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('loadIdx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-idx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const pixels = [0, 51, 255, 1, 128, 254, 7, 8, 9, 10, 11, 12];
  const images = write('images.gz', gzipSync(idxFile('uint8', [2, 2, 3], pixels)));
  const labels = write('labels', idxFile('uint8', [2], [9, 0]));

  it('loads gzipped images and plain labels into [n, rows, cols, 1] in [0, 1] and Int32Array labels', async () => {
    const { x, y } = await loadIdx(images, labels);
    expect(x.shape).toEqual([2, 2, 3, 1]);
    expect(x.data).toBeInstanceOf(Float32Array);
    expect(Array.from(x.data)).toEqual(pixels.map((p) => Math.fround(p / 255)));
    expect(x.data[2]).toBe(1);
    expect(y).toBeInstanceOf(Int32Array);
    expect(Array.from(y)).toEqual([9, 0]);
  });

  it('keeps raw values with normalize: false, for any image type', async () => {
    expect(Array.from((await loadIdx(images, labels, { normalize: false })).x.data)).toEqual(pixels);
    const floats = write('float-images', idxFile('float32', [1, 1, 2], [0.25, -3]));
    const one = write('one-label', idxFile('uint8', [1], [4]));
    const { x } = await loadIdx(floats, one, { normalize: false });
    expect(x.shape).toEqual([1, 1, 2, 1]);
    expect(Array.from(x.data)).toEqual([0.25, -3]);
    await expectRejection(
      loadIdx(floats, one),
      TypeError,
      `${floats}: normalize divides uint8 pixels by 255, but the images are float32; pass { normalize: false }`,
    );
  });

  it('converts images larger than one conversion slice (1M pixels) without seams', async () => {
    const count = 3;
    const big = Array.from({ length: count * 700 * 700 }, (_, i) => i % 256);
    const path = write('big-images', idxFile('uint8', [count, 700, 700], big));
    const { x } = await loadIdx(path, write('three-labels', idxFile('uint8', [3], [1, 2, 3])));
    expect(x.shape).toEqual([3, 700, 700, 1]);
    expect(x.data[big.length - 1]).toBe(Math.fround(big[big.length - 1] / 255));
    expect(x.data[(1 << 20) + 5]).toBe(Math.fround(big[(1 << 20) + 5] / 255));
  });

  it('loads an empty data set', async () => {
    const { x, y } = await loadIdx(
      write('no-images', idxFile('uint8', [0, 28, 28], [])),
      write('no-labels', idxFile('uint8', [0], [])),
    );
    expect(x.shape).toEqual([0, 28, 28, 1]);
    expect(y.length).toBe(0);
  });

  it('rejects files of the wrong rank or type, and counts that differ', async () => {
    const flat = write('flat-images', idxFile('uint8', [2, 6], pixels));
    await expectRejection(
      loadIdx(flat, labels),
      RangeError,
      `${flat}: an images file must have 3 dimensions [count, rows, columns], got shape [2, 6]`,
    );
    const labels2d = write('labels-2d', idxFile('uint8', [2, 1], [1, 2]));
    await expectRejection(
      loadIdx(images, labels2d),
      RangeError,
      `${labels2d}: a labels file must have 1 dimension [count], got shape [2, 1]`,
    );
    const signed = write('signed-labels', idxFile('int8', [2], [-1, 3]));
    await expectRejection(
      loadIdx(images, signed),
      TypeError,
      `${signed}: labels must be unsigned bytes (IDX type 0x08, uint8), got int8`,
    );
    const wide = write('int32-labels', idxFile('int32', [2], [300, 3]));
    await expectRejection(
      loadIdx(images, wide),
      TypeError,
      `${wide}: labels must be unsigned bytes (IDX type 0x08, uint8), got int32`,
    );
    const three = write('labels-3', idxFile('uint8', [3], [1, 2, 3]));
    await expectRejection(loadIdx(images, three), RangeError, `${images} has 2 images but ${three} has 3 labels`);
  });

  it('names a missing or unreadable file and a malformed one', async () => {
    const missing = join(dir, 'nope.gz');
    const error = await expectRejection(
      loadIdx(missing, labels),
      Error,
      `loadIdx: cannot read the images file ${missing}: no such file`,
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    await expectRejection(
      loadIdx(images, missing),
      Error,
      `loadIdx: cannot read the labels file ${missing}: no such file`,
    );
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const isDir = await expectRejection(
      loadIdx(folder, labels),
      Error,
      `loadIdx: cannot read the images file ${folder}: EISDIR: illegal operation on a directory, read`,
    );
    expect((isDir.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
    const zipped = gzipSync(idxFile('uint8', [2, 2, 3], pixels));
    const broken = write('broken.gz', zipped.subarray(0, zipped.length - 4));
    await expectRejection(loadIdx(broken, labels), Error, `${broken}: corrupt gzip stream (unexpected end of file)`);
    const text = write('readme.txt', Buffer.from('not idx'));
    await expectRejection(
      loadIdx(images, text),
      RangeError,
      `${text}: not an IDX file: the magic number must start with 0x00 0x00, got 0x6E 0x6F`,
    );
  });

  it('rejects arguments of the wrong type', async () => {
    await expectRejection(
      loadIdx(42 as unknown as string, labels),
      TypeError,
      'loadIdx: imagesPath must be a non-empty string, got number 42',
    );
    await expectRejection(
      loadIdx(images, ''),
      TypeError,
      'loadIdx: labelsPath must be a non-empty string, got string ',
    );
    await expectRejection(
      loadIdx(images, labels, { normalize: 'yes' as unknown as boolean }),
      TypeError,
      'loadIdx: options.normalize must be a boolean, got string yes',
    );
    await expectRejection(
      loadIdx(images, labels, null as unknown as object),
      TypeError,
      'loadIdx: options must be an object, got null',
    );
  });
});
