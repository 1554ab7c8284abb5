// Small synthetic data sets for model tests.
import { type Sequential, Tensor, layers, sequential } from '../../lib';
import { rng } from './random';

/**
 * `n` 8x8 single-channel images in `classes` classes: class c has a bright 3x3 blob at a position
 * that depends on c, plus noise. Separable by a small convnet.
 */
export function blobImages(n: number, classes: number, seed: number): { x: Tensor; y: Int32Array } {
  const random = rng(seed);
  const size = 8;
  const x = new Float32Array(n * size * size);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    y[i] = c;
    const top = (c * 3) % (size - 2);
    const left = Math.floor((c * 5) / 2) % (size - 2);
    for (let p = 0; p < size * size; p++) x[i * size * size + p] = 0.2 * random();
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++) x[i * size * size + (top + dy) * size + left + dx] += 1;
    }
  }
  return { x: new Tensor(x, [n, size, size, 1]), y };
}

/** One-hot targets [n, classes] from class indices. */
export function oneHot(labels: Int32Array, classes: number): Tensor {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((c, i) => {
    out[i * classes + c] = 1;
  });
  return new Tensor(out, [labels.length, classes]);
}

/** The convnet the model tests train on blobImages: conv 4x3x3 relu, max pool 2, dense softmax. */
export function smallConvnet(seed = 1, classes = 4): Sequential {
  return sequential({
    seed,
    layers: [
      layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
}
