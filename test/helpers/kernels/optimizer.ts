// Typed view of addon.kernels' optimizer updates, and the sum of squares and scaling that clipping
// by norm uses.
import { kernels } from './kernels';

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

export interface OptimizerKernels {
  /**
   * Keras SGD, in place: with a velocity, v = momentum * v - lr * g and p += v (nesterov:
   * p += momentum * v - lr * g); without one (only allowed when momentum is 0), p -= lr * g.
   */
  sgdUpdate(params: SgdParams, param: Float32Array, grad: Float32Array, velocity?: Float32Array | null): void;
  /** RMSprop, in place: ms = rho * ms + (1 - rho) * g^2; p -= lr * g / sqrt(ms + epsilon). */
  rmspropUpdate(params: RmspropParams, param: Float32Array, grad: Float32Array, meanSquare: Float32Array): void;
  /**
   * Keras Adam / AdamW, in place: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
   * p -= lr * sqrt(1 - b2^step) / (1 - b1^step) * m / (sqrt(v) + epsilon).
   */
  adamUpdate(params: AdamParams, param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array): void;
  /** Sum of x[i]^2, accumulated in double (for clipping by global norm). */
  sumOfSquares(x: Float32Array): number;
  /** x *= factor. */
  scaleInPlace(factor: number, x: Float32Array): void;
}

export const optimizerKernels = kernels as OptimizerKernels;
