// The layer factories (ck.layers.conv2d(...), as tf.layers) and the registry that rebuilds a
// layer from its serialized { className, config }.
import {
  Activation,
  Dense,
  Dropout,
  Flatten,
  Reshape,
  type ActivationArgs,
  type DenseArgs,
  type DropoutArgs,
  type ReshapeArgs,
} from './core';
import {
  Conv2D,
  DepthwiseConv2D,
  SeparableConv2D,
  type Conv2DArgs,
  type DepthwiseConv2DArgs,
  type SeparableConv2DArgs,
} from './convolutional';
import {
  AveragePooling2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  MaxPooling2D,
  type Pooling2DArgs,
} from './pooling';
import { BatchNormalization, type BatchNormalizationArgs } from './normalization';
import {
  ELU,
  LeakyReLU,
  Maxout,
  PReLU,
  ReLU,
  type ELUArgs,
  type LeakyReLUArgs,
  type MaxoutArgs,
  type PReLUArgs,
  type ReLUArgs,
} from './advanced_activations';
import { Layer, type LayerArgs, type LayerConfig } from './base';
import { Add, Average, Concatenate, Maximum, Merge, Multiply, type ConcatenateArgs } from './merge';

export {
  Layer,
  Merge,
  Add,
  Average,
  Maximum,
  Multiply,
  Concatenate,
  Conv2D,
  DepthwiseConv2D,
  SeparableConv2D,
  Dense,
  Flatten,
  Reshape,
  Dropout,
  Activation,
  MaxPooling2D,
  AveragePooling2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  BatchNormalization,
  LeakyReLU,
  ELU,
  Maxout,
  ReLU,
  PReLU,
};
export type {
  ConcatenateArgs,
  LayerArgs,
  LayerConfig,
  Conv2DArgs,
  DepthwiseConv2DArgs,
  SeparableConv2DArgs,
  DenseArgs,
  DropoutArgs,
  ReshapeArgs,
  ActivationArgs,
  Pooling2DArgs,
  BatchNormalizationArgs,
  LeakyReLUArgs,
  ELUArgs,
  MaxoutArgs,
  ReLUArgs,
  PReLUArgs,
};
export type { WeightSpec } from './base';

/**
 * A 2-D convolution over NHWC images: [h, w, inChannels] -> [outH, outW, filters], with an optional
 * fused bias and activation (Keras's Conv2D).
 * @throws {TypeError} when args is not an object or an option has the wrong type.
 * @throws {RangeError} when an option is out of range (filters < 1, an unknown padding, ...).
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.sequential({
 *   layers: [
 *     ck.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
 *     ck.layers.conv2d({ filters: 16, kernelSize: [3, 3], strides: 2, activation: 'relu' }),
 *   ],
 * });
 * console.log(model.outputShape); // [13, 13, 16]
 * ```
 */
export const conv2d = (args: Conv2DArgs) => new Conv2D(args);

/**
 * A depthwise 2-D convolution over NHWC images: each input channel convolved with its own
 * `depthMultiplier` kernels, [h, w, c] -> [outH, outW, c * depthMultiplier], with an optional bias
 * and activation (Keras's DepthwiseConv2D; MobileNet's 3x3 layers). relu and leakyRelu are fused
 * into the kernel.
 * @throws {TypeError} when args is not an object or an option has the wrong type.
 * @throws {RangeError} when an option is out of range (depthMultiplier < 1, an unknown padding, ...).
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.sequential({
 *   layers: [
 *     ck.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 1, activation: 'relu' }),
 *     ck.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
 *   ],
 * });
 * console.log(model.outputShape); // [16, 16, 16]
 * ```
 */
export const depthwiseConv2d = (args: DepthwiseConv2DArgs) => new DepthwiseConv2D(args);

/**
 * A depthwise-separable 2-D convolution: a depthwise convolution, then a pointwise 1x1 convolution
 * to `filters` channels with the bias and the activation, [h, w, c] -> [outH, outW, filters]
 * (Keras's SeparableConv2D; Xception's layers). Far fewer weights and multiply-adds than a Conv2D.
 * @throws {TypeError} when args is not an object or an option has the wrong type.
 * @throws {RangeError} when an option is out of range (filters < 1, depthMultiplier < 1, ...).
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.sequential({
 *   layers: [
 *     ck.layers.separableConv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
 *     ck.layers.separableConv2d({ filters: 16, kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
 *   ],
 * });
 * console.log(model.outputShape); // [26, 26, 16]
 * ```
 */
export const separableConv2d = (args: SeparableConv2DArgs) => new SeparableConv2D(args);

/**
 * A fully connected layer: [features] -> [units], with an optional fused bias and activation
 * (Keras's Dense). Its input must be flat: put `flatten()` after convolutions.
 * @throws {TypeError} when args is not an object or an option has the wrong type.
 * @throws {RangeError} when units is not a positive integer or a name is unknown.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.sequential({
 *   layers: [
 *     ck.layers.dense({ inputShape: [4], units: 16, activation: 'relu' }),
 *     ck.layers.dense({ units: 3, activation: 'softmax' }),
 *   ],
 * });
 * const probabilities = await model.predict(ck.tensor([[0.1, 0.2, 0.3, 0.4]])); // Tensor [1, 3]
 * ```
 */
export const dense = (args: DenseArgs) => new Dense(args);

/** Flattens each sample to one axis, [h, w, c] -> [h * w * c], in NHWC order; no weights, no copy. */
export const flatten = (args?: LayerArgs) => new Flatten(args);

/**
 * Gives each sample the shape `targetShape` (one entry may be -1); no weights, no copy.
 * @throws {RangeError} at build time when the sizes do not match.
 */
export const reshape = (args: ReshapeArgs) => new Reshape(args);

/** Inverted dropout of `rate` of the values in training; the identity in predict and evaluate. */
export const dropout = (args: DropoutArgs) => new Dropout(args);

/** Applies an activation function elementwise (softmax: over the last axis); no weights. */
export const activation = (args: ActivationArgs) => new Activation(args);

/** Max pooling over windows of each channel (default 2x2, stride = pool size, 'valid'). */
export const maxPooling2d = (args?: Pooling2DArgs) => new MaxPooling2D(args);

/** Average pooling over windows of each channel (default 2x2, stride = pool size, 'valid'). */
export const averagePooling2d = (args?: Pooling2DArgs) => new AveragePooling2D(args);

/** The mean of each feature map: [h, w, c] -> [c]. */
export const globalAveragePooling2d = (args?: LayerArgs) => new GlobalAveragePooling2D(args);

/** The max of each feature map: [h, w, c] -> [c]. */
export const globalMaxPooling2d = (args?: LayerArgs) => new GlobalMaxPooling2D(args);

/**
 * Batch normalization over the last axis (channels): batch statistics in training, moving
 * statistics in predict and evaluate. Weights: gamma, beta, moving_mean, moving_variance.
 */
export const batchNormalization = (args?: BatchNormalizationArgs) => new BatchNormalization(args);

/** Leaky ReLU as a layer: x for x >= 0, alpha * x below (default alpha 0.3). */
export const leakyReLU = (args?: LeakyReLUArgs) => new LeakyReLU(args);

/** ELU as a layer: x for x > 0, alpha * (exp(x) - 1) below (default alpha 1.0). */
export const elu = (args?: ELUArgs) => new ELU(args);

/**
 * Keras's ReLU layer: max(x, 0), or with `maxValue: 6` min(max(x, 0), 6) (MobileNet's ReLU6).
 * @throws {RangeError} for another maxValue, or a negativeSlope or threshold other than 0.
 */
export const reLU = (args?: ReLUArgs) => new ReLU(args);

/**
 * Keras's PReLU: x for x > 0, alpha * x below, with alpha learned per channel (sharedAxes [1, 2]
 * for [h, w, c] images) or per value of a flat input (sharedAxes null). Weight: alpha, shaped
 * like the input with 1 on the shared axes.
 * @throws {RangeError} at build time for other sharedAxes.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const layer = ck.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: 'zeros' });
 * ```
 */
export const prelu = (args?: PReLUArgs) => new PReLU(args);

/**
 * Max over groups of `pieces` consecutive values of the last axis: [..., c] -> [..., c / pieces].
 * @throws {RangeError} at build time when pieces does not divide the last axis.
 */
export const maxout = (args: MaxoutArgs) => new Maxout(args);

/**
 * The sum of two or more inputs of one shape: a residual connection. Apply it to an array,
 * `ck.layers.add().apply([a, b])`, in a model made with `ck.model`.
 */
export const add = (args?: LayerArgs) => new Add(args);

/** The elementwise mean of two or more inputs of one shape. */
export const average = (args?: LayerArgs) => new Average(args);

/** The elementwise maximum of two or more inputs of one shape. */
export const maximum = (args?: LayerArgs) => new Maximum(args);

/**
 * The elementwise product of two or more inputs of one shape, or of [h, w, c] maps and a [1, 1, c]
 * (or [c]) gate broadcast over their positions: squeeze-excite.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const x = ck.input({ shape: [8, 8, 16] });
 * const squeeze = ck.layers.globalAveragePooling2d().apply(x);
 * const gate = ck.layers.dense({ units: 16, activation: 'sigmoid' }).apply(
 *   ck.layers.dense({ units: 4, activation: 'relu' }).apply(squeeze));
 * const excited = ck.layers.multiply().apply([x, gate]);
 * ```
 */
export const multiply = (args?: LayerArgs) => new Multiply(args);

/** Joins two or more inputs along the channel (last) axis: [h, w, c1] + [h, w, c2] -> [h, w, c1 + c2]. */
export const concatenate = (args?: ConcatenateArgs) => new Concatenate(args);

// biome-ignore lint/suspicious/noExplicitAny: each class takes its own args type; deserializeLayer checks the class name first
const registry: Record<string, new (config: any) => Layer> = {
  Conv2D,
  DepthwiseConv2D,
  SeparableConv2D,
  Dense,
  Flatten,
  Reshape,
  Dropout,
  Activation,
  MaxPooling2D,
  AveragePooling2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  BatchNormalization,
  LeakyReLU,
  ELU,
  Maxout,
  ReLU,
  PReLU,
  Add,
  Average,
  Maximum,
  Multiply,
  Concatenate,
};

/** Rebuilds a layer from { className, config }; an unknown class is a RangeError naming it. */
export function deserializeLayer(serialized: { className: unknown; config: unknown }): Layer {
  const { className, config } = serialized;
  if (typeof className !== 'string' || !Object.hasOwn(registry, className)) {
    throw new RangeError(`unknown layer class '${String(className)}' (known: ${Object.keys(registry).join(', ')})`);
  }
  if (config === null || typeof config !== 'object')
    throw new TypeError(`layer config of ${className} must be an object`);
  return new registry[className](config as LayerConfig);
}
