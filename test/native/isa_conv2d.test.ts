// Every convolution pass (forward with bias and a fused activation, forward without bias, backward
// input, backward kernel and bias) on every ISA this CPU runs, against the float64 references, and
// the same bits with 1, 2 and 3 threads. The ISA is chosen once per process, so each one runs in a
// child process (isa_conv2d_child.cjs) with CONVKIT_ISA set; ISAs the CPU lacks are skipped.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EpilogueActivation } from '../helpers/kernels/kernels';
import { expectClose, expectSameBits, sumTolerance, type Tolerance } from '../helpers/assert';
import { weightedSum as dot } from '../helpers/gradcheck';
import { decodeFloats, describeEachIsa, encodeFloats, type IsaChildReport, runIsaChild } from '../helpers/isa_process';
import { randomArray, rng } from '../helpers/random';
import { referenceActivation } from '../reference/activation';
import {
  type ConvCase,
  convOutputPixels,
  referenceConv2d,
  referenceConv2dBackwardInput,
  referenceConv2dBackwardParams,
} from '../reference/conv2d';

const childScript = join(__dirname, 'isa_conv2d_child.cjs');
const threadCounts = [1, 2, 3];

const base = { strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padding: 'valid' as const };

// Names read inChannels -> outChannels. Mostly 8 or more channels in and out, ragged against 8-,
// 16- and 32-float vectors, with 'same' padding, strides and dilations; batches of 9 end in a
// ragged chunk of images (chunks hold 4). Output pixels per image and per chunk are multiples of
// neither 6 nor 14 (register tile heights), so every ragged tile edge runs. Channel counts grow over
// the first cases, as would any scratch buffer sized by them. The last cases have 1 to 7 input
// channels (the im2col path).
const cases: (ConvCase & { name: string })[] = [
  {
    name: '8 -> 8, 3x3 same, batch 9',
    ...base,
    batch: 9,
    inHeight: 11,
    inWidth: 5,
    inChannels: 8,
    outChannels: 8,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
  },
  {
    name: '16 -> 16, 2x3 valid',
    ...base,
    batch: 3,
    inHeight: 8,
    inWidth: 9,
    inChannels: 16,
    outChannels: 16,
    kernelHeight: 2,
    kernelWidth: 3,
  },
  {
    name: '33 -> 17, 3x3 same, stride 2',
    ...base,
    batch: 3,
    inHeight: 9,
    inWidth: 9,
    inChannels: 33,
    outChannels: 17,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: '32 -> 31, 5x5 same',
    ...base,
    batch: 1,
    inHeight: 7,
    inWidth: 5,
    inChannels: 32,
    outChannels: 31,
    kernelHeight: 5,
    kernelWidth: 5,
    padding: 'same',
  },
  {
    name: 'MNIST conv2: 13x13x32 -> 64, 3x3 valid',
    ...base,
    batch: 2,
    inHeight: 13,
    inWidth: 13,
    inChannels: 32,
    outChannels: 64,
    kernelHeight: 3,
    kernelWidth: 3,
  },
  {
    name: 'MNIST conv3: 5x5x64 -> 64, 3x3 valid',
    ...base,
    batch: 3,
    inHeight: 5,
    inWidth: 5,
    inChannels: 64,
    outChannels: 64,
    kernelHeight: 3,
    kernelWidth: 3,
  },
  {
    name: '8 -> 64, 5x5 valid',
    ...base,
    batch: 2,
    inHeight: 9,
    inWidth: 8,
    inChannels: 8,
    outChannels: 64,
    kernelHeight: 5,
    kernelWidth: 5,
  },
  {
    name: '16 -> 64, 1x1 stride 2',
    ...base,
    batch: 3,
    inHeight: 9,
    inWidth: 9,
    inChannels: 16,
    outChannels: 64,
    kernelHeight: 1,
    kernelWidth: 1,
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: '33 -> 8, 1x1 stride 2x1',
    ...base,
    batch: 2,
    inHeight: 7,
    inWidth: 5,
    inChannels: 33,
    outChannels: 8,
    kernelHeight: 1,
    kernelWidth: 1,
    strideHeight: 2,
  },
  {
    name: '16 -> 16, 1x1 stride 1 (im2col skipped)',
    ...base,
    batch: 3,
    inHeight: 5,
    inWidth: 7,
    inChannels: 16,
    outChannels: 16,
    kernelHeight: 1,
    kernelWidth: 1,
  },
  {
    name: '8 -> 8, 3x3 dilation 2, valid',
    ...base,
    batch: 2,
    inHeight: 9,
    inWidth: 9,
    inChannels: 8,
    outChannels: 8,
    kernelHeight: 3,
    kernelWidth: 3,
    dilationHeight: 2,
    dilationWidth: 2,
  },
  {
    name: '16 -> 17, 3x3 dilation 2x1, same',
    ...base,
    batch: 3,
    inHeight: 7,
    inWidth: 5,
    inChannels: 16,
    outChannels: 17,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    dilationHeight: 2,
  },
  {
    name: '9 -> 16, 3x3 dilation 2, same, batch 9',
    ...base,
    batch: 9,
    inHeight: 5,
    inWidth: 5,
    inChannels: 9,
    outChannels: 16,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    dilationHeight: 2,
    dilationWidth: 2,
  },
  {
    name: '8 -> 31, 3x3 same, stride 2x1',
    ...base,
    batch: 3,
    inHeight: 9,
    inWidth: 7,
    inChannels: 8,
    outChannels: 31,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    strideHeight: 2,
  },
  {
    name: '17 -> 16, 4x4 same, stride 2 (odd extra pad bottom/right)',
    ...base,
    batch: 2,
    inHeight: 7,
    inWidth: 7,
    inChannels: 17,
    outChannels: 16,
    kernelHeight: 4,
    kernelWidth: 4,
    padding: 'same',
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: '8 -> 16, 2x2 same (pad bottom/right only)',
    ...base,
    batch: 2,
    inHeight: 5,
    inWidth: 5,
    inChannels: 8,
    outChannels: 16,
    kernelHeight: 2,
    kernelWidth: 2,
    padding: 'same',
  },
  {
    name: '64 -> 8, 3x3 same on 1x1 (only the centre tap inside)',
    ...base,
    batch: 3,
    inHeight: 1,
    inWidth: 1,
    inChannels: 64,
    outChannels: 8,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
  },
  {
    name: '32 -> 33, 3x3 valid to 1x1, batch 9',
    ...base,
    batch: 9,
    inHeight: 3,
    inWidth: 3,
    inChannels: 32,
    outChannels: 33,
    kernelHeight: 3,
    kernelWidth: 3,
  },
  // 9 output pixels per image: the kernel gradient sums over chunks of 16 images (conv2d.cc,
  // imagesPerGradientChunk), here one whole chunk and a ragged one.
  {
    name: '24 -> 16, 3x3 valid on 5x5, batch 20',
    ...base,
    batch: 20,
    inHeight: 5,
    inWidth: 5,
    inChannels: 24,
    outChannels: 16,
    kernelHeight: 3,
    kernelWidth: 3,
  },
  // 3x3 stride 1 with 8+ channels and outputs that 4x4 blocks cover cheaply: the passes run Winograd
  // F(4x4, 3x3) (winograd.h), with ragged last blocks, padding and more than one channel block.
  // Batch 21 of 11x11 outputs (9 blocks each) makes the forward's chunks of 2 images and the kernel
  // gradient's chunks of 16 end ragged.
  {
    name: '9 -> 17, 3x3 same on 9x10, batch 3 (Winograd)',
    ...base,
    batch: 3,
    inHeight: 9,
    inWidth: 10,
    inChannels: 9,
    outChannels: 17,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
  },
  {
    name: '70 -> 72, 3x3 valid on 10x9 (Winograd, two channel blocks)',
    ...base,
    batch: 2,
    inHeight: 10,
    inWidth: 9,
    inChannels: 70,
    outChannels: 72,
    kernelHeight: 3,
    kernelWidth: 3,
  },
  {
    name: '16 -> 24, 3x3 valid on 13x13, batch 21 (Winograd, ragged chunks)',
    ...base,
    batch: 21,
    inHeight: 13,
    inWidth: 13,
    inChannels: 16,
    outChannels: 24,
    kernelHeight: 3,
    kernelWidth: 3,
  },
  // Stride 1 with at most one in nine (pixel, tap) pairs in the padding: the input gradient is read
  // through taps too (conv2d.cc, backwardInputIsIndirect).
  {
    name: '16 -> 24, 3x3 same on 14x13, batch 5',
    ...base,
    batch: 5,
    inHeight: 14,
    inWidth: 13,
    inChannels: 16,
    outChannels: 24,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
  },
  {
    name: '8 -> 40, 1x3 same, batch 9',
    ...base,
    batch: 9,
    inHeight: 9,
    inWidth: 8,
    inChannels: 8,
    outChannels: 40,
    kernelHeight: 1,
    kernelWidth: 3,
    padding: 'same',
  },
  {
    name: '12 -> 9, 3x1 same, dilation 2',
    ...base,
    batch: 2,
    inHeight: 20,
    inWidth: 6,
    inChannels: 12,
    outChannels: 9,
    kernelHeight: 3,
    kernelWidth: 1,
    padding: 'same',
    dilationHeight: 2,
  },
  {
    name: 'MNIST conv1: 28x28x1 -> 32, 3x3 valid',
    ...base,
    batch: 2,
    inHeight: 28,
    inWidth: 28,
    inChannels: 1,
    outChannels: 32,
    kernelHeight: 3,
    kernelWidth: 3,
  },
  {
    name: '1 -> 8, 2x2 valid, batch 9',
    ...base,
    batch: 9,
    inHeight: 6,
    inWidth: 6,
    inChannels: 1,
    outChannels: 8,
    kernelHeight: 2,
    kernelWidth: 2,
  },
  {
    name: '3 -> 16, 3x3 same',
    ...base,
    batch: 3,
    inHeight: 7,
    inWidth: 5,
    inChannels: 3,
    outChannels: 16,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
  },
  {
    name: '3 -> 5, 5x5 same, stride 2',
    ...base,
    batch: 2,
    inHeight: 9,
    inWidth: 9,
    inChannels: 3,
    outChannels: 5,
    kernelHeight: 5,
    kernelWidth: 5,
    padding: 'same',
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: '7 -> 7, 3x3 same (one channel short of 8)',
    ...base,
    batch: 3,
    inHeight: 5,
    inWidth: 7,
    inChannels: 7,
    outChannels: 7,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
  },
];

interface CaseData {
  input: Float32Array;
  kernel: Float32Array;
  bias: Float32Array;
  gradOutput: Float32Array;
  /** The forward pass with bias cycles through linear, relu and leakyRelu. */
  epilogue: Required<EpilogueActivation>;
}

const epilogues: Required<EpilogueActivation>[] = [
  { activation: 'linear', activationAlpha: 0 },
  { activation: 'relu', activationAlpha: 0 },
  { activation: 'leakyRelu', activationAlpha: 0.2 },
];

const caseData: CaseData[] = cases.map((c, index) => {
  const random = rng(3000 + index);
  return {
    input: randomArray(random, c.batch * c.inHeight * c.inWidth * c.inChannels),
    kernel: randomArray(random, c.kernelHeight * c.kernelWidth * c.inChannels * c.outChannels),
    bias: randomArray(random, c.outChannels),
    gradOutput: randomArray(random, convOutputPixels(c) * c.outChannels),
    epilogue: epilogues[index % epilogues.length],
  };
});

/** What the child returns for one case and thread count: each pass's output. */
interface Passes<Values> {
  forward: Values;
  forwardNoBias: Values;
  gradInput: Values;
  gradKernel: Values;
  gradBias: Values;
}

/** The same three gradients from one conv2dBackward call. */
interface FusedPasses<Values> {
  fusedGradInput: Values;
  fusedGradKernel: Values;
  fusedGradBias: Values;
}
const fusedPassOf: [keyof FusedPasses<unknown>, keyof Passes<unknown>][] = [
  ['fusedGradInput', 'gradInput'],
  ['fusedGradKernel', 'gradKernel'],
  ['fusedGradBias', 'gradBias'],
];
const passNames: (keyof Passes<unknown>)[] = ['forward', 'forwardNoBias', 'gradInput', 'gradKernel', 'gradBias'];

interface References extends Passes<Float64Array> {
  /** The forward pass with bias before its activation. */
  forwardLinear: Float64Array;
}

// The references of each case, computed once and shared by every ISA.
const references = new Map<number, References>();

function referencesOf(index: number): References {
  let found = references.get(index);
  if (!found) {
    const c = cases[index];
    const { input, kernel, bias, gradOutput, epilogue } = caseData[index];
    const forwardLinear = referenceConv2d(c, input, kernel, bias).output;
    found = {
      forwardLinear,
      forward: referenceActivation(
        epilogue.activation,
        epilogue.activationAlpha,
        1,
        forwardLinear.length,
        forwardLinear,
      ),
      forwardNoBias: referenceConv2d(c, input, kernel, null).output,
      gradInput: referenceConv2dBackwardInput(c, gradOutput, kernel),
      ...referenceConv2dBackwardParams(c, input, gradOutput),
    };
    references.set(index, found);
  }
  return found;
}

// float32 rounding grows with the length of each pass's sums: a patch forward, taps * outChannels
// back to the input, the batch's output pixels back to the parameters.
function tolerances(c: ConvCase): Passes<Tolerance> {
  const pixels = convOutputPixels(c);
  const taps = c.kernelHeight * c.kernelWidth;
  return {
    forward: sumTolerance(taps * c.inChannels),
    forwardNoBias: sumTolerance(taps * c.inChannels),
    gradInput: sumTolerance(taps * c.outChannels),
    gradKernel: sumTolerance(pixels),
    gradBias: sumTolerance(pixels),
  };
}

type ChildPasses<Values> = Passes<Values> & FusedPasses<Values>;

function runChild(isa: string): IsaChildReport<ChildPasses<Float32Array>[][]> {
  const request = {
    threadCounts,
    cases: cases.map(({ name: _name, ...params }, index) => {
      const { input, kernel, bias, gradOutput, epilogue } = caseData[index];
      return {
        params,
        ...epilogue,
        input: encodeFloats(input),
        kernel: encodeFloats(kernel),
        bias: encodeFloats(bias),
        gradOutput: encodeFloats(gradOutput),
      };
    }),
  };
  const report = runIsaChild<ChildPasses<string>[][]>(childScript, isa, request);
  const decodePasses = (passes: ChildPasses<string>): ChildPasses<Float32Array> =>
    Object.fromEntries(
      Object.entries(passes).map(([pass, values]) => [pass, decodeFloats(values)]),
    ) as unknown as ChildPasses<Float32Array>;
  return { ...report, results: report.results.map((perThreads) => perThreads.map(decodePasses)) };
}

describeEachIsa('conv2d', runChild, (isa, report) => {
  cases.forEach((c, index) => {
    it(`${c.name}: every pass matches the reference (${caseData[index].epilogue.activation})`, () => {
      const expected = referencesOf(index);
      const tolerance = tolerances(c);
      for (const pass of passNames)
        expectClose(report().results[index][0][pass], expected[pass], tolerance[pass], `${isa} ${pass}`);
    });

    it(`${c.name}: the same bits with ${threadCounts.join(', ')} threads`, () => {
      const [single, ...others] = report().results[index];
      others.forEach((passes, i) => {
        for (const pass of passNames)
          expectSameBits(passes[pass], single[pass], `${isa} ${pass} with ${threadCounts[i + 1]} threads`);
      });
    });

    it(`${c.name}: conv2dBackward gives the bits of the separate gradient calls`, () => {
      report().results[index].forEach((passes, i) => {
        for (const [fused, separate] of fusedPassOf) {
          expectSameBits(passes[fused], passes[separate], `${isa} ${fused} with ${threadCounts[i]} threads`);
        }
      });
    });
  });
});

describe('the float64 reference passes are adjoint', () => {
  // With y = conv(x, w) + b and g = d loss / d y: <y, g> = <x, gradInput> + <b, gradBias>
  // = <w, gradKernel> + <b, gradBias>, so each backward reference is the forward one's transpose.
  it.each(cases.map((c, index) => ({ name: c.name, index })))('$name', ({ index }) => {
    const { input, kernel, bias, gradOutput } = caseData[index];
    const { forwardLinear, forwardNoBias, gradInput, gradKernel, gradBias } = referencesOf(index);
    const viaOutput = dot(forwardLinear, gradOutput);
    const biasTerm = dot(bias, gradBias);
    const tolerance = 1e-9 * (1 + Math.abs(viaOutput));
    expect(Math.abs(dot(forwardNoBias, gradOutput) - dot(input, gradInput))).toBeLessThan(tolerance);
    expect(Math.abs(viaOutput - dot(input, gradInput) - biasTerm)).toBeLessThan(tolerance);
    expect(Math.abs(viaOutput - dot(kernel, gradKernel) - biasTerm)).toBeLessThan(tolerance);
  });
});
