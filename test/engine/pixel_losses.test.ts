// Cross-entropies and accuracy over a spatial output (a segmentation head): as in Keras, one class
// vector per pixel (the last axis), the loss and accuracy averaged over pixels and samples.
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectGradientClose, numericGradient } from '../helpers/gradcheck';
import { oneHot } from '../helpers/data';
import { randomArray, randomLabels, rng, softTargets } from '../helpers/random';
import { referenceActivation } from '../reference/activation';
import { referenceConv2d } from '../reference/conv2d';
import { referenceDense } from '../reference/dense';
import {
  referenceBinaryCrossentropy,
  referenceMeanSquaredError,
  referencePixelAccuracy,
  referencePixelCategoricalCrossentropy,
  referencePixelSparseCategoricalCrossentropy,
  type PixelShape,
} from '../reference/loss';

interface Head {
  name: string;
  inputShape: number[];
  /** The output as [height, width, classes] for the reference (the reshape head's [20, 3] is 20 x 1 pixels). */
  height: number;
  width: number;
  classes: number;
  /** Shape of one sample's class indices: the output shape without its class axis. */
  labelShape: number[];
  build(seed: number): ck.Sequential;
  /** Float64 probabilities [n, height, width, classes] from the given weights, by the reference layers. */
  forward(weights: ArrayLike<number>[], x: Float32Array, n: number): Float64Array;
}

const convCase = (n: number) => ({
  batch: n,
  inHeight: 5,
  inWidth: 4,
  inChannels: 2,
  outChannels: 3,
  kernelHeight: 3,
  kernelWidth: 3,
  strideHeight: 1,
  strideWidth: 1,
  dilationHeight: 1,
  dilationWidth: 1,
  padding: 'same' as const,
});
const convSoftmax = (weights: ArrayLike<number>[], x: Float32Array, n: number) =>
  referenceActivation('softmax', 0, n * 20, 3, referenceConv2d(convCase(n), x, weights[0], weights[1]).output);
const convHead = (seed: number, extra: ck.layers.Layer[] = []) =>
  ck.sequential({
    seed,
    layers: [
      ck.layers.conv2d({ inputShape: [5, 4, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'softmax' }),
      ...extra,
    ],
  });

const heads: Head[] = [
  {
    // The softmax is fused with the loss: training takes the gradient from the logits.
    name: 'conv2d with a softmax activation',
    inputShape: [5, 4, 2],
    height: 5,
    width: 4,
    classes: 3,
    labelShape: [5, 4],
    build: (seed) => convHead(seed),
    forward: convSoftmax,
  },
  {
    name: 'dense, reshape to [3, 4, 3], softmax activation layer',
    inputShape: [6],
    height: 3,
    width: 4,
    classes: 3,
    labelShape: [3, 4],
    build: (seed) =>
      ck.sequential({
        seed,
        layers: [
          ck.layers.dense({ inputShape: [6], units: 36 }),
          ck.layers.reshape({ targetShape: [3, 4, 3] }),
          ck.layers.activation({ activation: 'softmax' }),
        ],
      }),
    forward: (weights, x, n) =>
      referenceActivation('softmax', 0, n * 12, 3, referenceDense(n, 6, 36, x, weights[0], weights[1])),
  },
  {
    // A reshape after the softmax: the loss works from the probabilities (Keras's clipped form).
    name: 'conv2d softmax reshaped to [20, 3]',
    inputShape: [5, 4, 2],
    height: 20,
    width: 1,
    classes: 3,
    labelShape: [20],
    build: (seed) => convHead(seed, [ck.layers.reshape({ targetShape: [20, 3] })]),
    forward: convSoftmax,
  },
];

const pixelShape = (head: Head, n: number): PixelShape => ({
  n,
  height: head.height,
  width: head.width,
  classes: head.classes,
});
const pixelsOf = (head: Head, n: number) => n * head.height * head.width;

/** Class indices as a Tensor (float32, as Keras takes them too). */
function labelTensor(labels: Int32Array, shape: number[]): ck.Tensor {
  return new ck.Tensor(Float32Array.from(labels), shape);
}

/** The class with the largest target at each pixel: what Keras's categorical_accuracy compares with. */
function argmaxPixels(targets: Float32Array, classes: number): Int32Array {
  return Int32Array.from({ length: targets.length / classes }, (_, p) => {
    const row = Array.from(targets.subarray(p * classes, (p + 1) * classes));
    return row.indexOf(Math.max(...row));
  });
}

type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

/** Targets of a loss for n samples of a head, with the class index of each pixel and the reference loss. */
function targetsFor(head: Head, loss: LossName, n: number, random: () => number) {
  const shape = pixelShape(head, n);
  if (loss === 'sparseCategoricalCrossentropy') {
    const labels = randomLabels(random, pixelsOf(head, n), head.classes);
    return {
      y: labelTensor(labels, [n, ...head.labelShape]) as ck.Tensor | Int32Array,
      labels,
      reference: (probs: ArrayLike<number>) => referencePixelSparseCategoricalCrossentropy(shape, probs, labels),
    };
  }
  const targets = softTargets(random, pixelsOf(head, n), head.classes);
  return {
    y: new ck.Tensor(targets, [n, ...head.labelShape, head.classes]) as ck.Tensor | Int32Array,
    labels: argmaxPixels(targets, head.classes),
    reference: (probs: ArrayLike<number>) => referencePixelCategoricalCrossentropy(shape, probs, targets),
  };
}

function expectLossClose(actual: number, expected: number, label: string): void {
  if (!(Math.abs(actual - expected) <= 1e-5 * (1 + Math.abs(expected)))) {
    expect.fail(`${label}: loss is ${actual}, Keras's per-pixel formula gives ${expected}`);
  }
}

const cases = heads.flatMap((head, h) =>
  (['categoricalCrossentropy', 'sparseCategoricalCrossentropy'] as const).map((loss, l) => ({
    head,
    loss,
    seed: 10 * h + l + 1,
    name: `${head.name}, ${loss}`,
  })),
);

describe('a spatial softmax head takes the loss and accuracy per pixel, as Keras', () => {
  it.each(cases)('$name: evaluate gives the per-pixel loss and accuracy', async ({ head, loss, seed }) => {
    // 70 samples are more than one inference slice (64): later slices' labels start 64 samples in.
    const n = 70;
    const random = rng(seed);
    const model = head.build(seed);
    model.compile({ optimizer: 'sgd', loss, metrics: ['accuracy'] });
    const x = new ck.Tensor(randomArray(random, n * head.inputShape.reduce((a, b) => a * b), -2, 2), [
      n,
      ...head.inputShape,
    ]);
    const { y, labels, reference } = targetsFor(head, loss, n, random);
    const probs = head.forward(
      model.getWeights().map((w) => w.data),
      x.data,
      n,
    );
    const accuracy = referencePixelAccuracy(pixelShape(head, n), model.predictSync(x).data, labels);
    // Random weights get some pixels right and some wrong: both counts matter.
    expect(accuracy).toBeGreaterThan(0.1);
    expect(accuracy).toBeLessThan(0.9);
    for (const batchSize of [70, 16]) {
      const result = await model.evaluate(x, y, { batchSize });
      expectLossClose(result.loss, reference(probs), `batchSize ${batchSize}`);
      expect(result.accuracy).toBe(accuracy);
    }
  });

  it.each(cases)('$name: one SGD step follows the gradient of the per-pixel loss', async ({ head, loss, seed }) => {
    const n = 3;
    const random = rng(100 + seed);
    const model = head.build(seed);
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 1 }), loss });
    const x = new ck.Tensor(randomArray(random, n * head.inputShape.reduce((a, b) => a * b), -2, 2), [
      n,
      ...head.inputShape,
    ]);
    const { y, reference } = targetsFor(head, loss, n, random);
    const before = model.getWeights().map((w) => Float64Array.from(w.data));
    const lossAt = (weights: ArrayLike<number>[]) => reference(head.forward(weights, x.data, n));

    expectLossClose(await model.trainOnBatch(x, y), lossAt(before), 'step loss');
    const after = model.getWeights();
    before.forEach((weight, w) => {
      const analytic = weight.map((value, i) => value - after[w].data[i]); // learning rate 1
      const numeric = numericGradient(
        (changed) => lossAt(before.map((v, j) => (j === w ? changed : v))),
        weight,
        Array.from(weight, (_, i) => i),
      );
      expectGradientClose(analytic, numeric, 2e-6, 1e-4, `${head.name} weight ${w}`);
    });
  });
});

describe('training a segmentation head', () => {
  it('fits per-pixel labels [n, h, w] with shuffling and a validation split', async () => {
    // Each pixel's class is its largest input channel: a 1x1 convolution learns it.
    const n = 48;
    const random = rng(5);
    const x = new ck.Tensor(randomArray(random, n * 4 * 4 * 3), [n, 4, 4, 3]);
    const labels = argmaxPixels(x.data, 3);
    const model = ck.sequential({
      seed: 3,
      layers: [ck.layers.conv2d({ inputShape: [4, 4, 3], filters: 3, kernelSize: 1, activation: 'softmax' })],
    });
    model.compile({
      optimizer: ck.optimizers.adam({ learningRate: 0.1 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit(x, labelTensor(labels, [n, 4, 4]), {
      epochs: 20,
      batchSize: 8,
      verbose: 0,
      seed: 2,
      validationSplit: 0.25,
    });
    expect(history.history.loss[19]).toBeLessThan(history.history.loss[0] / 2);
    expect(history.history.accuracy[19]).toBeGreaterThan(0.9);
    expect(history.history.val_accuracy[19]).toBeGreaterThan(0.9);
    const held = new ck.Tensor(x.data.subarray(36 * 48), [12, 4, 4, 3]);
    const result = await model.evaluate(held, labels.subarray(36 * 16), { batchSize: 5 });
    expect(result.accuracy).toBe(history.history.val_accuracy[19]);
    expect(result.loss).toBeCloseTo(history.history.val_loss[19], 6);
  });
});

describe('a 1x1 spatial output is the flat case', () => {
  const random = rng(9);
  const n = 12;
  const x = new ck.Tensor(randomArray(random, n * 4), [n, 1, 1, 4]);
  const labels = randomLabels(random, n, 3);
  const spatial = () =>
    ck.sequential({
      seed: 4,
      layers: [ck.layers.conv2d({ inputShape: [1, 1, 4], filters: 3, kernelSize: 1, activation: 'softmax' })],
    });
  const flat = () =>
    ck.sequential({
      seed: 4,
      layers: [ck.layers.flatten({ inputShape: [1, 1, 4] }), ck.layers.dense({ units: 3, activation: 'softmax' })],
    });

  it("takes labels [n], [n, 1, 1] or [n, 1, 1, 1] and gives the flat model's loss and accuracy", async () => {
    const [a, b] = [spatial(), flat()];
    b.setWeights(a.getWeights().map((w, i) => (i === 0 ? new ck.Tensor(w.data, [4, 3]) : w)));
    for (const model of [a, b])
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const expected = await b.evaluate(x, labels);
    for (const y of [labels, labelTensor(labels, [n, 1, 1]), labelTensor(labels, [n, 1, 1, 1])]) {
      const result = await a.evaluate(x, y);
      expect(result.loss).toBeCloseTo(expected.loss, 6);
      expect(result.accuracy).toBe(expected.accuracy);
    }
    const categorical = spatial();
    categorical.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const fromOneHot = await categorical.evaluate(x, new ck.Tensor(oneHot(labels, 3).data, [n, 1, 1, 3]));
    expect(fromOneHot.loss).toBeCloseTo(expected.loss, 6);
    expect(fromOneHot.accuracy).toBe(expected.accuracy);
  });
});

describe('binary cross-entropy and mean squared error stay means over every element', () => {
  const n = 4;
  const random = rng(21);
  const x = new ck.Tensor(randomArray(random, n * 40, -2, 2), [n, 5, 4, 2]);
  const targets = new ck.Tensor(
    Float32Array.from({ length: n * 60 }, () => (random() < 0.5 ? 0 : 1)),
    [n, 5, 4, 3],
  );

  it.each([
    { loss: 'binaryCrossentropy' as const, activation: 'sigmoid' as const, reference: referenceBinaryCrossentropy },
    { loss: 'meanSquaredError' as const, activation: 'linear' as const, reference: referenceMeanSquaredError },
  ])('$loss', async ({ loss, activation, reference }) => {
    const model = ck.sequential({
      seed: 8,
      layers: [ck.layers.conv2d({ inputShape: [5, 4, 2], filters: 3, kernelSize: 3, padding: 'same', activation })],
    });
    model.compile({ optimizer: 'sgd', loss, metrics: ['accuracy'] });
    const [kernel, bias] = model.getWeights().map((w) => w.data);
    const logits = referenceConv2d(convCase(n), x.data, kernel, bias).output;
    const outputs = activation === 'sigmoid' ? referenceActivation('sigmoid', 0, n * 60, 1, logits) : logits;
    const result = await model.evaluate(x, targets);
    expectLossClose(result.loss, reference(n, 60, outputs, targets.data), loss);
    if (loss === 'binaryCrossentropy') {
      const predicted = model.predictSync(x).data;
      const matches = predicted.reduce((sum, p, i) => sum + (p > 0.5 === targets.data[i] > 0.5 ? 1 : 0), 0);
      expect(result.accuracy).toBe(matches / (n * 60));
    }
  });
});

describe('targets of the wrong shape for a spatial output get a clear error', () => {
  const n = 2;
  const x = new ck.Tensor(randomArray(rng(3), n * 40), [n, 5, 4, 2]);
  const model = (loss: LossName) => {
    const m = convHead(1);
    m.compile({ optimizer: 'sgd', loss });
    return m;
  };

  it('sparse labels: one per pixel, shaped [n, 5, 4] or [n, 5, 4, 1]', async () => {
    const m = model('sparseCategoricalCrossentropy');
    await expect(m.evaluate(x, Int32Array.of(0, 1))).rejects.toThrow(
      new RangeError("y has 2 labels but x's 2 samples need 40, one per position of the output: shape [2, 5, 4]"),
    );
    await expect(m.fit(x, new Int32Array(41), { verbose: 0 })).rejects.toThrow(
      /y has 41 labels but x's 2 samples need 40/,
    );
    const shapeError = /^y: class indices must have shape \[n, 5, 4\] or \[n, 5, 4, 1\], got \[2, 4, 5\]/;
    await expect(m.evaluate(x, new ck.Tensor(new Float32Array(40), [2, 4, 5]))).rejects.toThrow(shapeError);
    await expect(m.evaluate(x, new ck.Tensor(new Float32Array(40), [2, 4, 5]))).rejects.toThrow(RangeError);
    await expect(m.evaluate(x, new ck.Tensor(new Float32Array(120), [2, 5, 4, 3]))).rejects.toThrow(
      /got \[2, 5, 4, 3\] \(one-hot targets go with the loss 'categoricalCrossentropy'\)/,
    );
    await expect(m.evaluate(x, 'labels' as unknown as Int32Array)).rejects.toThrow(
      new TypeError(
        'y must be class indices (Int32Array, Uint8Array, number[] or a Tensor [n, 5, 4]), got string labels',
      ),
    );
  });

  it('sparse labels out of range name the sample and the pixel', async () => {
    const labels = new Int32Array(40);
    labels[20 + 6] = 3;
    await expect(model('sparseCategoricalCrossentropy').trainOnBatch(x, labels)).rejects.toThrow(
      new RangeError('trainStep: label 3 in sample 1 at position 6 of the batch is outside [0, 3)'),
    );
  });

  it('categorical targets: [n, 5, 4, 3]', async () => {
    const m = model('categoricalCrossentropy');
    await expect(m.evaluate(x, new Int32Array(40))).rejects.toThrow(
      new TypeError(
        "y: categoricalCrossentropy expects a Tensor of targets [n, 5, 4, 3] (one-hot for classes); for class indices use the loss 'sparseCategoricalCrossentropy'",
      ),
    );
    await expect(m.evaluate(x, new ck.Tensor(new Float32Array(40), [2, 5, 4]))).rejects.toThrow(
      new RangeError('y must have shape [2, 5, 4, 3] to match x and the model output, got [2, 5, 4]'),
    );
  });
});
