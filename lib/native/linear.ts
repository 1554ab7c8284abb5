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
  /** c = alpha * op(a)[m,k] * op(b)[k,n] + beta * c, row-major. */
  gemm(params: GemmParams, a: Float32Array, b: Float32Array, c: Float32Array): void;
  conv2dGeometry(params: Conv2dParams): WindowGeometry;
  conv2dForward(params: Conv2dParams, input: Float32Array, kernel: Float32Array,
    bias: Float32Array | null, output: Float32Array): void;
  conv2dBackwardInput(params: Conv2dParams, gradOutput: Float32Array, kernel: Float32Array,
    gradInput: Float32Array): void;
  conv2dBackwardParams(params: Conv2dParams, input: Float32Array, gradOutput: Float32Array,
    gradKernel: Float32Array, gradBias: Float32Array | null): void;
  denseForward(params: DenseParams, input: Float32Array, kernel: Float32Array,
    bias: Float32Array | null, output: Float32Array): void;
  denseBackwardInput(params: DenseParams, gradOutput: Float32Array, kernel: Float32Array,
    gradInput: Float32Array): void;
  denseBackwardParams(params: DenseParams, input: Float32Array, gradOutput: Float32Array,
    gradKernel: Float32Array, gradBias: Float32Array | null): void;
}

export const linearKernels = addon as LinearKernels;
