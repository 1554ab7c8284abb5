// Child process of isa_pooling.test.ts (see test/helpers/isa_child.cjs). Reads
// { threadCounts, cases: [{ params, recordsWinners, input, gradOutput }] } (arrays as base64 float32),
// runs each case's max-pooling calls with each thread count, and returns
// results[case][thread count] = { forward, recordedForward?, winners?, gradFromWinners?, gradRefound }
// (winners as base64 of their bytes, gradients with a fused leakyRelu's slope).
'use strict';
const { decodeFloats, encodeFloats, serveIsaChild } = require('../helpers/isa_child.cjs');

// Outputs start as NaN (winners as 0xff), so an element a kernel leaves unwritten shows.
const unwritten = (length) => new Float32Array(length).fill(Number.NaN);

serveIsaChild((addon, { threadCounts, slope, cases }) =>
  cases.map((poolCase) => {
    const { params, recordsWinners } = poolCase;
    const [input, gradOutput] = [poolCase.input, poolCase.gradOutput].map(decodeFloats);
    const withActivation = { ...params, activation: 'leakyRelu', activationAlpha: slope };
    return threadCounts.map((threads) => {
      addon.setThreads(threads);
      if (addon.threads() !== threads) throw new Error(`setThreads(${threads}) left ${addon.threads()} threads`);
      const result = {};
      const forward = unwritten(gradOutput.length);
      addon.kernels.maxPool2dForward(params, input, forward);
      result.forward = encodeFloats(forward);
      const gradRefound = unwritten(input.length);
      addon.kernels.maxPool2dBackward(withActivation, input, gradOutput, gradRefound);
      result.gradRefound = encodeFloats(gradRefound);
      if (recordsWinners) {
        const recorded = unwritten(gradOutput.length);
        const winners = new Uint8Array(gradOutput.length).fill(0xff);
        addon.kernels.maxPool2dForwardRecordingWinners(params, input, recorded, winners);
        const gradFromWinners = unwritten(input.length);
        addon.kernels.maxPool2dBackwardFromWinners(withActivation, winners, gradOutput, gradFromWinners);
        result.recordedForward = encodeFloats(recorded);
        result.winners = Buffer.from(winners).toString('base64');
        result.gradFromWinners = encodeFloats(gradFromWinners);
      }
      return result;
    });
  }),
);
