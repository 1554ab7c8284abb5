// The native Network's class axis: compile's `classes` (the length of the output's last axis) splits
// each sample's output into positions, and the cross-entropies and accuracy run over the classes at
// each of them.
import { describe, expect, it } from 'vitest';
import { createNetwork, type NativeLayerSpec, type NativeNetwork, type NativeTargets } from '../../lib/native/network';
import { expectGradientClose, numericGradient } from '../helpers/gradcheck';
import { randomArray, rng } from '../helpers/random';
import { referenceActivation } from '../reference/activation';
import { referenceDense } from '../reference/dense';
import {
  referenceCategoricalCrossentropy,
  referencePixelAccuracy,
  referencePixelSparseCategoricalCrossentropy,
} from '../reference/loss';

const batch = 4;
const dense: NativeLayerSpec = {
  kind: 'dense',
  inFeatures: 4,
  units: 6,
  useBias: true,
  activation: 'linear',
  alpha: 0,
};

/** Dense 4 -> 6, then a softmax over groups of `softmaxAxis` consecutive outputs. */
function network(softmaxAxis: number): NativeNetwork {
  const net = createNetwork([
    dense,
    { kind: 'activation', size: 6, channels: softmaxAxis, activation: 'softmax', alpha: 0 },
  ]);
  const random = rng(softmaxAxis);
  net.setWeights([randomArray(random, 24), randomArray(random, 6)]);
  return net;
}

/** The float64 reference of network(softmaxAxis). */
function forward(softmaxAxis: number, weights: ArrayLike<number>[], x: Float32Array): Float64Array {
  return referenceActivation(
    'softmax',
    0,
    (batch * 6) / softmaxAxis,
    softmaxAxis,
    referenceDense(batch, 4, 6, x, weights[0], weights[1]),
  );
}

/** Checks evaluateBatch's loss and one SGD step's gradient (learning rate 1) against the reference loss of the weights. */
async function expectLossAndGradient(
  net: NativeNetwork,
  x: Float32Array,
  y: NativeTargets,
  lossAt: (weights: ArrayLike<number>[]) => number,
): Promise<void> {
  const before = net.getWeights().map((w) => Float64Array.from(w));
  const evaluated = await net.evaluateBatch(x, y, { batch });
  expect(Math.abs(evaluated.loss - lossAt(before))).toBeLessThan(1e-5 * (1 + lossAt(before)));
  await net.trainStep(x, y, { batch, learningRate: 1, seed: 0 });
  const after = net.getWeights();
  before.forEach((weight, w) => {
    const numeric = numericGradient(
      (changed) => lossAt(before.map((v, j) => (j === w ? changed : v))),
      weight,
      Array.from(weight, (_, i) => i),
    );
    expectGradientClose(
      weight.map((value, i) => value - after[w][i]),
      numeric,
      2e-6,
      1e-4,
      `weight ${w}`,
    );
  });
}

const sgd = { kind: 'sgd' } as const;

describe('compile({ classes })', () => {
  it('takes sparse labels per position and the loss, gradient and accuracy over the classes at each', async () => {
    const random = rng(1);
    const net = network(2);
    net.compile({ loss: 'sparseCategoricalCrossentropy', classes: 2, optimizer: sgd });
    const x = randomArray(random, batch * 4, -2, 2);
    const labels = Int32Array.from({ length: batch * 3 }, () => (random() < 0.5 ? 0 : 1));
    const shape = { n: batch, height: 3, width: 1, classes: 2 };
    const output = new Float32Array(batch * 6);
    net.predictSync(x, output, { batch });
    const evaluated = await net.evaluateBatch(x, labels, { batch });
    expect(evaluated.counted).toBe(batch * 3);
    expect(evaluated.correct / evaluated.counted).toBe(referencePixelAccuracy(shape, output, labels));
    await expectLossAndGradient(net, x, labels, (weights) =>
      referencePixelSparseCategoricalCrossentropy(shape, forward(2, weights, x), labels),
    );
  });

  it('does not fuse a softmax over another axis than the classes with the loss', async () => {
    // The default class axis is the whole output (6), the softmax runs over pairs: the loss is the
    // cross-entropy of the renormalized probabilities, not of a softmax over all 6 logits.
    const random = rng(2);
    const net = network(2);
    net.compile({ loss: 'categoricalCrossentropy', optimizer: sgd });
    const x = randomArray(random, batch * 4, -2, 2);
    const targets = randomArray(random, batch * 6, 0, 1);
    await expectLossAndGradient(net, x, targets, (weights) =>
      referenceCategoricalCrossentropy(batch, 6, forward(2, weights, x), targets),
    );
  });

  it('rejects classes that do not divide the output, and labels not one per position', () => {
    const net = network(3);
    expect(() => net.compile({ loss: 'categoricalCrossentropy', classes: 4, optimizer: sgd })).toThrow(
      new RangeError(
        "compile: classes (4) must divide the output size (6): it is the length of the output's last axis",
      ),
    );
    expect(() => net.compile({ loss: 'categoricalCrossentropy', classes: 0, optimizer: sgd })).toThrow(
      /^compile: classes must be in \[1,/,
    );
    expect(() => net.compile({ loss: 'categoricalCrossentropy', classes: 1.5, optimizer: sgd })).toThrow(
      /^compile: classes must be an integer, got 1.5/,
    );
    net.compile({ loss: 'sparseCategoricalCrossentropy', classes: 3, optimizer: sgd });
    const x = new Float32Array(batch * 4);
    expect(() => net.trainStep(x, new Int32Array(batch), { batch, learningRate: 0.1, seed: 0 })).toThrow(
      new RangeError(
        'trainStep: y must have 8 elements (batch*positions: class indices for the sparse loss, one per position of the output), got 4',
      ),
    );
    expect(() => net.evaluateBatch(x, new Int32Array(batch * 6), { batch })).toThrow(
      new RangeError(
        'evaluateBatch: y must have 8 elements (batch*positions: class indices for the sparse loss, one per position of the output), got 24',
      ),
    );
  });

  it('fails a call whose labels were counted for classes that a compile changed meanwhile', async () => {
    // compile may run while an evaluation waits or runs; the evaluation must not read the labels
    // as laid out for the new classes. Scanning 4M inputs lets compile come first.
    const net = network(3);
    net.compile({ loss: 'sparseCategoricalCrossentropy', classes: 3, optimizer: sgd });
    const many = 1 << 20;
    const evaluation = net.evaluateBatch(new Float32Array(many * 4), new Int32Array(many * 2), { batch: many });
    net.compile({ loss: 'sparseCategoricalCrossentropy', classes: 6, optimizer: sgd });
    await expect(evaluation).rejects.toThrow(
      new RangeError('evaluateBatch: the targets were read for 3 classes but the model is compiled with 6'),
    );
  });
});
