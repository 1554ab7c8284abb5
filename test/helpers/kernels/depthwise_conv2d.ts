// Typed view of addon.kernels' depthwiseConv2d functions.
import type { Conv2dParams } from './conv2d';
import { type EpilogueActivation, kernels } from './kernels';

/**
 * Shape of a depthwise convolution over NHWC input with a Keras-layout kernel [kh, kw, C, M]:
 * inChannels * depthMultiplier output channels, channel c's filters at c * M + m.
 */
export type DepthwiseConv2dParams = Omit<Conv2dParams, 'outChannels'> & {
  /** Defaults to 1. */
  depthMultiplier?: number;
};

export interface DepthwiseConv2dKernels {
  depthwiseConv2dForward(
    params: DepthwiseConv2dParams & EpilogueActivation,
    input: Float32Array,
    kernel: Float32Array,
    bias: Float32Array | null,
    output: Float32Array,
  ): void;
  depthwiseConv2dBackwardInput(
    params: DepthwiseConv2dParams,
    gradOutput: Float32Array,
    kernel: Float32Array,
    gradInput: Float32Array,
  ): void;
  depthwiseConv2dBackwardParams(
    params: DepthwiseConv2dParams,
    input: Float32Array,
    gradOutput: Float32Array,
    gradKernel: Float32Array,
    gradBias: Float32Array | null,
  ): void;
}

export const depthwiseConv2dKernels = kernels as DepthwiseConv2dKernels;
