// Typed view of the native Network (native/binding/network_binding.cc): one object per model,
// owning its parameters. trainStep / evaluateBatch / predict / activations / readWeights run on
// libuv worker threads; the arrays passed to them must not be touched until the Promise settles,
// so callers pass staging buffers they own, never a user's array.
import { addon } from './addon';

/** Sliding-window padding: Keras's modes, or explicit [top, bottom, left, right]. */
export type PaddingSpec = 'valid' | 'same' | [number, number, number, number];

/**
 * Activation functions by name (tfjs's camelCase; Keras writes 'leaky_relu'): 'linear' (identity),
 * 'relu', 'leakyRelu' (x < 0: alpha * x), 'elu' (x <= 0: alpha * (exp(x) - 1)), 'sigmoid', 'tanh',
 * 'softmax' (over the last axis), 'relu6' (min(max(x, 0), 6)), 'swish' (x * sigmoid(x), also
 * called silu), 'hardSigmoid' (relu6(x + 3) / 6, as Keras 3 and PyTorch; tfjs's older
 * hardSigmoid is 0.2x + 0.5), 'hardSwish' (x * hardSigmoid(x)), 'gelu' (the exact x * Phi(x),
 * Keras's approximate=false), 'softplus' (log(1 + exp(x))), 'selu' (Keras's scaled ELU),
 * 'mish' (x * tanh(softplus(x))).
 */
export type ActivationName =
  | 'linear'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'sigmoid'
  | 'tanh'
  | 'softmax'
  | 'relu6'
  | 'swish'
  | 'hardSwish'
  | 'hardSigmoid'
  | 'gelu'
  | 'softplus'
  | 'selu'
  | 'mish';
/**
 * Losses by name; compile also takes Keras's snake_case spellings and 'mse'. The cross-entropies
 * take probabilities (a softmax or sigmoid last layer, fused into the exact from-logits form);
 * sparseCategoricalCrossentropy takes class indices as targets, the others targets shaped as the output.
 */
export type LossName =
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError';

/** A convolution's input and window, as conv2d, depthwiseConv2d and separableConv2d spell them. */
interface ConvolutionWindowSpec {
  inHeight: number;
  inWidth: number;
  inChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padding: PaddingSpec;
  useBias: boolean;
  activation: ActivationName;
  alpha: number;
}

/**
 * One layer of a native network, with per-sample sizes (the batch is a property of each call).
 * `trainable: false` freezes its weights. `inputs` names the layers it reads by index (-1: the
 * network's input), in order; without it a layer reads the one before it (the input, for the
 * first). Layers come in topological order, and every layer's output but the last's must be read.
 */
export type NativeLayerSpec = { trainable?: boolean; inputs?: number[] } & (
  | ({ kind: 'conv2d'; outChannels: number } & ConvolutionWindowSpec)
  /**
   * A depthwise convolution: each input channel convolved with its own depthMultiplier filters
   * (output channel c * depthMultiplier + m); a separable one follows it with a pointwise 1x1
   * convolution to `filters` channels, which takes the bias and the activation.
   */
  | ({ depthMultiplier: number } & ConvolutionWindowSpec &
      ({ kind: 'depthwiseConv2d' } | { kind: 'separableConv2d'; filters: number }))
  | { kind: 'dense'; inFeatures: number; units: number; useBias: boolean; activation: ActivationName; alpha: number }
  | {
      kind: 'maxPooling2d' | 'averagePooling2d';
      inHeight: number;
      inWidth: number;
      channels: number;
      poolHeight: number;
      poolWidth: number;
      strideHeight: number;
      strideWidth: number;
      padding: PaddingSpec;
    }
  | { kind: 'globalAveragePooling2d' | 'globalMaxPooling2d'; height: number; width: number; channels: number }
  | { kind: 'reshape'; size: number }
  | { kind: 'dropout'; size: number; rate: number }
  | { kind: 'batchNormalization'; size: number; channels: number; epsilon: number; momentum: number }
  | { kind: 'activation'; size: number; channels: number; activation: ActivationName; alpha: number }
  | { kind: 'maxout'; size: number; units: number; pieces: number }
  /** x > 0: x, else alpha[c] * x, with a learned alpha (the layer's one weight) per channel of the last axis. */
  | { kind: 'prelu'; size: number; channels: number }
  /** Elementwise merges of inputs of `size` floats each (`inputs` names two or more). */
  | { kind: 'add' | 'average' | 'maximum'; size: number }
  /**
   * Elementwise product over [positions, channels]; an input flagged in `broadcast` holds one
   * value per channel, the same at every position (a squeeze-excite gate).
   */
  | { kind: 'multiply'; positions: number; channels: number; broadcast: (0 | 1)[] }
  /** Concatenation along the last axis: input k has channels[k] values at each of `positions`. */
  | { kind: 'concatenate'; positions: number; channels: number[] }
);

/**
 * Every kind of NativeLayerSpec: what the addon's registry of layer kinds (native/model/layer_spec.h)
 * must accept, checked both ways by test/binding/layer_kinds.test.ts.
 */
export const nativeLayerKinds = [
  'conv2d',
  'dense',
  'maxPooling2d',
  'averagePooling2d',
  'globalAveragePooling2d',
  'globalMaxPooling2d',
  'reshape',
  'dropout',
  'batchNormalization',
  'activation',
  'maxout',
  'prelu',
  'add',
  'average',
  'maximum',
  'multiply',
  'concatenate',
  'depthwiseConv2d',
  'separableConv2d',
] as const satisfies readonly NativeLayerSpec['kind'][];

/** The layer kinds the addon's registry accepts, by name. */
export const registeredLayerKinds: readonly string[] = (addon as { layerKinds: string[] }).layerKinds;

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

export interface NativeCompileOptions {
  loss: LossName;
  /**
   * The length of the output's last axis (default outputSize): cross-entropies and accuracy run
   * over it at each position and average over positions, as in Keras. It must divide outputSize
   * (RangeError otherwise).
   */
  classes?: number;
  optimizer: NativeOptimizerSpec;
}

/** Mean loss of a batch, and the accuracy numerator and denominator (0 when not defined). */
export interface BatchResult {
  loss: number;
  correct: number;
  counted: number;
}

/**
 * Targets: class indices (Int32Array, one per position: batch * outputSize / classes, i.e. one per
 * sample for a flat output, one per pixel for [h, w, classes]) or dense values (batch * outputSize).
 */
export type NativeTargets = Int32Array | Float32Array;

export interface NativeNetwork {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Floating-point operations of one sample's inference (the conv2d and dense GEMMs). */
  readonly forwardFlopsPerSample: number;
  /**
   * Floats per sample of the buffers layer outputs are written to: inference reuses a buffer once
   * its readers have run; training keeps one per output (backward reads them all).
   */
  readonly outputFloatsPerSample: { inference: number; training: number };
  /** Bytes of native memory (parameters, optimizer state, workspaces) reported to V8's garbage collector. */
  readonly externalMemory: number;
  /** Copies of the weights; a RangeError while a training step runs (see readWeights). */
  getWeights(): Float32Array[];
  /** The same, off the JavaScript thread: waits for a running training step instead of failing. */
  readWeights(): Promise<Float32Array[]>;
  /** A RangeError while a training step or a prediction runs. */
  setWeights(weights: Float32Array[]): void;
  compile(options: NativeCompileOptions): void;
  trainStep(
    x: Float32Array,
    y: NativeTargets,
    options: { batch: number; learningRate: number; seed: number },
  ): Promise<BatchResult>;
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

/**
 * At most this many of a network's asynchronous calls are handed to libuv at once; the others
 * wait here, in order. libuv has 4 threads (by default) for all of the process's file, DNS and
 * native work, and a call that waits for the network's lock (a prediction behind a training
 * step) holds one while it waits. More would not be faster either: the kernels' thread pool
 * serves one call at a time, and a second runs on its own thread meanwhile.
 */
const MAX_CALLS_IN_FLIGHT = 2;

/** A native network whose asynchronous calls pass through a first-in, first-out gate. */
class GatedNetwork implements NativeNetwork {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly network: NativeNetwork) {}

  get inputSize() {
    return this.network.inputSize;
  }
  get outputSize() {
    return this.network.outputSize;
  }
  get forwardFlopsPerSample() {
    return this.network.forwardFlopsPerSample;
  }
  get outputFloatsPerSample() {
    return this.network.outputFloatsPerSample;
  }
  get externalMemory() {
    return this.network.externalMemory;
  }
  getWeights() {
    return this.network.getWeights();
  }
  setWeights(weights: Float32Array[]) {
    this.network.setWeights(weights);
  }
  compile(options: NativeCompileOptions) {
    this.network.compile(options);
  }
  predictSync(x: Float32Array, output: Float32Array, options: { batch: number }) {
    this.network.predictSync(x, output, options);
  }
  dispose() {
    this.network.dispose();
  }

  readWeights() {
    return this.gated(() => this.network.readWeights());
  }
  trainStep(x: Float32Array, y: NativeTargets, options: { batch: number; learningRate: number; seed: number }) {
    return this.gated(() => this.network.trainStep(x, y, options));
  }
  evaluateBatch(x: Float32Array, y: NativeTargets, options: { batch: number }) {
    return this.gated(() => this.network.evaluateBatch(x, y, options));
  }
  predict(x: Float32Array, output: Float32Array, options: { batch: number }) {
    return this.gated(() => this.network.predict(x, output, options));
  }
  activations(x: Float32Array, output: Float32Array, options: { batch: number; layers: number[] }) {
    return this.gated(() => this.network.activations(x, output, options));
  }

  /** Starts `call` now if a slot is free (so bad arguments still throw at once), else in turn. */
  private gated<T>(call: () => Promise<T>): Promise<T> {
    if (this.running < MAX_CALLS_IN_FLIGHT) {
      this.running += 1;
      let promise: Promise<T>;
      try {
        promise = call();
      } catch (error) {
        this.release();
        throw error;
      }
      return promise.finally(() => this.release());
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => call()).finally(() => this.release());
  }

  /** Hands the finished call's slot to the next waiting call, or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

export function createNetwork(layers: NativeLayerSpec[]): NativeNetwork {
  return new GatedNetwork(new Network(layers));
}
