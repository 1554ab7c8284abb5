import { describe, expect, it } from 'vitest';
import { denseKernels as k } from '../helpers/kernels/dense';
import { referenceActivation } from '../reference/activation';
import { expectClose } from '../helpers/assert';
import { expectGradientClose, numericGradient, sampleIndices, toFloat64, weightedSum } from '../helpers/gradcheck';
import { randomArray, rng } from '../helpers/random';
import { referenceDense } from '../reference/dense';

const shapes = [
  { batch: 1, inFeatures: 1, units: 1 },
  { batch: 1, inFeatures: 784, units: 10 },
  { batch: 5, inFeatures: 576, units: 64 },
  { batch: 7, inFeatures: 13, units: 17 },
  { batch: 64, inFeatures: 64, units: 10 },
];

describe('dense', () => {
  it.each(shapes)('forward matches the reference: batch=$batch in=$inFeatures units=$units', (p) => {
    const r = rng(p.batch * 31 + p.units);
    const input = randomArray(r, p.batch * p.inFeatures);
    const kernel = randomArray(r, p.inFeatures * p.units);
    const bias = randomArray(r, p.units);
    const output = new Float32Array(p.batch * p.units);
    k.denseForward(p, input, kernel, bias, output);
    expectClose(
      output,
      referenceDense(p.batch, p.inFeatures, p.units, input, kernel, bias),
      { atol: 1e-5, rtol: 1e-4 },
      'output',
    );
    k.denseForward(p, input, kernel, null, output);
    expectClose(
      output,
      referenceDense(p.batch, p.inFeatures, p.units, input, kernel, null),
      { atol: 1e-5, rtol: 1e-4 },
      'no bias',
    );
    const linear = referenceDense(p.batch, p.inFeatures, p.units, input, kernel, bias);
    k.denseForward({ ...p, activation: 'relu' }, input, kernel, bias, output);
    expectClose(
      output,
      referenceActivation('relu', 0, p.batch, p.units, linear),
      { atol: 1e-5, rtol: 1e-4 },
      'fused relu',
    );
  });

  it.each(shapes)('backward matches finite differences: batch=$batch in=$inFeatures units=$units', (p) => {
    const r = rng(p.batch * 17 + p.inFeatures);
    const input = randomArray(r, p.batch * p.inFeatures);
    const kernel = randomArray(r, p.inFeatures * p.units);
    const bias = randomArray(r, p.units);
    const weights = randomArray(r, p.batch * p.units);
    const gradInput = new Float32Array(input.length);
    const gradKernel = new Float32Array(kernel.length);
    const gradBias = new Float32Array(bias.length);
    k.denseBackwardInput(p, weights, kernel, gradInput);
    k.denseBackwardParams(p, input, weights, gradKernel, gradBias);
    const x = toFloat64(input);
    const w = toFloat64(kernel);
    const b = toFloat64(bias);
    const loss = () => weightedSum(referenceDense(p.batch, p.inFeatures, p.units, x, w, b), weights);
    expectGradientClose(gradInput, numericGradient(loss, x, sampleIndices(x.length, 50, r)), 1e-4, 1e-3, 'input');
    expectGradientClose(gradKernel, numericGradient(loss, w, sampleIndices(w.length, 50, r)), 1e-4, 1e-3, 'kernel');
    expectGradientClose(gradBias, numericGradient(loss, b, sampleIndices(b.length, 50, r)), 1e-4, 1e-3, 'bias');
  });

  it('rejects mismatched shapes naming the argument', () => {
    const p = { batch: 2, inFeatures: 3, units: 4 };
    expect(() => k.denseForward(p, new Float32Array(6), new Float32Array(11), null, new Float32Array(8))).toThrow(
      new RangeError('denseForward: kernel must have 12 elements (inFeatures*units), got 11'),
    );
    expect(() =>
      k.denseBackwardParams(p, new Float32Array(6), new Float32Array(8), new Float32Array(12), new Float32Array(3)),
    ).toThrow(/gradBias must have 4 elements/);
    expect(() =>
      k.denseForward({ ...p, units: 0 }, new Float32Array(6), new Float32Array(0), null, new Float32Array(0)),
    ).toThrow(/units must be in \[1,/);
  });
});
