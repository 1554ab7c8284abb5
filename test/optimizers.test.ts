import { describe, expect, it } from 'vitest';
import * as ck from '../lib';
import { getOptimizer, Optimizer, optimizerFromConfig, type LearningRateSchedule } from '../lib/optimizers';
import { expectClose } from './helpers/assert';

const { sgd, rmsprop, adam, adamw, stepDecay, exponentialDecay, cosineDecay } = ck.optimizers;

describe('factories and Keras defaults', () => {
  it('sgd: learning rate 0.01, no momentum, no Nesterov, no clipping', () => {
    expect(sgd().getConfig()).toEqual({
      kind: 'sgd',
      learningRate: 0.01,
      momentum: 0,
      nesterov: false,
      clipNorm: 0,
      globalClipNorm: 0,
    });
  });

  it('rmsprop: learning rate 1e-3, rho 0.9, epsilon 1e-7', () => {
    expect(rmsprop().getConfig()).toEqual({
      kind: 'rmsprop',
      learningRate: 1e-3,
      rho: 0.9,
      epsilon: 1e-7,
      clipNorm: 0,
      globalClipNorm: 0,
    });
  });

  it('adam: learning rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7', () => {
    expect(adam().getConfig()).toEqual({
      kind: 'adam',
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      clipNorm: 0,
      globalClipNorm: 0,
    });
  });

  it("adamw: Adam's defaults plus weight decay 0.004", () => {
    expect(adamw().getConfig()).toEqual({
      kind: 'adamw',
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0.004,
      clipNorm: 0,
      globalClipNorm: 0,
    });
  });

  it('options override the defaults and reach the native spec', () => {
    const optimizer = sgd({ learningRate: 0.2, momentum: 0.9, nesterov: true, clipNorm: 1 });
    expect(optimizer).toBeInstanceOf(Optimizer);
    expect(optimizer.kind).toBe('sgd');
    expect(optimizer.learningRate).toBe(0.2);
    expect(optimizer.nativeSpec()).toEqual({
      kind: 'sgd',
      momentum: 0.9,
      nesterov: true,
      clipNorm: 1,
      globalClipNorm: 0,
    });
    expect(adamw({ weightDecay: 0.1, beta2: 0.99 }).nativeSpec()).toMatchObject({
      kind: 'adamw',
      weightDecay: 0.1,
      beta2: 0.99,
    });
  });

  it('getOptimizer takes a name (Keras defaults) or passes an Optimizer through', () => {
    for (const name of ['sgd', 'rmsprop', 'adam', 'adamw'] as const) {
      expect(getOptimizer(name).getConfig()).toEqual(ck.optimizers[name]().getConfig());
    }
    const instance = adam({ learningRate: 0.5 });
    expect(getOptimizer(instance)).toBe(instance);
    expect(() => getOptimizer('adagrad')).toThrow(RangeError);
    expect(() => getOptimizer('adagrad')).toThrow(/optimizer must be one of sgd, rmsprop, adam, adamw; got 'adagrad'/);
    expect(() => getOptimizer(7)).toThrow(TypeError);
    expect(() => getOptimizer('Adam')).toThrow(/got 'Adam'/);
  });

  it.each([
    [() => sgd({ learningRate: -0.1 }), RangeError, /learningRate must be a finite number in \[0, 1000000\], got -0.1/],
    [() => sgd({ learningRate: Number.NaN }), RangeError, /learningRate must be a finite number/],
    [
      () => sgd({ learningRate: '0.1' as unknown as number }),
      TypeError,
      /learningRate must be a number, got string 0.1/,
    ],
    [() => sgd({ momentum: 1.5 }), RangeError, /momentum must be a finite number in \[0, 1\], got 1.5/],
    [() => sgd({ nesterov: 'yes' as unknown as boolean }), TypeError, /nesterov must be a boolean, got string yes/],
    [() => sgd({ clipNorm: -1 }), RangeError, /clipNorm must be a finite number in \[0, Infinity\], got -1/],
    [() => adam({ globalClipNorm: Infinity }), RangeError, /globalClipNorm must be a finite number/],
    [() => rmsprop({ rho: 2 }), RangeError, /rho must be a finite number in \[0, 1\], got 2/],
    [() => adam({ beta1: 1 }), RangeError, /beta1 must be a finite number in \[0, 0.999999\], got 1/],
    [() => adam({ epsilon: -1e-7 }), RangeError, /epsilon must be a finite number in \[0, 1\]/],
    [
      () => adamw({ weightDecay: -0.01 }),
      RangeError,
      /weightDecay must be a finite number in \[0, Infinity\], got -0.01/,
    ],
    [() => sgd(5 as unknown as ck.optimizers.SgdArgs), TypeError, /sgd options must be an object, got number 5/],
    [() => adam(null as unknown as ck.optimizers.AdamArgs), TypeError, /adam options must be an object, got null/],
  ])('rejects bad options %#', (make, errorClass, message) => {
    expect(make).toThrow(errorClass);
    expect(make).toThrow(message);
  });
});

describe('learning-rate schedules', () => {
  it('stepDecay: initial * factor^floor(step / stepSize)', () => {
    const schedule = stepDecay({ initialLearningRate: 0.1, factor: 0.5, stepSize: 10 });
    expect([0, 9, 10, 19, 20, 25].map((s) => schedule.at(s))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(schedule.kind).toBe('stepDecay');
  });

  it('exponentialDecay: initial * rate^(step / decaySteps), floored with staircase', () => {
    const smooth = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96 });
    expect(smooth.at(0)).toBe(0.1);
    expect(smooth.at(50)).toBeCloseTo(0.1 * Math.sqrt(0.96), 15);
    expect(smooth.at(250)).toBeCloseTo(0.1 * 0.96 ** 2.5, 15);
    const stairs = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96, staircase: true });
    expect(stairs.at(99)).toBe(0.1);
    expect(stairs.at(100)).toBeCloseTo(0.096, 15);
    expect(stairs.at(250)).toBeCloseTo(0.1 * 0.96 ** 2, 15);
  });

  it('cosineDecay: half a cosine from initial to initial * alpha, then flat', () => {
    const plain = cosineDecay({ initialLearningRate: 1, decaySteps: 100 });
    expect(plain.at(0)).toBe(1);
    expect(plain.at(25)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(plain.at(50)).toBeCloseTo(0.5, 15);
    expect(plain.at(100)).toBeCloseTo(0, 15);
    expect(plain.at(1000)).toBeCloseTo(0, 15);
    const floored = cosineDecay({ initialLearningRate: 0.2, decaySteps: 100, alpha: 0.1 });
    expect(floored.at(0)).toBeCloseTo(0.2, 15);
    expect(floored.at(50)).toBeCloseTo(0.2 * (0.9 * 0.5 + 0.1), 15);
    expect(floored.at(100)).toBeCloseTo(0.02, 15);
    expect(floored.at(100_000)).toBeCloseTo(0.02, 15);
  });

  it('an optimizer evaluates its schedule at each step', () => {
    const optimizer = sgd({ learningRate: stepDecay({ initialLearningRate: 1, factor: 0.1, stepSize: 2 }) });
    expect([0, 1, 2, 4].map((s) => optimizer.learningRateAt(s))).toEqual([1, 1, 0.1, 1 * 0.1 ** 2]);
    expect(sgd({ learningRate: 0.3 }).learningRateAt(1000)).toBe(0.3);
  });

  it.each([
    [
      () => stepDecay({ initialLearningRate: 0.1, factor: 0.5, stepSize: 0 }),
      /stepSize must be a finite number in \[1, Infinity\], got 0/,
    ],
    [
      () => stepDecay({ initialLearningRate: -1, factor: 0.5, stepSize: 1 }),
      /initialLearningRate must be a finite number in \[0, Infinity\], got -1/,
    ],
    [
      () => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0.5, decayRate: 0.9 }),
      /decaySteps must be a finite number in \[1, Infinity\], got 0.5/,
    ],
    [
      () => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: -0.9 }),
      /decayRate must be a finite number/,
    ],
    [
      () =>
        exponentialDecay({
          initialLearningRate: 0.1,
          decaySteps: 10,
          decayRate: 0.9,
          staircase: 1 as unknown as boolean,
        }),
      /staircase must be a boolean/,
    ],
    [
      () => cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 1.5 }),
      /alpha must be a finite number in \[0, 1\], got 1.5/,
    ],
  ])('rejects bad schedule arguments %#', (make, message) => {
    expect(make).toThrow(message);
  });
});

describe('optimizerFromConfig', () => {
  const optimizers: Optimizer[] = [
    sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, clipNorm: 2 }),
    rmsprop({ learningRate: 0.002, rho: 0.95, epsilon: 1e-6, globalClipNorm: 3 }),
    adam({
      learningRate: exponentialDecay({ initialLearningRate: 0.01, decaySteps: 10, decayRate: 0.5, staircase: true }),
      beta1: 0.8,
    }),
    adamw({ learningRate: cosineDecay({ initialLearningRate: 0.01, decaySteps: 50, alpha: 0.05 }), weightDecay: 0.01 }),
    sgd({ learningRate: stepDecay({ initialLearningRate: 0.3, factor: 0.2, stepSize: 7 }) }),
  ];

  it.each(optimizers.map((o) => [o.kind, o] as const))(
    '%s round-trips through JSON, schedules included',
    (_, optimizer) => {
      const config = JSON.parse(JSON.stringify(optimizer.getConfig()));
      const rebuilt = optimizerFromConfig(config);
      expect(rebuilt.getConfig()).toEqual(optimizer.getConfig());
      expect(rebuilt.nativeSpec()).toEqual(optimizer.nativeSpec());
      for (const step of [0, 1, 9, 10, 33, 70])
        expect(rebuilt.learningRateAt(step)).toBe(optimizer.learningRateAt(step));
      if (typeof optimizer.learningRate !== 'number') {
        expect((rebuilt.learningRate as LearningRateSchedule).kind).toBe(optimizer.learningRate.kind);
      }
    },
  );

  it('rejects an unknown optimizer or schedule kind, and bad values', () => {
    expect(() => optimizerFromConfig({ kind: 'nadam', learningRate: 0.1 })).toThrow(
      /optimizer.kind must be one of sgd, rmsprop, adam, adamw; got 'nadam'/,
    );
    expect(() => optimizerFromConfig({ learningRate: 0.1 })).toThrow(/optimizer.kind must be one of/);
    expect(() => optimizerFromConfig({ kind: 'sgd', learningRate: { kind: 'linear' } })).toThrow(
      /unknown learning-rate schedule 'linear'/,
    );
    expect(() =>
      optimizerFromConfig({ kind: 'sgd', learningRate: { kind: 'stepDecay', initialLearningRate: 1, factor: 0.5 } }),
    ).toThrow(/stepSize must be a number, got undefined/);
    expect(() => optimizerFromConfig({ kind: 'adam', learningRate: 0.1, beta1: 7 })).toThrow(
      /beta1 must be a finite number/,
    );
  });
});

describe('through a model (SGD)', () => {
  // A linear dense layer under MSE: its gradient is easy to provoke and its update is -lr * clip(g).
  const x = ck.tensor([
    [1, 2, -1],
    [0.5, -3, 2],
  ]);
  const targets = ck.tensor([
    [40, -25],
    [10, 30],
  ]);

  function model(optimizer: Optimizer) {
    const m = ck.sequential({ seed: 7, layers: [ck.layers.dense({ inputShape: [3], units: 2 })] });
    m.compile({ optimizer, loss: 'meanSquaredError' });
    return m;
  }

  /** before - after for each weight tensor, after one trainOnBatch from `start`. */
  async function step(m: ck.Sequential, start: ck.Tensor[]): Promise<Float64Array[]> {
    m.setWeights(start);
    await m.trainOnBatch(x, targets);
    return m.getWeights().map((after, i) => Float64Array.from(after.data, (v, j) => start[i].data[j] - v));
  }

  const norm = (values: ArrayLike<number>[]) =>
    Math.sqrt(values.reduce((sum, v) => sum + Array.from(v).reduce((s, e) => s + e * e, 0), 0));

  it('a learning-rate schedule changes the step size from one step to the next', async () => {
    const m = model(sgd({ learningRate: stepDecay({ initialLearningRate: 0.01, factor: 0.25, stepSize: 1 }) }));
    const start = m.getWeights();
    const first = await step(m, start); // step 0: lr 0.01
    const second = await step(m, start); // step 1: lr 0.0025, same weights and batch, so a quarter of the update
    expect(norm(first)).toBeGreaterThan(0.1);
    for (let i = 0; i < first.length; i++) {
      expectClose(
        second[i],
        first[i].map((d) => d / 4),
        { atol: 2e-6, rtol: 1e-4 },
        `weight ${i}`,
      );
    }
    const third = await step(m, start); // step 2: lr 0.01 / 64
    expectClose(
      third[0],
      first[0].map((d) => d / 16),
      { atol: 2e-6, rtol: 1e-3 },
      'step 2',
    );
  });

  it("clipNorm clips each weight's gradient to that L2 norm, keeping its direction", async () => {
    const raw = await step(model(sgd({ learningRate: 1 })), model(sgd()).getWeights());
    const clipNorm = 0.5;
    expect(norm([raw[0]])).toBeGreaterThan(10 * clipNorm);
    expect(norm([raw[1]])).toBeGreaterThan(10 * clipNorm);
    const clipped = await step(model(sgd({ learningRate: 1, clipNorm })), model(sgd()).getWeights());
    for (let i = 0; i < raw.length; i++) {
      expect(norm([clipped[i]]), `weight ${i}`).toBeCloseTo(clipNorm, 5);
      const scale = clipNorm / norm([raw[i]]);
      expectClose(
        clipped[i],
        raw[i].map((d) => d * scale),
        { atol: 1e-6, rtol: 1e-4 },
        `direction of weight ${i}`,
      );
    }
    // A bound above the gradient's norm changes nothing.
    const loose = await step(model(sgd({ learningRate: 1, clipNorm: 1e6 })), model(sgd()).getWeights());
    for (let i = 0; i < raw.length; i++) expectClose(loose[i], raw[i], { atol: 1e-6, rtol: 1e-6 }, `loose ${i}`);
  });

  it('globalClipNorm scales all gradients together to that L2 norm', async () => {
    const raw = await step(model(sgd({ learningRate: 1 })), model(sgd()).getWeights());
    const globalClipNorm = 0.5;
    const clipped = await step(model(sgd({ learningRate: 1, globalClipNorm })), model(sgd()).getWeights());
    expect(norm(clipped)).toBeCloseTo(globalClipNorm, 5);
    const scale = globalClipNorm / norm(raw);
    // One common factor: unlike clipNorm, the kernel and bias keep their relative sizes.
    for (let i = 0; i < raw.length; i++) {
      expectClose(
        clipped[i],
        raw[i].map((d) => d * scale),
        { atol: 1e-6, rtol: 1e-4 },
        `weight ${i}`,
      );
    }
    expect(norm([clipped[0]])).toBeLessThan(globalClipNorm);
  });
});
