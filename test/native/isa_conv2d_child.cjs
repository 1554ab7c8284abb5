// Child process of isa_conv2d.test.ts (see test/helpers/isa_child.cjs). Reads
// { threadCounts, cases: [{ params, activation, activationAlpha, input, kernel, bias, gradOutput }] }
// (arrays as base64 float32), runs each case's four convolution calls with each thread count, and
// returns results[case][thread count] = { forward, forwardNoBias, gradInput, gradKernel, gradBias,
// fusedGradInput, fusedGradKernel, fusedGradBias }.
'use strict';
const { decodeFloats, encodeFloats, serveIsaChild } = require('../helpers/isa_child.cjs');

// Outputs start as NaN, so an element a kernel leaves unwritten shows.
const unwritten = (length) => new Float32Array(length).fill(Number.NaN);

serveIsaChild((addon, { threadCounts, cases }) =>
  cases.map((convCase) => {
    const { params, activation, activationAlpha } = convCase;
    const [input, kernel, bias, gradOutput] = [convCase.input, convCase.kernel, convCase.bias, convCase.gradOutput].map(
      decodeFloats,
    );
    return threadCounts.map((threads) => {
      addon.setThreads(threads);
      if (addon.threads() !== threads) throw new Error(`setThreads(${threads}) left ${addon.threads()} threads`);
      const passes = {
        forward: unwritten(gradOutput.length),
        forwardNoBias: unwritten(gradOutput.length),
        gradInput: unwritten(input.length),
        gradKernel: unwritten(kernel.length),
        gradBias: unwritten(bias.length),
      };
      addon.kernels.conv2dForward({ ...params, activation, activationAlpha }, input, kernel, bias, passes.forward);
      addon.kernels.conv2dForward(params, input, kernel, null, passes.forwardNoBias);
      addon.kernels.conv2dBackwardInput(params, gradOutput, kernel, passes.gradInput);
      addon.kernels.conv2dBackwardParams(params, input, gradOutput, passes.gradKernel, passes.gradBias);
      // The two gradients in one call, as training runs them (conv2dBackward).
      passes.fusedGradInput = unwritten(input.length);
      passes.fusedGradKernel = unwritten(kernel.length);
      passes.fusedGradBias = unwritten(bias.length);
      addon.kernels.conv2dBackward(
        params,
        input,
        gradOutput,
        kernel,
        passes.fusedGradInput,
        passes.fusedGradKernel,
        passes.fusedGradBias,
      );
      return Object.fromEntries(Object.entries(passes).map(([pass, values]) => [pass, encodeFloats(values)]));
    });
  }),
);
