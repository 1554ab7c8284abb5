import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';
import { referenceActivation } from '../reference/activation';

interface ConvCase {
  name: string;
  input: [number, number, number, number]; // n, h, w, c
  filters: number;
  kernel: [number, number];
  strides?: [number, number];
  dilation?: [number, number];
  padding?: 'valid' | 'same';
  useBias?: boolean;
  activation?: 'linear' | 'relu' | 'leakyRelu' | 'elu' | 'tanh' | 'relu6' | 'hardSwish' | 'gelu';
}

/** Direct float64 convolution, TensorFlow padding ('same': extra pad after), then the activation. */
function referenceConv(
  c: ConvCase,
  x: Float32Array,
  kernel: Float32Array,
  bias: Float32Array | null,
): { out: Float64Array; shape: number[] } {
  const [n, h, w, inC] = c.input;
  const [kh, kw] = c.kernel;
  const [sh, sw] = c.strides ?? [1, 1];
  const [dh, dw] = c.dilation ?? [1, 1];
  const axis = (size: number, k: number, s: number, d: number) => {
    const extent = (k - 1) * d + 1;
    if (c.padding === 'same') {
      const out = Math.ceil(size / s);
      return { out, before: Math.floor(Math.max((out - 1) * s + extent - size, 0) / 2) };
    }
    return { out: Math.floor((size - extent) / s) + 1, before: 0 };
  };
  const ay = axis(h, kh, sh, dh);
  const ax = axis(w, kw, sw, dw);
  const f = c.filters;
  const out = new Float64Array(n * ay.out * ax.out * f);
  const activation = c.activation ?? 'linear';
  const act = (v: number) => {
    switch (activation) {
      case 'relu':
        return Math.max(v, 0);
      case 'leakyRelu':
        return v < 0 ? 0.3 * v : v;
      case 'elu':
        return v < 0 ? Math.exp(v) - 1 : v;
      case 'tanh':
        return Math.tanh(v);
      case 'relu6':
      case 'hardSwish':
      case 'gelu':
        return referenceActivation(activation, 0, 1, 1, [v])[0];
      default:
        return v;
    }
  };
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ay.out; oy++) {
      for (let ox = 0; ox < ax.out; ox++) {
        for (let o = 0; o < f; o++) {
          let sum = bias ? bias[o] : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ay.before + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - ax.before + kx * dw;
              if (ix < 0 || ix >= w) continue;
              for (let i = 0; i < inC; i++) {
                sum += x[((b * h + iy) * w + ix) * inC + i] * kernel[((ky * kw + kx) * inC + i) * f + o];
              }
            }
          }
          out[((b * ay.out + oy) * ax.out + ox) * f + o] = act(sum);
        }
      }
    }
  }
  return { out, shape: [n, ay.out, ax.out, f] };
}

describe('Conv2D arguments', () => {
  it("has Keras's defaults", () => {
    const layer = ck.layers.conv2d({ filters: 4, kernelSize: 3 });
    expect(layer).toBeInstanceOf(ck.layers.Conv2D);
    expect(layer.kernelSize).toEqual([3, 3]);
    expect(layer.strides).toEqual([1, 1]);
    expect(layer.padding).toBe('valid');
    expect(layer.dilationRate).toEqual([1, 1]);
    expect(layer.activation).toBe('linear');
    expect(layer.useBias).toBe(true);
    expect(layer.kernelInitializer).toBe('glorotUniform');
    expect(layer.biasInitializer).toBe('zeros');
    expect(layer.trainable).toBe(true);
    expect(layer.className).toBe('Conv2D');
    expect(layer.name).toMatch(/^conv2d(_\d+)?$/);
    expect(ck.layers.conv2d({ filters: 1, kernelSize: 1, activation: null }).activation).toBe('linear');
  });

  it('accepts pairs for kernelSize, strides and dilationRate', () => {
    const layer = ck.layers.conv2d({
      filters: 2,
      kernelSize: [3, 5],
      strides: [2, 1],
      dilationRate: [1, 2],
      padding: 'same',
    });
    expect(layer.kernelSize).toEqual([3, 5]);
    expect(layer.strides).toEqual([2, 1]);
    expect(layer.dilationRate).toEqual([1, 2]);
    expect(layer.padding).toBe('same');
  });

  it.each([
    [{ filters: 0, kernelSize: 3 }, RangeError, /Conv2D filters must be a positive integer, got 0/],
    [{ filters: 2.5, kernelSize: 3 }, RangeError, /Conv2D filters must be a positive integer, got 2.5/],
    [{ filters: '4', kernelSize: 3 }, TypeError, /Conv2D filters must be a positive integer, got string 4/],
    [{ filters: 4 }, TypeError, /Conv2D kernelSize must be a positive integer, got undefined/],
    [
      { filters: 4, kernelSize: [3] },
      RangeError,
      /Conv2D kernelSize must be a number or a pair \[height, width\], got 1 values/,
    ],
    [{ filters: 4, kernelSize: [3, 0] }, RangeError, /Conv2D kernelSize\[1\] must be a positive integer, got 0/],
    [{ filters: 4, kernelSize: 3, strides: -1 }, RangeError, /Conv2D strides must be a positive integer, got -1/],
    [
      { filters: 4, kernelSize: 3, dilationRate: [1, 0] },
      RangeError,
      /Conv2D dilationRate\[1\] must be a positive integer/,
    ],
    [
      { filters: 4, kernelSize: 3, padding: 'full' },
      RangeError,
      /Conv2D padding must be one of valid, same; got 'full'/,
    ],
    [
      { filters: 4, kernelSize: 3, activation: 'softsign' },
      RangeError,
      /Conv2D activation must be one of linear, relu, .*; got 'softsign'/,
    ],
    [{ filters: 4, kernelSize: 3, useBias: 1 }, TypeError, /Conv2D useBias must be a boolean, got number 1/],
    [{ filters: 4, kernelSize: 3, name: '' }, TypeError, /Conv2D name must be a non-empty string/],
    [
      { filters: 4, kernelSize: 3, inputShape: [28, 0, 1] },
      RangeError,
      /Conv2D inputShape\[1\] must be a positive integer, got 0/,
    ],
    [
      { filters: 4, kernelSize: 3, inputShape: [] },
      RangeError,
      /Conv2D inputShape must have at least one dimension, got \[\]/,
    ],
    [{ filters: 4, kernelSize: 3, trainable: 'no' }, TypeError, /Conv2D trainable must be a boolean/],
  ])('rejects %o', (args, errorClass, message) => {
    expect(() => ck.layers.conv2d(args as unknown as ck.layers.Conv2DArgs)).toThrow(errorClass);
    expect(() => ck.layers.conv2d(args as unknown as ck.layers.Conv2DArgs)).toThrow(message);
  });
});

describe('Conv2D output shape', () => {
  it.each([
    // input, kernel, strides, dilation, padding, expected [h, w]
    [[28, 28, 1], 3, 1, 1, 'valid', [26, 26]],
    [[7, 7, 2], 3, 2, 1, 'valid', [3, 3]],
    [[8, 8, 2], 3, 2, 1, 'valid', [3, 3]],
    [[9, 9, 2], 3, 2, 1, 'valid', [4, 4]],
    [[7, 7, 2], 3, 2, 1, 'same', [4, 4]],
    [[8, 8, 2], 3, 2, 1, 'same', [4, 4]],
    [[5, 5, 1], 5, 1, 1, 'valid', [1, 1]],
    [[7, 9, 1], 3, 1, 2, 'valid', [3, 5]],
    [[7, 9, 1], 3, 1, 2, 'same', [7, 9]],
    [[7, 9, 1], 3, 3, 2, 'same', [3, 3]],
    [[7, 5, 3], [3, 2], [2, 3], 1, 'same', [4, 2]],
    [[7, 5, 3], [3, 2], [2, 3], 1, 'valid', [3, 2]],
    [[10, 7, 1], [1, 4], 1, [1, 2], 'valid', [10, 1]],
  ] as const)(
    '%o kernel %o strides %o dilation %o %s -> %o',
    (input, kernelSize, strides, dilationRate, padding, expected) => {
      const layer = ck.layers.conv2d({
        filters: 5,
        kernelSize: kernelSize as number,
        strides: strides as number,
        dilationRate: dilationRate as number,
        padding,
      });
      expect(layer.computeOutputShape(input)).toEqual([...expected, 5]);
    },
  );

  it('rejects an input of the wrong rank and a window that does not fit, naming the layer', () => {
    const layer = ck.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 3, name: 'wide' });
    expect(() => layer.computeOutputShape([28, 28])).toThrow(
      /Conv2D 'wide': expects \[height, width, channels\] input of rank 3 per sample, got shape \[28, 28\]/,
    );
    expect(() => layer.computeOutputShape([6, 9, 1])).toThrow(
      /Conv2D 'wide': kernel 3x3 \(dilation 3x3\) does not fit input 6x9 with 'valid' padding/,
    );
    expect(layer.computeOutputShape([7, 7, 1])).toEqual([1, 1, 2]);
    // 'same' always fits.
    expect(ck.layers.conv2d({ filters: 1, kernelSize: 9, padding: 'same' }).computeOutputShape([2, 3, 1])).toEqual([
      2, 3, 1,
    ]);
  });
});

describe('Conv2D weights', () => {
  it('kernel [kh, kw, in, filters] then bias [filters], Keras names and order', () => {
    const layer = ck.layers.conv2d({
      filters: 6,
      kernelSize: [3, 2],
      kernelInitializer: 'heNormal',
      biasInitializer: 'ones',
    });
    expect(layer.weightSpecs([10, 10, 4])).toEqual([
      { name: 'kernel', shape: [3, 2, 4, 6], initializer: 'heNormal', trainable: true },
      { name: 'bias', shape: [6], initializer: 'ones', trainable: true },
    ]);
  });

  it('no bias with useBias false; frozen layers report untrainable weights', () => {
    expect(ck.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false }).weightSpecs([4, 4, 3])).toEqual([
      { name: 'kernel', shape: [1, 1, 3, 2], initializer: 'glorotUniform', trainable: true },
    ]);
    const frozen = ck.layers.conv2d({ filters: 2, kernelSize: 1, trainable: false });
    expect(frozen.weightSpecs([4, 4, 3]).map((w) => w.trainable)).toEqual([false, false]);
  });
});

describe('Conv2D through a model equals direct convolution', () => {
  const cases: ConvCase[] = [
    { name: '1x1 channels mix', input: [2, 3, 3, 3], filters: 2, kernel: [1, 1] },
    { name: '3x3 valid', input: [2, 5, 4, 2], filters: 3, kernel: [3, 3] },
    { name: '3x2 same, odd sizes', input: [1, 5, 7, 2], filters: 3, kernel: [3, 2], padding: 'same' },
    {
      name: 'stride 2 same on even input (pad after)',
      input: [2, 6, 6, 1],
      filters: 2,
      kernel: [3, 3],
      strides: [2, 2],
      padding: 'same',
    },
    { name: 'stride 2x3 valid', input: [1, 7, 8, 2], filters: 2, kernel: [2, 3], strides: [2, 3] },
    { name: 'dilation 2 valid', input: [1, 7, 6, 2], filters: 2, kernel: [3, 2], dilation: [2, 3] },
    { name: 'dilation 2 same', input: [2, 5, 5, 1], filters: 2, kernel: [3, 3], dilation: [2, 2], padding: 'same' },
    { name: 'no bias, relu', input: [2, 4, 4, 2], filters: 3, kernel: [3, 3], useBias: false, activation: 'relu' },
    { name: 'leakyRelu uses alpha 0.3', input: [1, 4, 4, 1], filters: 4, kernel: [2, 2], activation: 'leakyRelu' },
    { name: 'elu uses alpha 1', input: [1, 4, 4, 1], filters: 2, kernel: [2, 2], activation: 'elu' },
    { name: 'tanh', input: [1, 3, 3, 2], filters: 2, kernel: [2, 2], activation: 'tanh', padding: 'same' },
    { name: 'relu6 (not fused)', input: [2, 5, 5, 3], filters: 4, kernel: [3, 3], activation: 'relu6' },
    { name: 'hardSwish', input: [1, 5, 5, 3], filters: 3, kernel: [3, 3], activation: 'hardSwish', padding: 'same' },
    { name: 'gelu', input: [1, 4, 4, 2], filters: 2, kernel: [2, 2], activation: 'gelu' },
  ];

  it.each(cases)('$name', (c) => {
    const random = rng(c.input.reduce((a, b) => a * 31 + b, c.filters));
    const [n, h, w, inC] = c.input;
    const useBias = c.useBias ?? true;
    const model = ck.sequential({
      layers: [
        ck.layers.conv2d({
          inputShape: [h, w, inC],
          filters: c.filters,
          kernelSize: c.kernel,
          strides: c.strides,
          dilationRate: c.dilation,
          padding: c.padding,
          useBias,
          activation: c.activation,
        }),
      ],
    });
    const kernel = randomArray(random, c.kernel[0] * c.kernel[1] * inC * c.filters);
    const bias = useBias ? randomArray(random, c.filters) : null;
    model.setWeights([
      new ck.Tensor(kernel, [...c.kernel, inC, c.filters]),
      ...(bias ? [new ck.Tensor(bias, [c.filters])] : []),
    ]);
    const x = randomArray(random, n * h * w * inC, -2, 2);
    const result = model.predictSync(new ck.Tensor(x, c.input));
    const expected = referenceConv(c, x, kernel, bias);
    expect(result.shape).toEqual(expected.shape);
    expectClose(result.data, expected.out, { atol: 1e-5, rtol: 1e-5 }, c.name);
  });

  it('a hand-computed 3x3 input, 2x2 kernel', () => {
    const model = ck.sequential({ layers: [ck.layers.conv2d({ inputShape: [3, 3, 1], filters: 1, kernelSize: 2 })] });
    model.setWeights([ck.tensor([1, 2, 3, 4], [2, 2, 1, 1]), ck.tensor([10])]);
    const y = model.predictSync(ck.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]));
    // [1 2; 4 5] . [1 2; 3 4] = 1 + 4 + 12 + 20 = 37, + 10
    expect(Array.from(y.data)).toEqual([47, 57, 77, 87]);
  });
});

describe('DepthwiseConv2D and SeparableConv2D', () => {
  it("have Keras's defaults", () => {
    const depthwise = ck.layers.depthwiseConv2d({ kernelSize: 3 });
    expect(depthwise).toBeInstanceOf(ck.layers.DepthwiseConv2D);
    expect(depthwise.className).toBe('DepthwiseConv2D');
    expect(depthwise.name).toMatch(/^depthwise_conv2d(_\d+)?$/);
    expect([depthwise.strides, depthwise.padding, depthwise.dilationRate]).toEqual([[1, 1], 'valid', [1, 1]]);
    expect([depthwise.depthMultiplier, depthwise.activation, depthwise.useBias]).toEqual([1, 'linear', true]);
    expect([depthwise.depthwiseInitializer, depthwise.biasInitializer]).toEqual(['glorotUniform', 'zeros']);
    const separable = ck.layers.separableConv2d({ filters: 4, kernelSize: [3, 1] });
    expect(separable).toBeInstanceOf(ck.layers.SeparableConv2D);
    expect(separable.className).toBe('SeparableConv2D');
    expect(separable.kernelSize).toEqual([3, 1]);
    expect([separable.depthMultiplier, separable.pointwiseInitializer]).toEqual([1, 'glorotUniform']);
  });

  it('shape their output: channels * depthMultiplier, or filters', () => {
    const depthwise = ck.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 3 });
    expect(depthwise.computeOutputShape([7, 8, 5])).toEqual([4, 4, 15]);
    const separable = ck.layers.separableConv2d({ filters: 6, kernelSize: 3, dilationRate: 2, depthMultiplier: 2 });
    expect(separable.computeOutputShape([9, 9, 4])).toEqual([5, 5, 6]);
    expect(() => separable.computeOutputShape([4, 9, 4])).toThrow(/does not fit input 4x9 with 'valid' padding/);
  });

  it("weights in Keras's names, layouts and order", () => {
    const depthwise = ck.layers.depthwiseConv2d({ kernelSize: [3, 2], depthMultiplier: 2, biasInitializer: 'ones' });
    expect(depthwise.weightSpecs([6, 6, 5])).toEqual([
      { name: 'depthwise_kernel', shape: [3, 2, 5, 2], initializer: 'glorotUniform', trainable: true },
      { name: 'bias', shape: [10], initializer: 'ones', trainable: true },
    ]);
    const separable = ck.layers.separableConv2d({ filters: 7, kernelSize: 3, depthMultiplier: 2, trainable: false });
    expect(separable.weightSpecs([6, 6, 5])).toEqual([
      { name: 'depthwise_kernel', shape: [3, 3, 5, 2], initializer: 'glorotUniform', trainable: false },
      { name: 'pointwise_kernel', shape: [1, 1, 10, 7], initializer: 'glorotUniform', trainable: false },
      { name: 'bias', shape: [7], initializer: 'zeros', trainable: false },
    ]);
    expect(
      ck.layers
        .separableConv2d({ filters: 2, kernelSize: 1, useBias: false })
        .weightSpecs([2, 2, 3])
        .map((w) => w.name),
    ).toEqual(['depthwise_kernel', 'pointwise_kernel']);
  });

  it.each([
    [() => ck.layers.depthwiseConv2d({} as ck.layers.DepthwiseConv2DArgs), TypeError, /DepthwiseConv2D kernelSize/],
    [
      () => ck.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 0 }),
      RangeError,
      /DepthwiseConv2D depthMultiplier must be a positive integer, got 0/,
    ],
    [
      () => ck.layers.depthwiseConv2d({ kernelSize: 3, padding: 'full' as 'same' }),
      RangeError,
      /DepthwiseConv2D padding must be one of/,
    ],
    [
      () => ck.layers.depthwiseConv2d({ kernelSize: 3, depthwiseInitializer: 'orthogonal' as 'zeros' }),
      RangeError,
      /DepthwiseConv2D depthwiseInitializer/,
    ],
    [() => ck.layers.depthwiseConv2d(null as unknown as ck.layers.DepthwiseConv2DArgs), TypeError, /DepthwiseConv2D/],
    [
      () => ck.layers.separableConv2d({ kernelSize: 3 } as ck.layers.SeparableConv2DArgs),
      TypeError,
      /SeparableConv2D filters must be a positive integer/,
    ],
    [
      () => ck.layers.separableConv2d({ filters: 2, kernelSize: 3, depthMultiplier: 1.5 }),
      RangeError,
      /SeparableConv2D depthMultiplier must be a positive integer/,
    ],
    [
      () => ck.layers.separableConv2d({ filters: 2, kernelSize: 3, strides: 0 }),
      RangeError,
      /SeparableConv2D strides must be a positive integer/,
    ],
    [
      () => ck.layers.separableConv2d({ filters: 2, kernelSize: 3, pointwiseInitializer: 'x' as 'zeros' }),
      RangeError,
      /SeparableConv2D pointwiseInitializer/,
    ],
  ])('refuses bad arguments, naming the class and the field (%#)', (make, errorClass, message) => {
    expect(make).toThrow(errorClass);
    expect(make).toThrow(message);
  });

  it('predict through a model equals a depthwise then pointwise reference', () => {
    const random = rng(17);
    const model = ck.sequential({
      layers: [
        ck.layers.separableConv2d({
          inputShape: [5, 6, 2],
          filters: 3,
          kernelSize: 3,
          depthMultiplier: 2,
          padding: 'same',
          activation: 'relu',
        }),
      ],
    });
    const depthwise = randomArray(random, 3 * 3 * 2 * 2);
    const pointwise = randomArray(random, 4 * 3);
    const bias = randomArray(random, 3);
    model.setWeights([
      new ck.Tensor(depthwise, [3, 3, 2, 2]),
      new ck.Tensor(pointwise, [1, 1, 4, 3]),
      new ck.Tensor(bias, [3]),
    ]);
    const x = randomArray(random, 2 * 5 * 6 * 2);
    const result = model.predictSync(new ck.Tensor(x, [2, 5, 6, 2]));
    // The same computation as a conv2d whose kernel is zero off each channel's own filters, then a 1x1 conv2d.
    const full = new Float32Array(3 * 3 * 2 * 4);
    for (let tap = 0; tap < 9; tap++)
      for (let c = 0; c < 2; c++)
        for (let m = 0; m < 2; m++) full[(tap * 2 + c) * 4 + c * 2 + m] = depthwise[(tap * 2 + c) * 2 + m];
    const reference = ck.sequential({
      layers: [
        ck.layers.conv2d({ inputShape: [5, 6, 2], filters: 4, kernelSize: 3, padding: 'same', useBias: false }),
        ck.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu' }),
      ],
    });
    reference.setWeights([
      new ck.Tensor(full, [3, 3, 2, 4]),
      new ck.Tensor(pointwise, [1, 1, 4, 3]),
      new ck.Tensor(bias, [3]),
    ]);
    const expected = reference.predictSync(new ck.Tensor(x, [2, 5, 6, 2]));
    expect(result.shape).toEqual([2, 5, 6, 3]);
    expectClose(result.data, expected.data, { atol: 1e-5, rtol: 1e-5 }, 'separable');
  });
});
