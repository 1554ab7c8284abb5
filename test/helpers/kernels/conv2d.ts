// Typed view of addon.kernels' conv2d functions.
import type { PaddingSpec } from '../../../lib/native/network';
import { type EpilogueActivation, kernels, type WindowGeometry } from './kernels';

/** Shape of a conv2d call over NHWC input and a Keras-layout kernel [kh, kw, inC, outC]. */
export interface Conv2dParams {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight?: number;
  strideWidth?: number;
  dilationHeight?: number;
  dilationWidth?: number;
  /** Defaults to 'valid'. 'same' pads as TensorFlow does (odd extra pad bottom/right). */
  padding?: PaddingSpec;
}

export interface Conv2dKernels {
  conv2dGeometry(params: Conv2dParams): WindowGeometry;
  conv2dForward(
    params: Conv2dParams & EpilogueActivation,
    input: Float32Array,
    kernel: Float32Array,
    bias: Float32Array | null,
    output: Float32Array,
  ): void;
  conv2dBackwardInput(
    params: Conv2dParams,
    gradOutput: Float32Array,
    kernel: Float32Array,
    gradInput: Float32Array,
  ): void;
  conv2dBackwardParams(
    params: Conv2dParams,
    input: Float32Array,
    gradOutput: Float32Array,
    gradKernel: Float32Array,
    gradBias: Float32Array | null,
  ): void;
  /**
   * conv2dBackwardInput (unless gradInput is null) and conv2dBackwardParams in one call, with the
   * same results bit for bit, as training runs them: under Winograd the two gradients share the
   * transformed output gradient.
   */
  conv2dBackward(
    params: Conv2dParams,
    input: Float32Array,
    gradOutput: Float32Array,
    kernel: Float32Array,
    gradInput: Float32Array | null,
    gradKernel: Float32Array,
    gradBias: Float32Array | null,
  ): void;
}

export const conv2dKernels = kernels as Conv2dKernels;
