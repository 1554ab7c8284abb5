import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';

describe('BatchNormalization arguments', () => {
  it("has Keras's defaults: momentum 0.99, epsilon 1e-3", () => {
    const layer = ck.layers.batchNormalization();
    expect(layer).toBeInstanceOf(ck.layers.BatchNormalization);
    expect(layer.momentum).toBe(0.99);
    expect(layer.epsilon).toBe(1e-3);
    expect(layer.name).toMatch(/^batch_normalization(_\d+)?$/);
    expect(layer.computeOutputShape([5, 4, 3])).toEqual([5, 4, 3]);
  });

  it.each([
    [{ momentum: 1.5 }, RangeError, /BatchNormalization momentum must be a finite number in \[0, 1\], got 1.5/],
    [{ momentum: '0.9' }, TypeError, /BatchNormalization momentum must be a number, got string 0.9/],
    [{ epsilon: 0 }, RangeError, /BatchNormalization epsilon must be a finite number in \[1e-12, 1\], got 0/],
    [{ epsilon: Number.POSITIVE_INFINITY }, RangeError, /BatchNormalization epsilon must be a finite number/],
  ])('rejects %o', (args, errorClass, message) => {
    expect(() => ck.layers.batchNormalization(args as unknown as ck.layers.BatchNormalizationArgs)).toThrow(errorClass);
    expect(() => ck.layers.batchNormalization(args as unknown as ck.layers.BatchNormalizationArgs)).toThrow(message);
  });

  it('weights per channel (last axis): gamma, beta trainable; moving mean and variance not', () => {
    expect(ck.layers.batchNormalization().weightSpecs([6, 6, 3])).toEqual([
      { name: 'gamma', shape: [3], initializer: 'ones', trainable: true },
      { name: 'beta', shape: [3], initializer: 'zeros', trainable: true },
      { name: 'moving_mean', shape: [3], initializer: 'zeros', trainable: false },
      { name: 'moving_variance', shape: [3], initializer: 'ones', trainable: false },
    ]);
    expect(
      ck.layers
        .batchNormalization()
        .weightSpecs([10])
        .map((w) => w.shape),
    ).toEqual([[10], [10], [10], [10]]);
  });
});

describe('BatchNormalization through a model', () => {
  const gamma = [2, 0.5, -1];
  const beta = [0.1, -0.2, 3];
  const mean = [1, -2, 0.5];
  const variance = [4, 0.25, 9];

  function expected(x: Float32Array, channels: number, epsilon: number): Float64Array {
    return Float64Array.from(x, (v, i) => {
      const c = i % channels;
      return (gamma[c] * (v - mean[c])) / Math.sqrt(variance[c] + epsilon) + beta[c];
    });
  }

  it('inference normalizes with the moving statistics (set via setWeights), per channel of NHWC input', () => {
    const random = rng(1);
    const model = ck.sequential({ layers: [ck.layers.batchNormalization({ inputShape: [2, 3, 3] })] });
    model.setWeights([gamma, beta, mean, variance].map((w) => ck.tensor(w)));
    const x = randomArray(random, 2 * 2 * 3 * 3, -3, 3);
    const y = model.predictSync(new ck.Tensor(x, [2, 2, 3, 3]));
    expectClose(y.data, expected(x, 3, 1e-3), { atol: 1e-5, rtol: 1e-5 }, 'bn inference');
  });

  it('uses the configured epsilon, and works on flat features', () => {
    const model = ck.sequential({ layers: [ck.layers.batchNormalization({ inputShape: [3], epsilon: 0.5 })] });
    model.setWeights([gamma, beta, mean, variance].map((w) => ck.tensor(w)));
    const x = Float32Array.from([1, -2, 0.5, 3, 0, -1]);
    const y = model.predictSync(new ck.Tensor(x, [2, 3]));
    // At x = mean the output is beta exactly.
    expectClose(y.data.subarray(0, 3), beta, { atol: 1e-6, rtol: 0 }, 'x = mean');
    expectClose(y.data, expected(x, 3, 0.5), { atol: 1e-5, rtol: 1e-5 }, 'epsilon 0.5');
  });

  it('training normalizes with the batch statistics and moves the moving statistics by (1 - momentum)', async () => {
    const random = rng(2);
    const [n, channels] = [16, 2];
    const momentum = 0.9;
    const model = ck.sequential({ layers: [ck.layers.batchNormalization({ inputShape: [channels], momentum })] });
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
    const movingMean = [0.5, -1];
    const movingVariance = [2, 3];
    model.setWeights([ck.tensor([1, 1]), ck.tensor([0, 0]), ck.tensor(movingMean), ck.tensor(movingVariance)]);
    const x = randomArray(random, n * channels, -1, 3);
    const batchMean = [0, 0];
    const batchVariance = [0, 0];
    for (let i = 0; i < n * channels; i++) batchMean[i % channels] += x[i] / n;
    for (let i = 0; i < n * channels; i++) batchVariance[i % channels] += (x[i] - batchMean[i % channels]) ** 2 / n;

    // MSE against zero targets of the batch-normalized output: mean over channels of var / (var + eps).
    const loss = await model.trainOnBatch(
      new ck.Tensor(x, [n, channels]),
      new ck.Tensor(new Float32Array(n * channels), [n, channels]),
    );
    const expectedLoss = batchVariance.reduce((sum, v) => sum + v / (v + 1e-3), 0) / channels;
    expect(loss).toBeCloseTo(expectedLoss, 5);

    const [, , newMean, newVariance] = model.getWeights();
    expectClose(
      newMean.data,
      movingMean.map((m, c) => momentum * m + (1 - momentum) * batchMean[c]),
      { atol: 1e-6, rtol: 1e-5 },
      'moving mean',
    );
    // Keras uses the biased batch variance (divide by n, not n - 1).
    expectClose(
      newVariance.data,
      movingVariance.map((v, c) => momentum * v + (1 - momentum) * batchVariance[c]),
      { atol: 1e-6, rtol: 1e-5 },
      'moving variance',
    );
  });
});
