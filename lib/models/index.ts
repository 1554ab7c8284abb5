// Ready-made architectures.
import { Sequential } from '../engine/sequential';
import { optionsObject } from '../errors';
import * as layers from '../layers';
import { adam, cosineDecay } from '../optimizers';

export { resnet, type ResNetArgs } from './resnet';

/** Options of the preset architectures (`ck.models.*`). */
export interface PresetArgs {
  /** Per-sample input shape (default [28, 28, 1]). */
  inputShape?: number[];
  /** Number of classes of the softmax output (default 10). */
  classes?: number;
  /** Integer seed of the weight initializers (default: a random seed). */
  seed?: number;
}

/**
 * The classic Keras convnet for MNIST from "Deep Learning with Python":
 * conv32-pool-conv64-pool-conv64-flatten-dense64-dense10 (93,322 parameters on 28x28x1).
 */
export function kerasMnist(args?: PresetArgs): Sequential {
  const { inputShape = [28, 28, 1], classes = 10, seed } = optionsObject(args, 'kerasMnist');
  return new Sequential({
    name: 'keras_mnist',
    seed,
    layers: [
      layers.conv2d({ inputShape, filters: 32, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.flatten(),
      layers.dense({ units: 64, activation: 'relu' }),
      layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
}

/**
 * LeNet-5 (LeCun et al., 1998) as usually written in Keras for 28x28 input: tanh convolutions
 * with average pooling, then three dense layers (61,706 parameters on 28x28x1).
 */
export function lenet5(args?: PresetArgs): Sequential {
  const { inputShape = [28, 28, 1], classes = 10, seed } = optionsObject(args, 'lenet5');
  return new Sequential({
    name: 'lenet5',
    seed,
    layers: [
      layers.conv2d({ inputShape, filters: 6, kernelSize: 5, padding: 'same', activation: 'tanh' }),
      layers.averagePooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 16, kernelSize: 5, activation: 'tanh' }),
      layers.averagePooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 120, activation: 'tanh' }),
      layers.dense({ units: 84, activation: 'tanh' }),
      layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
}

/**
 * A stronger convnet for 28x28 grey images: three 3x3 convolutions (32, 64, 128 filters) each
 * followed by batch normalization and ReLU, max pooling after the first two, dropout, and a
 * 128-unit dense layer with batch normalization. Train it with `bnConvnetRecipe`.
 */
export function bnConvnet(args?: PresetArgs): Sequential {
  const { inputShape = [28, 28, 1], classes = 10, seed } = optionsObject(args, 'bnConvnet');
  const convBlock = (filters: number, first = false) => [
    layers.conv2d({ ...(first ? { inputShape } : {}), filters, kernelSize: 3, padding: 'same', useBias: false }),
    layers.batchNormalization(),
    layers.activation({ activation: 'relu' }),
  ];
  return new Sequential({
    name: 'bn_convnet',
    seed,
    layers: [
      ...convBlock(32, true),
      layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(64),
      layers.maxPooling2d({ poolSize: 2 }),
      ...convBlock(128),
      layers.dropout({ rate: 0.3 }),
      layers.flatten(),
      layers.dense({ units: 128, useBias: false }),
      layers.batchNormalization(),
      layers.activation({ activation: 'relu' }),
      layers.dropout({ rate: 0.4 }),
      layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
}

/**
 * How bnConvnet is meant to be trained: Adam with a learning rate cosine-decayed from 2e-3 to 2e-5
 * over the whole run.
 * @param samples Training samples per epoch (sets the schedule's length).
 * @param options epochs (default 12) and batchSize (default 128).
 * @returns { epochs, batchSize, optimizer }: pass the optimizer to compile, the rest to fit.
 */
export function bnConvnetRecipe(samples: number, options: { epochs?: number; batchSize?: number } = {}) {
  const epochs = options.epochs ?? 12;
  const batchSize = options.batchSize ?? 128;
  const steps = Math.ceil(samples / batchSize) * epochs;
  return {
    epochs,
    batchSize,
    optimizer: adam({ learningRate: cosineDecay({ initialLearningRate: 2e-3, decaySteps: steps, alpha: 0.01 }) }),
  };
}
