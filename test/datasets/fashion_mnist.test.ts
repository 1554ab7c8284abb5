import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FashionMnist, fashionMnist, fashionMnistClassNames } from '../../lib/datasets';

const classNames = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** A uint8 IDX file (the only type Fashion-MNIST uses): magic 0x00000803/0x00000801, big-endian dims. */
function ubyteIdx(shape: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt32BE(0x0800 + shape.length, 0);
  shape.forEach((dim, axis) => header.writeUInt32BE(dim, 4 + 4 * axis));
  return Buffer.concat([header, Buffer.from(values)]);
}

describe('fashionMnist on a small stand-in data folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'convkit-fashion-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Writes the four files (gzipped or plain by name) into a new folder and returns it. */
  function dataDir(name: string, files: Record<string, Buffer>): string {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const [file, bytes] of Object.entries(files))
      writeFileSync(join(dir, file), file.endsWith('.gz') ? gzipSync(bytes) : bytes);
    return dir;
  }
  const trainPixels = Array.from({ length: 4 * 2 * 3 }, (_, i) => (i * 11) % 256);
  const testPixels = [255, 0, 128, 64, 32, 16];
  const complete = {
    'train-images-idx3-ubyte.gz': ubyteIdx([4, 2, 3], trainPixels),
    'train-labels-idx1-ubyte.gz': ubyteIdx([4], [9, 0, 3, 9]),
    't10k-images-idx3-ubyte': ubyteIdx([1, 2, 3], testPixels),
    't10k-labels-idx1-ubyte': ubyteIdx([1], [7]),
  };

  it('loads gzipped and plain files into normalized NHWC tensors, labels and class names', async () => {
    const data = await fashionMnist({ dataDir: dataDir('mixed', complete) });
    expect(data.train.x.shape).toEqual([4, 2, 3, 1]);
    expect(Array.from(data.train.x.data)).toEqual(trainPixels.map((p) => Math.fround(p / 255)));
    expect(Array.from(data.train.y)).toEqual([9, 0, 3, 9]);
    expect(data.test.x.shape).toEqual([1, 2, 3, 1]);
    expect(Array.from(data.test.x.data)).toEqual(testPixels.map((p) => Math.fround(p / 255)));
    expect(Array.from(data.test.y)).toEqual([7]);
    expect(data.classNames).toEqual(classNames);
    expect(fashionMnistClassNames).toEqual(classNames);
    data.classNames.pop(); // the caller's copy: the shared list stays intact
    expect(fashionMnistClassNames).toHaveLength(10);
  });

  it('prefers the .gz file when both are present', async () => {
    const dir = dataDir('both', { ...complete, 'train-labels-idx1-ubyte': Buffer.from('stale, not IDX') });
    expect(Array.from((await fashionMnist({ dataDir: dir })).train.y)).toEqual([9, 0, 3, 9]);
  });

  it('says where it looked and how to get the data when the folder is missing', async () => {
    const dir = join(root, 'not-there');
    const error = (await fashionMnist({ dataDir: dir }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(
      [
        `fashionMnist: no data folder at ${dir}.`,
        'The npm package does not ship the data set: clone the convkit repository, which has it in',
        'data/fashion-mnist/, or pass { dataDir } naming a folder with the 4 IDX files (train-images-idx3-ubyte(.gz), ' +
          'train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)).',
      ].join('\n'),
    );
  });

  it('names the missing files of an incomplete folder', async () => {
    const { 't10k-labels-idx1-ubyte': _, 'train-images-idx3-ubyte.gz': __, ...partial } = complete;
    const dir = dataDir('partial', partial);
    await expect(fashionMnist({ dataDir: dir })).rejects.toThrow(
      new Error(`fashionMnist: ${dir} lacks train-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)`),
    );
  });

  it('rejects labels outside the 10 classes, naming the file and the label', async () => {
    const dir = dataDir('bad-label', { ...complete, 't10k-labels-idx1-ubyte': ubyteIdx([1], [10]) });
    const error = (await fashionMnist({ dataDir: dir }).catch((e: unknown) => e)) as Error;
    expect(error.constructor).toBe(RangeError);
    expect(error.message).toBe(
      `${join(dir, 't10k-labels-idx1-ubyte')}: label 0 is 10, but Fashion-MNIST has 10 classes (0 to 9)`,
    );
  });

  it('rejects options of the wrong type', async () => {
    await expect(fashionMnist({ dataDir: 3 as unknown as string })).rejects.toThrow(
      new TypeError('fashionMnist: options.dataDir must be a non-empty string, got number 3'),
    );
    await expect(fashionMnist('data' as unknown as object)).rejects.toThrow(
      new TypeError('fashionMnist: options must be an object, got string data'),
    );
  });
});

describe('fashionMnist on the real data in data/fashion-mnist', () => {
  let data: FashionMnist;
  beforeAll(async () => {
    data = await fashionMnist(); // the default folder, found from the package root
  }, 20_000);

  it('has 60000 training and 10000 test images of 28x28x1', () => {
    expect(data.train.x.shape).toEqual([60000, 28, 28, 1]);
    expect(data.test.x.shape).toEqual([10000, 28, 28, 1]);
    expect(data.train.y.length).toBe(60000);
    expect(data.test.y.length).toBe(10000);
  });

  it('has pixels k/255 in [0, 1] that match the published data', () => {
    for (const [name, x] of [
      ['train', data.train.x.data],
      ['test', data.test.x.data],
    ] as const) {
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        if (v < min) min = v;
        if (v > max) max = v;
        sum += Math.round(v * 255);
      }
      expect([min, max], name).toEqual([0, 1]);
      // sums of the raw bytes (decoded with zlib and Buffer alone); train mean 72.94/255 = 0.2860
      expect(sum, name).toBe(name === 'train' ? 3431114169 : 573469082);
    }
    // a pixel is exactly k/255
    expect(Math.fround(Math.round(data.train.x.data[209] * 255) / 255)).toBe(data.train.x.data[209]);
  });

  it('has labels 0..9, 6000 per class in train and 1000 in test; the first is an ankle boot', () => {
    for (const [y, perClass] of [
      [data.train.y, 6000],
      [data.test.y, 1000],
    ] as const) {
      const counts = new Array(10).fill(0);
      for (const label of y) counts[label]++;
      expect(counts).toEqual(new Array(10).fill(perClass));
    }
    expect(data.train.y[0]).toBe(9);
    expect(data.classNames[data.train.y[0]]).toBe('Ankle boot');
    expect(Array.from(data.test.y.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
  });
});
