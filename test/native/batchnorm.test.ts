import { describe, expect, it } from 'vitest';
import { batchNormKernels as k } from '../helpers/kernels/batchnorm';
import { expectClose } from '../helpers/assert';
import { expectGradientClose, numericGradient, sampleIndices, toFloat64, weightedSum } from '../helpers/gradcheck';
import { randomArray, randomInt, rng } from '../helpers/random';
import {
  referenceBatchNormTraining,
  referenceMoments,
  referenceMovingAverage,
  referenceNormalize,
} from '../reference/batchnorm';

interface Case {
  name: string;
  rows: number;
  channels: number;
  offset?: number;
}

// Small shapes for finite differences, plus channel counts around the kernel's 64-channel blocks.
const cases: Case[] = [
  { name: 'one channel', rows: 12, channels: 1 },
  { name: 'two rows', rows: 2, channels: 3 },
  { name: '64 channels (one full block)', rows: 5, channels: 64 },
  { name: '65 channels (a block of one after a full one)', rows: 4, channels: 65 },
  { name: '130 channels (three blocks)', rows: 3, channels: 130 },
  ...Array.from({ length: 8 }, (_, i) => {
    const random = rng(500 + i);
    return { name: `random #${i}`, rows: randomInt(random, 6, 20), channels: randomInt(random, 1, 5) };
  }),
];

function data(c: Case, seed: number) {
  const random = rng(seed);
  const x = randomArray(random, c.rows * c.channels, -2 + (c.offset ?? 0), 3 + (c.offset ?? 0));
  const gamma = randomArray(random, c.channels, 0.5, 1.5);
  const beta = randomArray(random, c.channels);
  const movingMean = randomArray(random, c.channels);
  const movingVariance = randomArray(random, c.channels, 0.5, 2);
  return { random, x, gamma, beta, movingMean, movingVariance };
}

function trainingForward(c: Case, d: ReturnType<typeof data>, options: { epsilon?: number; momentum?: number } = {}) {
  const y = new Float32Array(c.rows * c.channels).fill(Number.NaN);
  const savedMean = new Float32Array(c.channels).fill(Number.NaN);
  const savedInvStd = new Float32Array(c.channels).fill(Number.NaN);
  const movingMean = d.movingMean.slice();
  const movingVariance = d.movingVariance.slice();
  k.batchNormTrainingForward(
    { rows: c.rows, channels: c.channels, ...options },
    d.x,
    d.gamma,
    d.beta,
    movingMean,
    movingVariance,
    y,
    savedMean,
    savedInvStd,
  );
  return { y, savedMean, savedInvStd, movingMean, movingVariance };
}

const tol = { atol: 2e-5, rtol: 1e-5 };

describe('batch norm training forward matches the float64 reference', () => {
  const all = [...cases, { name: 'large offset, many rows', rows: 3000, channels: 3, offset: 300 }];
  it.each(all)('$name', (c) => {
    const d = data(c, 1);
    const epsilon = 1e-3;
    const expected = referenceBatchNormTraining(c.rows, c.channels, d.x, d.gamma, d.beta, epsilon);
    const out = trainingForward(c, d);
    expectClose(out.y, expected.y, tol, 'y');
    expectClose(out.savedMean, expected.mean, { atol: 1e-6, rtol: 1e-6 }, 'savedMean');
    expectClose(
      out.savedInvStd,
      expected.variance.map((v) => 1 / Math.sqrt(v + epsilon)),
      { atol: 0, rtol: 1e-6 },
      'savedInvStd',
    );
  });

  it('normalizes each channel to mean 0 and variance var / (var + epsilon) with gamma 1, beta 0', () => {
    const c = { name: '', rows: 400, channels: 7 };
    const d = data(c, 2);
    d.gamma.fill(1);
    d.beta.fill(0);
    const { y } = trainingForward(c, d);
    const input = referenceMoments(c.rows, c.channels, d.x);
    const output = referenceMoments(c.rows, c.channels, y);
    for (let ch = 0; ch < c.channels; ch++) {
      expect(Math.abs(output.mean[ch])).toBeLessThan(1e-6);
      const variance = input.variance[ch];
      expect(output.variance[ch]).toBeCloseTo(variance / (variance + 1e-3), 5);
      expect(output.variance[ch]).toBeLessThan(1); // epsilon is really added
    }
  });

  it('honours epsilon', () => {
    const c = cases[5];
    const d = data(c, 3);
    const out = trainingForward(c, d, { epsilon: 0.5 });
    expectClose(out.y, referenceBatchNormTraining(c.rows, c.channels, d.x, d.gamma, d.beta, 0.5).y, tol, 'y');
  });

  it('gives beta for a constant channel (zero variance) instead of dividing by zero', () => {
    const c = { name: '', rows: 5, channels: 2 };
    const d = data(c, 4);
    for (let r = 0; r < c.rows; r++) d.x[r * 2 + 1] = 2.5;
    const { y } = trainingForward(c, d);
    for (let r = 0; r < c.rows; r++) expect(y[r * 2 + 1]).toBeCloseTo(d.beta[1], 6);
  });
});

describe('batch norm moving statistics', () => {
  it.each([0.99, 0.9, 0.5, 0, 1])('follow moving * momentum + batch * (1 - momentum) (momentum %f)', (momentum) => {
    const c = cases[6];
    const d = data(c, 5);
    const batch = referenceMoments(c.rows, c.channels, d.x);
    const m = Math.fround(momentum);
    const out = trainingForward(c, d, { momentum });
    expectClose(
      out.movingMean,
      referenceMovingAverage(d.movingMean, batch.mean, m),
      { atol: 1e-7, rtol: 1e-6 },
      'movingMean',
    );
    expectClose(
      out.movingVariance,
      referenceMovingAverage(d.movingVariance, batch.variance, m),
      { atol: 1e-7, rtol: 1e-6 },
      'movingVariance (biased)',
    );
  });

  it('default to momentum 0.99 and accumulate over calls', () => {
    const c = cases[7];
    const d = data(c, 6);
    let expectedMean = toFloat64(d.movingMean);
    let expectedVariance = toFloat64(d.movingVariance);
    const y = new Float32Array(c.rows * c.channels);
    const saved = [new Float32Array(c.channels), new Float32Array(c.channels)];
    for (let call = 0; call < 3; call++) {
      const x = randomArray(d.random, c.rows * c.channels, -1, 4);
      const batch = referenceMoments(c.rows, c.channels, x);
      expectedMean = referenceMovingAverage(expectedMean, batch.mean, Math.fround(0.99));
      expectedVariance = referenceMovingAverage(expectedVariance, batch.variance, Math.fround(0.99));
      k.batchNormTrainingForward(
        { rows: c.rows, channels: c.channels },
        x,
        d.gamma,
        d.beta,
        d.movingMean,
        d.movingVariance,
        y,
        saved[0],
        saved[1],
      );
    }
    expectClose(d.movingMean, expectedMean, { atol: 1e-7, rtol: 1e-6 }, 'movingMean');
    expectClose(d.movingVariance, expectedVariance, { atol: 1e-7, rtol: 1e-6 }, 'movingVariance');
  });
});

describe('batch norm inference forward matches the float64 reference', () => {
  it.each(cases)('$name', (c) => {
    const d = data(c, 7);
    const y = new Float32Array(c.rows * c.channels).fill(Number.NaN);
    const before = [d.movingMean.slice(), d.movingVariance.slice()];
    k.batchNormInferenceForward(
      { rows: c.rows, channels: c.channels },
      d.x,
      d.gamma,
      d.beta,
      d.movingMean,
      d.movingVariance,
      y,
    );
    const expected = referenceNormalize(c.rows, c.channels, d.x, d.gamma, d.beta, d.movingMean, d.movingVariance, 1e-3);
    expectClose(y, expected, tol, 'y');
    expect([d.movingMean, d.movingVariance]).toEqual(before);
    k.batchNormInferenceForward(
      { rows: c.rows, channels: c.channels, epsilon: 0.25 },
      d.x,
      d.gamma,
      d.beta,
      d.movingMean,
      d.movingVariance,
      y,
    );
    expectClose(
      y,
      referenceNormalize(c.rows, c.channels, d.x, d.gamma, d.beta, d.movingMean, d.movingVariance, 0.25),
      tol,
      'y, epsilon 0.25',
    );
  });
});

describe('batch norm backward matches finite differences of the reference training forward', () => {
  it.each(cases)('$name', (c) => {
    const d = data(c, 8);
    const epsilon = 1e-3;
    const { savedMean, savedInvStd } = trainingForward(c, d);
    // loss = sum(weights * y), so d loss / d y = weights
    const weights = randomArray(d.random, c.rows * c.channels);
    const gradX = new Float32Array(d.x.length).fill(Number.NaN);
    const gradGamma = new Float32Array(c.channels).fill(123);
    const gradBeta = new Float32Array(c.channels).fill(123);
    k.batchNormBackward(
      { rows: c.rows, channels: c.channels },
      d.x,
      d.gamma,
      savedMean,
      savedInvStd,
      weights,
      gradX,
      gradGamma,
      gradBeta,
    );

    const x = toFloat64(d.x);
    const gamma = toFloat64(d.gamma);
    const beta = toFloat64(d.beta);
    const loss = () => weightedSum(referenceBatchNormTraining(c.rows, c.channels, x, gamma, beta, epsilon).y, weights);
    expectGradientClose(gradX, numericGradient(loss, x, sampleIndices(x.length, 60, d.random)), 1e-4, 1e-3, 'x');
    expectGradientClose(
      gradGamma,
      numericGradient(loss, gamma, sampleIndices(gamma.length, 60, d.random)),
      1e-4,
      1e-3,
      'gamma',
    );
    expectGradientClose(
      gradBeta,
      numericGradient(loss, beta, sampleIndices(beta.length, 60, d.random)),
      1e-4,
      1e-3,
      'beta',
    );
  });

  it('honours epsilon', () => {
    const c = cases[8];
    const d = data(c, 9);
    const epsilon = 0.3;
    const { savedMean, savedInvStd } = trainingForward(c, d, { epsilon });
    const weights = randomArray(d.random, c.rows * c.channels);
    const gradX = new Float32Array(d.x.length);
    const gradGamma = new Float32Array(c.channels);
    const gradBeta = new Float32Array(c.channels);
    k.batchNormBackward(
      { rows: c.rows, channels: c.channels, epsilon },
      d.x,
      d.gamma,
      savedMean,
      savedInvStd,
      weights,
      gradX,
      gradGamma,
      gradBeta,
    );
    const x = toFloat64(d.x);
    const loss = () =>
      weightedSum(referenceBatchNormTraining(c.rows, c.channels, x, d.gamma, d.beta, epsilon).y, weights);
    expectGradientClose(gradX, numericGradient(loss, x, sampleIndices(x.length, 60, d.random)), 1e-4, 1e-3, 'x');
  });

  it('gives a zero input gradient for a constant upstream gradient (the mean absorbs it)', () => {
    const c = cases[9];
    const d = data(c, 10);
    const { savedMean, savedInvStd } = trainingForward(c, d);
    const gradX = new Float32Array(d.x.length);
    const gradGamma = new Float32Array(c.channels);
    const gradBeta = new Float32Array(c.channels);
    k.batchNormBackward(
      { rows: c.rows, channels: c.channels },
      d.x,
      d.gamma,
      savedMean,
      savedInvStd,
      new Float32Array(d.x.length).fill(0.75),
      gradX,
      gradGamma,
      gradBeta,
    );
    for (const value of gradX) expect(Math.abs(value)).toBeLessThan(1e-6);
    for (const value of gradBeta) expect(value).toBeCloseTo(0.75 * c.rows, 5);
  });
});

describe('batch norm rejects bad input', () => {
  const p = { rows: 4, channels: 3 };
  const x = new Float32Array(12);
  const ch = () => new Float32Array(3);
  const train =
    (params: Record<string, unknown>, ...overrides: [number, unknown][]) =>
    () => {
      const args: unknown[] = [x, ch(), ch(), ch(), ch(), new Float32Array(12), ch(), ch()];
      for (const [index, value] of overrides) args[index] = value;
      (k.batchNormTrainingForward as (...a: unknown[]) => void)({ ...p, ...params }, ...args);
    };

  it('rejects non-positive epsilon and momentum outside [0, 1]', () => {
    expect(train({ epsilon: 0 })).toThrow(
      new RangeError('batchNormTrainingForward: epsilon must be a finite number in (0, 3.40282e+38], got 0'),
    );
    expect(train({ epsilon: -1e-3 })).toThrow(/epsilon must be a finite number/);
    expect(train({ epsilon: 1e-50 })).toThrow(/as float32/); // 0 once rounded to float
    expect(train({ momentum: 1.01 })).toThrow(
      new RangeError('batchNormTrainingForward: momentum must be a finite number in [0, 1], got 1.01'),
    );
    expect(train({ momentum: -0.5 })).toThrow(RangeError);
    expect(train({ momentum: Number.NaN })).toThrow(/momentum must be a finite number/);
    expect(train({ momentum: '0.9' })).toThrow(
      new TypeError('batchNormTrainingForward: momentum must be a number, got a string'),
    );
    expect(() =>
      k.batchNormInferenceForward({ ...p, epsilon: 0 }, x, ch(), ch(), ch(), ch(), new Float32Array(12)),
    ).toThrow(/batchNormInferenceForward: epsilon must be/);
  });

  it('rejects wrong lengths and types, naming the argument', () => {
    expect(train({}, [0, new Float32Array(11)])).toThrow(
      new RangeError('batchNormTrainingForward: x must have 12 elements (rows*channels), got 11'),
    );
    expect(train({}, [2, new Float32Array(4)])).toThrow(/beta must have 3 elements \(channels\), got 4/);
    expect(train({}, [4, new Float64Array(3)])).toThrow(
      new TypeError('batchNormTrainingForward: movingVariance must be a Float32Array, got Float64Array'),
    );
    expect(train({}, [7, undefined])).toThrow(/savedInvStd must be a Float32Array, got undefined/);
    expect(train({ rows: 0 })).toThrow(/rows must be in \[1,/);
    expect(train({ channels: 2.5 })).toThrow(/channels must be an integer/);
    expect(() =>
      k.batchNormBackward(
        p,
        x,
        ch(),
        ch(),
        ch(),
        new Float32Array(12),
        new Float32Array(12),
        ch(),
        new Float32Array(2),
      ),
    ).toThrow(/batchNormBackward: gradBeta must have 3 elements/);
  });

  it('rejects outputs that share memory with inputs', () => {
    const y = new Float32Array(12);
    expect(train({}, [5, x])).toThrow(/y and x must not share memory/);
    expect(train({}, [5, y], [6, y.subarray(0, 3)])).toThrow(/must not share memory/);
    const grad = new Float32Array(12);
    expect(() => k.batchNormBackward(p, x, ch(), ch(), ch(), grad, grad, ch(), ch())).toThrow(
      /gradX and gradY must not share memory/,
    );
  });
});
