// The layer factories (ck.layers.conv2d(...), as tf.layers) and the registry that rebuilds a
// layer from its serialized { className, config }.
import { Activation, Dense, Dropout, Flatten, Reshape, type ActivationArgs, type DenseArgs, type DropoutArgs, type ReshapeArgs } from './core';
import { Conv2D, type Conv2DArgs } from './convolutional';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, type Pooling2DArgs } from './pooling';
import { BatchNormalization, type BatchNormalizationArgs } from './normalization';
import { ELU, LeakyReLU, Maxout, type ELUArgs, type LeakyReLUArgs, type MaxoutArgs } from './advanced_activations';
import { Layer, type LayerArgs, type LayerConfig } from './base';

export { Layer, Conv2D, Dense, Flatten, Reshape, Dropout, Activation, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, BatchNormalization, LeakyReLU, ELU, Maxout };
export type { LayerArgs, LayerConfig, Conv2DArgs, DenseArgs, DropoutArgs, ReshapeArgs, ActivationArgs, Pooling2DArgs, BatchNormalizationArgs, LeakyReLUArgs, ELUArgs, MaxoutArgs };
export type { WeightSpec } from './base';

export const conv2d = (args: Conv2DArgs) => new Conv2D(args);
export const dense = (args: DenseArgs) => new Dense(args);
export const flatten = (args?: LayerArgs) => new Flatten(args);
export const reshape = (args: ReshapeArgs) => new Reshape(args);
export const dropout = (args: DropoutArgs) => new Dropout(args);
export const activation = (args: ActivationArgs) => new Activation(args);
export const maxPooling2d = (args?: Pooling2DArgs) => new MaxPooling2D(args);
export const averagePooling2d = (args?: Pooling2DArgs) => new AveragePooling2D(args);
export const globalAveragePooling2d = (args?: LayerArgs) => new GlobalAveragePooling2D(args);
export const globalMaxPooling2d = (args?: LayerArgs) => new GlobalMaxPooling2D(args);
export const batchNormalization = (args?: BatchNormalizationArgs) => new BatchNormalization(args);
export const leakyReLU = (args?: LeakyReLUArgs) => new LeakyReLU(args);
export const elu = (args?: ELUArgs) => new ELU(args);
export const maxout = (args: MaxoutArgs) => new Maxout(args);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const registry: Record<string, new (config: any) => Layer> = {
  Conv2D, Dense, Flatten, Reshape, Dropout, Activation, MaxPooling2D, AveragePooling2D,
  GlobalAveragePooling2D, GlobalMaxPooling2D, BatchNormalization, LeakyReLU, ELU, Maxout,
};

/** Rebuilds a layer from { className, config }; an unknown class is a RangeError naming it. */
export function deserializeLayer(serialized: { className: unknown; config: unknown }): Layer {
  const { className, config } = serialized;
  if (typeof className !== 'string' || !Object.hasOwn(registry, className)) {
    throw new RangeError(`unknown layer class '${String(className)}' (known: ${Object.keys(registry).join(', ')})`);
  }
  if (config === null || typeof config !== 'object') throw new TypeError(`layer config of ${className} must be an object`);
  return new registry[className](config as LayerConfig);
}
