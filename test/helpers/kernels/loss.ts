// Typed view of addon.kernels' losses. Each returns the mean loss over the batch and, when `grad` is
// given, writes d(mean loss)/d(predictions) into it.
import { kernels } from './kernels';

export interface ClassLossParams {
  batch: number;
  classes: number;
}

export interface OutputLossParams {
  batch: number;
  outputs: number;
}

export interface LossKernels {
  softmaxCrossEntropyFromLogits(
    params: ClassLossParams,
    logits: Float32Array,
    targets: Float32Array,
    grad?: Float32Array | null,
  ): number;
  sparseSoftmaxCrossEntropyFromLogits(
    params: ClassLossParams,
    logits: Float32Array,
    labels: Int32Array,
    grad?: Float32Array | null,
  ): number;
  /** From probabilities, renormalized per row and clipped to [1e-7, 1 - 1e-7] as Keras does. */
  categoricalCrossentropy(
    params: ClassLossParams,
    probs: Float32Array,
    targets: Float32Array,
    grad?: Float32Array | null,
  ): number;
  sparseCategoricalCrossentropy(
    params: ClassLossParams,
    probs: Float32Array,
    labels: Int32Array,
    grad?: Float32Array | null,
  ): number;
  binaryCrossentropy(
    params: OutputLossParams,
    probs: Float32Array,
    targets: Float32Array,
    grad?: Float32Array | null,
  ): number;
  binaryCrossentropyFromLogits(
    params: OutputLossParams,
    logits: Float32Array,
    targets: Float32Array,
    grad?: Float32Array | null,
  ): number;
  meanSquaredError(
    params: OutputLossParams,
    predictions: Float32Array,
    targets: Float32Array,
    grad?: Float32Array | null,
  ): number;
}

export const lossKernels = kernels as LossKernels;
