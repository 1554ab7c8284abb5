// Ready-made architectures.
import { Sequential } from '../engine/sequential';
import * as layers from '../layers';

export interface PresetArgs {
  /** Per-sample input shape (default [28, 28, 1]). */
  inputShape?: number[];
  /** Number of classes of the softmax output (default 10). */
  classes?: number;
  /** Seed of the weight initializers. */
  seed?: number;
}

/**
 * The classic Keras convnet for MNIST from "Deep Learning with Python":
 * conv32-pool-conv64-pool-conv64-flatten-dense64-dense10 (93,322 parameters on 28x28x1).
 */
export function kerasMnist(args: PresetArgs = {}): Sequential {
  const { inputShape = [28, 28, 1], classes = 10, seed } = args;
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
export function lenet5(args: PresetArgs = {}): Sequential {
  const { inputShape = [28, 28, 1], classes = 10, seed } = args;
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
