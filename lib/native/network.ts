// Typed view of the native Network (native/binding/network_binding.cc): one object per model,
// owning its parameters. trainStep / evaluateBatch / predict run on libuv worker threads; the
// arrays passed to them must not be touched until the Promise settles, so callers pass staging
// buffers they own, never a user's array.
import type { PaddingSpec } from './linear';
import { addon } from './addon';

export type ActivationName = 'linear' | 'relu' | 'leakyRelu' | 'elu' | 'sigmoid' | 'tanh' | 'softmax';
export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError';

/**
 * One layer of a native network, with per-sample sizes (the batch is a property of each call).
 * `trainable: false` freezes its weights.
 */
export type NativeLayerSpec = { trainable?: boolean } & (
  | {
      kind: 'conv2d'; inHeight: number; inWidth: number; inChannels: number; outChannels: number;
      kernelHeight: number; kernelWidth: number; strideHeight: number; strideWidth: number;
      dilationHeight: number; dilationWidth: number; padding: PaddingSpec; useBias: boolean;
      activation: ActivationName; alpha: number;
    }
  | { kind: 'dense'; inFeatures: number; units: number; useBias: boolean; activation: ActivationName; alpha: number }
  | {
      kind: 'maxPooling2d' | 'averagePooling2d'; inHeight: number; inWidth: number; channels: number;
      poolHeight: number; poolWidth: number; strideHeight: number; strideWidth: number; padding: PaddingSpec;
    }
  | { kind: 'globalAveragePooling2d' | 'globalMaxPooling2d'; height: number; width: number; channels: number }
  | { kind: 'reshape'; size: number }
  | { kind: 'dropout'; size: number; rate: number }
  | { kind: 'batchNormalization'; size: number; channels: number; epsilon: number; momentum: number }
  | { kind: 'activation'; size: number; channels: number; activation: ActivationName; alpha: number }
  | { kind: 'maxout'; size: number; units: number; pieces: number });

export interface NativeOptimizerSpec {
  kind: 'sgd' | 'rmsprop' | 'adam' | 'adamw';
  momentum?: number;
  nesterov?: boolean;
  rho?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  clipNorm?: number;
  globalClipNorm?: number;
}

/** Mean loss of a batch, and the accuracy numerator and denominator (0 when not defined). */
export interface BatchResult {
  loss: number;
  correct: number;
  counted: number;
}

/** Targets: class indices (Int32Array, one per sample) or dense values (batch * outputSize). */
export type NativeTargets = Int32Array | Float32Array;

export interface NativeNetwork {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Floating-point operations of one sample's inference (the conv2d and dense GEMMs). */
  readonly forwardFlopsPerSample: number;
  /** Bytes of native memory (parameters, optimizer state, workspaces) reported to V8's garbage collector. */
  readonly externalMemory: number;
  getWeights(): Float32Array[];
  setWeights(weights: Float32Array[]): void;
  compile(options: { loss: LossName; optimizer: NativeOptimizerSpec }): void;
  trainStep(x: Float32Array, y: NativeTargets, options: { batch: number; learningRate: number; seed: number }): Promise<BatchResult>;
  evaluateBatch(x: Float32Array, y: NativeTargets, options: { batch: number }): Promise<BatchResult>;
  predict(x: Float32Array, output: Float32Array, options: { batch: number }): Promise<void>;
  predictSync(x: Float32Array, output: Float32Array, options: { batch: number }): void;
  /**
   * Inference keeping the outputs of the given layers (ascending indices, after a conv or dense
   * layer's activation): output holds, per layer in turn, batch * that layer's output size floats.
   */
  activations(x: Float32Array, output: Float32Array, options: { batch: number; layers: number[] }): Promise<void>;
  /** Lets go of the native network (work in flight keeps it until done); later calls throw a RangeError. */
  dispose(): void;
}

const { Network } = addon as { Network: new (layers: NativeLayerSpec[]) => NativeNetwork };

export function createNetwork(layers: NativeLayerSpec[]): NativeNetwork {
  return new Network(layers);
}
