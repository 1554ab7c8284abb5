// Typed view of addon.kernels' batch normalization functions.
import { kernels } from './kernels';

/**
 * Shape of a batch normalization over the last axis of x[rows, channels] (rows = N*H*W for NHWC
 * images), with Keras's semantics.
 */
export interface BatchNormParams {
  rows: number;
  channels: number;
  /** Added to the variance before the square root; > 0, defaults to 1e-3. */
  epsilon?: number;
}

export interface BatchNormTrainingParams extends BatchNormParams {
  /** moving = moving * momentum + batch * (1 - momentum); in [0, 1], defaults to 0.99. */
  momentum?: number;
}

export interface BatchNormKernels {
  /**
   * y = gamma * (x - mean) / sqrt(var + epsilon) + beta with the batch's per-channel mean and biased
   * variance. Writes savedMean and savedInvStd [channels] for batchNormBackward, and updates
   * movingMean and movingVariance [channels] in place.
   */
  batchNormTrainingForward(
    params: BatchNormTrainingParams,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    movingMean: Float32Array,
    movingVariance: Float32Array,
    y: Float32Array,
    savedMean: Float32Array,
    savedInvStd: Float32Array,
  ): void;
  /** y = gamma * (x - movingMean) / sqrt(movingVariance + epsilon) + beta. */
  batchNormInferenceForward(
    params: BatchNormParams,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    movingMean: Float32Array,
    movingVariance: Float32Array,
    y: Float32Array,
  ): void;
  /**
   * Gradients of batchNormTrainingForward (through the batch statistics) given d(loss)/dy; gradX,
   * gradGamma and gradBeta are overwritten.
   */
  batchNormBackward(
    params: BatchNormParams,
    x: Float32Array,
    gamma: Float32Array,
    savedMean: Float32Array,
    savedInvStd: Float32Array,
    gradY: Float32Array,
    gradX: Float32Array,
    gradGamma: Float32Array,
    gradBeta: Float32Array,
  ): void;
}

export const batchNormKernels = kernels as BatchNormKernels;
