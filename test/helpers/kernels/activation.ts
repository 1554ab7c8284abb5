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

export interface PreluParams {
  rows: number;
  channels: number;
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
  /** y = x > 0 ? x : alpha[c] * x over x [rows, channels]; y may be x itself. */
  preluForward(params: PreluParams, x: Float32Array, alpha: Float32Array, y: Float32Array): void;
  /** gradX = (x > 0 ? 1 : alpha[c]) * gradY (may be gradY itself); gradAlpha[c] = sum of (x < 0 ? x : 0) * gradY. */
  preluBackward(
    params: PreluParams,
    x: Float32Array,
    alpha: Float32Array,
    gradY: Float32Array,
    gradX: Float32Array,
    gradAlpha: Float32Array,
  ): void;
  /** x [rows, units * pieces] -> y [rows, units]: max over each group of pieces consecutive values. */
  maxoutForward(params: MaxoutParams, x: Float32Array, y: Float32Array): void;
  /** Routes gradY to the first maximal piece of each group; gradX [rows, units * pieces]. */
  maxoutBackward(params: MaxoutParams, x: Float32Array, gradY: Float32Array, gradX: Float32Array): void;
}

export const activationKernels = kernels as ActivationKernels;
