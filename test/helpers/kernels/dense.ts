// Typed view of addon.kernels' dense functions.
import { type EpilogueActivation, kernels } from './kernels';

export interface DenseParams {
  batch: number;
  inFeatures: number;
  units: number;
}

export interface DenseKernels {
  denseForward(
    params: DenseParams & EpilogueActivation,
    input: Float32Array,
    kernel: Float32Array,
    bias: Float32Array | null,
    output: Float32Array,
  ): void;
  denseBackwardInput(
    params: DenseParams,
    gradOutput: Float32Array,
    kernel: Float32Array,
    gradInput: Float32Array,
  ): void;
  denseBackwardParams(
    params: DenseParams,
    input: Float32Array,
    gradOutput: Float32Array,
    gradKernel: Float32Array,
    gradBias: Float32Array | null,
  ): void;
}

export const denseKernels = kernels as DenseKernels;
