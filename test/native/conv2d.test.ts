import { describe, expect, it } from 'vitest';
import { conv2dKernels as k, type Conv2dParams } from '../helpers/kernels/conv2d';
import { referenceActivation } from '../reference/activation';
import { expectClose, expectSameBits, expectSameWithAnyThreadCount, sumTolerance } from '../helpers/assert';
import { expectGradientClose, numericGradient, sampleIndices, toFloat64, weightedSum } from '../helpers/gradcheck';
import { randomArray, randomInt, rng } from '../helpers/random';
import { type ConvCase, referenceConv2d } from '../reference/conv2d';

const base = { strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1 };

// Edge cases the issue names, the shapes of the Keras MNIST convnet's layers, and small convolutions
// with 8 or more channels in and out (the layers past a network's first).
const cases: (ConvCase & { name: string })[] = [
  {
    name: '3x3 valid',
    batch: 2,
    inHeight: 7,
    inWidth: 6,
    inChannels: 3,
    outChannels: 5,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'valid',
    ...base,
  },
  {
    name: '3x3 same',
    batch: 2,
    inHeight: 7,
    inWidth: 6,
    inChannels: 3,
    outChannels: 5,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
  },
  {
    name: '1x1 (im2col skipped)',
    batch: 3,
    inHeight: 5,
    inWidth: 4,
    inChannels: 6,
    outChannels: 7,
    kernelHeight: 1,
    kernelWidth: 1,
    padding: 'valid',
    ...base,
  },
  {
    name: '1x1 same stride 2',
    batch: 2,
    inHeight: 5,
    inWidth: 5,
    inChannels: 3,
    outChannels: 4,
    kernelHeight: 1,
    kernelWidth: 1,
    padding: 'same',
    ...base,
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: 'stride larger than kernel',
    batch: 2,
    inHeight: 9,
    inWidth: 8,
    inChannels: 2,
    outChannels: 3,
    kernelHeight: 2,
    kernelWidth: 2,
    padding: 'valid',
    ...base,
    strideHeight: 3,
    strideWidth: 3,
  },
  {
    name: 'odd size, same, stride 2 (extra pad bottom/right)',
    batch: 1,
    inHeight: 6,
    inWidth: 7,
    inChannels: 2,
    outChannels: 3,
    kernelHeight: 4,
    kernelWidth: 4,
    padding: 'same',
    ...base,
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: 'batch 1, single channel',
    batch: 1,
    inHeight: 5,
    inWidth: 5,
    inChannels: 1,
    outChannels: 1,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'valid',
    ...base,
  },
  {
    name: 'dilation 2, valid',
    batch: 2,
    inHeight: 8,
    inWidth: 9,
    inChannels: 2,
    outChannels: 3,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'valid',
    ...base,
    dilationHeight: 2,
    dilationWidth: 2,
  },
  {
    name: 'dilation 2, same',
    batch: 2,
    inHeight: 6,
    inWidth: 5,
    inChannels: 2,
    outChannels: 3,
    kernelHeight: 3,
    kernelWidth: 2,
    padding: 'same',
    ...base,
    dilationHeight: 2,
    dilationWidth: 2,
  },
  {
    name: 'non-square kernel and strides',
    batch: 2,
    inHeight: 9,
    inWidth: 7,
    inChannels: 3,
    outChannels: 2,
    kernelHeight: 2,
    kernelWidth: 3,
    padding: 'same',
    ...base,
    strideHeight: 2,
    strideWidth: 1,
  },
  {
    name: 'kernel equals input',
    batch: 2,
    inHeight: 4,
    inWidth: 4,
    inChannels: 2,
    outChannels: 3,
    kernelHeight: 4,
    kernelWidth: 4,
    padding: 'valid',
    ...base,
  },
  {
    name: 'MNIST conv1 shape',
    batch: 2,
    inHeight: 28,
    inWidth: 28,
    inChannels: 1,
    outChannels: 32,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'valid',
    ...base,
  },
  {
    name: 'MNIST conv2 shape',
    batch: 2,
    inHeight: 13,
    inWidth: 13,
    inChannels: 32,
    outChannels: 64,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'valid',
    ...base,
  },
  {
    name: 'wide channels, 3x3 same',
    batch: 2,
    inHeight: 5,
    inWidth: 5,
    inChannels: 8,
    outChannels: 9,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
  },
  {
    name: 'wide channels, same, stride 2',
    batch: 2,
    inHeight: 5,
    inWidth: 6,
    inChannels: 9,
    outChannels: 8,
    kernelHeight: 3,
    kernelWidth: 2,
    padding: 'same',
    ...base,
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: 'wide channels, dilation 2x1, same',
    batch: 1,
    inHeight: 5,
    inWidth: 4,
    inChannels: 8,
    outChannels: 8,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
    dilationHeight: 2,
  },
  {
    name: 'wide channels, dilation 2, valid, batch 5',
    batch: 5,
    inHeight: 5,
    inWidth: 5,
    inChannels: 8,
    outChannels: 9,
    kernelHeight: 2,
    kernelWidth: 2,
    padding: 'valid',
    ...base,
    dilationHeight: 2,
    dilationWidth: 2,
  },
];

function randomCase(random: () => number): ConvCase {
  const kernelHeight = randomInt(random, 1, 4);
  const kernelWidth = randomInt(random, 1, 4);
  const dilationHeight = randomInt(random, 1, 2);
  const dilationWidth = randomInt(random, 1, 2);
  return {
    batch: randomInt(random, 1, 3),
    inHeight: (kernelHeight - 1) * dilationHeight + randomInt(random, 1, 6),
    inWidth: (kernelWidth - 1) * dilationWidth + randomInt(random, 1, 6),
    inChannels: randomInt(random, 1, 5),
    outChannels: randomInt(random, 1, 20),
    kernelHeight,
    kernelWidth,
    dilationHeight,
    dilationWidth,
    strideHeight: randomInt(random, 1, 3),
    strideWidth: randomInt(random, 1, 3),
    padding: random() < 0.5 ? 'valid' : 'same',
  };
}

function data(c: ConvCase, seed: number) {
  const random = rng(seed);
  const input = randomArray(random, c.batch * c.inHeight * c.inWidth * c.inChannels);
  const kernel = randomArray(random, c.kernelHeight * c.kernelWidth * c.inChannels * c.outChannels);
  const bias = randomArray(random, c.outChannels);
  return { random, input, kernel, bias };
}

function outputLength(c: ConvCase): number {
  const g = k.conv2dGeometry(c);
  return c.batch * g.outHeight * g.outWidth * c.outChannels;
}

const randomCases = Array.from({ length: 25 }, (_, i) => ({ ...randomCase(rng(1000 + i)), name: `random #${i}` }));
// Each output sums kernelHeight * kernelWidth * inChannels products.
const forwardTolerance = (c: ConvCase) => sumTolerance(c.kernelHeight * c.kernelWidth * c.inChannels);

describe('conv2d forward matches the direct 7-loop reference', () => {
  it.each([...cases, ...randomCases])('$name', (c) => {
    const { input, kernel, bias } = data(c, 7);
    const expected = referenceConv2d(c, input, kernel, bias);
    const geometry = k.conv2dGeometry(c);
    expect([geometry.outHeight, geometry.outWidth]).toEqual([expected.outHeight, expected.outWidth]);
    const output = new Float32Array(expected.output.length).fill(Number.NaN);
    k.conv2dForward(c, input, kernel, bias, output);
    expectClose(output, expected.output, forwardTolerance(c), 'with bias');
    k.conv2dForward(c, input, kernel, null, output);
    expectClose(output, referenceConv2d(c, input, kernel, null).output, forwardTolerance(c), 'without bias');
  });

  it.each([...cases.slice(0, 6), ...randomCases.slice(0, 6)])('$name with a fused leakyRelu', (c) => {
    const { input, kernel, bias } = data(c, 9);
    const linear = referenceConv2d(c, input, kernel, bias).output;
    const output = new Float32Array(linear.length);
    k.conv2dForward({ ...c, activation: 'leakyRelu', activationAlpha: 0.2 }, input, kernel, bias, output);
    expectClose(
      output,
      referenceActivation('leakyRelu', 0.2, 1, linear.length, linear),
      forwardTolerance(c),
      'leakyRelu',
    );
    k.conv2dForward({ ...c, activation: 'relu' }, input, kernel, bias, output);
    expectClose(output, referenceActivation('relu', 0, 1, linear.length, linear), forwardTolerance(c), 'relu');
  });
});

describe('conv2d backward matches finite differences of the reference', () => {
  it.each([...cases.filter((c) => !c.name.startsWith('MNIST')), ...randomCases.slice(0, 12)])('$name', (c) => {
    const { random, input, kernel, bias } = data(c, 11);
    const weights = randomArray(random, outputLength(c));
    // loss = sum(weights * conv(input, kernel, bias)), so d loss / d output = weights
    const gradInput = new Float32Array(input.length);
    const gradKernel = new Float32Array(kernel.length);
    const gradBias = new Float32Array(bias.length);
    k.conv2dBackwardInput(c, weights, kernel, gradInput);
    k.conv2dBackwardParams(c, input, weights, gradKernel, gradBias);

    const x = toFloat64(input);
    const w = toFloat64(kernel);
    const b = toFloat64(bias);
    const loss = () => weightedSum(referenceConv2d(c, x, w, b).output, weights);
    const atol = 1e-4;
    const rtol = 1e-3;
    expectGradientClose(gradInput, numericGradient(loss, x, sampleIndices(x.length, 60, random)), atol, rtol, 'input');
    expectGradientClose(
      gradKernel,
      numericGradient(loss, w, sampleIndices(w.length, 60, random)),
      atol,
      rtol,
      'kernel',
    );
    expectGradientClose(gradBias, numericGradient(loss, b, sampleIndices(b.length, 60, random)), atol, rtol, 'bias');
  });

  it('overwrites gradients instead of accumulating into them', () => {
    const c = cases[0];
    const { input, kernel } = data(c, 3);
    const gradOutput = new Float32Array(outputLength(c)).fill(1);
    const fresh = new Float32Array(kernel.length);
    k.conv2dBackwardParams(c, input, gradOutput, fresh, null);
    const dirty = new Float32Array(kernel.length).fill(123);
    k.conv2dBackwardParams(c, input, gradOutput, dirty, null);
    expect(dirty).toEqual(fresh);
    const gradInput = new Float32Array(input.length).fill(Number.NaN);
    k.conv2dBackwardInput(c, gradOutput, kernel, gradInput);
    expect(gradInput.every(Number.isFinite)).toBe(true);
  });
});

describe('conv2dBackward, as training calls it', () => {
  // Winograd layers (3x3, stride 1, 8+ channels, output 4x4 or more) share the transformed output
  // gradient between the two gradients; the others make the two calls.
  const winogradCases: (ConvCase & { name: string })[] = [
    {
      name: 'Winograd 8 -> 9, 3x3 same on 9x7, batch 19 (a whole and a ragged gradient chunk)',
      batch: 19,
      inHeight: 9,
      inWidth: 7,
      inChannels: 8,
      outChannels: 9,
      kernelHeight: 3,
      kernelWidth: 3,
      padding: 'same',
      ...base,
    },
    {
      name: 'Winograd 40 -> 33, 3x3 valid on 10x11, batch 3',
      batch: 3,
      inHeight: 10,
      inWidth: 11,
      inChannels: 40,
      outChannels: 33,
      kernelHeight: 3,
      kernelWidth: 3,
      padding: 'valid',
      ...base,
    },
  ];
  it.each([...winogradCases, ...cases])('$name: the bits of conv2dBackwardInput and conv2dBackwardParams', (c) => {
    const { random, input, kernel } = data(c, 17);
    const gradOutput = randomArray(random, outputLength(c));
    const expected = {
      gradInput: new Float32Array(input.length),
      gradKernel: new Float32Array(kernel.length),
      gradBias: new Float32Array(c.outChannels),
    };
    k.conv2dBackwardInput(c, gradOutput, kernel, expected.gradInput);
    k.conv2dBackwardParams(c, input, gradOutput, expected.gradKernel, expected.gradBias);
    const gradInput = new Float32Array(input.length).fill(Number.NaN);
    const gradKernel = new Float32Array(kernel.length).fill(Number.NaN);
    const gradBias = new Float32Array(c.outChannels).fill(Number.NaN);
    k.conv2dBackward(c, input, gradOutput, kernel, gradInput, gradKernel, gradBias);
    expectSameBits(gradInput, expected.gradInput, 'gradInput');
    expectSameBits(gradKernel, expected.gradKernel, 'gradKernel');
    expectSameBits(gradBias, expected.gradBias, 'gradBias');
    // Without the input gradient (a first layer), and without a bias.
    const paramsOnly = new Float32Array(kernel.length).fill(Number.NaN);
    k.conv2dBackward(c, input, gradOutput, kernel, null, paramsOnly, null);
    expectSameBits(paramsOnly, expected.gradKernel, 'gradKernel without gradInput');
  });

  it('rejects a gradInput of the wrong size or sharing memory with an input', () => {
    const c = cases[0];
    const { input, kernel } = data(c, 3);
    const gradOutput = new Float32Array(outputLength(c));
    const gradKernel = new Float32Array(kernel.length);
    expect(() =>
      k.conv2dBackward(c, input, gradOutput, kernel, new Float32Array(input.length - 1), gradKernel, null),
    ).toThrow(RangeError);
    expect(() => k.conv2dBackward(c, input, gradOutput, kernel, input, gradKernel, null)).toThrow(
      /gradInput and input must not share memory/,
    );
    expect(() => k.conv2dBackward(c, input, gradOutput, kernel, new Float32Array(input.length), kernel, null)).toThrow(
      /gradKernel and kernel must not share memory/,
    );
  });
});

describe('conv2d geometry', () => {
  it('pads as TensorFlow does for same: the odd extra pad goes bottom/right', () => {
    expect(
      k.conv2dGeometry({
        batch: 1,
        inHeight: 6,
        inWidth: 7,
        inChannels: 1,
        outChannels: 1,
        kernelHeight: 4,
        kernelWidth: 4,
        strideHeight: 2,
        strideWidth: 2,
        padding: 'same',
      }),
    ).toEqual({ outHeight: 3, outWidth: 4, padTop: 1, padBottom: 1, padLeft: 1, padRight: 2 });
    expect(
      k.conv2dGeometry({
        batch: 1,
        inHeight: 5,
        inWidth: 5,
        inChannels: 1,
        outChannels: 1,
        kernelHeight: 2,
        kernelWidth: 2,
        padding: 'same',
      }),
    ).toEqual({ outHeight: 5, outWidth: 5, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1 });
  });

  it('accepts explicit padding', () => {
    const p: Conv2dParams = {
      batch: 1,
      inHeight: 4,
      inWidth: 4,
      inChannels: 1,
      outChannels: 1,
      kernelHeight: 3,
      kernelWidth: 3,
      padding: [2, 0, 1, 1],
    };
    expect(k.conv2dGeometry(p)).toEqual({
      outHeight: 4,
      outWidth: 4,
      padTop: 2,
      padBottom: 0,
      padLeft: 1,
      padRight: 1,
    });
    const input = Float32Array.from({ length: 16 }, (_, i) => i + 1);
    const kernel = new Float32Array(9);
    kernel[0] = 1; // top-left tap: output[oy, ox] = input[oy - 2, ox - 1]
    const output = new Float32Array(16);
    k.conv2dForward(p, input, kernel, null, output);
    expect(Array.from(output)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7]);
  });
});

describe('conv2d rejects bad input', () => {
  const c: Conv2dParams = {
    batch: 1,
    inHeight: 5,
    inWidth: 5,
    inChannels: 2,
    outChannels: 3,
    kernelHeight: 3,
    kernelWidth: 3,
  };
  const input = new Float32Array(50);
  const kernel = new Float32Array(54);
  const output = new Float32Array(27);

  it('names a wrong input length with the shape it expected', () => {
    expect(() => k.conv2dForward(c, new Float32Array(49), kernel, null, output)).toThrow(
      new RangeError('conv2dForward: input must have 50 elements (batch*inHeight*inWidth*inChannels), got 49'),
    );
  });
  it('rejects a kernel larger than the padded input', () => {
    expect(() => k.conv2dGeometry({ ...c, kernelHeight: 6 })).toThrow(RangeError);
    expect(() => k.conv2dGeometry({ ...c, kernelHeight: 3, dilationHeight: 3 })).toThrow(
      /does not fit the padded input/,
    );
    expect(() => k.conv2dGeometry({ ...c, kernelHeight: 6, padding: 'same' })).not.toThrow();
  });
  it('rejects zero, negative, fractional and non-numeric sizes', () => {
    expect(() => k.conv2dGeometry({ ...c, batch: 0 })).toThrow(/batch must be in \[1,/);
    expect(() => k.conv2dGeometry({ ...c, strideHeight: -1 })).toThrow(RangeError);
    expect(() => k.conv2dGeometry({ ...c, inChannels: 1.5 })).toThrow(/inChannels must be an integer/);
    expect(() => k.conv2dGeometry({ ...c, inWidth: '5' as unknown as number })).toThrow(TypeError);
    expect(() => k.conv2dGeometry({ ...c, padding: 'full' as 'same' })).toThrow(/padding must be 'valid', 'same'/);
  });
  it('rejects sizes whose product overflows', () => {
    const huge = { ...c, batch: 2 ** 30, inHeight: 2 ** 20, inWidth: 2 ** 20, kernelHeight: 1, kernelWidth: 1 };
    expect(() => k.conv2dGeometry(huge)).toThrow(/too large/);
  });
  it('rejects the wrong array type and a bias of the wrong length', () => {
    expect(() => k.conv2dForward(c, new Float64Array(50) as unknown as Float32Array, kernel, null, output)).toThrow(
      new TypeError('conv2dForward: input must be a Float32Array, got Float64Array'),
    );
    expect(() => k.conv2dForward(c, input, kernel, new Float32Array(2), output)).toThrow(/bias must have 3 elements/);
  });
  it('rejects an output that shares memory with the input', () => {
    const shared = new Float32Array(100);
    expect(() => k.conv2dForward(c, shared.subarray(0, 50), kernel, null, shared.subarray(40, 67))).toThrow(
      /must not share memory/,
    );
  });
});

describe('conv2d with the thread pool', () => {
  // The second case's kernel gradient (3*3*32*48 floats) is long enough for the threads to split
  // its reduction over the image chunks.
  const threadCases = [
    { ...cases[12], batch: 13 },
    {
      name: 'wide kernel',
      batch: 13,
      inHeight: 7,
      inWidth: 7,
      inChannels: 32,
      outChannels: 48,
      kernelHeight: 3,
      kernelWidth: 3,
      padding: 'same' as const,
      ...base,
    },
  ];
  it.each(threadCases)('gives bit-identical results with 1, 2 and 3 threads: $name', async (c) => {
    const { random, input, kernel, bias } = data(c, 5);
    const gradOutput = randomArray(random, outputLength(c));
    const run = () => {
      const output = new Float32Array(outputLength(c));
      const gradInput = new Float32Array(input.length);
      const gradKernel = new Float32Array(kernel.length);
      const gradBias = new Float32Array(bias.length);
      k.conv2dForward(c, input, kernel, bias, output);
      k.conv2dBackwardInput(c, gradOutput, kernel, gradInput);
      k.conv2dBackwardParams(c, input, gradOutput, gradKernel, gradBias);
      return [output, gradInput, gradKernel, gradBias];
    };
    await expectSameWithAnyThreadCount(run);
  });
});
