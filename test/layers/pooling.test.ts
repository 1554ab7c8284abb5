import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';

type PoolKind = 'max' | 'average';

/** Float64 pooling with TensorFlow's padding; padded cells take no part (neither max nor mean). */
function referencePool(
  kind: PoolKind,
  x: Float32Array,
  [n, h, w, c]: number[],
  pool: [number, number],
  strides: [number, number],
  padding: 'valid' | 'same',
) {
  const axis = (size: number, k: number, s: number) => {
    if (padding === 'same') {
      const out = Math.ceil(size / s);
      return { out, before: Math.floor(Math.max((out - 1) * s + k - size, 0) / 2) };
    }
    return { out: Math.floor((size - k) / s) + 1, before: 0 };
  };
  const ay = axis(h, pool[0], strides[0]);
  const ax = axis(w, pool[1], strides[1]);
  const out = new Float64Array(n * ay.out * ax.out * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ay.out; oy++) {
      for (let ox = 0; ox < ax.out; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let sum = 0;
          let count = 0;
          for (let ky = 0; ky < pool[0]; ky++) {
            for (let kx = 0; kx < pool[1]; kx++) {
              const iy = oy * strides[0] - ay.before + ky;
              const ix = ox * strides[1] - ax.before + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const v = x[((b * h + iy) * w + ix) * c + ch];
              best = Math.max(best, v);
              sum += v;
              count += 1;
            }
          }
          out[((b * ay.out + oy) * ax.out + ox) * c + ch] = kind === 'max' ? best : sum / count;
        }
      }
    }
  }
  return { out, shape: [n, ay.out, ax.out, c] };
}

const factories = { max: ck.layers.maxPooling2d, average: ck.layers.averagePooling2d } as const;

describe('MaxPooling2D and AveragePooling2D arguments', () => {
  it('default to a 2x2 pool, strides equal to the pool, valid padding (Keras)', () => {
    for (const [kind, make] of Object.entries(factories)) {
      const layer = make();
      expect(layer.poolSize, kind).toEqual([2, 2]);
      expect(layer.strides, kind).toEqual([2, 2]);
      expect(layer.padding, kind).toBe('valid');
      expect(layer.weightSpecs([4, 4, 1])).toEqual([]);
    }
    expect(ck.layers.maxPooling2d()).toBeInstanceOf(ck.layers.MaxPooling2D);
    expect(ck.layers.averagePooling2d()).toBeInstanceOf(ck.layers.AveragePooling2D);
    expect(ck.layers.maxPooling2d().name).toMatch(/^max_pooling2d(_\d+)?$/);
    expect(ck.layers.averagePooling2d().name).toMatch(/^average_pooling2d(_\d+)?$/);
  });

  it('strides follow poolSize when omitted, and may be given separately', () => {
    const layer = ck.layers.maxPooling2d({ poolSize: [3, 2] });
    expect(layer.poolSize).toEqual([3, 2]);
    expect(layer.strides).toEqual([3, 2]);
    const strided = ck.layers.averagePooling2d({ poolSize: 3, strides: [1, 2], padding: 'same' });
    expect(strided.strides).toEqual([1, 2]);
    expect(strided.padding).toBe('same');
  });

  it.each([
    [{ poolSize: 0 }, RangeError, /MaxPooling2D poolSize must be a positive integer, got 0/],
    [
      { poolSize: [2, 2, 2] },
      RangeError,
      /MaxPooling2D poolSize must be a number or a pair \[height, width\], got 3 values/,
    ],
    [{ strides: [2, 1.5] }, RangeError, /MaxPooling2D strides\[1\] must be a positive integer, got 1.5/],
    [{ padding: 'causal' }, RangeError, /MaxPooling2D padding must be one of valid, same; got 'causal'/],
    [{ padding: 1 }, TypeError, /MaxPooling2D padding must be one of valid, same; got number 1/],
  ])('MaxPooling2D rejects %o', (args, errorClass, message) => {
    expect(() => ck.layers.maxPooling2d(args as unknown as ck.layers.Pooling2DArgs)).toThrow(errorClass);
    expect(() => ck.layers.maxPooling2d(args as unknown as ck.layers.Pooling2DArgs)).toThrow(message);
  });

  it('AveragePooling2D names itself in errors', () => {
    expect(() => ck.layers.averagePooling2d({ poolSize: -2 })).toThrow(
      /AveragePooling2D poolSize must be a positive integer, got -2/,
    );
  });
});

describe('pooling output shape', () => {
  it.each([
    // input, pool, strides (undefined: the pool), padding, expected
    [[28, 28, 32], 2, undefined, 'valid', [14, 14, 32]],
    [[5, 5, 3], 2, undefined, 'valid', [2, 2, 3]],
    [[5, 5, 3], 2, undefined, 'same', [3, 3, 3]],
    [[5, 7, 1], 3, 1, 'valid', [3, 5, 1]],
    [[5, 7, 1], 3, 1, 'same', [5, 7, 1]],
    [[7, 9, 2], [3, 2], undefined, 'valid', [2, 4, 2]],
    [[7, 9, 2], [3, 2], [2, 3], 'same', [4, 3, 2]],
    [[2, 2, 1], 3, undefined, 'same', [1, 1, 1]],
  ] as const)('%o pool %o strides %o %s -> %o', (input, poolSize, strides, padding, expected) => {
    for (const make of Object.values(factories)) {
      const layer = make({ poolSize: poolSize as number, strides: strides as number | undefined, padding });
      expect(layer.computeOutputShape(input)).toEqual(expected);
    }
  });

  it('rejects a pool that does not fit and an input of the wrong rank, naming the layer', () => {
    const layer = ck.layers.maxPooling2d({ poolSize: 3, name: 'pool' });
    expect(() => layer.computeOutputShape([2, 5, 1])).toThrow(
      /MaxPooling2D 'pool': pool 3x3 does not fit input 2x5 with 'valid' padding/,
    );
    expect(() => layer.computeOutputShape([10])).toThrow(
      /MaxPooling2D 'pool': expects \[height, width, channels\] input of rank 3/,
    );
  });
});

describe('pooling through a model', () => {
  const cases = [
    { input: [2, 4, 4, 3], pool: [2, 2], strides: [2, 2], padding: 'valid' },
    { input: [1, 5, 5, 2], pool: [2, 2], strides: [2, 2], padding: 'same' },
    { input: [2, 5, 6, 1], pool: [3, 3], strides: [1, 1], padding: 'same' },
    { input: [1, 7, 5, 2], pool: [3, 2], strides: [2, 1], padding: 'valid' },
    { input: [1, 6, 6, 1], pool: [3, 3], strides: [2, 2], padding: 'same' },
  ] as const;

  for (const kind of ['max', 'average'] as const) {
    it.each(cases)(`${kind} %o`, (c) => {
      const random = rng(c.input.reduce((a: number, b: number) => a * 7 + b, c.pool[0]));
      const [n, h, w, ch] = c.input;
      const model = ck.sequential({
        layers: [
          factories[kind]({
            inputShape: [h, w, ch],
            poolSize: [...c.pool],
            strides: [...c.strides],
            padding: c.padding,
          }),
        ],
      });
      const x = randomArray(random, n * h * w * ch, -3, 1);
      const y = model.predictSync(new ck.Tensor(x, [...c.input]));
      const expected = referencePool(kind, x, [...c.input], [...c.pool], [...c.strides], c.padding);
      expect(y.shape).toEqual(expected.shape);
      expectClose(y.data, expected.out, { atol: 1e-6, rtol: 1e-6 }, kind);
    });
  }

  it('average pooling with same padding divides by the cells inside the input only', () => {
    const model = ck.sequential({ layers: [ck.layers.averagePooling2d({ inputShape: [3, 3, 1], padding: 'same' })] });
    const y = model.predictSync(ck.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]));
    // Windows {1,2,4,5}, {3,6}, {7,8}, {9}.
    expect(Array.from(y.data)).toEqual([3, 4.5, 7.5, 9]);
  });

  it('max pooling keeps negative maxima (no zero from padding)', () => {
    const model = ck.sequential({ layers: [ck.layers.maxPooling2d({ inputShape: [3, 3, 1], padding: 'same' })] });
    const y = model.predictSync(ck.tensor([-1, -2, -3, -4, -5, -6, -7, -8, -9], [1, 3, 3, 1]));
    expect(Array.from(y.data)).toEqual([-1, -3, -7, -9]);
  });
});

describe('global pooling', () => {
  it('[h, w, c] -> [c], no weights, Keras names', () => {
    for (const layer of [ck.layers.globalAveragePooling2d(), ck.layers.globalMaxPooling2d()]) {
      expect(layer.computeOutputShape([5, 3, 7])).toEqual([7]);
      expect(layer.weightSpecs([5, 3, 7])).toEqual([]);
      expect(() => layer.computeOutputShape([5, 7])).toThrow(
        /expects \[height, width, channels\] input of rank 3 per sample, got shape \[5, 7\]/,
      );
    }
    expect(ck.layers.globalAveragePooling2d().name).toMatch(/^global_average_pooling2d(_\d+)?$/);
    expect(ck.layers.globalMaxPooling2d().name).toMatch(/^global_max_pooling2d(_\d+)?$/);
  });

  it('the mean and the max of each feature map, per sample', () => {
    const random = rng(5);
    const [n, h, w, c] = [3, 4, 5, 2];
    const x = randomArray(random, n * h * w * c, -4, -1);
    const average = ck
      .sequential({ layers: [ck.layers.globalAveragePooling2d({ inputShape: [h, w, c] })] })
      .predictSync(new ck.Tensor(x, [n, h, w, c]));
    const max = ck
      .sequential({ layers: [ck.layers.globalMaxPooling2d({ inputShape: [h, w, c] })] })
      .predictSync(new ck.Tensor(x, [n, h, w, c]));
    expect(average.shape).toEqual([n, c]);
    expect(max.shape).toEqual([n, c]);
    const expectedMean = new Float64Array(n * c);
    const expectedMax = new Float64Array(n * c).fill(-Infinity);
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < h * w; p++) {
        for (let ch = 0; ch < c; ch++) {
          const v = x[(b * h * w + p) * c + ch];
          expectedMean[b * c + ch] += v / (h * w);
          expectedMax[b * c + ch] = Math.max(expectedMax[b * c + ch], v);
        }
      }
    }
    expectClose(average.data, expectedMean, { atol: 1e-6, rtol: 1e-6 }, 'global average');
    expect(Array.from(max.data)).toEqual(Array.from(Float32Array.from(expectedMax)));
  });
});
