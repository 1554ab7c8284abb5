// The depthwise convolution on every ISA this CPU runs: each ISA compiles its own sum over a
// pixel's window (native/kernels/isa/depthwise_taps.h) in blocks of its vector width, the channels
// left over in blocks of 4 and one by one. Each ISA must match the float64 reference and the
// scalar ISA, and give the same bits with 1, 2 and 3 threads. The ISA is chosen once per process,
// so each one runs in a child process (isa_depthwise_conv2d_child.cjs) with CONVKIT_ISA set; ISAs
// the CPU lacks are skipped.
import { join } from 'node:path';
import { it } from 'vitest';
import { expectClose, expectSameBits, sumTolerance } from '../helpers/assert';
import { decodeFloats, describeEachIsa, encodeFloats, type IsaChildReport, runIsaChild } from '../helpers/isa_process';
import { randomArray, rng } from '../helpers/random';
import { type DepthwiseCase, referenceDepthwiseConv2d } from '../reference/depthwise_conv2d';

const childScript = join(__dirname, 'isa_depthwise_conv2d_child.cjs');
const threadCounts = [1, 2, 3];

const base = { strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, depthMultiplier: 1 };
// Channel counts ragged against blocks of 16, 32 and 4 channels; strides, dilation and padding
// (windows cut short at every edge); one depth multiplier 2 (the portable loops, not the ISA's).
const cases: (DepthwiseCase & { name: string })[] = [
  {
    name: "MobileNet's 3x3 same on 8x8x144",
    batch: 2,
    inHeight: 8,
    inWidth: 8,
    inChannels: 144,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
  },
  {
    name: '3x3 stride 2 same on 9x8x70',
    batch: 2,
    inHeight: 9,
    inWidth: 8,
    inChannels: 70,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
    strideHeight: 2,
    strideWidth: 2,
  },
  {
    name: '5x5 dilation 2 same on 7x7x37',
    batch: 1,
    inHeight: 7,
    inWidth: 7,
    inChannels: 37,
    kernelHeight: 5,
    kernelWidth: 5,
    padding: 'same',
    ...base,
    dilationHeight: 2,
    dilationWidth: 2,
  },
  {
    name: '3x2 valid on 6x5x3',
    batch: 3,
    inHeight: 6,
    inWidth: 5,
    inChannels: 3,
    kernelHeight: 3,
    kernelWidth: 2,
    padding: 'valid',
    ...base,
  },
  {
    name: '3x3 same on 5x5x1',
    batch: 2,
    inHeight: 5,
    inWidth: 5,
    inChannels: 1,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
  },
  {
    name: 'depth multiplier 2 on 6x6x20',
    batch: 2,
    inHeight: 6,
    inWidth: 6,
    inChannels: 20,
    kernelHeight: 3,
    kernelWidth: 3,
    padding: 'same',
    ...base,
    depthMultiplier: 2,
  },
];

const caseData = cases.map((c, index) => {
  const random = rng(5000 + index);
  const input = randomArray(random, c.batch * c.inHeight * c.inWidth * c.inChannels);
  const kernel = randomArray(random, c.kernelHeight * c.kernelWidth * c.inChannels * c.depthMultiplier);
  const bias = randomArray(random, c.inChannels * c.depthMultiplier);
  const linear = referenceDepthwiseConv2d(c, input, kernel, bias).output;
  return {
    input,
    kernel,
    bias,
    forward: linear.map((v) => Math.max(v, 0)),
    gradOutput: randomArray(random, linear.length),
  };
});

// The input gradient in float64: the adjoint of the (linear) depthwise convolution, by linearity
// the reference forward of each input unit vector dotted with the output gradient.
const gradInputs = cases.map((c, index) => {
  const { kernel, gradOutput } = caseData[index];
  const unit = new Float64Array(caseData[index].input.length);
  return Float64Array.from(unit, (_, i) => {
    unit[i] = 1;
    const column = referenceDepthwiseConv2d(c, unit, kernel, null).output;
    unit[i] = 0;
    let sum = 0;
    for (let j = 0; j < column.length; j++) sum += column[j] * gradOutput[j];
    return sum;
  });
});

interface Result<Values> {
  forward: Values;
  gradInput: Values;
}

function runChild(isa: string): IsaChildReport<Result<Float32Array>[][]> {
  const request = {
    threadCounts,
    cases: cases.map(({ name: _name, ...params }, index) => ({
      params,
      input: encodeFloats(caseData[index].input),
      kernel: encodeFloats(caseData[index].kernel),
      bias: encodeFloats(caseData[index].bias),
      gradOutput: encodeFloats(caseData[index].gradOutput),
    })),
  };
  const report = runIsaChild<Result<string>[][]>(childScript, isa, request);
  const decode = (r: Result<string>) => ({ forward: decodeFloats(r.forward), gradInput: decodeFloats(r.gradInput) });
  return { ...report, results: report.results.map((perThreads) => perThreads.map(decode)) };
}

let scalar: IsaChildReport<Result<Float32Array>[][]> | undefined;

describeEachIsa('depthwise convolution', runChild, (isa, report) => {
  cases.forEach((c, index) => {
    const tolerance = sumTolerance(c.kernelHeight * c.kernelWidth);
    it(`${c.name}: matches the reference and the scalar ISA`, () => {
      const result = report().results[index][0];
      expectClose(result.forward, caseData[index].forward, tolerance, `${isa} forward`);
      expectClose(result.gradInput, gradInputs[index], tolerance, `${isa} input gradient`);
      scalar ??= runChild('scalar');
      const reference = scalar.results[index][0];
      expectClose(result.forward, reference.forward, { atol: 1e-6, rtol: 1e-6 }, `${isa} forward vs scalar`);
      expectClose(result.gradInput, reference.gradInput, { atol: 1e-6, rtol: 1e-6 }, `${isa} input gradient vs scalar`);
    });

    it(`${c.name}: the same bits with ${threadCounts.join(', ')} threads`, () => {
      const [single, ...others] = report().results[index];
      others.forEach((result, i) => {
        const label = `${isa} with ${threadCounts[i + 1]} threads`;
        expectSameBits(result.forward, single.forward, `${label}: forward`);
        expectSameBits(result.gradInput, single.gradInput, `${label}: input gradient`);
      });
    });
  });
});
