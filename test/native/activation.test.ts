import { describe, expect, it } from 'vitest';
import type { ActivationName } from '../../lib/native/network';
import {
  activationKernels as k,
  type ActivationParams,
  type MaxoutParams,
  type PreluParams,
} from '../helpers/kernels/activation';
import { expectClose } from '../helpers/assert';
import { expectGradientClose, numericGradient, sampleIndices, toFloat64, weightedSum } from '../helpers/gradcheck';
import { randomArray, rng } from '../helpers/random';
import { referenceActivation, referenceMaxout, referencePrelu } from '../reference/activation';

// Every kind, the parametrized ones with more than one alpha (elu with alpha != 1 has a kink at 0).
const kinds: { kind: ActivationName; alpha?: number }[] = [
  { kind: 'linear' },
  { kind: 'relu' },
  { kind: 'leakyRelu', alpha: 0.3 },
  { kind: 'leakyRelu', alpha: 0.01 },
  { kind: 'elu', alpha: 1 },
  { kind: 'elu', alpha: 0.6 },
  { kind: 'sigmoid' },
  { kind: 'tanh' },
  { kind: 'softmax' },
  { kind: 'relu6' },
  { kind: 'swish' },
  { kind: 'hardSwish' },
  { kind: 'hardSigmoid' },
  { kind: 'gelu' },
  { kind: 'softplus' },
  { kind: 'selu' },
  { kind: 'mish' },
];

/** Where an activation's derivative jumps: relu's 0, hardSigmoid's and hardSwish's +-3, relu6's 6. */
const kinks = [-3, 0, 3, 6];

const shapes = [
  { rows: 1, cols: 1 },
  { rows: 1, cols: 9 },
  { rows: 6, cols: 1 },
  { rows: 3, cols: 4 },
  { rows: 16, cols: 10 },
  { rows: 2, cols: 33 },
];

const cases = kinds.flatMap(({ kind, alpha }, i) =>
  shapes.map((shape, j) => ({
    params: { kind, alpha, ...shape } as ActivationParams,
    seed: 100 * i + j,
    name: `${kind}${alpha === undefined ? '' : `(${alpha})`} ${shape.rows}x${shape.cols}`,
  })),
);

const alphaOf = (p: ActivationParams) => p.alpha ?? 0;

/** The values as numbers with -0 turned into 0: the sign of a zero is no part of the contract. */
const values = (a: Float32Array) => Array.from(a, (v) => v + 0);

/** Moderate values mixed with large magnitudes (+-20, +-100, +-1000) and exact zeros. */
function mixedArray(random: () => number, length: number): Float32Array {
  const large = [-1000, -100, -20, 0, 20, 100, 1000];
  return Float32Array.from({ length }, () =>
    random() < 0.3 ? large[Math.floor(random() * large.length)] : -5 + 10 * random(),
  );
}

/**
 * Values in [-8, 8] that stay more than 2e-3 from every kink, with a few large magnitudes where the
 * gradients saturate.
 */
function smoothArray(random: () => number, length: number): Float32Array {
  return Float32Array.from({ length }, () => {
    if (random() < 0.1) return random() < 0.5 ? -100 : 100;
    for (;;) {
      const v = -8 + 16 * random();
      if (kinks.every((kink) => Math.abs(v - kink) > 2e-3)) return v;
    }
  });
}

function forward(p: ActivationParams, x: Float32Array): Float32Array {
  const y = new Float32Array(x.length).fill(Number.NaN);
  k.activationForward(p, x, y);
  return y;
}

const tol = { atol: 1e-7, rtol: 1e-6 };
const gradAtol = 1e-6;
const gradRtol = 1e-5;

describe('activation forward matches the float64 reference, also on large magnitudes', () => {
  it.each(cases)('$name', ({ params: p, seed }) => {
    const x = mixedArray(rng(seed), p.rows * p.cols);
    const y = forward(p, x);
    expect(y.every(Number.isFinite), 'no NaN or infinity').toBe(true);
    expectClose(y, referenceActivation(p.kind, alphaOf(p), p.rows, p.cols, x), tol, p.kind);
    if (p.kind === 'sigmoid') expect(y.every((v) => v >= 0 && v <= 1)).toBe(true);
    if (p.kind === 'tanh') expect(y.every((v) => v >= -1 && v <= 1)).toBe(true);
    if (p.kind === 'hardSigmoid') expect(y.every((v) => v >= 0 && v <= 1)).toBe(true);
    if (p.kind === 'relu6') expect(y.every((v) => v >= 0 && v <= 6)).toBe(true);
    if (p.kind === 'softmax') {
      for (let r = 0; r < p.rows; r++) {
        const row = y.subarray(r * p.cols, (r + 1) * p.cols);
        expect(row.every((v) => v >= 0 && v <= 1)).toBe(true);
        expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1), `row ${r} sums to 1`).toBeLessThan(1e-6);
      }
    }
  });

  it('softmax of rows at +-1000 puts all the mass on the maxima', () => {
    const x = Float32Array.from([1000, -1000, 999, -1000, 1000, 1000, -1000, -1000, -1000]);
    const y = forward({ kind: 'softmax', rows: 3, cols: 3 }, x);
    const e = 1 / (1 + Math.exp(-1));
    expectClose(y, [e, 0, 1 - e, 0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3], tol, 'softmax');
  });

  it('sigmoid, tanh and elu saturate without NaN at +-1000', () => {
    const x = Float32Array.from([-1000, 1000]);
    expect(Array.from(forward({ kind: 'sigmoid', rows: 1, cols: 2 }, x))).toEqual([0, 1]);
    expect(Array.from(forward({ kind: 'tanh', rows: 1, cols: 2 }, x))).toEqual([-1, 1]);
    expect(Array.from(forward({ kind: 'elu', alpha: 0.5, rows: 1, cols: 2 }, x))).toEqual([-0.5, 1000]);
  });

  it('uses alpha 0 when it is omitted, as documented', () => {
    const x = Float32Array.from([-2, -0.5, 0.5, 2]);
    expect(values(forward({ kind: 'leakyRelu', rows: 2, cols: 2 }, x))).toEqual([0, 0, 0.5, 2]);
    expect(values(forward({ kind: 'elu', rows: 2, cols: 2 }, x))).toEqual([0, 0, 0.5, 2]);
  });

  it('softmax over a single column is always 1', () => {
    const x = Float32Array.from([-1000, -3, 0, 5, 1000]);
    expect(Array.from(forward({ kind: 'softmax', rows: 5, cols: 1 }, x))).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('activation backward matches finite differences of the reference', () => {
  it.each(cases)('$name', ({ params: p, seed }) => {
    const random = rng(seed + 50_000);
    const x = smoothArray(random, p.rows * p.cols);
    const y = forward(p, x);
    const weights = randomArray(random, x.length);
    // loss = sum(weights * f(x)), so d loss / d y = weights. Stale values in gradX must not leak.
    const gradX = new Float32Array(x.length).fill(Number.NaN);
    k.activationBackward(p, x, y, weights, gradX);
    const x64 = toFloat64(x);
    const loss = () => weightedSum(referenceActivation(p.kind, alphaOf(p), p.rows, p.cols, x64), weights);
    expectGradientClose(
      gradX,
      numericGradient(loss, x64, sampleIndices(x.length, 200, random)),
      gradAtol,
      gradRtol,
      p.kind,
    );
  });

  it('softmax over a single column has gradient 0', () => {
    const x = Float32Array.from([-1000, -3, 0, 5, 1000]);
    const p: ActivationParams = { kind: 'softmax', rows: 5, cols: 1 };
    const gradX = new Float32Array(5).fill(Number.NaN);
    k.activationBackward(p, x, forward(p, x), Float32Array.from([1, -2, 3, 0.5, 7]), gradX);
    expect(gradX.every((v) => v === 0)).toBe(true);
  });

  it.each(kinds.filter(({ kind }) => kind !== 'softmax'))('$kind on both sides of every kink', (p) => {
    const x = Float32Array.from(kinks.flatMap((kink) => [-0.01, -0.003, 0.003, 0.01].map((d) => kink + d)));
    const params: ActivationParams = { ...p, rows: 1, cols: x.length };
    const weights = randomArray(rng(7), x.length);
    const gradX = new Float32Array(x.length).fill(Number.NaN);
    k.activationBackward(params, x, forward(params, x), weights, gradX);
    const x64 = toFloat64(x);
    const loss = () => weightedSum(referenceActivation(p.kind, alphaOf(params), 1, x.length, x64), weights);
    expectGradientClose(
      gradX,
      numericGradient(loss, x64, sampleIndices(x.length, x.length, rng(8))),
      1e-6,
      1e-5,
      p.kind,
    );
  });

  it("takes PyTorch's one-sided derivatives at the kinks of relu6, hardSigmoid and hardSwish", () => {
    const x = Float32Array.from([-3, 0, 3, 6]);
    const ones = new Float32Array(4).fill(1);
    const derivative = (kind: ActivationName) => {
      const p: ActivationParams = { kind, rows: 1, cols: 4 };
      const gradX = new Float32Array(4);
      k.activationBackward(p, x, forward(p, x), ones, gradX);
      return values(gradX);
    };
    expect(derivative('relu6')).toEqual([0, 0, 1, 0]);
    expect(derivative('hardSigmoid')).toEqual([0, Math.fround(1 / 6), 0, 0]);
    expect(derivative('hardSwish')).toEqual([-0.5, 0.5, 1.5, 1]);
  });

  it('takes the one-sided derivative at 0 that TensorFlow takes for relu and leakyRelu', () => {
    const x = Float32Array.from([0, 0]);
    const gradY = Float32Array.from([2, -4]);
    const gradX = new Float32Array(2);
    k.activationBackward({ kind: 'relu', rows: 1, cols: 2 }, x, x, gradY, gradX);
    expect(values(gradX)).toEqual([0, 0]);
    k.activationBackward({ kind: 'leakyRelu', alpha: 0.25, rows: 1, cols: 2 }, x, x, gradY, gradX);
    expect(Array.from(gradX)).toEqual([0.5, -1]);
  });
});

describe('activations work in place', () => {
  it.each(cases)('$name', ({ params: p, seed }) => {
    const random = rng(seed + 90_000);
    const x = mixedArray(random, p.rows * p.cols);
    const y = forward(p, x);
    const inPlace = x.slice();
    k.activationForward(p, inPlace, inPlace);
    expect(inPlace).toEqual(y);

    const gradY = randomArray(random, x.length);
    const gradX = new Float32Array(x.length).fill(Number.NaN);
    k.activationBackward(p, x, y, gradY, gradX);
    const gradInPlace = gradY.slice();
    k.activationBackward(p, x, y, gradInPlace, gradInPlace);
    expect(gradInPlace).toEqual(gradX);
  });
});

/**
 * Values all distinct by far more than the finite-difference step, in random order, so every
 * group has a unique maximum that a perturbation cannot change.
 */
function distinctArray(random: () => number, length: number): Float32Array {
  const values = Array.from({ length }, (_, i) => -1 + (2 * (i + 0.5)) / length);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return Float32Array.from(values);
}

describe('maxout', () => {
  const maxoutCases: (MaxoutParams & { name: string })[] = [
    { name: 'one group', rows: 1, units: 1, pieces: 5 },
    { name: 'pairs', rows: 2, units: 3, pieces: 2 },
    { name: 'triples', rows: 4, units: 5, pieces: 3 },
    { name: 'many rows, wide groups', rows: 7, units: 2, pieces: 8 },
    { name: 'pieces 1', rows: 3, units: 4, pieces: 1 },
  ];

  it.each(maxoutCases)('forward matches the reference: $name', (c) => {
    const x = mixedArray(rng(c.rows * 31 + c.units * 7 + c.pieces), c.rows * c.units * c.pieces);
    const y = new Float32Array(c.rows * c.units).fill(Number.NaN);
    k.maxoutForward(c, x, y);
    expectClose(y, referenceMaxout(c.rows, c.units, c.pieces, x), { atol: 0, rtol: 0 }, 'maxout');
  });

  it.each(maxoutCases)('backward matches finite differences of the reference: $name', (c) => {
    const random = rng(c.rows * 17 + c.units * 5 + c.pieces);
    const x = distinctArray(random, c.rows * c.units * c.pieces);
    const weights = randomArray(random, c.rows * c.units);
    const gradX = new Float32Array(x.length).fill(Number.NaN);
    k.maxoutBackward(c, x, weights, gradX);
    const x64 = toFloat64(x);
    const loss = () => weightedSum(referenceMaxout(c.rows, c.units, c.pieces, x64), weights);
    expectGradientClose(
      gradX,
      numericGradient(loss, x64, sampleIndices(x.length, 200, random)),
      gradAtol,
      gradRtol,
      'maxout',
    );
  });

  it('groups consecutive channels, not channels strided by units', () => {
    const c: MaxoutParams = { rows: 1, units: 2, pieces: 2 };
    const y = new Float32Array(2);
    k.maxoutForward(c, Float32Array.from([1, 5, 2, 0]), y);
    expect(Array.from(y)).toEqual([5, 2]);
    const gradX = new Float32Array(4);
    k.maxoutBackward(c, Float32Array.from([1, 5, 2, 0]), Float32Array.from([10, 20]), gradX);
    expect(Array.from(gradX)).toEqual([0, 10, 20, 0]);
  });

  it('routes the gradient of a tie to the first maximal piece', () => {
    const c: MaxoutParams = { rows: 2, units: 2, pieces: 3 };
    const x = Float32Array.from([2, 2, 1, 5, 1, 5, 0, 0, 0, -1, 3, 3]);
    const y = new Float32Array(4);
    k.maxoutForward(c, x, y);
    expect(Array.from(y)).toEqual([2, 5, 0, 3]);
    const gradX = new Float32Array(12).fill(Number.NaN);
    k.maxoutBackward(c, x, Float32Array.from([10, 20, 30, 40]), gradX);
    expect(Array.from(gradX)).toEqual([10, 0, 0, 20, 0, 0, 30, 0, 0, 0, 40, 0]);
  });

  it('with pieces 1 is the identity, forward and backward', () => {
    const c: MaxoutParams = { rows: 3, units: 5, pieces: 1 };
    const random = rng(4);
    const x = mixedArray(random, 15);
    const y = new Float32Array(15).fill(Number.NaN);
    k.maxoutForward(c, x, y);
    expect(y).toEqual(x);
    const gradY = randomArray(random, 15);
    const gradX = new Float32Array(15).fill(Number.NaN);
    k.maxoutBackward(c, x, gradY, gradX);
    expect(gradX).toEqual(gradY);
  });
});

describe('prelu', () => {
  const preluCases: (PreluParams & { name: string })[] = [
    { name: 'one value', rows: 1, channels: 1 },
    { name: 'one row', rows: 1, channels: 7 },
    { name: 'one channel', rows: 9, channels: 1 },
    { name: 'an image batch', rows: 50, channels: 6 },
  ];

  it.each(preluCases)('forward matches the reference, in place too: $name', (c) => {
    const random = rng(c.rows * 13 + c.channels);
    const x = mixedArray(random, c.rows * c.channels);
    const alpha = randomArray(random, c.channels, -1, 1);
    const y = new Float32Array(x.length).fill(Number.NaN);
    k.preluForward(c, x, alpha, y);
    expectClose(y, referencePrelu(c.channels, x, alpha), tol, 'prelu');
    const inPlace = x.slice();
    k.preluForward(c, inPlace, alpha, inPlace);
    expect(inPlace).toEqual(y);
  });

  it.each(preluCases)('backward matches finite differences in x and in alpha: $name', (c) => {
    const random = rng(c.rows * 17 + c.channels);
    const x = smoothArray(random, c.rows * c.channels);
    const alpha = randomArray(random, c.channels, -1, 1);
    const weights = randomArray(random, x.length);
    const gradX = new Float32Array(x.length).fill(Number.NaN);
    const gradAlpha = new Float32Array(c.channels).fill(Number.NaN);
    k.preluBackward(c, x, alpha, weights, gradX, gradAlpha);
    const [x64, alpha64] = [toFloat64(x), toFloat64(alpha)];
    const loss = () => weightedSum(referencePrelu(c.channels, x64, alpha64), weights);
    const indices = (length: number) => sampleIndices(length, 200, random);
    expectGradientClose(gradX, numericGradient(loss, x64, indices(x.length)), gradAtol, gradRtol, 'prelu x');
    expectGradientClose(gradAlpha, numericGradient(loss, alpha64, indices(c.channels)), 1e-5, gradRtol, 'prelu alpha');
    const inPlace = weights.slice();
    k.preluBackward(c, x, alpha, inPlace, inPlace, gradAlpha);
    expect(inPlace).toEqual(gradX);
  });

  it('takes the slope at 0, as leakyRelu', () => {
    const gradX = new Float32Array(2);
    const gradAlpha = new Float32Array(2);
    k.preluBackward(
      { rows: 1, channels: 2 },
      new Float32Array(2),
      Float32Array.from([0.5, -2]),
      Float32Array.from([4, 1]),
      gradX,
      gradAlpha,
    );
    expect(Array.from(gradX)).toEqual([2, -2]);
    expect(values(gradAlpha)).toEqual([0, 0]);
  });

  it('names a wrong array length with the shape it expected', () => {
    const p: PreluParams = { rows: 2, channels: 3 };
    expect(() => k.preluForward(p, new Float32Array(6), new Float32Array(2), new Float32Array(6))).toThrow(
      new RangeError('preluForward: alpha must have 3 elements (channels), got 2'),
    );
    expect(() =>
      k.preluBackward(
        p,
        new Float32Array(6),
        new Float32Array(3),
        new Float32Array(6),
        new Float32Array(6),
        new Float32Array(6),
      ),
    ).toThrow(new RangeError('preluBackward: gradAlpha must have 3 elements (channels), got 6'));
    expect(() =>
      k.preluForward({ rows: 2, channels: 0 }, new Float32Array(6), new Float32Array(3), new Float32Array(6)),
    ).toThrow(/^preluForward: channels must be in \[1,/);
  });
});

describe('activations reject bad input', () => {
  const p: ActivationParams = { kind: 'elu', alpha: 1, rows: 2, cols: 3 };
  const x = new Float32Array(6);
  const y = new Float32Array(6);
  const gradY = new Float32Array(6);
  const gradX = new Float32Array(6);

  it('names the valid kinds when the kind is unknown', () => {
    const names =
      'linear, relu, leakyRelu, elu, sigmoid, tanh, softmax, relu6, swish, hardSwish, hardSigmoid, gelu, softplus, selu, mish';
    expect(() => k.activationForward({ ...p, kind: 'silu' as ActivationName }, x, y)).toThrow(
      new RangeError(`activationForward: kind must be one of ${names}; got 'silu'`),
    );
    expect(() => k.activationBackward({ ...p, kind: 'Relu' as ActivationName }, x, y, gradY, gradX)).toThrow(
      new RangeError(`activationBackward: kind must be one of ${names}; got 'Relu'`),
    );
    expect(() => k.activationForward({ ...p, kind: undefined as unknown as ActivationName }, x, y)).toThrow(
      new TypeError('activationForward: kind must be an activation name string'),
    );
  });

  it('rejects an alpha that is not a finite number', () => {
    for (const alpha of [Number.NaN, Infinity, -Infinity, 2e6]) {
      expect(() => k.activationForward({ ...p, alpha }, x, y)).toThrow(RangeError);
      expect(() => k.activationForward({ ...p, alpha }, x, y)).toThrow(
        /^activationForward: alpha must be a finite number in \[-1000000, 1000000\], got /,
      );
    }
    expect(() => k.activationBackward({ ...p, alpha: '1' as unknown as number }, x, y, gradY, gradX)).toThrow(
      new TypeError('activationBackward: alpha must be a number, got a string'),
    );
  });

  it('rejects zero, fractional and missing sizes', () => {
    expect(() => k.activationForward({ ...p, rows: 0 }, x, y)).toThrow(/^activationForward: rows must be in \[1,/);
    expect(() => k.activationForward({ ...p, cols: 1.5 }, x, y)).toThrow(/^activationForward: cols must be an integer/);
    expect(() => k.maxoutForward({ rows: 1, units: 2, pieces: 0 }, x, y)).toThrow(
      /^maxoutForward: pieces must be in \[1,/,
    );
    expect(() => k.activationForward(null as unknown as ActivationParams, x, y)).toThrow(
      new TypeError('activationForward: params must be an object, got null'),
    );
    expect(() => k.activationForward({ ...p, rows: 2 ** 30, cols: 2 ** 30 }, x, y)).toThrow(/rows\*cols is too large/);
  });

  it('names a wrong array length with the shape it expected', () => {
    expect(() => k.activationForward(p, new Float32Array(5), y)).toThrow(
      new RangeError('activationForward: x must have 6 elements (rows*cols), got 5'),
    );
    expect(() => k.activationForward(p, x, new Float32Array(7))).toThrow(
      new RangeError('activationForward: y must have 6 elements (rows*cols), got 7'),
    );
    expect(() => k.activationBackward(p, x, new Float32Array(5), gradY, gradX)).toThrow(
      new RangeError('activationBackward: y must have 6 elements (rows*cols), got 5'),
    );
    expect(() => k.activationBackward(p, x, y, new Float32Array(12), gradX)).toThrow(
      new RangeError('activationBackward: gradY must have 6 elements (rows*cols), got 12'),
    );
    expect(() => k.activationBackward(p, x, y, gradY, new Float32Array(0))).toThrow(
      new RangeError('activationBackward: gradX must have 6 elements (rows*cols), got 0 (empty or detached buffer)'),
    );
    const m: MaxoutParams = { rows: 2, units: 3, pieces: 2 };
    expect(() => k.maxoutForward(m, new Float32Array(11), new Float32Array(6))).toThrow(
      new RangeError('maxoutForward: x must have 12 elements (rows*units*pieces), got 11'),
    );
    expect(() => k.maxoutForward(m, new Float32Array(12), new Float32Array(12))).toThrow(
      new RangeError('maxoutForward: y must have 6 elements (rows*units), got 12'),
    );
    expect(() => k.maxoutBackward(m, new Float32Array(12), new Float32Array(5), new Float32Array(12))).toThrow(
      new RangeError('maxoutBackward: gradY must have 6 elements (rows*units), got 5'),
    );
    expect(() => k.maxoutBackward(m, new Float32Array(12), new Float32Array(6), new Float32Array(6))).toThrow(
      new RangeError('maxoutBackward: gradX must have 12 elements (rows*units*pieces), got 6'),
    );
  });

  it('rejects the wrong array type', () => {
    expect(() => k.activationForward(p, new Float64Array(6) as unknown as Float32Array, y)).toThrow(
      new TypeError('activationForward: x must be a Float32Array, got Float64Array'),
    );
    expect(() => k.activationForward(p, x, Array.from(y) as unknown as Float32Array)).toThrow(
      new TypeError('activationForward: y must be a Float32Array, got an Array'),
    );
    expect(() => k.activationBackward(p, x, y, gradY, null as unknown as Float32Array)).toThrow(
      new TypeError('activationBackward: gradX must be a Float32Array, got null'),
    );
    expect(() =>
      k.maxoutBackward(
        { rows: 1, units: 1, pieces: 2 },
        new Float32Array(2),
        new Int32Array(1) as unknown as Float32Array,
        new Float32Array(2),
      ),
    ).toThrow(new TypeError('maxoutBackward: gradY must be a Float32Array, got Int32Array'));
  });

  it('lets gradX share memory with gradY only', () => {
    expect(() => k.activationBackward(p, x, y, gradY, x)).toThrow(
      new RangeError('activationBackward: gradX may only share memory with gradY'),
    );
    expect(() => k.activationBackward(p, x, y, gradY, y)).toThrow(
      new RangeError('activationBackward: gradX may only share memory with gradY'),
    );
    const shared = new Float32Array(20);
    expect(() => k.activationBackward(p, shared.subarray(0, 6), y, gradY, shared.subarray(3, 9))).toThrow(
      /^activationBackward: gradX and x must not share memory/,
    );
    expect(() => k.activationBackward(p, x, y, shared.subarray(0, 6), shared.subarray(1, 7))).toThrow(
      /^activationBackward: gradX and gradY must not share memory/,
    );
    expect(() => k.activationForward(p, shared.subarray(0, 6), shared.subarray(5, 11))).toThrow(
      /^activationForward: y and x must not share memory/,
    );
  });

  it('rejects maxout outputs that share memory with the input', () => {
    const shared = new Float32Array(20);
    const m: MaxoutParams = { rows: 1, units: 3, pieces: 2 };
    expect(() => k.maxoutForward(m, shared.subarray(0, 6), shared.subarray(0, 3))).toThrow(
      /^maxoutForward: y and x must not share memory/,
    );
    expect(() => k.maxoutBackward(m, shared.subarray(0, 6), new Float32Array(3), shared.subarray(0, 6))).toThrow(
      /^maxoutBackward: gradX and x must not share memory/,
    );
  });
});
