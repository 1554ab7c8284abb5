import { describe, expect, it } from 'vitest';
import { optimizerKernels as k } from '../helpers/kernels/optimizer';
import { expectClose } from '../helpers/assert';
import { toFloat64 } from '../helpers/gradcheck';
import { randomArray, rng } from '../helpers/random';
import {
  type AdamState,
  type RmspropState,
  type SgdState,
  referenceAdamStep,
  referenceRmspropStep,
  referenceSgdStep,
} from '../reference/optimizer';

const count = 257; // not a multiple of any vector width
const f = Math.fround; // the kernels receive hyperparameters as float32
const tol = { atol: 1e-6, rtol: 1e-5 };

/** Per-step gradients; `scale` reaches down to gradients far below sqrt(epsilon). */
function gradients(seed: number, steps: number, scale = 1): Float32Array[] {
  const random = rng(seed);
  return Array.from({ length: steps }, () => randomArray(random, count, -scale, scale));
}

describe('SGD matches Keras step by step', () => {
  it.each([
    { name: 'plain', momentum: 0, nesterov: false, withVelocity: false },
    { name: 'momentum 0.9', momentum: 0.9, nesterov: false, withVelocity: true },
    { name: 'nesterov, momentum 0.9', momentum: 0.9, nesterov: true, withVelocity: true },
    { name: 'nesterov, momentum 0.5', momentum: 0.5, nesterov: true, withVelocity: true },
    { name: 'momentum 0 with a velocity array', momentum: 0, nesterov: false, withVelocity: true },
  ])('$name', ({ momentum, nesterov, withVelocity }) => {
    const learningRate = 0.05;
    const param = randomArray(rng(1), count);
    const velocity = withVelocity ? new Float32Array(count) : null;
    const state: SgdState = { param: toFloat64(param), velocity: withVelocity ? new Float64Array(count) : null };
    for (const grad of gradients(2, 5)) {
      k.sgdUpdate({ count, learningRate, momentum, nesterov }, param, grad, velocity);
      referenceSgdStep(state, grad, f(learningRate), f(momentum), nesterov);
    }
    expectClose(param, state.param, tol, 'param');
    if (velocity && state.velocity) expectClose(velocity, state.velocity, tol, 'velocity');
  });

  it('nesterov differs from plain momentum (the test would see a swapped flag)', () => {
    const run = (nesterov: boolean) => {
      const param = randomArray(rng(1), count);
      const velocity = new Float32Array(count);
      for (const grad of gradients(2, 3))
        k.sgdUpdate({ count, learningRate: 0.1, momentum: 0.9, nesterov }, param, grad, velocity);
      return param;
    };
    expect(run(true)).not.toEqual(run(false));
  });

  it('takes plain steps when velocity is omitted or null', () => {
    const param = Float32Array.from({ length: count }, (_, i) => i);
    const grad = Float32Array.from({ length: count }, () => 2);
    k.sgdUpdate({ count, learningRate: 0.25 }, param, grad);
    k.sgdUpdate({ count, learningRate: 0.25, momentum: 0 }, param, grad, null);
    expect(Array.from(param.subarray(0, 3))).toEqual([-1, 0, 1]);
  });
});

describe('RMSprop matches the documented update step by step', () => {
  it.each([
    { name: 'defaults', rho: undefined, epsilon: undefined, scale: 1 },
    { name: 'rho 0.5, epsilon 1e-3', rho: 0.5, epsilon: 1e-3, scale: 1 },
    // ms around 1e-9, below epsilon 1e-7: where epsilon is added decides the result.
    { name: 'tiny gradients', rho: undefined, epsilon: undefined, scale: 1e-4 },
  ])('$name', ({ rho, epsilon, scale }) => {
    const learningRate = 0.01;
    const param = randomArray(rng(3), count);
    const meanSquare = new Float32Array(count);
    const state: RmspropState = { param: toFloat64(param), meanSquare: new Float64Array(count) };
    for (const grad of gradients(4, 6, scale)) {
      k.rmspropUpdate({ count, learningRate, rho, epsilon }, param, grad, meanSquare);
      referenceRmspropStep(state, grad, f(learningRate), f(rho ?? 0.9), f(epsilon ?? 1e-7));
    }
    expectClose(param, state.param, tol, 'param');
    expectClose(meanSquare, state.meanSquare, { atol: 0, rtol: 1e-5 }, 'meanSquare');
  });
});

describe('Adam matches Keras step by step', () => {
  it('step 1 moves every parameter by about learningRate against its gradient (bias correction)', () => {
    const param = randomArray(rng(5), count);
    const before = param.slice();
    const grad = randomArray(rng(6), count, 0.01, 1);
    for (let i = 0; i < count; i += 2) grad[i] = -grad[i];
    k.adamUpdate(
      { count, learningRate: 0.001, step: 1 },
      param,
      grad,
      new Float32Array(count),
      new Float32Array(count),
    );
    // Corrected, m / sqrt(v) is g / |g|: the step is lr * |g| / (|g| + epsilon / sqrt(1 - beta2)).
    // Uncorrected moments would give 0.001 * 0.1 / sqrt(0.001) = 0.00316 instead.
    const moved = Array.from(param, (p, i) => (before[i] - p) * Math.sign(grad[i]));
    const expected = Array.from(grad, (g) => (0.001 * Math.abs(g)) / (Math.abs(g) + 1e-7 / Math.sqrt(1 - 0.999)));
    expect(Math.min(...expected)).toBeGreaterThan(0.00099);
    // atol: the parameters, up to 1 in size, are rounded to float32 after the step.
    expectClose(moved, expected, { atol: 1.2e-7, rtol: 1e-5 }, 'step size');
  });

  it.each([
    { name: 'defaults', beta1: undefined, beta2: undefined, epsilon: undefined, weightDecay: undefined, scale: 1 },
    {
      name: 'beta1 0.5, beta2 0.9, epsilon 1e-4',
      beta1: 0.5,
      beta2: 0.9,
      epsilon: 1e-4,
      weightDecay: undefined,
      scale: 1,
    },
    {
      name: 'AdamW, weight decay 0.05',
      beta1: undefined,
      beta2: undefined,
      epsilon: undefined,
      weightDecay: 0.05,
      scale: 1,
    },
    {
      name: 'tiny gradients',
      beta1: undefined,
      beta2: undefined,
      epsilon: undefined,
      weightDecay: undefined,
      scale: 1e-5,
    },
  ])('steps 1 to 10: $name', ({ beta1, beta2, epsilon, weightDecay, scale }) => {
    const learningRate = 0.01;
    const param = randomArray(rng(7), count);
    const m = new Float32Array(count);
    const v = new Float32Array(count);
    const state: AdamState = { param: toFloat64(param), m: new Float64Array(count), v: new Float64Array(count) };
    gradients(8, 10, scale).forEach((grad, index) => {
      const step = index + 1;
      k.adamUpdate({ count, learningRate, beta1, beta2, epsilon, step, weightDecay }, param, grad, m, v);
      referenceAdamStep(
        state,
        grad,
        f(learningRate),
        f(beta1 ?? 0.9),
        f(beta2 ?? 0.999),
        f(epsilon ?? 1e-7),
        step,
        f(weightDecay ?? 0),
      );
      expectClose(param, state.param, tol, `param after step ${step}`);
    });
    expectClose(m, state.m, { atol: 1e-7 * scale, rtol: 1e-5 }, 'm');
    expectClose(v, state.v, { atol: 1e-7 * scale * scale, rtol: 1e-5 }, 'v');
  });

  it('applies the bias correction of step 10 to a given state', () => {
    const random = rng(9);
    const param = randomArray(random, count);
    const m = randomArray(random, count, -0.1, 0.1);
    const v = randomArray(random, count, 0, 0.01);
    const grad = randomArray(random, count);
    const state: AdamState = { param: toFloat64(param), m: toFloat64(m), v: toFloat64(v) };
    k.adamUpdate({ count, learningRate: 0.1, step: 10 }, param, grad, m, v);
    referenceAdamStep(state, grad, f(0.1), f(0.9), f(0.999), f(1e-7), 10, 0);
    expectClose(param, state.param, tol, 'param');
    // The same state at step 1 moves much less: sqrt(1 - 0.999) / (1 - 0.9) against ~ 0.0998 / 0.651.
    const late = toFloat64(param);
    const early: AdamState = { param: toFloat64(param), m: toFloat64(m), v: toFloat64(v) };
    referenceAdamStep(early, grad, f(0.1), f(0.9), f(0.999), f(1e-7), 1, 0);
    expect(early.param).not.toEqual(late);
  });

  it('decays weights decoupled from the gradient (AdamW): with zero gradient, p *= 1 - lr * wd', () => {
    const param = randomArray(rng(10), count, -3, 3);
    const expected = Array.from(param, (p) => p - p * f(0.004) * f(0.5));
    k.adamUpdate(
      { count, learningRate: 0.5, step: 3, weightDecay: 0.004 },
      param,
      new Float32Array(count),
      new Float32Array(count),
      new Float32Array(count),
    );
    expectClose(param, expected, { atol: 0, rtol: 2e-7 }, 'param');
  });
});

describe('sumOfSquares and scaleInPlace', () => {
  it.each([0, 1, 7, 8, 9, 1001])('sumOfSquares of %i elements', (length) => {
    const x = randomArray(rng(length + 1), length, -3, 3);
    let expected = 0;
    for (const value of x) expected += value * value;
    expect(k.sumOfSquares(x)).toBeCloseTo(expected, 10);
  });

  it('sumOfSquares accumulates in double: no float32 overflow, no lost small terms', () => {
    expect(k.sumOfSquares(Float32Array.from([3e38, 4e38]))).toBeCloseTo(f(3e38) ** 2 + f(4e38) ** 2, -60);
    const x = new Float32Array(1 << 20).fill(1);
    x[0] = 4096; // 2^24: a float32 sum would stop growing
    expect(k.sumOfSquares(x)).toBe(4096 * 4096 + (1 << 20) - 1);
  });

  it('scaleInPlace multiplies every element', () => {
    const x = randomArray(rng(11), 1003);
    const expected = Array.from(x, (value) => f(value * f(0.37)));
    k.scaleInPlace(0.37, x);
    expect(Array.from(x)).toEqual(expected);
    const empty = new Float32Array(0);
    k.scaleInPlace(2, empty);
    expect(empty.length).toBe(0);
  });
});

describe('optimizers reject bad input', () => {
  const p = new Float32Array(4);
  const g = new Float32Array(4);
  const s = () => new Float32Array(4);

  it('requires a velocity when momentum > 0', () => {
    expect(() => k.sgdUpdate({ count: 4, learningRate: 0.1, momentum: 0.9 }, p, g)).toThrow(
      new RangeError('sgdUpdate: velocity is required when momentum > 0 (momentum is 0.9)'),
    );
    expect(() => k.sgdUpdate({ count: 4, learningRate: 0.1, momentum: 0.9 }, p, g, null)).toThrow(RangeError);
  });

  it('rejects NaN, negative and non-numeric learning rates', () => {
    expect(() => k.sgdUpdate({ count: 4, learningRate: Number.NaN }, p, g)).toThrow(
      /sgdUpdate: learningRate must be a finite number in \[0, .*\], got NaN/,
    );
    expect(() => k.rmspropUpdate({ count: 4, learningRate: -0.1 }, p, g, s())).toThrow(RangeError);
    expect(() => k.adamUpdate({ count: 4, learningRate: Number.POSITIVE_INFINITY, step: 1 }, p, g, s(), s())).toThrow(
      /adamUpdate: learningRate must be a finite number/,
    );
    expect(() => k.adamUpdate({ count: 4, learningRate: '0.1' as unknown as number, step: 1 }, p, g, s(), s())).toThrow(
      new TypeError('adamUpdate: learningRate must be a number, got a string'),
    );
  });

  it('rejects step 0 and non-integer steps', () => {
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 0 }, p, g, s(), s())).toThrow(
      new RangeError('adamUpdate: step must be in [1, 9007199254740991], got 0'),
    );
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 1.5 }, p, g, s(), s())).toThrow(
      /step must be an integer/,
    );
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1 } as never, p, g, s(), s())).toThrow(TypeError);
  });

  it('rejects hyperparameters outside their ranges', () => {
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 1, beta1: 1 }, p, g, s(), s())).toThrow(
      new RangeError('adamUpdate: beta1 must be a finite number in [0, 1), got 1'),
    );
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 1, beta2: 1.5 }, p, g, s(), s())).toThrow(
      /beta2 must be/,
    );
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 1, epsilon: 0 }, p, g, s(), s())).toThrow(
      /epsilon must be .*\(0,/,
    );
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 1, weightDecay: -1 }, p, g, s(), s())).toThrow(
      /weightDecay must be/,
    );
    expect(() => k.rmspropUpdate({ count: 4, learningRate: 0.1, rho: 2 }, p, g, s())).toThrow(
      /rmspropUpdate: rho must be/,
    );
    expect(() => k.sgdUpdate({ count: 4, learningRate: 0.1, momentum: -0.1 }, p, g, s())).toThrow(/momentum must be/);
    expect(() => k.sgdUpdate({ count: 4, learningRate: 0.1, nesterov: 1 as unknown as boolean }, p, g, s())).toThrow(
      new TypeError('sgdUpdate: nesterov must be a boolean, got a number'),
    );
  });

  it('rejects wrong lengths and types, naming the argument', () => {
    expect(() => k.sgdUpdate({ count: 4, learningRate: 0.1 }, p, new Float32Array(3))).toThrow(
      new RangeError('sgdUpdate: grad must have 4 elements (count), got 3'),
    );
    expect(() => k.sgdUpdate({ count: 4, learningRate: 0.1, momentum: 0.5 }, p, g, new Float32Array(5))).toThrow(
      /velocity must have 4/,
    );
    expect(() =>
      k.rmspropUpdate({ count: 4, learningRate: 0.1 }, p, g, new Float64Array(4) as unknown as Float32Array),
    ).toThrow(new TypeError('rmspropUpdate: meanSquare must be a Float32Array, got Float64Array'));
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 1 }, p, g, s(), new Float32Array(0))).toThrow(
      /v must have 4 elements/,
    );
    expect(() => k.sumOfSquares([1, 2] as unknown as Float32Array)).toThrow(
      new TypeError('sumOfSquares: x must be a Float32Array, got an Array'),
    );
    expect(() => k.scaleInPlace(Number.NaN, s())).toThrow(/scaleInPlace: factor must be a finite float32 number/);
    expect(() => k.scaleInPlace(1e39, s())).toThrow(RangeError);
    expect(() => k.scaleInPlace('2' as unknown as number, s())).toThrow(
      new TypeError('scaleInPlace: factor must be a number, got a string'),
    );
    expect(() => k.scaleInPlace(2, new Int32Array(2) as unknown as Float32Array)).toThrow(
      /x must be a Float32Array, got Int32Array/,
    );
  });

  it('rejects a state array that is the parameter or the gradient', () => {
    expect(() => k.sgdUpdate({ count: 4, learningRate: 0.1 }, p, p)).toThrow(/grad and param must not share memory/);
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 1 }, p, g, s(), p)).toThrow(
      /v and param must not share memory/,
    );
    const m = s();
    expect(() => k.adamUpdate({ count: 4, learningRate: 0.1, step: 1 }, p, g, m, m)).toThrow(
      /v and m must not share memory/,
    );
  });
});
