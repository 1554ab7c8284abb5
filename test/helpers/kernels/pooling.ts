// Typed view of addon.kernels' pooling functions: max and average, windowed and global, over NHWC
// tensors.
import type { PaddingSpec } from '../../../lib/native/network';
import { type EpilogueActivation, kernels, type WindowGeometry } from './kernels';

/** Shape of a windowed pooling call over NHWC input. */
export interface Pool2dParams {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  poolHeight: number;
  poolWidth: number;
  /** Defaults to poolHeight, as in Keras. */
  strideHeight?: number;
  /** Defaults to poolWidth, as in Keras. */
  strideWidth?: number;
  /**
   * Defaults to 'valid'. 'same' pads as TensorFlow does (odd extra pad bottom/right). Explicit
   * pads must each be smaller than the pool on their axis, so that every window sees the input.
   */
  padding?: PaddingSpec;
}

/** Shape of a global pooling call: [batch, height, width, channels] -> [batch, channels]. */
export interface GlobalPool2dParams {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

export interface PoolingKernels {
  pool2dGeometry(params: Pool2dParams): WindowGeometry;
  /** output = the maximum of each window; padding never wins. */
  maxPool2dForward(params: Pool2dParams, input: Float32Array, output: Float32Array): void;
  /**
   * gradInput (overwritten) receives each output gradient at the element that won the max,
   * recomputed from input: the first one in row-major window order on ties. With an activation,
   * input is that activation's output (as a GEMM epilogue leaves it) and each routed gradient is
   * multiplied by its derivative there, giving the gradient with respect to its input.
   */
  maxPool2dBackward(
    params: Pool2dParams & EpilogueActivation,
    input: Float32Array,
    gradOutput: Float32Array,
    gradInput: Float32Array,
  ): void;
  /**
   * maxPool2dForward (the same output, bit for bit) that also records each output element's winner
   * for maxPool2dBackwardFromWinners, as training does: winners (one byte per output element, laid
   * out like output) gets the row-major index, within the window's part inside the input, of the
   * first pixel equal to the max (0 for a NaN max), plus 0x80 when the max is > 0. Only for windows
   * that neither overlap nor leave gaps (strides equal to the pool) of at most 128 pixels; other
   * params throw a RangeError.
   */
  maxPool2dForwardRecordingWinners(
    params: Pool2dParams,
    input: Float32Array,
    output: Float32Array,
    winners: Uint8Array,
  ): void;
  /**
   * maxPool2dBackward routed from the winners maxPool2dForwardRecordingWinners recorded (with the
   * same params) instead of the input: the same gradInput (overwritten), bit for bit. A winner that
   * names no pixel of its window throws a RangeError.
   */
  maxPool2dBackwardFromWinners(
    params: Pool2dParams & EpilogueActivation,
    winners: Uint8Array,
    gradOutput: Float32Array,
    gradInput: Float32Array,
  ): void;
  /** output = the mean of each window over the elements inside the input (padding not counted). */
  avgPool2dForward(params: Pool2dParams, input: Float32Array, output: Float32Array): void;
  /** gradInput is overwritten. */
  avgPool2dBackward(params: Pool2dParams, gradOutput: Float32Array, gradInput: Float32Array): void;
  globalAvgPool2dForward(params: GlobalPool2dParams, input: Float32Array, output: Float32Array): void;
  /** gradInput is overwritten. */
  globalAvgPool2dBackward(params: GlobalPool2dParams, gradOutput: Float32Array, gradInput: Float32Array): void;
  globalMaxPool2dForward(params: GlobalPool2dParams, input: Float32Array, output: Float32Array): void;
  /** gradInput is overwritten; the first maximum of each image and channel gets the gradient. */
  globalMaxPool2dBackward(
    params: GlobalPool2dParams,
    input: Float32Array,
    gradOutput: Float32Array,
    gradInput: Float32Array,
  ): void;
}

export const poolingKernels = kernels as PoolingKernels;
