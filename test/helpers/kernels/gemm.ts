// Typed view of addon.kernels.gemm.
import { type EpilogueActivation, kernels } from './kernels';

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

export interface GemmKernels {
  /** c = activation(alpha * op(a)[m,k] * op(b)[k,n] + beta * c + columnBias[n]), row-major. */
  gemm(
    params: GemmParams & EpilogueActivation,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    columnBias?: Float32Array | null,
  ): void;
}

export const gemmKernels = kernels as GemmKernels;
