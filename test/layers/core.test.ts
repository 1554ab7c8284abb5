import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';
import { referenceActivation } from '../reference/activation';
import { activationNames } from '../../lib/activations';

/** Predicts x with a model made of the given layers (the first has its inputShape). */
function run(layers: ck.layers.Layer[], x: ck.Tensor, weights?: ck.Tensor[]): ck.Tensor {
  const model = ck.sequential({ layers, seed: 1 });
  if (weights) model.setWeights(weights);
  return model.predictSync(x);
}

describe('Dense', () => {
  it("has Keras's defaults", () => {
    const layer = ck.layers.dense({ units: 3 });
    expect(layer).toBeInstanceOf(ck.layers.Dense);
    expect(layer.units).toBe(3);
    expect(layer.activation).toBe('linear');
    expect(layer.useBias).toBe(true);
    expect(layer.kernelInitializer).toBe('glorotUniform');
    expect(layer.biasInitializer).toBe('zeros');
    expect(layer.name).toMatch(/^dense(_\d+)?$/);
  });

  it.each([
    [{ units: 0 }, RangeError, /Dense units must be a positive integer, got 0/],
    [{}, TypeError, /Dense units must be a positive integer, got undefined/],
    [
      { units: 4, activation: 'Swish' },
      RangeError,
      /Dense activation must be one of linear, relu, leakyRelu, elu, sigmoid, tanh, softmax, relu6, swish, hardSwish, hardSigmoid, gelu, softplus, selu, mish; got 'Swish'/,
    ],
    [{ units: 4, useBias: 'false' }, TypeError, /Dense useBias must be a boolean, got string false/],
    [{ units: 4, biasInitializer: 'two' }, RangeError, /Dense biasInitializer must be one of/],
  ])('rejects %o', (args, errorClass, message) => {
    expect(() => ck.layers.dense(args as unknown as ck.layers.DenseArgs)).toThrow(errorClass);
    expect(() => ck.layers.dense(args as unknown as ck.layers.DenseArgs)).toThrow(message);
  });

  it('wants a flat input, and says to add a flatten layer', () => {
    const layer = ck.layers.dense({ units: 2, name: 'head' });
    expect(layer.computeOutputShape([17])).toEqual([2]);
    expect(() => layer.computeOutputShape([4, 4, 1])).toThrow(
      /Dense 'head': expects flat \[features\] \(add a flatten layer before it\) input of rank 1 per sample, got shape \[4, 4, 1\]/,
    );
  });

  it('weights: kernel [in, units] then bias [units]', () => {
    expect(ck.layers.dense({ units: 5 }).weightSpecs([7])).toEqual([
      { name: 'kernel', shape: [7, 5], initializer: 'glorotUniform', trainable: true },
      { name: 'bias', shape: [5], initializer: 'zeros', trainable: true },
    ]);
    expect(
      ck.layers
        .dense({ units: 5, useBias: false })
        .weightSpecs([7])
        .map((w) => w.name),
    ).toEqual(['kernel']);
  });

  it('computes activation(x . kernel + bias) with a row-major [in, units] kernel', () => {
    const x = ck.tensor([
      [1, 2, 3],
      [-1, 0, 2],
    ]);
    const kernel = ck.tensor([
      [1, 0],
      [0, -1],
      [2, 1],
    ]);
    const bias = ck.tensor([0.5, -1]);
    const y = run([ck.layers.dense({ inputShape: [3], units: 2 })], x, [kernel, bias]);
    // [1 + 6 + 0.5, -2 + 3 - 1], [-1 + 4 + 0.5, 0 + 2 - 1]
    expect(y.toArray()).toEqual([
      [7.5, 0],
      [3.5, 1],
    ]);
    const relu = run([ck.layers.dense({ inputShape: [3], units: 2, activation: 'relu', useBias: false })], x, [kernel]);
    expect(relu.toArray()).toEqual([
      [7, 1],
      [3, 2],
    ]);
    const negated = run([ck.layers.dense({ inputShape: [3], units: 2, activation: 'relu', useBias: false })], x, [
      ck.tensor(
        [
          [-1, 0],
          [0, 1],
          [-2, -1],
        ],
        [3, 2],
      ),
    ]);
    expect(negated.toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('a frozen layer (trainable: false) keeps its weights during training', async () => {
    const model = ck.sequential({
      seed: 1,
      layers: [ck.layers.dense({ inputShape: [2], units: 2, trainable: false }), ck.layers.dense({ units: 1 })],
    });
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const before = model.getWeights();
    await model.trainOnBatch(ck.tensor([[1, 2]]), ck.tensor([[5]]));
    expect(model.getWeights()[0].data).toEqual(before[0].data);
  });

  it('random case against a float64 reference, with sigmoid', () => {
    const random = rng(3);
    const [n, inF, units] = [5, 9, 4];
    const x = randomArray(random, n * inF);
    const kernel = randomArray(random, inF * units);
    const bias = randomArray(random, units);
    const y = run([ck.layers.dense({ inputShape: [inF], units, activation: 'sigmoid' })], new ck.Tensor(x, [n, inF]), [
      new ck.Tensor(kernel, [inF, units]),
      new ck.Tensor(bias, [units]),
    ]);
    const expected = new Float64Array(n * units);
    for (let i = 0; i < n; i++) {
      for (let u = 0; u < units; u++) {
        let sum = bias[u];
        for (let k = 0; k < inF; k++) sum += x[i * inF + k] * kernel[k * units + u];
        expected[i * units + u] = 1 / (1 + Math.exp(-sum));
      }
    }
    expectClose(y.data, expected, { atol: 1e-6, rtol: 1e-5 }, 'dense sigmoid');
  });
});

describe('Flatten', () => {
  it('[h, w, c] -> [h*w*c], no weights', () => {
    const layer = ck.layers.flatten();
    expect(layer).toBeInstanceOf(ck.layers.Flatten);
    expect(layer.name).toMatch(/^flatten(_\d+)?$/);
    expect(layer.computeOutputShape([3, 4, 5])).toEqual([60]);
    expect(layer.weightSpecs([3, 4, 5])).toEqual([]);
  });

  it('orders features as NHWC: the dense row for (h, w, c) is (h*W + w)*C + c', () => {
    const [h, w, c] = [2, 3, 2];
    const size = h * w * c;
    // x[h][w][c] = 100h + 10w + c; an identity dense kernel reads the flattened features back.
    const x = new Float32Array(size);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) x[(i * w + j) * c + k] = 100 * i + 10 * j + k;
    const identity = new Float32Array(size * size);
    for (let i = 0; i < size; i++) identity[i * size + i] = 1;
    const y = run(
      [ck.layers.flatten({ inputShape: [h, w, c] }), ck.layers.dense({ units: size, useBias: false })],
      new ck.Tensor(x, [1, h, w, c]),
      [new ck.Tensor(identity, [size, size])],
    );
    expect(y.shape).toEqual([1, 12]);
    expect(Array.from(y.data)).toEqual([0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121]);
    // Feature 7 is (h=1, w=0, c=1): a kernel picking row 7 reads 101.
    const pick = new Float32Array(size);
    pick[7] = 1;
    const picked = run(
      [ck.layers.flatten({ inputShape: [h, w, c] }), ck.layers.dense({ units: 1, useBias: false })],
      new ck.Tensor(x, [1, h, w, c]),
      [new ck.Tensor(pick, [size, 1])],
    );
    expect(picked.data[0]).toBe(101);
  });
});

describe('Reshape', () => {
  it('infers one -1 and validates the target shape', () => {
    expect(ck.layers.reshape({ targetShape: [-1] }).computeOutputShape([3, 4, 5])).toEqual([60]);
    expect(ck.layers.reshape({ targetShape: [2, -1, 3] }).computeOutputShape([4, 9])).toEqual([2, 6, 3]);
    expect(ck.layers.reshape({ targetShape: [6, 2] }).computeOutputShape([3, 4])).toEqual([6, 2]);
    const layer = ck.layers.reshape({ targetShape: [4, -1], name: 'r' });
    expect(() => layer.computeOutputShape([2, 3])).toThrow(
      /Reshape 'r': cannot reshape \[2, 3\] \(6 values\) to \[4, -1\]/,
    );
    expect(() => ck.layers.reshape({ targetShape: [5] }).computeOutputShape([2, 3])).toThrow(
      /cannot reshape \[2, 3\] \(6 values\) to \[5\]/,
    );
  });

  it.each([
    [{ targetShape: [] }, RangeError, /Reshape targetShape must have at least one dimension, got \[\]/],
    [{ targetShape: 6 }, TypeError, /Reshape targetShape must be a non-empty array, got number 6/],
    [{ targetShape: [-1, 2, -1] }, RangeError, /Reshape targetShape may contain at most one -1/],
    [{ targetShape: [3, 0] }, RangeError, /Reshape targetShape\[1\] must be a positive integer, got 0/],
    [{ targetShape: [-2, 3] }, RangeError, /Reshape targetShape\[0\] must be a positive integer, got -2/],
  ])('rejects %o', (args, errorClass, message) => {
    expect(() => ck.layers.reshape(args as unknown as ck.layers.ReshapeArgs)).toThrow(errorClass);
    expect(() => ck.layers.reshape(args as unknown as ck.layers.ReshapeArgs)).toThrow(message);
  });

  it('keeps the values in order through a model', () => {
    const x = ck.tensor(
      Float32Array.from({ length: 12 }, (_, i) => i - 5),
      [2, 6],
    );
    const y = run([ck.layers.reshape({ inputShape: [6], targetShape: [3, -1] })], x);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
  });
});

describe('Dropout', () => {
  it('validates the rate in [0, 1)', () => {
    expect(ck.layers.dropout({ rate: 0 }).rate).toBe(0);
    expect(ck.layers.dropout({ rate: 0.5 }).rate).toBe(0.5);
    expect(() => ck.layers.dropout({ rate: 1 })).toThrow(
      /Dropout rate must be a finite number in \[0, 0.999999\], got 1/,
    );
    expect(() => ck.layers.dropout({ rate: -0.1 })).toThrow(RangeError);
    expect(() => ck.layers.dropout({} as ck.layers.DropoutArgs)).toThrow(
      /Dropout rate must be a number, got undefined/,
    );
    expect(ck.layers.dropout({ rate: 0.3 }).computeOutputShape([4, 4, 2])).toEqual([4, 4, 2]);
  });

  it('is the identity in predict and evaluate', async () => {
    const random = rng(9);
    const x = new ck.Tensor(randomArray(random, 4 * 50), [4, 50]);
    const y = run([ck.layers.dropout({ inputShape: [50], rate: 0.9 })], x);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));

    // Same loss with and without the dropout layer in inference mode.
    const withDropout = ck.sequential({
      seed: 2,
      layers: [
        ck.layers.dropout({ inputShape: [50], rate: 0.5 }),
        ck.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const without = ck.sequential({
      seed: 2,
      layers: [ck.layers.dense({ inputShape: [50], units: 3, activation: 'softmax' })],
    });
    without.setWeights(withDropout.getWeights());
    for (const model of [withDropout, without])
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const labels = Int32Array.from([0, 1, 2, 1]);
    expect((await withDropout.evaluate(x, labels)).loss).toBe((await without.evaluate(x, labels)).loss);
  });

  it('drops inputs in training: a dropout-before-dense model trains differently from one without', async () => {
    const random = rng(10);
    const x = new ck.Tensor(randomArray(random, 8 * 20), [8, 20]);
    const targets = new ck.Tensor(randomArray(random, 8 * 2), [8, 2]);
    const make = (rate: number) => {
      const model = ck.sequential({
        seed: 4,
        layers: [ck.layers.dropout({ inputShape: [20], rate }), ck.layers.dense({ units: 2 })],
      });
      model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      return model;
    };
    const evaluated = await make(0.5).evaluate(x, targets);
    const dropped = make(0.5);
    const kept = make(0);
    // The training loss sees dropped inputs (scaled by 1 / (1 - rate)), so it differs from the inference loss.
    expect(await dropped.trainOnBatch(x, targets)).not.toBeCloseTo(evaluated.loss, 4);
    expect(await kept.trainOnBatch(x, targets)).toBeCloseTo(evaluated.loss, 5);
  });
});

describe('Activation', () => {
  it('defaults alpha per activation (leakyRelu 0.3, elu 1) and validates names', () => {
    expect(ck.layers.activation({ activation: 'leakyRelu' }).alpha).toBe(0.3);
    expect(ck.layers.activation({ activation: 'elu' }).alpha).toBe(1);
    expect(ck.layers.activation({ activation: 'relu' }).alpha).toBe(0);
    expect(ck.layers.activation({ activation: 'elu', alpha: 0.5 }).alpha).toBe(0.5);
    expect(() => ck.layers.activation({ activation: 'gelu_approximate' as 'relu' })).toThrow(
      /Activation activation must be one of .*; got 'gelu_approximate'/,
    );
    expect(() => ck.layers.activation({ activation: 'elu', alpha: Number.NaN })).toThrow(
      /Activation alpha must be a finite number/,
    );
  });

  it('softmax over the last axis: rows sum to 1, equal exp(x) / sum, stable for large inputs', () => {
    const x = ck.tensor([
      [
        [1, 2, 3, 4],
        [1000, 1000, 999, -1000],
      ],
      [
        [0, 0, 0, 0],
        [-5, 5, -5, 5],
      ],
    ]);
    const y = run([ck.layers.activation({ inputShape: [2, 4], activation: 'softmax' })], x);
    expect(y.shape).toEqual([2, 2, 4]);
    for (let row = 0; row < 4; row++) {
      const slice = Array.from(y.data.subarray(row * 4, row * 4 + 4));
      expect(slice.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      expect(slice.every(Number.isFinite)).toBe(true);
    }
    const e = [1, 2, 3, 4].map((v) => Math.exp(v - 4));
    const sum = e.reduce((a, b) => a + b, 0);
    expectClose(
      y.data.subarray(0, 4),
      e.map((v) => v / sum),
      { atol: 1e-7, rtol: 1e-6 },
      'softmax row 0',
    );
    const big = 1 / (2 + Math.exp(-1));
    expectClose(y.data.subarray(4, 8), [big, big, big * Math.exp(-1), 0], { atol: 1e-7, rtol: 1e-6 }, 'softmax large');
    expect(Array.from(y.data.subarray(8, 12))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('elementwise activations', () => {
    const values = [-2, -0.5, 0, 0.5, 3];
    const x = ck.tensor([values]);
    const cases: [ck.ActivationName, number | undefined, (v: number) => number][] = [
      ['linear', undefined, (v) => v],
      ['relu', undefined, (v) => Math.max(v, 0)],
      ['leakyRelu', undefined, (v) => (v < 0 ? 0.3 * v : v)],
      ['leakyRelu', 0.01, (v) => (v < 0 ? 0.01 * v : v)],
      ['elu', undefined, (v) => (v < 0 ? Math.exp(v) - 1 : v)],
      ['elu', 2, (v) => (v < 0 ? 2 * (Math.exp(v) - 1) : v)],
      ['sigmoid', undefined, (v) => 1 / (1 + Math.exp(-v))],
      ['tanh', undefined, Math.tanh],
    ];
    for (const [activation, alpha, f] of cases) {
      const y = run([ck.layers.activation({ inputShape: [5], activation, alpha })], x);
      expectClose(y.data, values.map(f), { atol: 1e-7, rtol: 1e-6 }, `${activation} alpha ${alpha}`);
    }
  });

  it('the activations of MobileNet and EfficientNet, and silu as the other name of swish', () => {
    const values = [-7, -3, -1.5, 0, 0.5, 3, 6.5];
    const x = ck.tensor([values]);
    // Those listed after softmax: relu6, swish, hardSwish, hardSigmoid, gelu, softplus, selu, mish.
    for (const activation of activationNames.slice(activationNames.indexOf('softmax') + 1)) {
      const y = run([ck.layers.activation({ inputShape: [7], activation })], x);
      expectClose(y.data, referenceActivation(activation, 0, 1, 7, values), { atol: 1e-7, rtol: 1e-6 }, activation);
    }
    const silu = ck.layers.activation({ activation: 'silu' });
    expect(silu.activation).toBe('swish');
    expect(ck.layers.dense({ units: 2, activation: 'silu' }).activation).toBe('swish');
    expect(() => ck.layers.activation({ activation: 'hard_swish' as ck.ActivationName })).toThrow(RangeError);
  });
});
