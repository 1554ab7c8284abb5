// Typed view of addon.kernels' activation functions and maxout.
import type { ActivationName } from '../../../lib/native/network';
import { kernels } from './kernels';

export interface ActivationParams {
  kind: ActivationName;
  /** leakyRelu slope / elu scale (default 0). */
  alpha?: number;
  /** Softmax runs over each row of cols values; the others are elementwise over rows * cols. */
  rows: number;
  cols: number;
}

export interface MaxoutParams {
  rows: number;
  units: number;
  pieces: number;
}

export interface ActivationKernels {
  /** y = f(x); y may be x itself. */
  activationForward(params: ActivationParams, x: Float32Array, y: Float32Array): void;
  /** gradX = f'(x) . gradY given the forward's x and y; gradX may be gradY itself. */
  activationBackward(
    params: ActivationParams,
    x: Float32Array,
    y: Float32Array,
    gradY: Float32Array,
    gradX: Float32Array,
  ): void;
  /** x [rows, units * pieces] -> y [rows, units]: max over each group of pieces consecutive values. */
  maxoutForward(params: MaxoutParams, x: Float32Array, y: Float32Array): void;
  /** Routes gradY to the first maximal piece of each group; gradX [rows, units * pieces]. */
  maxoutBackward(params: MaxoutParams, x: Float32Array, gradY: Float32Array, gradX: Float32Array): void;
}

export const activationKernels = kernels as ActivationKernels;
