// Child process of isa_depthwise_conv2d.test.ts (see test/helpers/isa_child.cjs). Reads
// { threadCounts, cases: [{ params, input, kernel, bias, gradOutput }] } (arrays as base64 float32),
// runs each case's depthwise forward (bias, fused relu) and input gradient with each thread count,
// and returns results[case][thread count] = { forward, gradInput }.
'use strict';
const { decodeFloats, encodeFloats, serveIsaChild } = require('../helpers/isa_child.cjs');

serveIsaChild((addon, { threadCounts, cases }) =>
  cases.map((depthwiseCase) => {
    const { params } = depthwiseCase;
    const [input, kernel, bias, gradOutput] = [
      depthwiseCase.input,
      depthwiseCase.kernel,
      depthwiseCase.bias,
      depthwiseCase.gradOutput,
    ].map(decodeFloats);
    return threadCounts.map((threads) => {
      addon.setThreads(threads);
      if (addon.threads() !== threads) throw new Error(`setThreads(${threads}) left ${addon.threads()} threads`);
      // Outputs start as NaN, so an element a kernel leaves unwritten shows.
      const forward = new Float32Array(gradOutput.length).fill(Number.NaN);
      addon.kernels.depthwiseConv2dForward({ ...params, activation: 'relu' }, input, kernel, bias, forward);
      const gradInput = new Float32Array(input.length).fill(Number.NaN);
      addon.kernels.depthwiseConv2dBackwardInput(params, gradOutput, kernel, gradInput);
      return { forward: encodeFloats(forward), gradInput: encodeFloats(gradInput) };
    });
  }),
);
