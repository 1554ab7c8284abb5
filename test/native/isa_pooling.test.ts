// Max pooling on every ISA this CPU runs: each ISA compiles its own runs of whole 2x2 windows
// (native/kernels/isa/maxpool2x2.h), and the windows that padding cuts short go through the portable
// code beside them. A max is exact in float32, and so is a gradient routed to one winner and scaled
// by 1 or by the slope, so every result must equal the float64 reference bit for bit, with 1, 2 and
// 3 threads. The ISA is chosen once per process, so each one runs in a child process
// (isa_pooling_child.cjs) with CONVKIT_ISA set; ISAs the CPU lacks are skipped.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { expectClose, expectSameBits } from '../helpers/assert';
import { decodeFloats, describeEachIsa, encodeFloats, type IsaChildReport, runIsaChild } from '../helpers/isa_process';
import { randomArray, rng } from '../helpers/random';
import { type PoolCase, referenceMaxPool2dBackward, referencePool2d } from '../reference/pooling';

const childScript = join(__dirname, 'isa_pooling_child.cjs');
const threadCounts = [1, 2, 3];
const slope = 0.25;

// Channel counts ragged against 4-, 8- and 16-float vectors and the 32- and 64-byte winner vectors;
// runs that padding cuts at either end; overlapping 2x2 windows (runs whose windows share pixels);
// and windows that are not 2x2 (the portable code only). recordsWinners: stride == pool, the
// geometries training records winners for.
const cases: (PoolCase & { name: string; recordsWinners: boolean })[] = [
  {
    name: 'MNIST pool1: 2x2 stride 2 on 26x26x32, batch 3',
    batch: 3,
    inHeight: 26,
    inWidth: 26,
    channels: 32,
    poolHeight: 2,
    poolWidth: 2,
    recordsWinners: true,
  },
  {
    name: 'MNIST pool2: 2x2 stride 2 on 11x11x64 (last row and column dropped)',
    batch: 2,
    inHeight: 11,
    inWidth: 11,
    channels: 64,
    poolHeight: 2,
    poolWidth: 2,
    recordsWinners: true,
  },
  {
    name: '2x2 same on 7x9x33 (last row and column of windows cut short)',
    batch: 3,
    inHeight: 7,
    inWidth: 9,
    channels: 33,
    poolHeight: 2,
    poolWidth: 2,
    padding: 'same',
    recordsWinners: true,
  },
  {
    name: '2x2 padded [1, 0, 1, 0] on 6x7x9 (first row and column cut short)',
    batch: 2,
    inHeight: 6,
    inWidth: 7,
    channels: 9,
    poolHeight: 2,
    poolWidth: 2,
    padding: [1, 0, 1, 0],
    recordsWinners: true,
  },
  {
    name: '2x2 on 8x8x1, batch 9',
    batch: 9,
    inHeight: 8,
    inWidth: 8,
    channels: 1,
    poolHeight: 2,
    poolWidth: 2,
    recordsWinners: true,
  },
  {
    name: '2x2 on 4x6x130 (three channel blocks of 64)',
    batch: 2,
    inHeight: 4,
    inWidth: 6,
    channels: 130,
    poolHeight: 2,
    poolWidth: 2,
    recordsWinners: true,
  },
  {
    name: '2x2 stride 1 on 5x6x70 (overlapping)',
    batch: 2,
    inHeight: 5,
    inWidth: 6,
    channels: 70,
    poolHeight: 2,
    poolWidth: 2,
    strideHeight: 1,
    strideWidth: 1,
    recordsWinners: false,
  },
  {
    name: '2x2 stride 2x1 same on 6x7x17 (overlapping along rows)',
    batch: 2,
    inHeight: 6,
    inWidth: 7,
    channels: 17,
    poolHeight: 2,
    poolWidth: 2,
    strideHeight: 2,
    strideWidth: 1,
    padding: 'same',
    recordsWinners: false,
  },
  {
    name: '3x3 stride 3 on 9x10x5 (not 2x2)',
    batch: 2,
    inHeight: 9,
    inWidth: 10,
    channels: 5,
    poolHeight: 3,
    poolWidth: 3,
    recordsWinners: true,
  },
];

interface CaseData {
  input: Float32Array;
  gradOutput: Float32Array;
  outputs: number;
}

// Inputs on a grid of quarter steps in [-1, 1]: many ties within a window, so "the first pixel
// holding the max" is put to the test, and many non-positive maxes, so the slope is. (+ 0 turns
// -0 into 0: the max of -0 and 0 is either, by IEEE rules, and the two would differ in their bits.)
const caseData: CaseData[] = cases.map((c, index) => {
  const random = rng(4000 + index);
  const input = randomArray(random, c.batch * c.inHeight * c.inWidth * c.channels).map(
    (v) => Math.round(v * 4) / 4 + 0,
  );
  const { output } = referencePool2d(c, 'max', input);
  return { input, gradOutput: randomArray(random, output.length), outputs: output.length };
});

interface Results<Values, Bytes> {
  forward: Values;
  gradRefound: Values;
  recordedForward?: Values;
  winners?: Bytes;
  gradFromWinners?: Values;
}

function runChild(isa: string): IsaChildReport<Results<Float32Array, Uint8Array>[][]> {
  const request = {
    threadCounts,
    slope,
    cases: cases.map(({ name: _name, recordsWinners, ...params }, index) => ({
      params,
      recordsWinners,
      input: encodeFloats(caseData[index].input),
      gradOutput: encodeFloats(caseData[index].gradOutput),
    })),
  };
  const report = runIsaChild<Results<string, string>[][]>(childScript, isa, request);
  const decode = (r: Results<string, string>): Results<Float32Array, Uint8Array> => ({
    forward: decodeFloats(r.forward),
    gradRefound: decodeFloats(r.gradRefound),
    recordedForward: r.recordedForward === undefined ? undefined : decodeFloats(r.recordedForward),
    winners: r.winners === undefined ? undefined : new Uint8Array(Buffer.from(r.winners, 'base64')),
    gradFromWinners: r.gradFromWinners === undefined ? undefined : decodeFloats(r.gradFromWinners),
  });
  return { ...report, results: report.results.map((perThreads) => perThreads.map(decode)) };
}

describeEachIsa('max pooling', runChild, (isa, report) => {
  cases.forEach((c, index) => {
    it(`${c.name}: matches the reference`, () => {
      const { input, gradOutput } = caseData[index];
      const result = report().results[index][0];
      const forward = Float32Array.from(referencePool2d(c, 'max', input).output);
      const backward = referenceMaxPool2dBackward(c, input, gradOutput, slope);
      expectSameBits(result.forward, forward, `${isa} forward`);
      if (c.recordsWinners) {
        // Each pixel gets the gradient of one window at most: no sum, so no rounding.
        const gradInput = Float32Array.from(backward.gradInput);
        expectSameBits(result.gradRefound, gradInput, `${isa} backward from the input`);
        expectSameBits(result.recordedForward!, forward, `${isa} forward recording winners`);
        const winners = backward.winners.map((winner, i) => winner | (backward.positiveMax[i] ? 0x80 : 0));
        expect(Array.from(result.winners!)).toEqual(Array.from(winners));
        expectSameBits(result.gradFromWinners!, gradInput, `${isa} backward from the winners`);
      } else {
        expectClose(
          result.gradRefound,
          backward.gradInput,
          { atol: 1e-6, rtol: 1e-6 },
          `${isa} backward from the input`,
        );
      }
    });

    it(`${c.name}: the same bits with ${threadCounts.join(', ')} threads`, () => {
      const [single, ...others] = report().results[index];
      others.forEach((result, i) => {
        const label = `${isa} with ${threadCounts[i + 1]} threads`;
        expectSameBits(result.forward, single.forward, `${label}: forward`);
        expectSameBits(result.gradRefound, single.gradRefound, `${label}: backward from the input`);
        if (c.recordsWinners) {
          expectSameBits(result.recordedForward!, single.recordedForward!, `${label}: forward recording winners`);
          expect(Array.from(result.winners!)).toEqual(Array.from(single.winners!));
          expectSameBits(result.gradFromWinners!, single.gradFromWinners!, `${label}: backward from the winners`);
        }
      });
    });
  });
});
