import { describe, expect, it } from 'vitest';
import { expectClose, expectSameWithAnyThreadCount, sumTolerance } from '../helpers/assert';
import { expectGradientClose, numericGradient, sampleIndices, toFloat64, weightedSum } from '../helpers/gradcheck';
import { type DepthwiseConv2dParams, depthwiseConv2dKernels as k } from '../helpers/kernels/depthwise_conv2d';
import { randomArray, rng } from '../helpers/random';
import { referenceActivation } from '../reference/activation';
import { type DepthwiseCase, referenceDepthwiseConv2d } from '../reference/depthwise_conv2d';

const base = { strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, depthMultiplier: 1 };

const cases: (DepthwiseCase & { name: string })[] = [
  {
    name: '3x3 valid',
    batch: 2,
    inHeight: 6,
    inWidth: 5,
    inChannels: 5,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'valid',
    ...base,
  },
  {
    name: '3x3 same, odd sizes',
    batch: 2,
    inHeight: 7,
    inWidth: 5,
    inChannels: 4,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
  },
  {
    name: '4x2 same, even kernel and sizes',
    batch: 1,
    inHeight: 6,
    inWidth: 4,
    inChannels: 3,
    kernelHeight: 4,
    kernelWidth: 2,
    padding: 'same',
    ...base,
  },
  {
    name: '3x3 stride 2 same',
    batch: 2,
    inHeight: 7,
    inWidth: 8,
    inChannels: 6,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: '3x3 stride (2, 1) valid',
    batch: 1,
    inHeight: 8,
    inWidth: 6,
    inChannels: 3,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'valid',
    ...base,
    strideHeight: 2,
  },
  {
    name: '3x3 dilation 2 same',
    batch: 2,
    inHeight: 7,
    inWidth: 7,
    inChannels: 4,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
    dilationHeight: 2,
    dilationWidth: 2,
  },
  {
    name: 'depth multiplier 2',
    batch: 2,
    inHeight: 5,
    inWidth: 6,
    inChannels: 3,
    kernelHeight: 3,
    kernelWidth: 2,
    padding: 'same',
    ...base,
    depthMultiplier: 2,
  },
  {
    name: 'depth multiplier 3 stride 2',
    batch: 1,
    inHeight: 7,
    inWidth: 7,
    inChannels: 2,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'valid',
    ...base,
    depthMultiplier: 3,
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: '1x1 spatial input, 3x3 same',
    batch: 3,
    inHeight: 1,
    inWidth: 1,
    inChannels: 7,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
  },
  {
    name: '1x1 kernel',
    batch: 2,
    inHeight: 3,
    inWidth: 4,
    inChannels: 5,
    kernelHeight: 1,
    kernelWidth: 1,
    padding: 'valid',
    ...base,
    depthMultiplier: 2,
  },
  {
    name: '5x5 many channels',
    batch: 2,
    inHeight: 6,
    inWidth: 6,
    inChannels: 37,
    kernelHeight: 5,
    kernelWidth: 5,
    padding: 'same',
    ...base,
  },
];

function data(c: DepthwiseCase, seed: number) {
  const random = rng(seed);
  const outC = c.inChannels * c.depthMultiplier;
  const input = randomArray(random, c.batch * c.inHeight * c.inWidth * c.inChannels);
  const kernel = randomArray(random, c.kernelHeight * c.kernelWidth * outC);
  const bias = randomArray(random, outC);
  return { random, input, kernel, bias };
}

const outputLength = (c: DepthwiseCase) =>
  referenceDepthwiseConv2d(
    c,
    new Float64Array(c.batch * c.inHeight * c.inWidth * c.inChannels),
    new Float64Array(c.kernelHeight * c.kernelWidth * c.inChannels * c.depthMultiplier),
    null,
  ).output.length;
const tolerance = (c: DepthwiseCase) => sumTolerance(c.kernelHeight * c.kernelWidth);

describe('depthwiseConv2d forward matches the direct reference', () => {
  it.each(cases)('$name', (c) => {
    const { input, kernel, bias } = data(c, 7);
    const expected = referenceDepthwiseConv2d(c, input, kernel, bias).output;
    const output = new Float32Array(expected.length).fill(Number.NaN);
    k.depthwiseConv2dForward(c, input, kernel, bias, output);
    expectClose(output, expected, tolerance(c), 'with bias');
    k.depthwiseConv2dForward(c, input, kernel, null, output);
    expectClose(output, referenceDepthwiseConv2d(c, input, kernel, null).output, tolerance(c), 'without bias');
  });

  it.each(cases.slice(0, 7))('$name with a fused relu and leakyRelu', (c) => {
    const { input, kernel, bias } = data(c, 9);
    const linear = referenceDepthwiseConv2d(c, input, kernel, bias).output;
    const output = new Float32Array(linear.length);
    k.depthwiseConv2dForward({ ...c, activation: 'leakyRelu', activationAlpha: 0.2 }, input, kernel, bias, output);
    expectClose(output, referenceActivation('leakyRelu', 0.2, 1, linear.length, linear), tolerance(c), 'leakyRelu');
    k.depthwiseConv2dForward({ ...c, activation: 'relu' }, input, kernel, bias, output);
    expectClose(output, referenceActivation('relu', 0, 1, linear.length, linear), tolerance(c), 'relu');
  });
});

describe('depthwiseConv2d backward matches finite differences of the reference', () => {
  it.each(cases)('$name', (c) => {
    const { random, input, kernel, bias } = data(c, 11);
    const weights = randomArray(random, outputLength(c));
    // loss = sum(weights * depthwise(input, kernel, bias)), so d loss / d output = weights
    const gradInput = new Float32Array(input.length).fill(Number.NaN);
    const gradKernel = new Float32Array(kernel.length).fill(123);
    const gradBias = new Float32Array(bias.length).fill(123);
    k.depthwiseConv2dBackwardInput(c, weights, kernel, gradInput);
    k.depthwiseConv2dBackwardParams(c, input, weights, gradKernel, gradBias);

    const x = toFloat64(input);
    const w = toFloat64(kernel);
    const b = toFloat64(bias);
    const loss = () => weightedSum(referenceDepthwiseConv2d(c, x, w, b).output, weights);
    expectGradientClose(gradInput, numericGradient(loss, x, sampleIndices(x.length, 60, random)), 1e-4, 1e-3, 'input');
    expectGradientClose(
      gradKernel,
      numericGradient(loss, w, sampleIndices(w.length, 60, random)),
      1e-4,
      1e-3,
      'kernel',
    );
    expectGradientClose(gradBias, numericGradient(loss, b, sampleIndices(b.length, 60, random)), 1e-4, 1e-3, 'bias');
  });
});

describe('depthwiseConv2d with the thread pool', () => {
  // 13 * 9 output rows: more rows than kernel-gradient blocks, split differently by each thread count.
  const c: DepthwiseCase = {
    ...base,
    batch: 13,
    inHeight: 9,
    inWidth: 9,
    inChannels: 24,
    depthMultiplier: 2,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
  };
  it('gives bit-identical results with 1, 2 and 3 threads', async () => {
    const { random, input, kernel, bias } = data(c, 5);
    const gradOutput = randomArray(random, outputLength(c));
    const run = () => {
      const output = new Float32Array(gradOutput.length);
      const gradInput = new Float32Array(input.length);
      const gradKernel = new Float32Array(kernel.length);
      const gradBias = new Float32Array(bias.length);
      k.depthwiseConv2dForward(c, input, kernel, bias, output);
      k.depthwiseConv2dBackwardInput(c, gradOutput, kernel, gradInput);
      k.depthwiseConv2dBackwardParams(c, input, gradOutput, gradKernel, gradBias);
      return [output, gradInput, gradKernel, gradBias];
    };
    await expectSameWithAnyThreadCount(run);
  });
});

describe('depthwiseConv2d rejects bad input', () => {
  const c: DepthwiseConv2dParams = {
    batch: 1,
    inHeight: 5,
    inWidth: 5,
    inChannels: 2,
    depthMultiplier: 2,
    kernelHeight: 3,
    kernelWidth: 3,
  };
  const input = new Float32Array(50);
  const kernel = new Float32Array(36);
  const output = new Float32Array(36);

  it('names wrong array lengths with the shape expected', () => {
    expect(() => k.depthwiseConv2dForward(c, new Float32Array(49), kernel, null, output)).toThrow(
      new RangeError('depthwiseConv2dForward: input must have 50 elements (batch*inHeight*inWidth*inChannels), got 49'),
    );
    expect(() => k.depthwiseConv2dForward(c, input, new Float32Array(18), null, output)).toThrow(
      /kernel must have 36 elements \(kernelHeight\*kernelWidth\*inChannels\*depthMultiplier\)/,
    );
    expect(() => k.depthwiseConv2dForward(c, input, kernel, new Float32Array(2), output)).toThrow(
      /bias must have 4 elements/,
    );
  });
  it('rejects bad sizes, multipliers and windows', () => {
    expect(() => k.depthwiseConv2dForward({ ...c, depthMultiplier: 0 }, input, kernel, null, output)).toThrow(
      /depthMultiplier must be in \[1,/,
    );
    expect(() => k.depthwiseConv2dForward({ ...c, depthMultiplier: 1.5 }, input, kernel, null, output)).toThrow(
      /depthMultiplier must be an integer/,
    );
    expect(() => k.depthwiseConv2dForward({ ...c, kernelHeight: 6 }, input, kernel, null, output)).toThrow(
      /does not fit the padded input/,
    );
    expect(() =>
      k.depthwiseConv2dForward({ ...c, inChannels: '2' as unknown as number }, input, kernel, null, output),
    ).toThrow(TypeError);
  });
  it('rejects an activation it cannot fuse and an output sharing memory with the input', () => {
    expect(() => k.depthwiseConv2dForward({ ...c, activation: 'tanh' as 'relu' }, input, kernel, null, output)).toThrow(
      RangeError,
    );
    const shared = new Float32Array(100);
    expect(() => k.depthwiseConv2dForward(c, shared.subarray(0, 50), kernel, null, shared.subarray(40, 76))).toThrow(
      /must not share memory/,
    );
  });
});
