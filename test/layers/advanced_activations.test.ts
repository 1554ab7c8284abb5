import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';

describe('LeakyReLU and ELU', () => {
  it('default alpha as Keras: LeakyReLU 0.3, ELU 1.0; Keras names', () => {
    const leaky = ck.layers.leakyReLU();
    const elu = ck.layers.elu();
    expect(leaky).toBeInstanceOf(ck.layers.LeakyReLU);
    expect(elu).toBeInstanceOf(ck.layers.ELU);
    expect(leaky.alpha).toBe(0.3);
    expect(elu.alpha).toBe(1);
    expect(leaky.name).toMatch(/^leaky_re_lu(_\d+)?$/);
    expect(elu.name).toMatch(/^elu(_\d+)?$/);
    expect(leaky.computeOutputShape([3, 4, 2])).toEqual([3, 4, 2]);
    expect(leaky.weightSpecs([3])).toEqual([]);
  });

  it('validates alpha, naming the layer', () => {
    expect(() => ck.layers.leakyReLU({ alpha: Number.NaN })).toThrow(/LeakyReLU alpha must be a finite number/);
    expect(() => ck.layers.leakyReLU({ alpha: '0.1' as unknown as number })).toThrow(TypeError);
    expect(() => ck.layers.elu({ alpha: Infinity })).toThrow(/ELU alpha must be a finite number/);
  });

  it('compute x < 0 ? alpha * x : x and x < 0 ? alpha * (exp(x) - 1) : x', () => {
    const values = [-3, -1, -0.25, 0, 0.5, 2];
    const x = ck.tensor([values, values.map((v) => -v)]);
    const run = (layer: ck.layers.Layer) => ck.sequential({ layers: [layer] }).predictSync(x).data;
    const all = [...values, ...values.map((v) => -v)];
    expectClose(
      run(ck.layers.leakyReLU({ inputShape: [6] })),
      all.map((v) => (v < 0 ? 0.3 * v : v)),
      { atol: 1e-7, rtol: 1e-6 },
      'leaky default',
    );
    expectClose(
      run(ck.layers.leakyReLU({ inputShape: [6], alpha: 0.05 })),
      all.map((v) => (v < 0 ? 0.05 * v : v)),
      { atol: 1e-7, rtol: 1e-6 },
      'leaky 0.05',
    );
    expectClose(
      run(ck.layers.elu({ inputShape: [6] })),
      all.map((v) => (v < 0 ? Math.exp(v) - 1 : v)),
      { atol: 1e-7, rtol: 1e-6 },
      'elu default',
    );
    expectClose(
      run(ck.layers.elu({ inputShape: [6], alpha: 1.5 })),
      all.map((v) => (v < 0 ? 1.5 * (Math.exp(v) - 1) : v)),
      { atol: 1e-7, rtol: 1e-6 },
      'elu 1.5',
    );
  });
});

describe('Maxout', () => {
  it("validates pieces and the input's last axis", () => {
    expect(() => ck.layers.maxout({} as ck.layers.MaxoutArgs)).toThrow(
      /Maxout pieces must be a positive integer, got undefined/,
    );
    expect(() => ck.layers.maxout({ pieces: 0 })).toThrow(/Maxout pieces must be a positive integer, got 0/);
    const layer = ck.layers.maxout({ pieces: 4, name: 'mo' });
    expect(layer).toBeInstanceOf(ck.layers.Maxout);
    expect(() => layer.computeOutputShape([6])).toThrow(
      /Maxout 'mo': the last axis \(6\) must be a multiple of pieces \(4\)/,
    );
    expect(layer.computeOutputShape([12])).toEqual([3]);
    expect(layer.computeOutputShape([5, 5, 8])).toEqual([5, 5, 2]);
    expect(ck.layers.maxout({ pieces: 1 }).computeOutputShape([7])).toEqual([7]);
  });

  it('after dense({ units: u * k }) computes max(w1.x + b1, ..., wk.x + bk) over consecutive channels', () => {
    const random = rng(4);
    const [n, inF, units, pieces] = [6, 5, 3, 2];
    const model = ck.sequential({
      layers: [ck.layers.dense({ inputShape: [inF], units: units * pieces }), ck.layers.maxout({ pieces })],
    });
    const kernel = randomArray(random, inF * units * pieces);
    const bias = randomArray(random, units * pieces);
    model.setWeights([new ck.Tensor(kernel, [inF, units * pieces]), new ck.Tensor(bias, [units * pieces])]);
    expect(model.outputShape).toEqual([units]);
    const x = randomArray(random, n * inF);
    const y = model.predictSync(new ck.Tensor(x, [n, inF]));
    const expected = new Float64Array(n * units);
    let firstWins = 0;
    for (let i = 0; i < n; i++) {
      for (let u = 0; u < units; u++) {
        const affine = (channel: number) => {
          let sum = bias[channel];
          for (let k = 0; k < inF; k++) sum += x[i * inF + k] * kernel[k * units * pieces + channel];
          return sum;
        };
        const piecesOut = Array.from({ length: pieces }, (_, p) => affine(u * pieces + p));
        expected[i * units + u] = Math.max(...piecesOut);
        if (piecesOut[0] > piecesOut[1]) firstWins += 1;
      }
    }
    // Both pieces win somewhere, so a layer returning always the first (or last) piece fails.
    expect(firstWins).toBeGreaterThan(0);
    expect(firstWins).toBeLessThan(n * units);
    expectClose(y.data, expected, { atol: 1e-5, rtol: 1e-5 }, 'maxout');
  });

  it('groups consecutive channels of NHWC feature maps', () => {
    const model = ck.sequential({ layers: [ck.layers.maxout({ inputShape: [1, 2, 6], pieces: 3 })] });
    const y = model.predictSync(
      ck.tensor([
        [
          [
            [1, 5, 2, -1, -3, -2],
            [0, 0, 9, 4, 8, 7],
          ],
        ],
      ]),
    );
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(y.data)).toEqual([5, -1, 9, 8]);
  });
});

describe('ReLU', () => {
  it('is relu without maxValue and relu6 with maxValue 6; Keras names', () => {
    const x = ck.tensor([[-2, 0, 3, 6, 7.5]]);
    const run = (layer: ck.layers.Layer) => Array.from(ck.sequential({ layers: [layer] }).predictSync(x).data);
    expect(run(ck.layers.reLU({ inputShape: [5] }))).toEqual([0, 0, 3, 6, 7.5]);
    expect(run(ck.layers.reLU({ inputShape: [5], maxValue: 6 }))).toEqual([0, 0, 3, 6, 6]);
    expect(ck.layers.reLU({ maxValue: 6 }).activation).toBe('relu6');
    expect(ck.layers.reLU().name).toMatch(/^re_lu(_\d+)?$/);
  });

  it('refuses what the kernels do not compute, saying what is supported', () => {
    const supported = /ReLU supports maxValue undefined \(relu\) or 6 \(relu6\) with negativeSlope 0 and threshold 0/;
    expect(() => ck.layers.reLU({ maxValue: 1 })).toThrow(RangeError);
    expect(() => ck.layers.reLU({ maxValue: 1 })).toThrow(supported);
    expect(() => ck.layers.reLU({ negativeSlope: 0.1 })).toThrow(supported);
    expect(() => ck.layers.reLU({ maxValue: 6, threshold: 1 })).toThrow(supported);
    expect(() => ck.layers.reLU({ maxValue: Number.NaN })).toThrow(/ReLU maxValue must be a finite number/);
    expect(() => ck.layers.reLU({ threshold: '0' as unknown as number })).toThrow(TypeError);
  });
});

describe('PReLU', () => {
  it("learns one alpha per channel of an image, or per value of a flat input, in Keras's shape", () => {
    const image = ck.layers.prelu({ sharedAxes: [1, 2] });
    expect(image.name).toMatch(/^p_re_lu(_\d+)?$/);
    expect(image.computeOutputShape([4, 5, 3])).toEqual([4, 5, 3]);
    expect(image.weightSpecs([4, 5, 3])).toEqual([
      { name: 'alpha', shape: [1, 1, 3], initializer: 'zeros', trainable: true },
    ]);
    expect(ck.layers.prelu({ sharedAxes: [1] }).weightSpecs([7, 2])[0].shape).toEqual([1, 2]);
    expect(ck.layers.prelu().weightSpecs([6])[0].shape).toEqual([6]);
  });

  it('computes x > 0 ? x : alpha[c] * x with the alpha of each channel', () => {
    const model = ck.sequential({ layers: [ck.layers.prelu({ inputShape: [1, 2, 2], sharedAxes: [2, 1] })] });
    model.setWeights([ck.tensor([0.5, -2], [1, 1, 2])]);
    const y = model.predictSync(ck.tensor([-4, -4, 3, -1], [1, 1, 2, 2]));
    expect(Array.from(y.data)).toEqual([-2, 8, 3, 2]);
  });

  it('refuses the sharing it does not support, and bad options', () => {
    const build = (sharedAxes: number[] | null | undefined, shape: number[]) =>
      ck.layers.prelu({ sharedAxes }).computeOutputShape(shape);
    expect(() => build(undefined, [4, 4, 3])).toThrow(RangeError);
    expect(() => build(null, [4, 4, 3])).toThrow(
      /PReLU '.*': sharedAxes \[\] is not supported for an input of shape \[4, 4, 3\]: convkit supports one alpha per channel \(sharedAxes \[1, 2\]\)$/,
    );
    expect(() => build([1], [4, 4, 3])).toThrow(/sharedAxes \[1\] is not supported/);
    expect(() => build([1], [6])).toThrow(
      /sharedAxes \[1\] is not supported for an input of shape \[6\]: convkit supports sharedAxes null/,
    );
    expect(() => ck.layers.prelu({ sharedAxes: 1 as unknown as number[] })).toThrow(
      new TypeError('PReLU sharedAxes must be an array of axes or null, got number 1'),
    );
    expect(() => ck.layers.prelu({ sharedAxes: [0] })).toThrow(/PReLU sharedAxes\[0\] must be a positive integer/);
    expect(() => ck.layers.prelu({ alphaInitializer: 'twos' as 'zeros' })).toThrow(
      /PReLU alphaInitializer must be one of/,
    );
  });
});
