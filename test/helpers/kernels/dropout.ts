// Typed view of addon.kernels' dropout functions.
import { kernels } from './kernels';

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

export interface DropoutKernels {
  /**
   * Inverted dropout: mask[i] = 1 with probability 1 - rate (else 0), and
   * y[i] = mask[i] ? x[i] / (1 - rate) : 0. y may be x itself (in place).
   */
  dropoutForward(params: DropoutForwardParams, x: Float32Array, y: Float32Array, mask: Uint8Array): void;
  /** gradX[i] = mask[i] ? gradY[i] / (1 - rate) : 0. gradX may be gradY itself (in place). */
  dropoutBackward(params: DropoutBackwardParams, mask: Uint8Array, gradY: Float32Array, gradX: Float32Array): void;
}

export const dropoutKernels = kernels as DropoutKernels;
