import { describe, expect, it } from 'vitest';
import * as ck from '../lib';
import { initialize, initializerNames, initializerOption, type InitializerName } from '../lib/initializers';

function stats(values: Float32Array): { mean: number; std: number; maxAbs: number } {
  let sum = 0;
  let maxAbs = 0;
  for (const v of values) {
    sum += v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length), maxAbs };
}

/**
 * Checks the sample mean and standard deviation of `values` against a distribution with mean 0
 * and standard deviation `std`, within `sigmas` standard errors (the std's standard error for a
 * light-tailed distribution is about std / sqrt(2n); 1.5x covers the uniform's and truncated
 * normal's kurtosis).
 */
function expectMoments(values: Float32Array, std: number, sigmas = 5): void {
  const n = values.length;
  const s = stats(values);
  expect(Math.abs(s.mean), `mean ${s.mean}`).toBeLessThan((sigmas * std) / Math.sqrt(n));
  expect(Math.abs(s.std - std), `std ${s.std} vs ${std}`).toBeLessThan((sigmas * 1.5 * std) / Math.sqrt(2 * n));
}

// A conv kernel [kh, kw, in, out] and a dense kernel [in, out]; large enough for tight statistics.
const conv = [3, 3, 64, 128]; // fanIn 576, fanOut 1152, 73,728 values
const dense = [300, 200]; // fanIn 300, fanOut 200, 60,000 values

describe('Keras definitions', () => {
  it('zeros and ones', () => {
    expect(initialize('zeros', [4, 5], 1).every((v) => v === 0)).toBe(true);
    expect(initialize('ones', [4, 5], 1).every((v) => v === 1)).toBe(true);
    expect(initialize('ones', [3, 3, 2, 4], 1)).toHaveLength(72);
  });

  it('glorotUniform: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)), conv fans kh*kw*in and kh*kw*out', () => {
    for (const [shape, fanIn, fanOut] of [
      [conv, 576, 1152],
      [dense, 300, 200],
    ] as const) {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const values = initialize('glorotUniform', shape, 7);
      const s = stats(values);
      expect(s.maxAbs).toBeLessThanOrEqual(limit);
      // With 60,000+ draws the extremes come within 0.1% of the limit: the limit is not smaller.
      expect(s.maxAbs).toBeGreaterThan(0.999 * limit);
      expectMoments(values, limit / Math.sqrt(3));
    }
  });

  it('heUniform: U(-limit, limit), limit = sqrt(6 / fanIn)', () => {
    const limit = Math.sqrt(6 / 576);
    const values = initialize('heUniform', conv, 3);
    const s = stats(values);
    expect(s.maxAbs).toBeLessThanOrEqual(limit);
    expect(s.maxAbs).toBeGreaterThan(0.999 * limit);
    expectMoments(values, limit / Math.sqrt(3));
  });

  it("heNormal: normal truncated at 2 stddev, with Keras's 0.8796 correction so the std is sqrt(2 / fanIn)", () => {
    const target = Math.sqrt(2 / 576);
    const stddev = target / 0.87962566103423978; // the parameter of the truncated normal
    const values = initialize('heNormal', conv, 11);
    const s = stats(values);
    // Truncated at two standard deviations of the underlying normal, and reaching close to it.
    expect(s.maxAbs).toBeLessThanOrEqual(2 * stddev * (1 + 1e-6));
    expect(s.maxAbs).toBeGreaterThan(1.99 * stddev);
    // Without the correction the std would be 12% lower; untruncated, 14% higher.
    expectMoments(values, target);
  });

  it('glorotNormal: truncated normal with std sqrt(2 / (fanIn + fanOut))', () => {
    const target = Math.sqrt(2 / (300 + 200));
    const values = initialize('glorotNormal', dense, 5);
    const s = stats(values);
    expect(s.maxAbs).toBeLessThanOrEqual(((2 * target) / 0.87962566103423978) * (1 + 1e-6));
    expectMoments(values, target);
  });

  it('randomNormal (std 0.05) and randomUniform (U(-0.05, 0.05)), as Keras', () => {
    expectMoments(initialize('randomNormal', dense, 2), 0.05);
    const uniform = initialize('randomUniform', dense, 2);
    expect(stats(uniform).maxAbs).toBeLessThanOrEqual(0.05);
    expect(stats(uniform).maxAbs).toBeGreaterThan(0.0499);
    expectMoments(uniform, 0.05 / Math.sqrt(3));
  });

  it('a 1-D shape uses its length as both fans', () => {
    // glorotUniform on [n]: limit sqrt(6 / 2n).
    const values = initialize('glorotUniform', [3000], 9);
    const limit = Math.sqrt(6 / 6000);
    expect(stats(values).maxAbs).toBeLessThanOrEqual(limit);
    expect(stats(values).maxAbs).toBeGreaterThan(0.99 * limit);
  });
});

describe('seeds', () => {
  it('the same seed gives the same values; another seed other values', () => {
    for (const name of initializerNames.filter((n) => n !== 'zeros' && n !== 'ones')) {
      const a = initialize(name, [10, 20], 42);
      expect(initialize(name, [10, 20], 42), name).toEqual(a);
      const b = initialize(name, [10, 20], 43);
      const same = a.filter((v, i) => v === b[i]).length;
      expect(same, `${name}: equal elements across seeds`).toBeLessThan(3);
    }
  });

  it('a model seed fixes every initial weight; layers draw from distinct streams', () => {
    const make = (seed: number) =>
      ck.sequential({
        seed,
        layers: [ck.layers.dense({ inputShape: [8], units: 8 }), ck.layers.dense({ units: 8 })],
      });
    const a = make(5).getWeights();
    expect(
      make(5)
        .getWeights()
        .map((w) => w.data),
    ).toEqual(a.map((w) => w.data));
    expect(make(6).getWeights()[0].data).not.toEqual(a[0].data);
    // Same shapes, same initializer, but not the same draws.
    expect(a[2].data).not.toEqual(a[0].data);
    // Biases start at zero (Keras's default biasInitializer).
    expect(a[1].data.every((v) => v === 0)).toBe(true);
  });
});

describe('initializer options on layers', () => {
  it('kernelInitializer and biasInitializer are used', () => {
    const model = ck.sequential({
      seed: 1,
      layers: [ck.layers.dense({ inputShape: [3], units: 2, kernelInitializer: 'zeros', biasInitializer: 'ones' })],
    });
    const [kernel, bias] = model.getWeights();
    expect(Array.from(kernel.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(bias.data)).toEqual([1, 1]);
  });

  it('an unknown initializer is an error naming the field', () => {
    expect(() => ck.layers.dense({ units: 2, kernelInitializer: 'orthogonal' as InitializerName })).toThrow(
      /Dense kernelInitializer must be one of glorotUniform, .*; got 'orthogonal'/,
    );
    expect(() =>
      ck.layers.conv2d({ filters: 2, kernelSize: 3, biasInitializer: 3 as unknown as InitializerName }),
    ).toThrow(TypeError);
    expect(initializerOption(undefined, 'x', 'heNormal')).toBe('heNormal');
  });
});
