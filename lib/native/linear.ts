// Typed view of the GEMM-based kernels: gemm, conv2d, dense. All arrays are caller-owned and used
// in place (zero-copy); shapes are validated natively and mistakes throw TypeError / RangeError.
import { addon } from './addon';

/** Sliding-window padding: Keras's modes, or explicit [top, bottom, left, right]. */
export type PaddingSpec = 'valid' | 'same' | [number, number, number, number];

export interface GemmParams {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** Defaults to 1. */
  alpha?: number;
  /** Defaults to 0 (C is overwritten). */
  beta?: number;
  /**
   * Pack op(b) once up front and multiply from the packed copy, as convolutions do with their
   * weights across a batch's chunks. Same result; defaults to false.
   */
  packB?: boolean;
}

/**
 * The activation a GEMM-based kernel applies in its epilogue, while each output tile is still in
 * registers (after the bias). Only the ones that cost a compare and a blend can be fused.
 */
export interface EpilogueActivation {
  /** Defaults to 'linear'. */
  activation?: 'linear' | 'relu' | 'leakyRelu';
  /** leakyRelu's slope, >= 0. Defaults to 0. */
  activationAlpha?: number;
}

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

/** Output size and padding of a sliding window (convolution or pooling). */
export interface WindowGeometry {
  outHeight: number;
  outWidth: number;
  padTop: number;
  /** Padding the last window actually reaches below the input. */
  padBottom: number;
  padLeft: number;
  /** Padding the last window actually reaches right of the input. */
  padRight: number;
}

export interface DenseParams {
  batch: number;
  inFeatures: number;
  units: number;
}

export interface LinearKernels {
  /** c = activation(alpha * op(a)[m,k] * op(b)[k,n] + beta * c + columnBias[n]), row-major. */
  gemm(params: GemmParams & EpilogueActivation, a: Float32Array, b: Float32Array, c: Float32Array,
    columnBias?: Float32Array | null): void;
  conv2dGeometry(params: Conv2dParams): WindowGeometry;
  conv2dForward(params: Conv2dParams & EpilogueActivation, input: Float32Array, kernel: Float32Array,
    bias: Float32Array | null, output: Float32Array): void;
  conv2dBackwardInput(params: Conv2dParams, gradOutput: Float32Array, kernel: Float32Array,
    gradInput: Float32Array): void;
  conv2dBackwardParams(params: Conv2dParams, input: Float32Array, gradOutput: Float32Array,
    gradKernel: Float32Array, gradBias: Float32Array | null): void;
  /**
   * conv2dBackwardInput (unless gradInput is null) and conv2dBackwardParams in one call, with the
   * same results bit for bit, as training runs them: under Winograd the two gradients share the
   * transformed output gradient.
   */
  conv2dBackward(params: Conv2dParams, input: Float32Array, gradOutput: Float32Array, kernel: Float32Array,
    gradInput: Float32Array | null, gradKernel: Float32Array, gradBias: Float32Array | null): void;
  denseForward(params: DenseParams & EpilogueActivation, input: Float32Array, kernel: Float32Array,
    bias: Float32Array | null, output: Float32Array): void;
  denseBackwardInput(params: DenseParams, gradOutput: Float32Array, kernel: Float32Array,
    gradInput: Float32Array): void;
  denseBackwardParams(params: DenseParams, input: Float32Array, gradOutput: Float32Array,
    gradKernel: Float32Array, gradBias: Float32Array | null): void;
}

export const linearKernels = addon as LinearKernels;
