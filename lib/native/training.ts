// Typed view of the training kernels: dropout, batch normalization, optimizer updates. All arrays
// are caller-owned and used in place (zero-copy); sizes and hyperparameters are validated natively
// and mistakes throw TypeError / RangeError.
import { addon } from './addon';

export interface DropoutForwardParams {
  count: number;
  /** Probability of dropping an element, in [0, 1). */
  rate: number;
  /**
   * Integer in [0, 2^53 - 1]. Element i's keep decision is a pure function of (seed, i), so the same
   * seed always gives the same mask.
   */
  seed: number;
}

export interface DropoutBackwardParams {
  count: number;
  /** The rate the mask was drawn with. */
  rate: number;
}

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

export interface SgdParams {
  count: number;
  /** >= 0. */
  learningRate: number;
  /** In [0, 1], defaults to 0. Above 0 the update needs a velocity array. */
  momentum?: number;
  /** Defaults to false. */
  nesterov?: boolean;
}

export interface RmspropParams {
  count: number;
  /** >= 0. */
  learningRate: number;
  /** Discount of the mean square, in [0, 1]; defaults to 0.9. */
  rho?: number;
  /** > 0, defaults to 1e-7. */
  epsilon?: number;
}

export interface AdamParams {
  count: number;
  /** >= 0. */
  learningRate: number;
  /** In [0, 1), defaults to 0.9. */
  beta1?: number;
  /** In [0, 1), defaults to 0.999. */
  beta2?: number;
  /** > 0, defaults to 1e-7 (Keras's "epsilon hat", added to sqrt(v)). */
  epsilon?: number;
  /** 1-based number of this update, for the bias correction. */
  step: number;
  /**
   * Decoupled weight decay (AdamW) when > 0: p -= learningRate * weightDecay * p before the Adam
   * step. >= 0, defaults to 0.
   */
  weightDecay?: number;
}

export interface TrainingKernels {
  /**
   * Inverted dropout: mask[i] = 1 with probability 1 - rate (else 0), and
   * y[i] = mask[i] ? x[i] / (1 - rate) : 0. y may be x itself (in place).
   */
  dropoutForward(params: DropoutForwardParams, x: Float32Array, y: Float32Array, mask: Uint8Array): void;
  /** gradX[i] = mask[i] ? gradY[i] / (1 - rate) : 0. gradX may be gradY itself (in place). */
  dropoutBackward(params: DropoutBackwardParams, mask: Uint8Array, gradY: Float32Array,
    gradX: Float32Array): void;
  /**
   * y = gamma * (x - mean) / sqrt(var + epsilon) + beta with the batch's per-channel mean and biased
   * variance. Writes savedMean and savedInvStd [channels] for batchNormBackward, and updates
   * movingMean and movingVariance [channels] in place.
   */
  batchNormTrainingForward(params: BatchNormTrainingParams, x: Float32Array, gamma: Float32Array,
    beta: Float32Array, movingMean: Float32Array, movingVariance: Float32Array, y: Float32Array,
    savedMean: Float32Array, savedInvStd: Float32Array): void;
  /** y = gamma * (x - movingMean) / sqrt(movingVariance + epsilon) + beta. */
  batchNormInferenceForward(params: BatchNormParams, x: Float32Array, gamma: Float32Array,
    beta: Float32Array, movingMean: Float32Array, movingVariance: Float32Array, y: Float32Array): void;
  /**
   * Gradients of batchNormTrainingForward (through the batch statistics) given d(loss)/dy; gradX,
   * gradGamma and gradBeta are overwritten.
   */
  batchNormBackward(params: BatchNormParams, x: Float32Array, gamma: Float32Array,
    savedMean: Float32Array, savedInvStd: Float32Array, gradY: Float32Array, gradX: Float32Array,
    gradGamma: Float32Array, gradBeta: Float32Array): void;
  /**
   * Keras SGD, in place: with a velocity, v = momentum * v - lr * g and p += v (nesterov:
   * p += momentum * v - lr * g); without one (only allowed when momentum is 0), p -= lr * g.
   */
  sgdUpdate(params: SgdParams, param: Float32Array, grad: Float32Array,
    velocity?: Float32Array | null): void;
  /** RMSprop, in place: ms = rho * ms + (1 - rho) * g^2; p -= lr * g / sqrt(ms + epsilon). */
  rmspropUpdate(params: RmspropParams, param: Float32Array, grad: Float32Array,
    meanSquare: Float32Array): void;
  /**
   * Keras Adam / AdamW, in place: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
   * p -= lr * sqrt(1 - b2^step) / (1 - b1^step) * m / (sqrt(v) + epsilon).
   */
  adamUpdate(params: AdamParams, param: Float32Array, grad: Float32Array, m: Float32Array,
    v: Float32Array): void;
  /** Sum of x[i]^2, accumulated in double (for clipping by global norm). */
  sumOfSquares(x: Float32Array): number;
  /** x *= factor. */
  scaleInPlace(factor: number, x: Float32Array): void;
}

export const trainingKernels = addon as TrainingKernels;
