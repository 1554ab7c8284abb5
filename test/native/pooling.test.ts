import { describe, expect, it } from 'vitest';
import { type GlobalPool2dParams, type Pool2dParams, poolingKernels as k } from '../helpers/kernels/pooling';
import { expectClose, expectSameBits } from '../helpers/assert';
import { badInputTable } from '../helpers/bad_input';
import { expectGradientClose, numericGradient, sampleIndices, toFloat64, weightedSum } from '../helpers/gradcheck';
import { randomArray, randomInt, rng } from '../helpers/random';
import {
  type GlobalPoolCase,
  type PoolCase,
  poolAxes,
  referenceGlobalPool2d,
  referencePool2d,
} from '../reference/pooling';

// Edge cases the issue names, plus the pooling layers of the Keras MNIST convnet.
const cases: (PoolCase & { name: string })[] = [
  {
    name: 'MNIST pool1: 2x2 stride 2 on 26x26x32',
    batch: 2,
    inHeight: 26,
    inWidth: 26,
    channels: 32,
    poolHeight: 2,
    poolWidth: 2,
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: 'MNIST pool2: 2x2 stride 2 on odd 11x11x64 (last row dropped)',
    batch: 2,
    inHeight: 11,
    inWidth: 11,
    channels: 64,
    poolHeight: 2,
    poolWidth: 2,
    strideHeight: 2,
    strideWidth: 2,
    padding: 'valid',
  },
  {
    name: '3x3 stride 2 same on odd sizes',
    batch: 2,
    inHeight: 7,
    inWidth: 9,
    channels: 3,
    poolHeight: 3,
    poolWidth: 3,
    strideHeight: 2,
    strideWidth: 2,
    padding: 'same',
  },
  {
    name: '2x2 stride 2 same on odd sizes (pad bottom/right only)',
    batch: 2,
    inHeight: 5,
    inWidth: 7,
    channels: 2,
    poolHeight: 2,
    poolWidth: 2,
    strideHeight: 2,
    strideWidth: 2,
    padding: 'same',
  },
  {
    name: 'stride larger than pool, valid',
    batch: 2,
    inHeight: 9,
    inWidth: 10,
    channels: 3,
    poolHeight: 2,
    poolWidth: 2,
    strideHeight: 3,
    strideWidth: 4,
  },
  {
    name: 'stride larger than pool, same',
    batch: 2,
    inHeight: 8,
    inWidth: 7,
    channels: 2,
    poolHeight: 2,
    poolWidth: 3,
    strideHeight: 3,
    strideWidth: 4,
    padding: 'same',
  },
  { name: 'pool 1x1', batch: 2, inHeight: 4, inWidth: 5, channels: 3, poolHeight: 1, poolWidth: 1 },
  {
    name: 'pool 1x1 stride 2 same',
    batch: 1,
    inHeight: 5,
    inWidth: 4,
    channels: 2,
    poolHeight: 1,
    poolWidth: 1,
    strideHeight: 2,
    strideWidth: 2,
    padding: 'same',
  },
  {
    name: 'batch 1, single channel',
    batch: 1,
    inHeight: 6,
    inWidth: 6,
    channels: 1,
    poolHeight: 3,
    poolWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
  },
  {
    name: 'non-square pool and strides',
    batch: 2,
    inHeight: 9,
    inWidth: 8,
    channels: 3,
    poolHeight: 2,
    poolWidth: 3,
    strideHeight: 1,
    strideWidth: 2,
    padding: 'same',
  },
  {
    name: 'strides default to the pool size',
    batch: 2,
    inHeight: 7,
    inWidth: 8,
    channels: 2,
    poolHeight: 2,
    poolWidth: 3,
  },
  {
    name: 'explicit padding',
    batch: 2,
    inHeight: 5,
    inWidth: 6,
    channels: 2,
    poolHeight: 3,
    poolWidth: 3,
    strideHeight: 2,
    strideWidth: 1,
    padding: [1, 2, 2, 0],
  },
  {
    name: 'explicit padding, default strides',
    batch: 1,
    inHeight: 4,
    inWidth: 4,
    channels: 3,
    poolHeight: 2,
    poolWidth: 3,
    padding: [1, 1, 2, 2],
  },
  { name: 'pool equals input', batch: 3, inHeight: 4, inWidth: 3, channels: 5, poolHeight: 4, poolWidth: 3 },
  {
    name: 'pool larger than input, same',
    batch: 2,
    inHeight: 2,
    inWidth: 3,
    channels: 2,
    poolHeight: 4,
    poolWidth: 5,
    strideHeight: 1,
    strideWidth: 1,
    padding: 'same',
  },
];

function randomCase(random: () => number): PoolCase {
  const poolHeight = randomInt(random, 1, 4);
  const poolWidth = randomInt(random, 1, 4);
  const mode = random();
  const padding: PoolCase['padding'] =
    mode < 0.35
      ? 'valid'
      : mode < 0.7
        ? 'same'
        : [
            randomInt(random, 0, poolHeight - 1),
            randomInt(random, 0, poolHeight - 1),
            randomInt(random, 0, poolWidth - 1),
            randomInt(random, 0, poolWidth - 1),
          ];
  const defaultStrides = random() < 0.25;
  return {
    batch: randomInt(random, 1, 3),
    inHeight: poolHeight + randomInt(random, 0, 6),
    inWidth: poolWidth + randomInt(random, 0, 6),
    channels: randomInt(random, 1, 6),
    poolHeight,
    poolWidth,
    strideHeight: defaultStrides ? undefined : randomInt(random, 1, 4),
    strideWidth: defaultStrides ? undefined : randomInt(random, 1, 4),
    padding,
  };
}

const randomCases = Array.from({ length: 20 }, (_, i) => ({ ...randomCase(rng(2000 + i)), name: `random #${i}` }));

function inputLength(c: PoolCase): number {
  return c.batch * c.inHeight * c.inWidth * c.channels;
}

function outputLength(c: PoolCase): number {
  const g = k.pool2dGeometry(c);
  return c.batch * g.outHeight * g.outWidth * c.channels;
}

/**
 * Values that are all distinct by far more than the finite-difference step, in random order, so
 * the max of every window has a unique winner that a perturbation cannot change.
 */
function distinctArray(random: () => number, length: number): Float32Array {
  const values = Array.from({ length }, (_, i) => -1 + (2 * (i + 0.5)) / length);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return Float32Array.from(values);
}

const tol = { atol: 1e-6, rtol: 1e-5 };
const gradAtol = 1e-5;
const gradRtol = 1e-4;

describe('pooling forward matches the direct reference', () => {
  it.each([...cases, ...randomCases])('$name', (c) => {
    const input = randomArray(rng(7), inputLength(c));
    const { rows, cols } = poolAxes(c);
    expect(k.pool2dGeometry(c)).toEqual({
      outHeight: rows.out,
      outWidth: cols.out,
      padTop: rows.padBefore,
      padBottom: rows.padAfter,
      padLeft: cols.padBefore,
      padRight: cols.padAfter,
    });
    const output = new Float32Array(outputLength(c)).fill(Number.NaN);
    k.maxPool2dForward(c, input, output);
    expectClose(output, referencePool2d(c, 'max', input).output, { atol: 0, rtol: 0 }, 'max');
    output.fill(Number.NaN);
    k.avgPool2dForward(c, input, output);
    expectClose(output, referencePool2d(c, 'avg', input).output, tol, 'avg');
  });
});

describe('pooling backward matches finite differences of the reference', () => {
  it.each([...cases.filter((c) => !c.name.startsWith('MNIST')), ...randomCases])('$name', (c) => {
    const random = rng(11);
    const input = distinctArray(random, inputLength(c));
    const weights = randomArray(random, outputLength(c));
    // loss = sum(weights * pool(input)), so d loss / d output = weights. Stale values in gradInput
    // must not leak through: the kernels overwrite it.
    const gradInput = new Float32Array(input.length).fill(Number.NaN);
    const x = toFloat64(input);
    const indices = sampleIndices(x.length, 150, random);

    k.maxPool2dBackward(c, input, weights, gradInput);
    const maxLoss = () => weightedSum(referencePool2d(c, 'max', x).output, weights);
    expectGradientClose(gradInput, numericGradient(maxLoss, x, indices), gradAtol, gradRtol, 'max');

    gradInput.fill(Number.NaN);
    k.avgPool2dBackward(c, weights, gradInput);
    const avgLoss = () => weightedSum(referencePool2d(c, 'avg', x).output, weights);
    expectGradientClose(gradInput, numericGradient(avgLoss, x, indices), gradAtol, gradRtol, 'avg');
  });

  it('routes every output gradient somewhere, also from windows that overlap the padding', () => {
    const c: Pool2dParams = {
      batch: 1,
      inHeight: 4,
      inWidth: 5,
      channels: 2,
      poolHeight: 3,
      poolWidth: 3,
      strideHeight: 2,
      strideWidth: 2,
      padding: 'same',
    };
    const input = randomArray(rng(5), inputLength(c), -10, -1); // all below the zero padding
    const output = new Float32Array(outputLength(c));
    k.maxPool2dForward(c, input, output);
    expect(output.every((v) => v < 0)).toBe(true);
    const gradOutput = Float32Array.from(output, (_, i) => i + 1);
    const gradInput = new Float32Array(input.length);
    k.maxPool2dBackward(c, input, gradOutput, gradInput);
    const total = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    expect(total(gradInput)).toBe(total(gradOutput));
  });
});

describe('max pooling backward applies the derivative of the activation that produced its input', () => {
  // What a fused relu/leakyRelu leaves behind: the activation's output, with runs of exact zeros
  // (ties) for relu. The reference is the plain backward (checked above against finite
  // differences) followed by the activation's backward read from that output.
  const activations = [
    { activation: 'relu' as const, activationAlpha: 0, slope: 0 },
    { activation: 'leakyRelu' as const, activationAlpha: 0.2, slope: 0.2 },
  ];
  it.each([...cases, ...randomCases])('$name', (c) => {
    const random = rng(23);
    const preActivation = randomArray(random, inputLength(c), -1, 1);
    const gradOutput = randomArray(random, outputLength(c));
    for (const { activation, activationAlpha, slope } of activations) {
      const input = preActivation.map((v) =>
        v > 0 ? v : activation === 'relu' ? 0 : Math.fround(activationAlpha * v),
      );
      const plain = new Float32Array(input.length);
      k.maxPool2dBackward(c, input, gradOutput, plain);
      const expected = plain.map((g, i) => g * (input[i] > 0 ? 1 : slope));
      const fused = new Float32Array(input.length).fill(Number.NaN);
      k.maxPool2dBackward({ ...c, activation, activationAlpha }, input, gradOutput, fused);
      expectClose(fused, expected, activation === 'relu' ? { atol: 0, rtol: 0 } : tol, activation);
    }
  });

  it('sends nothing through a window whose relu output is all zero', () => {
    const c: Pool2dParams = { batch: 1, inHeight: 2, inWidth: 4, channels: 1, poolHeight: 2, poolWidth: 2 };
    const input = Float32Array.of(0, 0, 0, 3, 0, 0, 0, 0);
    const gradInput = new Float32Array(input.length).fill(Number.NaN);
    k.maxPool2dBackward({ ...c, activation: 'relu' }, input, Float32Array.of(5, 7), gradInput);
    expect(Array.from(gradInput)).toEqual([0, 0, 0, 7, 0, 0, 0, 0]);
  });

  it("gives a tied window's gradient to its first maximum, and a NaN max to its first pixel, in every channel", () => {
    // One 2x2 window per image, 11 channels (vector lanes plus a ragged tail), each channel a
    // different case: [top-left, top-right, bottom-left, bottom-right] and the pixel that wins.
    const windows: [number[], number][] = [
      [[2, 5, 5, 5], 1],
      [[5, 5, 5, 5], 0],
      [[1, 2, 3, 3], 2],
      [[1, 2, 3, 4], 3],
      [[4, 1, 4, 1], 0],
      [[Number.NaN, 1, 2, 3], 0],
      [[1, Number.NaN, 2, 3], 3],
      [[3, 2, 1, Number.NaN], 0],
      [[-1, -3, -2, -1], 0],
      [[0, 0, 0, 0], 0],
      [[-2, 7, 7, -1], 1],
    ];
    const channels = windows.length;
    const c: Pool2dParams = { batch: 2, inHeight: 2, inWidth: 2, channels, poolHeight: 2, poolWidth: 2 };
    const input = new Float32Array(2 * 4 * channels);
    windows.forEach(([values], channel) =>
      values.forEach((v, pixel) => {
        for (let image = 0; image < 2; image++) input[(image * 4 + pixel) * channels + channel] = v;
      }),
    );
    const gradOutput = Float32Array.from({ length: 2 * channels }, (_, i) => i + 1);
    for (const { activation, activationAlpha, slope } of activations) {
      const gradInput = new Float32Array(input.length).fill(Number.NaN);
      k.maxPool2dBackward({ ...c, activation, activationAlpha }, input, gradOutput, gradInput);
      const expected = new Float32Array(input.length);
      windows.forEach(([values, winner], channel) => {
        for (let image = 0; image < 2; image++) {
          const best = values[winner];
          const g = gradOutput[image * channels + channel] * (best > 0 ? 1 : Math.fround(slope));
          expected[(image * 4 + winner) * channels + channel] = Math.fround(g);
        }
      });
      expect(Array.from(gradInput), activation).toEqual(Array.from(expected));
    }
  });

  it('rejects activations whose derivative does not follow from their output', () => {
    const c: Pool2dParams = { batch: 1, inHeight: 2, inWidth: 2, channels: 1, poolHeight: 2, poolWidth: 2 };
    const call = (extra: object) => () =>
      k.maxPool2dBackward(
        { ...c, ...extra } as Pool2dParams,
        new Float32Array(4),
        new Float32Array(1),
        new Float32Array(4),
      );
    expect(call({ activation: 'sigmoid' })).toThrow(/activation must be linear, relu or leakyRelu/);
    expect(call({ activation: 'leakyRelu', activationAlpha: -1 })).toThrow(RangeError);
  });
});

describe('pooling by hand', () => {
  // 5x5 single channel holding 1..25, 3x3 windows, stride 2, 'same': one pad on every side.
  const c: Pool2dParams = {
    batch: 1,
    inHeight: 5,
    inWidth: 5,
    channels: 1,
    poolHeight: 3,
    poolWidth: 3,
    strideHeight: 2,
    strideWidth: 2,
    padding: 'same',
  };
  const input = Float32Array.from({ length: 25 }, (_, i) => i + 1);

  it('excludes padding from the average count, as Keras does', () => {
    expect(k.pool2dGeometry(c)).toEqual({
      outHeight: 3,
      outWidth: 3,
      padTop: 1,
      padBottom: 1,
      padLeft: 1,
      padRight: 1,
    });
    const output = new Float32Array(9);
    k.avgPool2dForward(c, input, output);
    // Top-left window holds only 1, 2, 6, 7 (mean 4, not 16/9); the top edge one 2, 3, 4, 7, 8, 9.
    expect(Array.from(output)).toEqual([4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22]);
  });

  it('takes the max over the window part inside the input', () => {
    const output = new Float32Array(9);
    k.maxPool2dForward(c, input, output);
    expect(Array.from(output)).toEqual([7, 9, 10, 17, 19, 20, 22, 24, 25]);
  });

  it('spreads the average gradient over the elements inside the window only', () => {
    const gradOutput = new Float32Array(9);
    gradOutput[0] = 8; // top-left window: 4 elements inside
    const gradInput = new Float32Array(25);
    k.avgPool2dBackward(c, gradOutput, gradInput);
    const expected = new Float32Array(25);
    for (const i of [0, 1, 5, 6]) expected[i] = 2;
    expect(gradInput).toEqual(expected);
  });
});

describe('max pooling ties: the first max in row-major window order gets the gradient', () => {
  it('in disjoint windows', () => {
    const c: Pool2dParams = { batch: 1, inHeight: 2, inWidth: 4, channels: 1, poolHeight: 2, poolWidth: 2 };
    const input = Float32Array.from([1, 3, 3, 0, 3, 2, 1, 3]);
    const gradInput = new Float32Array(8).fill(Number.NaN);
    k.maxPool2dBackward(c, input, Float32Array.from([10, 20]), gradInput);
    expect(Array.from(gradInput)).toEqual([0, 10, 20, 0, 0, 0, 0, 0]);
  });

  it('in overlapping windows over a constant input, per channel', () => {
    const c: Pool2dParams = {
      batch: 1,
      inHeight: 3,
      inWidth: 3,
      channels: 2,
      poolHeight: 2,
      poolWidth: 2,
      strideHeight: 1,
      strideWidth: 1,
    };
    const input = new Float32Array(18).fill(0.5);
    input[2 * 4 + 1] = 0.75; // channel 1 of the centre pixel wins all four of its windows
    const gradOutput = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40]);
    const gradInput = new Float32Array(18);
    k.maxPool2dBackward(c, input, gradOutput, gradInput);
    // channel 0: each window's top-left pixel; channel 1: the centre gets 10 + 20 + 30 + 40
    expect(Array.from(gradInput)).toEqual([1, 0, 2, 0, 0, 0, 3, 0, 4, 100, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('in global max pooling', () => {
    const c: GlobalPool2dParams = { batch: 1, height: 2, width: 2, channels: 2 };
    const input = Float32Array.from([5, 1, 5, 7, 5, 0, 5, 7]);
    const gradInput = new Float32Array(8).fill(Number.NaN);
    k.globalMaxPool2dBackward(c, input, Float32Array.from([3, 4]), gradInput);
    expect(Array.from(gradInput)).toEqual([3, 0, 0, 4, 0, 0, 0, 0]);
  });
});

describe('global pooling', () => {
  const globalCases: (GlobalPoolCase & { name: string })[] = [
    { name: 'MNIST-like 5x5x64', batch: 2, height: 5, width: 5, channels: 64 },
    { name: '1x1 image', batch: 3, height: 1, width: 1, channels: 4 },
    { name: 'batch 1, single channel', batch: 1, height: 4, width: 6, channels: 1 },
    { name: 'non-square', batch: 2, height: 3, width: 7, channels: 5 },
  ];

  it.each(globalCases)('forward matches the reference: $name', (c) => {
    const input = randomArray(rng(3), c.batch * c.height * c.width * c.channels);
    const output = new Float32Array(c.batch * c.channels).fill(Number.NaN);
    k.globalMaxPool2dForward(c, input, output);
    expectClose(output, referenceGlobalPool2d(c, 'max', input), { atol: 0, rtol: 0 }, 'max');
    output.fill(Number.NaN);
    k.globalAvgPool2dForward(c, input, output);
    expectClose(output, referenceGlobalPool2d(c, 'avg', input), tol, 'avg');
  });

  it.each(globalCases)('backward matches finite differences: $name', (c) => {
    const random = rng(13);
    const input = distinctArray(random, c.batch * c.height * c.width * c.channels);
    const weights = randomArray(random, c.batch * c.channels);
    const x = toFloat64(input);
    const indices = sampleIndices(x.length, 150, random);
    const gradInput = new Float32Array(input.length).fill(Number.NaN);

    k.globalMaxPool2dBackward(c, input, weights, gradInput);
    const maxLoss = () => weightedSum(referenceGlobalPool2d(c, 'max', x), weights);
    expectGradientClose(gradInput, numericGradient(maxLoss, x, indices), gradAtol, gradRtol, 'max');

    gradInput.fill(Number.NaN);
    k.globalAvgPool2dBackward(c, weights, gradInput);
    const avgLoss = () => weightedSum(referenceGlobalPool2d(c, 'avg', x), weights);
    expectGradientClose(gradInput, numericGradient(avgLoss, x, indices), gradAtol, gradRtol, 'avg');
  });
});

describe('pool2d geometry', () => {
  it('defaults strides to the pool size and padding to valid', () => {
    expect(k.pool2dGeometry({ batch: 1, inHeight: 7, inWidth: 8, channels: 1, poolHeight: 2, poolWidth: 3 })).toEqual({
      outHeight: 3,
      outWidth: 2,
      padTop: 0,
      padBottom: 0,
      padLeft: 0,
      padRight: 0,
    });
  });

  it('pads as TensorFlow does for same: the odd extra pad goes bottom/right', () => {
    expect(
      k.pool2dGeometry({
        batch: 1,
        inHeight: 6,
        inWidth: 7,
        channels: 1,
        poolHeight: 3,
        poolWidth: 3,
        strideHeight: 2,
        strideWidth: 2,
        padding: 'same',
      }),
    ).toEqual({ outHeight: 3, outWidth: 4, padTop: 0, padBottom: 1, padLeft: 1, padRight: 1 });
  });

  it('reports explicit pads the windows reach', () => {
    expect(
      k.pool2dGeometry({
        batch: 1,
        inHeight: 4,
        inWidth: 4,
        channels: 1,
        poolHeight: 3,
        poolWidth: 2,
        strideHeight: 1,
        strideWidth: 1,
        padding: [2, 1, 0, 1],
      }),
    ).toEqual({ outHeight: 5, outWidth: 4, padTop: 2, padBottom: 1, padLeft: 0, padRight: 1 });
  });
});

describe('pooling rejects bad input', () => {
  const c: Pool2dParams = { batch: 1, inHeight: 5, inWidth: 5, channels: 2, poolHeight: 2, poolWidth: 2 };
  const input = new Float32Array(50);
  const output = new Float32Array(8);
  const g: GlobalPool2dParams = { batch: 2, height: 3, width: 3, channels: 3 };

  it('names a wrong array length with the shape it expected', () => {
    expect(() => k.maxPool2dForward(c, new Float32Array(49), output)).toThrow(
      new RangeError('maxPool2dForward: input must have 50 elements (batch*inHeight*inWidth*channels), got 49'),
    );
    expect(() => k.avgPool2dForward(c, input, new Float32Array(9))).toThrow(
      new RangeError('avgPool2dForward: output must have 8 elements (batch*outHeight*outWidth*channels), got 9'),
    );
    expect(() => k.maxPool2dBackward(c, input, new Float32Array(7), new Float32Array(50))).toThrow(
      new RangeError('maxPool2dBackward: gradOutput must have 8 elements (batch*outHeight*outWidth*channels), got 7'),
    );
    expect(() => k.avgPool2dBackward(c, output, new Float32Array(51))).toThrow(
      /^avgPool2dBackward: gradInput must have 50 elements/,
    );
    expect(() => k.globalAvgPool2dForward(g, new Float32Array(54), new Float32Array(5))).toThrow(
      new RangeError('globalAvgPool2dForward: output must have 6 elements (batch*channels), got 5'),
    );
    expect(() => k.globalMaxPool2dBackward(g, new Float32Array(53), new Float32Array(6), new Float32Array(54))).toThrow(
      new RangeError('globalMaxPool2dBackward: input must have 54 elements (batch*height*width*channels), got 53'),
    );
  });

  it('rejects a pool larger than the input with valid padding', () => {
    expect(() => k.pool2dGeometry({ ...c, poolHeight: 6, poolWidth: 3 })).toThrow(
      new RangeError('pool2dGeometry: the pool window (6x3) does not fit the padded input (5x5)'),
    );
    expect(() => k.maxPool2dForward({ ...c, poolWidth: 6 }, input, output)).toThrow(/does not fit the padded input/);
    expect(() => k.pool2dGeometry({ ...c, poolHeight: 6, padding: 'same' })).not.toThrow();
    expect(() => k.pool2dGeometry({ ...c, poolHeight: 6, padding: [1, 0, 0, 0] })).not.toThrow();
    expect(() => k.pool2dGeometry({ ...c, poolHeight: 7, padding: [1, 0, 0, 1] })).toThrow(
      new RangeError('pool2dGeometry: the pool window (7x2) does not fit the padded input (6x6)'),
    );
  });

  it('rejects explicit pads as large as the pool (windows that see only padding)', () => {
    expect(() => k.pool2dGeometry({ ...c, padding: [0, 2, 0, 0] })).toThrow(
      new RangeError('pool2dGeometry: padding[1] (bottom) must be smaller than poolHeight (2), got 2'),
    );
    expect(() => k.pool2dGeometry({ ...c, poolWidth: 3, padding: [1, 1, 1, 3] })).toThrow(
      new RangeError('pool2dGeometry: padding[3] (right) must be smaller than poolWidth (3), got 3'),
    );
    expect(() => k.pool2dGeometry({ ...c, padding: [0, -1, 0, 0] })).toThrow(
      /padding\[1\] \(bottom\) must be a non-negative integer/,
    );
    expect(() => k.pool2dGeometry({ ...c, padding: 'full' as 'same' })).toThrow(/padding must be 'valid', 'same'/);
  });

  it('rejects zero, negative, fractional and non-numeric sizes', () => {
    expect(() => k.pool2dGeometry({ ...c, batch: 0 })).toThrow(/batch must be in \[1,/);
    expect(() => k.pool2dGeometry({ ...c, poolHeight: -2 })).toThrow(/poolHeight must be in \[1,/);
    expect(() => k.pool2dGeometry({ ...c, poolWidth: 0 })).toThrow(/poolWidth must be in \[1,/);
    expect(() => k.pool2dGeometry({ ...c, strideWidth: 0 })).toThrow(/strideWidth must be in \[1,/);
    expect(() => k.pool2dGeometry({ ...c, inHeight: -5 })).toThrow(/inHeight must be in \[1,/);
    expect(() => k.pool2dGeometry({ ...c, channels: 1.5 })).toThrow(/channels must be an integer/);
    expect(() => k.pool2dGeometry({ ...c, inWidth: '5' as unknown as number })).toThrow(TypeError);
    expect(() => k.pool2dGeometry({ ...c, poolHeight: undefined as unknown as number })).toThrow(
      /poolHeight must be an integer, got undefined/,
    );
    expect(() => k.globalAvgPool2dForward({ ...g, height: 0 }, new Float32Array(0), new Float32Array(6))).toThrow(
      /height must be in \[1,/,
    );
    expect(() => k.globalMaxPool2dForward({ ...g, channels: -1 }, new Float32Array(54), new Float32Array(6))).toThrow(
      /channels must be in \[1,/,
    );
    expect(() => k.maxPool2dForward(null as unknown as Pool2dParams, input, output)).toThrow(
      new TypeError('maxPool2dForward: params must be an object, got null'),
    );
  });

  it('rejects sizes whose product overflows', () => {
    expect(() => k.pool2dGeometry({ ...c, batch: 2 ** 30, inHeight: 2 ** 20, inWidth: 2 ** 20 })).toThrow(/too large/);
    expect(() => k.globalAvgPool2dForward({ ...g, batch: 2 ** 30, height: 2 ** 20 }, input, output)).toThrow(
      /too large/,
    );
  });

  it('rejects the wrong array type', () => {
    expect(() => k.maxPool2dForward(c, new Float64Array(50) as unknown as Float32Array, output)).toThrow(
      new TypeError('maxPool2dForward: input must be a Float32Array, got Float64Array'),
    );
    expect(() => k.avgPool2dBackward(c, Array.from(output) as unknown as Float32Array, input)).toThrow(
      new TypeError('avgPool2dBackward: gradOutput must be a Float32Array, got an Array'),
    );
    expect(() =>
      k.globalMaxPool2dForward(g, new Float32Array(54), new Int32Array(6) as unknown as Float32Array),
    ).toThrow(new TypeError('globalMaxPool2dForward: output must be a Float32Array, got Int32Array'));
  });

  it('rejects outputs that share memory with inputs', () => {
    const shared = new Float32Array(100);
    expect(() => k.maxPool2dForward(c, shared.subarray(0, 50), shared.subarray(45, 53))).toThrow(
      /output and input must not share memory/,
    );
    expect(() => k.avgPool2dBackward(c, shared.subarray(0, 8), shared.subarray(4, 54))).toThrow(
      /gradInput and gradOutput must not share memory/,
    );
    // Max backward re-reads input while writing gradInput, so not even exact in-place use works.
    expect(() => k.maxPool2dBackward(c, input, output, input)).toThrow(/gradInput and input must not share memory/);
    expect(() =>
      k.globalAvgPool2dBackward(
        { batch: 1, height: 1, width: 1, channels: 4 },
        shared.subarray(0, 4),
        shared.subarray(0, 4),
      ),
    ).toThrow(/must not share memory/);
  });
});

describe('max pooling that records its winners for training', () => {
  // Windows that neither overlap nor leave gaps: the only ones that record winners.
  const winnerCases: (PoolCase & { name: string })[] = [
    {
      name: 'MNIST pool1: 2x2 on 26x26x32',
      batch: 2,
      inHeight: 26,
      inWidth: 26,
      channels: 32,
      poolHeight: 2,
      poolWidth: 2,
    },
    {
      name: 'MNIST pool2: 2x2 on odd 11x11x64 (last row and column left out)',
      batch: 2,
      inHeight: 11,
      inWidth: 11,
      channels: 64,
      poolHeight: 2,
      poolWidth: 2,
    },
    {
      name: '2x2 on 9x7x13 (channels not a multiple of 8)',
      batch: 3,
      inHeight: 9,
      inWidth: 7,
      channels: 13,
      poolHeight: 2,
      poolWidth: 2,
    },
    {
      name: '3x3 stride 3 on 10x11x5 valid',
      batch: 2,
      inHeight: 10,
      inWidth: 11,
      channels: 5,
      poolHeight: 3,
      poolWidth: 3,
      strideHeight: 3,
      strideWidth: 3,
    },
    {
      name: '3x3 stride 3 same (windows clipped to 2x2, 2x3, 3x2)',
      batch: 2,
      inHeight: 10,
      inWidth: 11,
      channels: 5,
      poolHeight: 3,
      poolWidth: 3,
      strideHeight: 3,
      strideWidth: 3,
      padding: 'same',
    },
    {
      name: '2x2 same on odd 5x7x3 (windows clipped to 1x2, 2x1, 1x1)',
      batch: 2,
      inHeight: 5,
      inWidth: 7,
      channels: 3,
      poolHeight: 2,
      poolWidth: 2,
      padding: 'same',
    },
    {
      name: '2x3 with explicit padding',
      batch: 2,
      inHeight: 7,
      inWidth: 8,
      channels: 6,
      poolHeight: 2,
      poolWidth: 3,
      padding: [1, 0, 2, 1],
    },
    {
      name: '3x3 on 6x6x70 (more channels than one block)',
      batch: 2,
      inHeight: 6,
      inWidth: 6,
      channels: 70,
      poolHeight: 3,
      poolWidth: 3,
    },
    {
      name: '8x16 (the largest window: 128 pixels) on 9x17x3',
      batch: 2,
      inHeight: 9,
      inWidth: 17,
      channels: 3,
      poolHeight: 8,
      poolWidth: 16,
    },
    { name: 'pool 1x1', batch: 1, inHeight: 3, inWidth: 4, channels: 9, poolHeight: 1, poolWidth: 1 },
  ];

  const activations = [
    { activation: 'linear' as const, activationAlpha: 0, apply: (v: number) => v },
    { activation: 'relu' as const, activationAlpha: 0, apply: (v: number) => (v > 0 || Number.isNaN(v) ? v : 0) },
    {
      activation: 'leakyRelu' as const,
      activationAlpha: 0.2,
      apply: (v: number) => (v > 0 ? v : Math.fround(0.2 * v)),
    },
  ];

  /** Few distinct values (so windows tie often), zeros of both signs, negatives and some NaNs. */
  function tiedArray(random: () => number, length: number): Float32Array {
    return Float32Array.from({ length }, () => {
      const r = random();
      if (r < 0.03) return Number.NaN;
      if (r < 0.08) return -0;
      return Math.round(random() * 8 - 4) / 2;
    });
  }

  /**
   * What the winner bytes must hold, from the definition: the max as std::max folds a window's
   * pixels in row-major order (a later value replaces it only when larger, so a NaN wins only as
   * the first pixel), the index of the first pixel equal to it (0 for a NaN max), 0x80 when it is
   * positive.
   */
  function referenceWinners(c: PoolCase, input: Float32Array): Uint8Array {
    const { rows, cols } = poolAxes(c);
    const winners = new Uint8Array(c.batch * rows.out * cols.out * c.channels);
    let i = 0;
    for (let n = 0; n < c.batch; n++) {
      for (let oy = 0; oy < rows.out; oy++) {
        for (let ox = 0; ox < cols.out; ox++) {
          for (let ch = 0; ch < c.channels; ch++, i++) {
            const values: number[] = [];
            for (let iy = oy * c.poolHeight - rows.padBefore; iy < (oy + 1) * c.poolHeight - rows.padBefore; iy++) {
              for (let ix = ox * c.poolWidth - cols.padBefore; ix < (ox + 1) * c.poolWidth - cols.padBefore; ix++) {
                if (iy >= 0 && iy < c.inHeight && ix >= 0 && ix < c.inWidth) {
                  values.push(input[((n * c.inHeight + iy) * c.inWidth + ix) * c.channels + ch]);
                }
              }
            }
            const best = values.reduce((max, v) => (max < v ? v : max));
            winners[i] = Math.max(values.indexOf(best), 0) | (best > 0 ? 0x80 : 0);
          }
        }
      }
    }
    return winners;
  }

  function expectSameBytes(actual: Uint8Array, expected: Uint8Array, label: string): void {
    expect(actual.length, `${label}: length`).toBe(expected.length);
    const first = actual.findIndex((byte, i) => byte !== expected[i]);
    if (first >= 0)
      expect.fail(
        `${label}: byte ${first} is 0x${actual[first].toString(16)}, expected 0x${expected[first].toString(16)}`,
      );
  }

  it.each(winnerCases)('forward and backward match the plain kernels bit for bit: $name', (c) => {
    const random = rng(31);
    const preActivation = tiedArray(random, inputLength(c));
    // Output gradients with negatives (a relu's zero slope then gives -0) and zeros of both signs.
    const gradOutput = Float32Array.from(tiedArray(random, outputLength(c)), (v) => (Number.isNaN(v) ? 1.5 : v));
    for (const { activation, activationAlpha, apply } of activations) {
      const input = preActivation.map(apply);
      const expectedOutput = new Float32Array(outputLength(c));
      k.maxPool2dForward(c, input, expectedOutput);
      const output = new Float32Array(outputLength(c)).fill(Number.NaN);
      const winners = new Uint8Array(outputLength(c)).fill(0x55);
      k.maxPool2dForwardRecordingWinners(c, input, output, winners);
      expectSameBits(output, expectedOutput, `${activation} output`);
      expectSameBytes(winners, referenceWinners(c, input), `${activation} winners`);

      const params = { ...c, activation, activationAlpha };
      const expectedGrad = new Float32Array(input.length).fill(Number.NaN);
      k.maxPool2dBackward(params, input, gradOutput, expectedGrad);
      const gradInput = new Float32Array(input.length).fill(Number.NaN);
      k.maxPool2dBackwardFromWinners(params, winners, gradOutput, gradInput);
      expect(gradInput.findIndex(Number.isNaN), `${activation}: first element left unwritten`).toBe(-1);
      expectSameBits(gradInput, expectedGrad, `${activation} gradInput`);
    }
  });

  it('records the first maximum, the sign of the max, and a NaN max at the first pixel, by hand', () => {
    // One 2x2 window per channel: [top-left, top-right, bottom-left, bottom-right] and its byte.
    const windows: [number[], number][] = [
      [[2, 5, 5, 5], 0x81],
      [[5, 5, 5, 5], 0x80],
      [[1, 2, 3, 3], 0x82],
      [[1, 2, 3, 4], 0x83],
      [[Number.NaN, 1, 2, 3], 0x00],
      [[1, Number.NaN, 2, 3], 0x83],
      [[-1, -3, -2, -1], 0x00],
      [[0, -0, 0, 0], 0x00],
      [[-2, -0.5, -0.5, -1], 0x01],
    ];
    const channels = windows.length;
    const c: Pool2dParams = { batch: 1, inHeight: 2, inWidth: 2, channels, poolHeight: 2, poolWidth: 2 };
    const input = new Float32Array(4 * channels);
    windows.forEach(([values], channel) =>
      values.forEach((v, pixel) => {
        input[pixel * channels + channel] = v;
      }),
    );
    const winners = new Uint8Array(channels);
    k.maxPool2dForwardRecordingWinners(c, input, new Float32Array(channels), winners);
    expect(Array.from(winners)).toEqual(windows.map(([, byte]) => byte));

    // With relu, a non-positive max passes nothing: only the positive windows' winners get theirs.
    const gradOutput = Float32Array.from({ length: channels }, (_, i) => i + 1);
    const gradInput = new Float32Array(input.length).fill(Number.NaN);
    k.maxPool2dBackwardFromWinners({ ...c, activation: 'relu' }, winners, gradOutput, gradInput);
    const expected = new Float32Array(input.length);
    windows.forEach(([, byte], channel) => {
      if (byte & 0x80) expected[(byte & 0x7f) * channels + channel] = channel + 1;
    });
    expect(Array.from(gradInput)).toEqual(Array.from(expected));
  });

  describe('rejects bad input', () => {
    const c: Pool2dParams = { batch: 1, inHeight: 4, inWidth: 4, channels: 2, poolHeight: 2, poolWidth: 2 };
    const input = new Float32Array(32);
    const output = new Float32Array(8);
    const gradInput = new Float32Array(32);
    const forward = 'maxPool2dForwardRecordingWinners';
    const backward = 'maxPool2dBackwardFromWinners';
    const shared = new ArrayBuffer(64);
    const outOfWindow = new Uint8Array(8);
    outOfWindow[3] = 0x84; // a 2x2 window has pixels 0..3
    badInputTable([
      {
        entry: forward,
        input: 'winners not a Uint8Array',
        error: TypeError,
        message: /^maxPool2dForwardRecordingWinners: winners must be a Uint8Array, got Float32Array$/,
        call: () => k.maxPool2dForwardRecordingWinners(c, input, output, new Float32Array(8) as unknown as Uint8Array),
      },
      {
        entry: forward,
        input: 'winners a Uint8ClampedArray',
        error: TypeError,
        message: /winners must be a Uint8Array, got Uint8ClampedArray/,
        call: () =>
          k.maxPool2dForwardRecordingWinners(c, input, output, new Uint8ClampedArray(8) as unknown as Uint8Array),
      },
      {
        entry: forward,
        input: 'winners of the wrong length',
        error: RangeError,
        message:
          /^maxPool2dForwardRecordingWinners: winners must have 8 elements \(batch\*outHeight\*outWidth\*channels\), got 9$/,
        call: () => k.maxPool2dForwardRecordingWinners(c, input, output, new Uint8Array(9)),
      },
      {
        entry: forward,
        input: 'winners sharing memory with output',
        error: RangeError,
        message: /must not share memory/,
        call: () =>
          k.maxPool2dForwardRecordingWinners(c, input, new Float32Array(shared, 0, 8), new Uint8Array(shared, 8, 8)),
      },
      {
        entry: forward,
        input: 'overlapping windows',
        error: RangeError,
        message:
          /^maxPool2dForwardRecordingWinners: winners are recorded only for windows that neither overlap nor leave gaps: strides \(1x1\) must equal the pool \(2x2\)$/,
        call: () =>
          k.maxPool2dForwardRecordingWinners(
            { ...c, strideHeight: 1, strideWidth: 1 },
            input,
            new Float32Array(18),
            new Uint8Array(18),
          ),
      },
      {
        entry: forward,
        input: 'windows with gaps between them',
        error: RangeError,
        message: /strides \(3x2\) must equal the pool \(2x2\)/,
        call: () => k.maxPool2dForwardRecordingWinners({ ...c, strideHeight: 3 }, input, output, new Uint8Array(8)),
      },
      {
        entry: forward,
        input: 'a window of more than 128 pixels',
        error: RangeError,
        message: /winners are recorded only for windows of at most 128 pixels, got 9x15$/,
        call: () =>
          k.maxPool2dForwardRecordingWinners(
            { ...c, inHeight: 9, inWidth: 15, poolHeight: 9, poolWidth: 15 },
            new Float32Array(270),
            new Float32Array(2),
            new Uint8Array(2),
          ),
      },
      {
        entry: forward,
        input: 'a bad geometry',
        error: RangeError,
        message: /poolHeight must be in \[1,/,
        call: () => k.maxPool2dForwardRecordingWinners({ ...c, poolHeight: 0 }, input, output, new Uint8Array(8)),
      },
      {
        entry: backward,
        input: 'winners not a Uint8Array',
        error: TypeError,
        message: /^maxPool2dBackwardFromWinners: winners must be a Uint8Array, got an Array$/,
        call: () =>
          k.maxPool2dBackwardFromWinners(c, [0, 0, 0, 0, 0, 0, 0, 0] as unknown as Uint8Array, output, gradInput),
      },
      {
        entry: backward,
        input: 'winners of the wrong length',
        error: RangeError,
        message: /winners must have 8 elements \(batch\*outHeight\*outWidth\*channels\), got 7$/,
        call: () => k.maxPool2dBackwardFromWinners(c, new Uint8Array(7), output, gradInput),
      },
      {
        entry: backward,
        input: 'a winner outside its window',
        error: RangeError,
        message: /^maxPool2dBackwardFromWinners: winners\[3\] names pixel 4 of a window of 4 pixels/,
        call: () => k.maxPool2dBackwardFromWinners(c, outOfWindow, output, gradInput),
      },
      {
        entry: backward,
        input: 'a winner outside its clipped window',
        error: RangeError,
        message: /winners\[1\] names pixel 1 of a window of 1 pixels/,
        call: () =>
          k.maxPool2dBackwardFromWinners(
            { ...c, inHeight: 1, inWidth: 3, channels: 1, padding: 'same' },
            Uint8Array.of(1, 1),
            new Float32Array(2),
            new Float32Array(3),
          ),
      },
      {
        entry: backward,
        input: 'overlapping windows',
        error: RangeError,
        message: /strides \(1x2\) must equal the pool \(2x2\)/,
        call: () =>
          k.maxPool2dBackwardFromWinners(
            { ...c, strideHeight: 1 },
            new Uint8Array(12),
            new Float32Array(12),
            gradInput,
          ),
      },
      {
        entry: backward,
        input: 'an activation whose derivative does not follow from its output',
        error: RangeError,
        message: /activation must be linear, relu or leakyRelu/,
        call: () =>
          k.maxPool2dBackwardFromWinners(
            { ...c, activation: 'sigmoid' } as Pool2dParams,
            new Uint8Array(8),
            output,
            gradInput,
          ),
      },
      {
        entry: backward,
        input: 'gradInput sharing memory with gradOutput',
        error: RangeError,
        message: /gradInput and gradOutput must not share memory/,
        call: () => k.maxPool2dBackwardFromWinners(c, new Uint8Array(8), gradInput.subarray(0, 8), gradInput),
      },
    ]);
  });
});
