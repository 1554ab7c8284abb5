// Every public entry point fed wrong types, wrong shapes, NaN/Infinity, empty arrays, overflowing
// dimensions, negative or fractional sizes and detached buffers: each must throw (or reject with)
// a TypeError for a wrong type or a RangeError for a wrong value, naming what is wrong, and the
// process must carry on. Rows are grouped by entry point; add a group with badInputTable.
//
// Where plain Error is expected, the input is fine but the outside world is not (a missing file):
// that is an I/O failure, not a bad argument.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { badInputTable, detach, type BadInputRow } from '../helpers/bad_input';

const huge = 2 ** 31;

/** conv2d on [4, 4, 1] -> 3 classes; compiled for class indices unless told otherwise. */
function tinyModel(loss: string | null = 'sparseCategoricalCrossentropy') {
  const model = ck.sequential({
    seed: 1,
    layers: [
      ck.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      ck.layers.flatten(),
      ck.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  if (loss) model.compile({ optimizer: 'sgd', loss });
  return model;
}

const model = tinyModel();
const categorical = tinyModel('categoricalCrossentropy');
const uncompiled = tinyModel(null);

function images(n: number, fill = 0.5): ck.Tensor {
  return ck.tensor(new Float32Array(n * 16).fill(fill), [n, 4, 4, 1]);
}
const x4 = images(4);
const labels4 = Int32Array.of(0, 1, 2, 0);

/** Four images of which one pixel of the third is `value`. */
function imagesWith(value: number): ck.Tensor {
  const x = images(4);
  x.data[2 * 16 + 5] = value;
  return x;
}

/** A tensor of the input shape whose buffer was detached after it was made. */
function detachedTensor(): ck.Tensor {
  const x = images(2);
  detach(x.data);
  return x;
}

function disposedTensor(): ck.Tensor {
  const x = images(2);
  x.dispose();
  return x;
}

function disposedModel() {
  const disposed = tinyModel();
  disposed.dispose();
  return disposed;
}

/** The model's weights with one value of the first replaced by `value`. */
function weightsWith(value: number): ck.Tensor[] {
  const weights = model.getWeights();
  weights[0].data[0] = value;
  return weights;
}

const tensorRows: BadInputRow[] = [
  {
    entry: 'ck.tensor',
    input: 'data a string',
    call: () => ck.tensor('abc' as never),
    error: TypeError,
    message: /tensor data must be a Float32Array or an array of numbers, got string abc/,
  },
  {
    entry: 'ck.tensor',
    input: 'data null',
    call: () => ck.tensor(null as never),
    error: TypeError,
    message: /tensor data must be .* got null/,
  },
  {
    entry: 'ck.tensor',
    input: 'a string among the numbers',
    call: () => ck.tensor([1, 'a'] as never),
    error: TypeError,
    message: /tensor data\[1\] must be a number, got string a/,
  },
  {
    entry: 'ck.tensor',
    input: 'a BigInt64Array',
    call: () => ck.tensor(BigInt64Array.of(1n) as never),
    error: TypeError,
    message: /tensor data\[0\] must be a number, got bigint 1/,
  },
  {
    entry: 'ck.tensor',
    input: 'ragged nested arrays',
    call: () => ck.tensor([[1, 2], [3]]),
    error: RangeError,
    message: /ragged: data\[1\] has 1 elements, expected an array of 2/,
  },
  {
    entry: 'ck.tensor',
    input: 'shape a string',
    call: () => ck.tensor(new Float32Array(4), 'x' as never),
    error: TypeError,
    message: /tensor shape must be an array of integers, got string x/,
  },
  {
    entry: 'ck.tensor',
    input: 'shape that needs more data',
    call: () => ck.tensor(new Float32Array(4), [2, 3]),
    error: RangeError,
    message: /shape \[2, 3\] needs 6 elements, but data has 4/,
  },
  {
    entry: 'ck.tensor',
    input: 'empty data with a non-empty shape',
    call: () => ck.tensor([], [2]),
    error: RangeError,
    message: /shape \[2\] needs 2 elements, but data has 0/,
  },
  {
    entry: 'ck.tensor',
    input: 'negative dimension',
    call: () => ck.tensor(new Float32Array(4), [-1, 4]),
    error: RangeError,
    message: /shape\[0\] must be a non-negative integer, got -1/,
  },
  {
    entry: 'ck.tensor',
    input: 'fractional dimension',
    call: () => ck.tensor(new Float32Array(4), [1.5, 2]),
    error: RangeError,
    message: /shape\[0\] must be a non-negative integer, got 1.5/,
  },
  {
    entry: 'ck.tensor',
    input: 'NaN dimension',
    call: () => ck.tensor(new Float32Array(4), [NaN]),
    error: RangeError,
    message: /shape\[0\] must be a non-negative integer, got NaN/,
  },
  {
    entry: 'ck.tensor',
    input: 'Infinity dimension',
    call: () => ck.tensor(new Float32Array(4), [4, Infinity]),
    error: RangeError,
    message: /shape\[1\] must be a non-negative integer, got Infinity/,
  },
  {
    entry: 'ck.tensor',
    input: 'a string dimension',
    call: () => ck.tensor(new Float32Array(4), ['4'] as never),
    error: TypeError,
    message: /shape\[0\] must be a non-negative integer, got string 4/,
  },
  {
    entry: 'ck.tensor',
    input: `dimensions ${huge} x ${huge} (overflow)`,
    call: () => ck.tensor(new Float32Array(4), [huge, huge]),
    error: RangeError,
    message: /shape \[2147483648, 2147483648\] has too many elements/,
  },
  {
    entry: 'ck.tensor',
    input: 'a dimension of 2^53',
    call: () => ck.tensor(new Float32Array(0), [2 ** 53, 0]),
    error: RangeError,
    message: /shape\[0\] is too large: 9007199254740992/,
  },
  {
    entry: 'ck.tensor',
    input: 'a detached Float32Array',
    call: () => ck.tensor(detach(new Float32Array(4))),
    error: TypeError,
    message: /tensor data's ArrayBuffer is detached/,
  },
  {
    entry: 'ck.tensor',
    input: 'a detached Float32Array with a shape',
    call: () => ck.tensor(detach(new Float32Array(4)), [2, 2]),
    error: TypeError,
    message: /tensor data's ArrayBuffer is detached/,
  },
  {
    entry: 'ck.tensor',
    input: 'a detached Int32Array',
    call: () => ck.tensor(detach(new Int32Array(4))),
    error: TypeError,
    message: /detached/,
  },
  {
    entry: 'tensor.reshape',
    input: 'another size',
    call: () => x4.reshape([3]),
    error: RangeError,
    message: /shape \[3\] needs 3 elements, but data has 64/,
  },
  {
    entry: 'tensor.slice',
    input: 'end past the rows',
    call: () => x4.slice(0, 5),
    error: RangeError,
    message: /slice \[0, 5\) is out of range for 4 rows/,
  },
  {
    entry: 'tensor.slice',
    input: 'NaN start',
    call: () => x4.slice(NaN, 2),
    error: RangeError,
    message: /slice \[NaN, 2\) is out of range/,
  },
  {
    entry: 'tensor.data',
    input: 'after its buffer was detached',
    call: () => detachedTensor().data,
    error: TypeError,
    message: /tensor data's ArrayBuffer is detached/,
  },
  {
    entry: 'tensor.data',
    input: 'after dispose()',
    call: () => disposedTensor().data,
    error: TypeError,
    message: /the tensor was disposed/,
  },
  {
    entry: 'tensor.toArray',
    input: 'after dispose()',
    call: () => disposedTensor().toArray(),
    error: TypeError,
    message: /the tensor was disposed/,
  },
];

const layerRows: BadInputRow[] = [
  {
    entry: 'ck.layers.conv2d',
    input: 'no options',
    call: () => ck.layers.conv2d(undefined as never),
    error: TypeError,
    message: /Conv2D takes an options object such as \{ filters: 32, kernelSize: 3 \}, got undefined/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'filters missing',
    call: () => ck.layers.conv2d({ kernelSize: 3 } as never),
    error: TypeError,
    message: /Conv2D filters must be a positive integer, got undefined/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'filters 0',
    call: () => ck.layers.conv2d({ filters: 0, kernelSize: 3 }),
    error: RangeError,
    message: /Conv2D filters must be a positive integer, got 0/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'filters negative',
    call: () => ck.layers.conv2d({ filters: -8, kernelSize: 3 }),
    error: RangeError,
    message: /Conv2D filters must be a positive integer, got -8/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'filters fractional',
    call: () => ck.layers.conv2d({ filters: 2.5, kernelSize: 3 }),
    error: RangeError,
    message: /Conv2D filters must be a positive integer, got 2.5/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'filters NaN',
    call: () => ck.layers.conv2d({ filters: NaN, kernelSize: 3 }),
    error: RangeError,
    message: /Conv2D filters must be a positive integer, got NaN/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'filters Infinity',
    call: () => ck.layers.conv2d({ filters: Infinity, kernelSize: 3 }),
    error: RangeError,
    message: /Conv2D filters must be a positive integer, got Infinity/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'filters a string',
    call: () => ck.layers.conv2d({ filters: '8' as never, kernelSize: 3 }),
    error: TypeError,
    message: /Conv2D filters must be a positive integer, got string 8/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'kernelSize a triple',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: [3, 3, 3] as never }),
    error: RangeError,
    message: /Conv2D kernelSize must be a number or a pair \[height, width\], got 3 values/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'kernelSize an empty array',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: [] as never }),
    error: RangeError,
    message: /Conv2D kernelSize must be a number or a pair .* got 0 values/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'kernelSize [3, "a"]',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: [3, 'a'] as never }),
    error: TypeError,
    message: /Conv2D kernelSize\[1\] must be a positive integer, got string a/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'kernelSize 0',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 0 }),
    error: RangeError,
    message: /Conv2D kernelSize must be a positive integer, got 0/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'strides negative',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, strides: -1 }),
    error: RangeError,
    message: /Conv2D strides must be a positive integer, got -1/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'dilationRate fractional',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, dilationRate: [1, 1.5] }),
    error: RangeError,
    message: /Conv2D dilationRate\[1\] must be a positive integer, got 1.5/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: "padding 'full'",
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'full' as never }),
    error: RangeError,
    message: /Conv2D padding must be one of valid, same; got 'full'/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'padding a number',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, padding: 1 as never }),
    error: TypeError,
    message: /Conv2D padding must be one of valid, same; got number 1/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'an unknown activation',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, activation: 'geluTanh' as never }),
    error: RangeError,
    message: /Conv2D activation must be one of linear, relu.*; got 'geluTanh'/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'useBias a string',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, useBias: 'yes' as never }),
    error: TypeError,
    message: /Conv2D useBias must be a boolean, got string yes/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'an unknown initializer',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, kernelInitializer: 'orthogonal' as never }),
    error: RangeError,
    message: /Conv2D kernelInitializer must be one of .*; got 'orthogonal'/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'an empty name',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, name: '' }),
    error: TypeError,
    message: /Conv2D name must be a non-empty string/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'a numeric name',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, name: 5 as never }),
    error: TypeError,
    message: /Conv2D name must be a non-empty string, got number 5/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'inputShape a string',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, inputShape: 'abc' as never }),
    error: TypeError,
    message: /Conv2D inputShape must be an array of positive integers, got string abc/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'inputShape empty',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, inputShape: [] }),
    error: RangeError,
    message: /Conv2D inputShape must have at least one dimension, got \[\]/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'inputShape negative',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, inputShape: [28, -28, 1] }),
    error: RangeError,
    message: /Conv2D inputShape\[1\] must be a positive integer, got -28/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'inputShape NaN',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, inputShape: [NaN, 28, 1] }),
    error: RangeError,
    message: /Conv2D inputShape\[0\] must be a positive integer, got NaN/,
  },
  {
    entry: 'ck.layers.conv2d',
    input: 'trainable a string',
    call: () => ck.layers.conv2d({ filters: 1, kernelSize: 3, trainable: 'no' as never }),
    error: TypeError,
    message: /Conv2D trainable must be a boolean, got string no/,
  },
  {
    entry: 'ck.layers.dense',
    input: 'units missing',
    call: () => ck.layers.dense({} as never),
    error: TypeError,
    message: /Dense units must be a positive integer, got undefined/,
  },
  {
    entry: 'ck.layers.dense',
    input: 'units Infinity',
    call: () => ck.layers.dense({ units: Infinity }),
    error: RangeError,
    message: /Dense units must be a positive integer, got Infinity/,
  },
  {
    entry: 'ck.layers.dense',
    input: 'units negative',
    call: () => ck.layers.dense({ units: -1 }),
    error: RangeError,
    message: /Dense units must be a positive integer, got -1/,
  },
  {
    entry: 'ck.layers.dense',
    input: 'options a number',
    call: () => ck.layers.dense(10 as never),
    error: TypeError,
    message: /Dense takes an options object such as \{ units: 10 \}, got number 10/,
  },
  {
    entry: 'ck.layers.flatten',
    input: 'options a string',
    call: () => ck.layers.flatten('x' as never),
    error: TypeError,
    message: /Flatten arguments must be an object, got string x/,
  },
  {
    entry: 'ck.layers.reshape',
    input: 'targetShape a string',
    call: () => ck.layers.reshape({ targetShape: 'a' as never }),
    error: TypeError,
    message: /Reshape targetShape must be a non-empty array, got string a/,
  },
  {
    entry: 'ck.layers.reshape',
    input: 'targetShape empty',
    call: () => ck.layers.reshape({ targetShape: [] }),
    error: RangeError,
    message: /Reshape targetShape must have at least one dimension, got \[\]/,
  },
  {
    entry: 'ck.layers.reshape',
    input: 'two -1 entries',
    call: () => ck.layers.reshape({ targetShape: [-1, -1] }),
    error: RangeError,
    message: /Reshape targetShape may contain at most one -1/,
  },
  {
    entry: 'ck.layers.reshape',
    input: 'a 0 entry',
    call: () => ck.layers.reshape({ targetShape: [0, 4] }),
    error: RangeError,
    message: /Reshape targetShape\[0\] must be a positive integer, got 0/,
  },
  {
    entry: 'ck.layers.reshape',
    input: 'a fractional entry',
    call: () => ck.layers.reshape({ targetShape: [2.5] }),
    error: RangeError,
    message: /Reshape targetShape\[0\] must be a positive integer, got 2.5/,
  },
  {
    entry: 'ck.layers.dropout',
    input: 'rate missing',
    call: () => ck.layers.dropout({} as never),
    error: TypeError,
    message: /Dropout rate must be a number, got undefined/,
  },
  {
    entry: 'ck.layers.dropout',
    input: 'rate 1',
    call: () => ck.layers.dropout({ rate: 1 }),
    error: RangeError,
    message: /Dropout rate must be a finite number in \[0, 0.999999\], got 1/,
  },
  {
    entry: 'ck.layers.dropout',
    input: 'rate negative',
    call: () => ck.layers.dropout({ rate: -0.1 }),
    error: RangeError,
    message: /Dropout rate must be .* got -0.1/,
  },
  {
    entry: 'ck.layers.dropout',
    input: 'rate NaN',
    call: () => ck.layers.dropout({ rate: NaN }),
    error: RangeError,
    message: /Dropout rate must be .* got NaN/,
  },
  {
    entry: 'ck.layers.dropout',
    input: 'rate a string',
    call: () => ck.layers.dropout({ rate: '0.5' as never }),
    error: TypeError,
    message: /Dropout rate must be a number, got string 0.5/,
  },
  {
    entry: 'ck.layers.activation',
    input: 'activation missing',
    call: () => ck.layers.activation({} as never),
    error: TypeError,
    message: /Activation activation must be one of .*; got undefined/,
  },
  {
    entry: 'ck.layers.activation',
    input: 'an unknown activation',
    call: () => ck.layers.activation({ activation: 'swishy' as never }),
    error: RangeError,
    message: /Activation activation must be one of .*; got 'swishy'/,
  },
  {
    entry: 'ck.layers.activation',
    input: 'alpha NaN',
    call: () => ck.layers.activation({ activation: 'elu', alpha: NaN }),
    error: RangeError,
    message: /Activation alpha must be a finite number .* got NaN/,
  },
  {
    entry: 'ck.layers.maxPooling2d',
    input: 'poolSize 0',
    call: () => ck.layers.maxPooling2d({ poolSize: 0 }),
    error: RangeError,
    message: /MaxPooling2D poolSize must be a positive integer, got 0/,
  },
  {
    entry: 'ck.layers.maxPooling2d',
    input: 'poolSize a string',
    call: () => ck.layers.maxPooling2d({ poolSize: 'a' as never }),
    error: TypeError,
    message: /MaxPooling2D poolSize must be a positive integer, got string a/,
  },
  {
    entry: 'ck.layers.maxPooling2d',
    input: 'strides negative',
    call: () => ck.layers.maxPooling2d({ strides: [-1, 1] }),
    error: RangeError,
    message: /MaxPooling2D strides\[0\] must be a positive integer, got -1/,
  },
  {
    entry: 'ck.layers.maxPooling2d',
    input: 'options a number',
    call: () => ck.layers.maxPooling2d(2 as never),
    error: TypeError,
    message: /MaxPooling2D arguments must be an object, got number 2/,
  },
  {
    entry: 'ck.layers.averagePooling2d',
    input: "padding 'causal'",
    call: () => ck.layers.averagePooling2d({ padding: 'causal' as never }),
    error: RangeError,
    message: /AveragePooling2D padding must be one of valid, same; got 'causal'/,
  },
  {
    entry: 'ck.layers.averagePooling2d',
    input: 'poolSize Infinity',
    call: () => ck.layers.averagePooling2d({ poolSize: Infinity }),
    error: RangeError,
    message: /AveragePooling2D poolSize must be a positive integer, got Infinity/,
  },
  {
    entry: 'ck.layers.globalAveragePooling2d',
    input: 'options a number',
    call: () => ck.layers.globalAveragePooling2d(1 as never),
    error: TypeError,
    message: /GlobalAveragePooling2D arguments must be an object, got number 1/,
  },
  {
    entry: 'ck.layers.globalMaxPooling2d',
    input: 'inputShape with 0',
    call: () => ck.layers.globalMaxPooling2d({ inputShape: [0, 4, 1] }),
    error: RangeError,
    message: /GlobalMaxPooling2D inputShape\[0\] must be a positive integer, got 0/,
  },
  {
    entry: 'ck.layers.batchNormalization',
    input: 'momentum 2',
    call: () => ck.layers.batchNormalization({ momentum: 2 }),
    error: RangeError,
    message: /BatchNormalization momentum must be a finite number in \[0, 1\], got 2/,
  },
  {
    entry: 'ck.layers.batchNormalization',
    input: 'epsilon 0',
    call: () => ck.layers.batchNormalization({ epsilon: 0 }),
    error: RangeError,
    message: /BatchNormalization epsilon must be a finite number .* got 0/,
  },
  {
    entry: 'ck.layers.batchNormalization',
    input: 'epsilon a string',
    call: () => ck.layers.batchNormalization({ epsilon: '1e-3' as never }),
    error: TypeError,
    message: /BatchNormalization epsilon must be a number, got string 1e-3/,
  },
  {
    entry: 'ck.layers.leakyReLU',
    input: 'alpha Infinity',
    call: () => ck.layers.leakyReLU({ alpha: Infinity }),
    error: RangeError,
    message: /LeakyReLU alpha must be a finite number .* got Infinity/,
  },
  {
    entry: 'ck.layers.elu',
    input: 'alpha a string',
    call: () => ck.layers.elu({ alpha: 'x' as never }),
    error: TypeError,
    message: /ELU alpha must be a number, got string x/,
  },
  {
    entry: 'ck.layers.maxout',
    input: 'pieces 0',
    call: () => ck.layers.maxout({ pieces: 0 }),
    error: RangeError,
    message: /Maxout pieces must be a positive integer, got 0/,
  },
  {
    entry: 'ck.layers.maxout',
    input: 'pieces missing',
    call: () => ck.layers.maxout({} as never),
    error: TypeError,
    message: /Maxout pieces must be a positive integer, got undefined/,
  },
];

const sequentialRows: BadInputRow[] = [
  {
    entry: 'ck.sequential',
    input: 'options a number',
    call: () => ck.sequential(5 as never),
    error: TypeError,
    message: /sequential\(\) takes an object, got number 5/,
  },
  {
    entry: 'ck.sequential',
    input: 'layers a string',
    call: () => ck.sequential({ layers: 'x' as never }),
    error: TypeError,
    message: /layers must be an array of layers, got string x/,
  },
  {
    entry: 'ck.sequential',
    input: 'a plain object among the layers',
    call: () => ck.sequential({ layers: [{} as never] }),
    error: TypeError,
    message: /add\(\) takes a layer .* got an object \(Object\)/,
  },
  {
    entry: 'ck.sequential',
    input: 'null among the layers',
    call: () => ck.sequential({ layers: [null as never] }),
    error: TypeError,
    message: /add\(\) takes a layer .* got null/,
  },
  {
    entry: 'ck.sequential',
    input: 'two layers with one name',
    call: () => ck.sequential({ layers: [ck.layers.flatten({ name: 'f' }), ck.layers.flatten({ name: 'f' })] }),
    error: RangeError,
    message: /a layer named 'f' is already in the model/,
  },
  {
    entry: 'ck.sequential',
    input: 'inputShape on the second layer',
    call: () =>
      ck.sequential({
        layers: [ck.layers.flatten({ inputShape: [4] }), ck.layers.dense({ units: 2, inputShape: [4] })],
      }),
    error: RangeError,
    message: /inputShape is only allowed on the first layer/,
  },
  {
    entry: 'ck.sequential',
    input: 'name a number',
    call: () => ck.sequential({ name: 5 as never }),
    error: TypeError,
    message: /sequential name must be a non-empty string, got number 5/,
  },
  {
    entry: 'ck.sequential',
    input: 'seed a string',
    call: () => ck.sequential({ seed: 'abc' as never }),
    error: TypeError,
    message: /sequential seed must be an integer, got string abc/,
  },
  {
    entry: 'ck.sequential',
    input: 'seed NaN',
    call: () => ck.sequential({ seed: NaN }),
    error: RangeError,
    message: /sequential seed must be an integer, got NaN/,
  },
  {
    entry: 'model.build',
    input: 'inputShape a string',
    call: () => ck.sequential({ layers: [ck.layers.flatten()] }).build('abc' as never),
    error: TypeError,
    message: /build inputShape must be an array of positive integers, got string abc/,
  },
  {
    entry: 'model.build',
    input: 'a negative dimension',
    call: () => ck.sequential({ layers: [ck.layers.flatten()] }).build([4, -4, 1]),
    error: RangeError,
    message: /build inputShape\[1\] must be a positive integer, got -4/,
  },
  {
    entry: 'model.build',
    input: 'the wrong rank for conv2d',
    call: () => ck.sequential({ layers: [ck.layers.conv2d({ filters: 1, kernelSize: 3 })] }).build([8, 8]),
    error: RangeError,
    message: /Conv2D '.*': expects \[height, width, channels\] input of rank 3 per sample, got shape \[8, 8\]/,
  },
  {
    entry: 'model.build',
    input: `a ${huge} x ${huge} input (overflow)`,
    call: () => ck.sequential({ layers: [ck.layers.conv2d({ filters: 1, kernelSize: 1 })] }).build([huge, huge, 1]),
    error: RangeError,
    message: /build inputShape \[2147483648, 2147483648, 1\] has too many elements/,
  },
  {
    entry: 'model.build',
    input: 'a conv2d output past 2^53 elements',
    call: () =>
      ck
        .sequential({ layers: [ck.layers.conv2d({ filters: 2 ** 22, kernelSize: 1, name: 'wide' })] })
        .build([2 ** 16, 2 ** 16, 1]),
    error: RangeError,
    message: /Conv2D 'wide' output shape \[65536, 65536, 4194304\] has too many elements/,
  },
  {
    entry: 'model.build',
    input: `a dense kernel of ${huge} x ${huge} (overflow)`,
    call: () => ck.sequential({ layers: [ck.layers.dense({ units: huge, name: 'huge' })] }).build([huge]),
    error: RangeError,
    message: /Dense 'huge' kernel shape \[2147483648, 2147483648\] has too many elements/,
  },
  {
    entry: 'model.build',
    input: 'a dense kernel past the native limit of 2^40 elements',
    call: () => ck.sequential({ layers: [ck.layers.dense({ units: 2 ** 21 })] }).build([2 ** 20]),
    error: RangeError,
    message: /Network: layers\[0\]: dense kernel is too large \(more than 1099511627776 elements\)/,
  },
  {
    entry: 'model.build',
    input: 'a kernel larger than the input',
    call: () =>
      ck
        .sequential({ layers: [ck.layers.conv2d({ inputShape: [2, 2, 1], filters: 1, kernelSize: 3 })] })
        .summary(() => {}),
    error: RangeError,
    message: /kernel 3x3 .* does not fit input 2x2 with 'valid' padding/,
  },
  {
    entry: 'model.predict',
    input: 'a model without layers',
    call: () => ck.sequential().predict(x4),
    error: RangeError,
    message: /the model is not built/,
  },
  {
    entry: 'model.compile',
    input: 'no options',
    call: () => uncompiled.compile(undefined as never),
    error: TypeError,
    message: /compile\(\) takes \{ optimizer, loss, metrics \}, got undefined/,
  },
  {
    entry: 'model.compile',
    input: 'an unknown loss',
    call: () => uncompiled.compile({ optimizer: 'sgd', loss: 'hinge' }),
    error: RangeError,
    message: /loss must be one of .*; got 'hinge'/,
  },
  {
    entry: 'model.compile',
    input: 'loss a number',
    call: () => uncompiled.compile({ optimizer: 'sgd', loss: 5 as never }),
    error: TypeError,
    message: /loss must be one of .*; got number 5/,
  },
  {
    entry: 'model.compile',
    input: 'an unknown optimizer',
    call: () => uncompiled.compile({ optimizer: 'adagrad', loss: 'mse' }),
    error: RangeError,
    message: /optimizer must be one of sgd, rmsprop, adam, adamw; got 'adagrad'/,
  },
  {
    entry: 'model.compile',
    input: 'optimizer a plain object',
    call: () => uncompiled.compile({ optimizer: {} as never, loss: 'mse' }),
    error: TypeError,
    message: /optimizer must be one of .*; got an object/,
  },
  {
    entry: 'model.compile',
    input: 'metrics a string',
    call: () => uncompiled.compile({ optimizer: 'sgd', loss: 'mse', metrics: 'accuracy' as never }),
    error: TypeError,
    message: /metrics must be an array of names, got string accuracy/,
  },
  {
    entry: 'model.compile',
    input: 'an unknown metric',
    call: () => uncompiled.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['f1'] }),
    error: RangeError,
    message: /metrics\[0\] must be one of accuracy, acc, loss; got 'f1'/,
  },
  {
    entry: 'model.compile',
    input: 'a numeric metric',
    call: () => uncompiled.compile({ optimizer: 'sgd', loss: 'mse', metrics: [5 as never] }),
    error: TypeError,
    message: /metrics\[0\] must be one of .*; got number 5/,
  },
];

const fitRows: BadInputRow[] = [
  {
    entry: 'model.fit',
    input: 'an uncompiled model',
    call: () => uncompiled.fit(x4, labels4, { verbose: 0 }),
    error: RangeError,
    message: /fit: the model must be compiled first/,
  },
  {
    entry: 'model.fit',
    input: 'x a Float32Array',
    call: () => model.fit(new Float32Array(64) as never, labels4, { verbose: 0 }),
    error: TypeError,
    message: /x must be a Tensor .* got Float32Array/,
  },
  {
    entry: 'model.fit',
    input: 'x null',
    call: () => model.fit(null as never, labels4, { verbose: 0 }),
    error: TypeError,
    message: /x must be a Tensor .* got null/,
  },
  {
    entry: 'model.fit',
    input: 'x of the wrong shape',
    call: () => model.fit(ck.tensor(new Float32Array(4 * 25), [4, 5, 5, 1]), labels4, { verbose: 0 }),
    error: RangeError,
    message: /x must have shape \[n, 4, 4, 1\], got \[4, 5, 5, 1\]/,
  },
  {
    entry: 'model.fit',
    input: 'x without samples',
    call: () => model.fit(images(0), new Int32Array(0), { verbose: 0 }),
    error: RangeError,
    message: /fit: x has no samples/,
  },
  {
    entry: 'model.fit',
    input: 'x with a NaN',
    call: () => model.fit(imagesWith(NaN), labels4, { verbose: 0, shuffle: false, batchSize: 4 }),
    error: RangeError,
    message: /x contains a non-finite value \(NaN or Infinity\) in sample 2/,
  },
  {
    entry: 'model.fit',
    input: 'x with Infinity',
    call: () => model.fit(imagesWith(-Infinity), labels4, { verbose: 0, shuffle: false, batchSize: 4 }),
    error: RangeError,
    message: /x contains a non-finite value \(NaN or Infinity\) in sample 2/,
  },
  {
    entry: 'model.fit',
    input: 'x detached',
    call: () => model.fit(detachedTensor(), labels4.subarray(0, 2), { verbose: 0 }),
    error: TypeError,
    message: /tensor data's ArrayBuffer is detached/,
  },
  {
    entry: 'model.fit',
    input: 'x disposed',
    call: () => model.fit(disposedTensor(), labels4.subarray(0, 2), { verbose: 0 }),
    error: TypeError,
    message: /the tensor was disposed/,
  },
  {
    entry: 'model.fit',
    input: 'fewer labels than samples',
    call: () => model.fit(x4, labels4.subarray(0, 3), { verbose: 0 }),
    error: RangeError,
    message: /y has 3 labels but x has 4 samples/,
  },
  {
    entry: 'model.fit',
    input: 'a label past the classes',
    call: () => model.fit(x4, Int32Array.of(0, 1, 3, 0), { verbose: 0, shuffle: false, batchSize: 4 }),
    error: RangeError,
    message: /label 3 in sample 2 of the batch is outside \[0, 3\)/,
  },
  {
    entry: 'model.fit',
    input: 'a negative label',
    call: () => model.fit(x4, [0, -1, 2, 0], { verbose: 0, shuffle: false, batchSize: 4 }),
    error: RangeError,
    message: /label -1 in sample 1 of the batch is outside \[0, 3\)/,
  },
  {
    entry: 'model.fit',
    input: 'a fractional label',
    call: () => model.fit(x4, [0, 1.5, 2, 0], { verbose: 0 }),
    error: RangeError,
    message: /y\[1\] must be an integer class index, got 1.5/,
  },
  {
    entry: 'model.fit',
    input: 'a NaN label',
    call: () => model.fit(x4, [0, NaN, 2, 0], { verbose: 0 }),
    error: RangeError,
    message: /y\[1\] must be an integer class index, got NaN/,
  },
  {
    entry: 'model.fit',
    input: 'labels a string',
    call: () => model.fit(x4, 'abc' as never, { verbose: 0 }),
    error: TypeError,
    message: /y must be class indices .* got string abc/,
  },
  {
    entry: 'model.fit',
    input: 'labels a Float64Array',
    call: () => model.fit(x4, new Float64Array(4) as never, { verbose: 0 }),
    error: TypeError,
    message: /y must be class indices .* got Float64Array/,
  },
  {
    entry: 'model.fit',
    input: 'labels detached',
    call: () => model.fit(x4, detach(new Int32Array(4)), { verbose: 0 }),
    error: TypeError,
    message: /y's ArrayBuffer is detached/,
  },
  {
    entry: 'model.fit',
    input: 'one-hot targets of the wrong shape',
    call: () => categorical.fit(x4, ck.tensor(new Float32Array(8), [4, 2]), { verbose: 0 }),
    error: RangeError,
    message: /y must have shape \[4, 3\] to match x and the model output, got \[4, 2\]/,
  },
  {
    entry: 'model.fit',
    input: 'targets with NaN',
    call: () => categorical.fit(x4, ck.tensor(new Float32Array(12).fill(NaN), [4, 3]), { verbose: 0, batchSize: 4 }),
    error: RangeError,
    message: /y contains a non-finite value in sample 0/,
  },
  {
    entry: 'model.fit',
    input: 'options a string',
    call: () => model.fit(x4, labels4, 'fast' as never),
    error: TypeError,
    message: /fit options must be an object, got string fast/,
  },
  {
    entry: 'model.fit',
    input: 'epochs 0',
    call: () => model.fit(x4, labels4, { epochs: 0, verbose: 0 }),
    error: RangeError,
    message: /epochs must be a positive integer, got 0/,
  },
  {
    entry: 'model.fit',
    input: 'epochs fractional',
    call: () => model.fit(x4, labels4, { epochs: 1.5, verbose: 0 }),
    error: RangeError,
    message: /epochs must be a positive integer, got 1.5/,
  },
  {
    entry: 'model.fit',
    input: 'epochs Infinity',
    call: () => model.fit(x4, labels4, { epochs: Infinity, verbose: 0 }),
    error: RangeError,
    message: /epochs must be a positive integer, got Infinity/,
  },
  {
    entry: 'model.fit',
    input: 'epochs a string',
    call: () => model.fit(x4, labels4, { epochs: '2' as never, verbose: 0 }),
    error: TypeError,
    message: /epochs must be a positive integer, got string 2/,
  },
  {
    entry: 'model.fit',
    input: 'batchSize negative',
    call: () => model.fit(x4, labels4, { batchSize: -4, verbose: 0 }),
    error: RangeError,
    message: /batchSize must be a positive integer, got -4/,
  },
  {
    entry: 'model.fit',
    input: 'batchSize 2^53',
    call: () => model.fit(x4, labels4, { batchSize: 2 ** 53, verbose: 0 }),
    error: RangeError,
    message: /batchSize must be a positive integer, got 9007199254740992/,
  },
  {
    entry: 'model.fit',
    input: 'batchSize NaN',
    call: () => model.fit(x4, labels4, { batchSize: NaN, verbose: 0 }),
    error: RangeError,
    message: /batchSize must be a positive integer, got NaN/,
  },
  {
    entry: 'model.fit',
    input: 'validationSplit 1',
    call: () => model.fit(x4, labels4, { validationSplit: 1, verbose: 0 }),
    error: RangeError,
    message: /validationSplit must be a finite number in \[0, 1\), got 1/,
  },
  {
    entry: 'model.fit',
    input: 'validationSplit NaN',
    call: () => model.fit(x4, labels4, { validationSplit: NaN, verbose: 0 }),
    error: RangeError,
    message: /validationSplit must be a finite number in \[0, 1\), got NaN/,
  },
  {
    entry: 'model.fit',
    input: 'validationSplit a string',
    call: () => model.fit(x4, labels4, { validationSplit: '0.1' as never, verbose: 0 }),
    error: TypeError,
    message: /validationSplit must be a number, got string 0.1/,
  },
  {
    entry: 'model.fit',
    input: 'validationSplit leaving nothing to train on',
    call: () => model.fit(x4.slice(0, 1), labels4.subarray(0, 1), { validationSplit: 0.5, verbose: 0 }),
    error: RangeError,
    message: /validationSplit 0.5 leaves no training samples out of 1/,
  },
  {
    entry: 'model.fit',
    input: 'validationData not a pair',
    call: () => model.fit(x4, labels4, { validationData: x4 as never, verbose: 0 }),
    error: TypeError,
    message: /validationData must be a pair \[x, y\], got an object \(Tensor\)/,
  },
  {
    entry: 'model.fit',
    input: 'validationData of the wrong shape',
    call: () =>
      model.fit(x4, labels4, { validationData: [images(2).reshape([2, 16]), labels4.subarray(0, 2)], verbose: 0 }),
    error: RangeError,
    message: /validationData x must have shape \[n, 4, 4, 1\], got \[2, 16\]/,
  },
  {
    entry: 'model.fit',
    input: 'verbose 5',
    call: () => model.fit(x4, labels4, { verbose: 5 as never }),
    error: RangeError,
    message: /verbose must be 0, 1 or 2, got 5/,
  },
  {
    entry: 'model.fit',
    input: 'shuffle a string',
    call: () => model.fit(x4, labels4, { shuffle: 'no' as never, verbose: 0 }),
    error: TypeError,
    message: /shuffle must be a boolean, got string no/,
  },
  {
    entry: 'model.fit',
    input: 'seed fractional',
    call: () => model.fit(x4, labels4, { seed: 0.5, verbose: 0 }),
    error: RangeError,
    message: /fit seed must be an integer, got 0.5/,
  },
  {
    entry: 'model.fit',
    input: 'initialEpoch negative',
    call: () => model.fit(x4, labels4, { initialEpoch: -1, verbose: 0 }),
    error: RangeError,
    message: /initialEpoch must be an integer in \[0, 0\], got -1/,
  },
  {
    entry: 'model.fit',
    input: 'initialEpoch a string',
    call: () => model.fit(x4, labels4, { initialEpoch: '1' as never, verbose: 0 }),
    error: TypeError,
    message: /initialEpoch must be an integer, got string 1/,
  },
  {
    entry: 'model.fit',
    input: 'a callback that is null',
    call: () => model.fit(x4, labels4, { callbacks: [null as never], verbose: 0 }),
    error: TypeError,
    message: /callbacks\[0\] must be an object with hooks such as onEpochEnd, got null/,
  },
  {
    entry: 'model.fit',
    input: 'a callback that is a number',
    call: () => model.fit(x4, labels4, { callbacks: 5 as never, verbose: 0 }),
    error: TypeError,
    message: /callbacks\[0\] must be an object .* got number 5/,
  },
  {
    entry: 'model.fit',
    input: 'a hook that is not a function',
    call: () => model.fit(x4, labels4, { callbacks: [{ onEpochEnd: 'log' } as never], verbose: 0 }),
    error: TypeError,
    message: /callbacks\[0\].onEpochEnd must be a function, got string log/,
  },
  {
    entry: 'model.fit',
    input: 'a dataset batch that is a number',
    call: () => model.fit([1] as never, { verbose: 0 }),
    error: TypeError,
    message: /dataset batch 0 must be an object \{ x, y \}, got number 1/,
  },
  {
    entry: 'model.fit',
    input: 'a dataset batch with NaN',
    call: () => model.fit([{ x: imagesWith(NaN), y: labels4 }], { verbose: 0 }),
    error: RangeError,
    message: /x contains a non-finite value \(NaN or Infinity\) in sample 2/,
  },
  {
    entry: 'model.fit',
    input: 'an empty dataset',
    call: () => model.fit([], { verbose: 0 }),
    error: RangeError,
    message: /the dataset yielded no batches in epoch 1/,
  },
  {
    entry: 'model.fit',
    input: 'a schedule whose rate is NaN',
    call: () => {
      const m = tinyModel(null);
      m.compile({
        optimizer: ck.optimizers.sgd({ learningRate: { kind: 'stepDecay', at: () => NaN, getConfig: () => ({}) } }),
        loss: 'sparseCategoricalCrossentropy',
      });
      return m.fit(x4, labels4, { verbose: 0 });
    },
    error: RangeError,
    message: /learningRate must be a finite number in \[0, 1000000\], got NaN/,
  },
];

const evaluatePredictRows: BadInputRow[] = [
  {
    entry: 'model.evaluate',
    input: 'an uncompiled model',
    call: () => uncompiled.evaluate(x4, labels4),
    error: RangeError,
    message: /evaluate: the model must be compiled first/,
  },
  {
    entry: 'model.evaluate',
    input: 'x a plain array',
    call: () => model.evaluate([1, 2] as never, labels4),
    error: TypeError,
    message: /x must be a Tensor .* got an Array/,
  },
  {
    entry: 'model.evaluate',
    input: 'x without samples',
    call: () => model.evaluate(images(0), new Int32Array(0)),
    error: RangeError,
    message: /evaluate: x has no samples/,
  },
  {
    entry: 'model.evaluate',
    input: 'x with NaN',
    call: () => model.evaluate(imagesWith(NaN), labels4, { batchSize: 4 }),
    error: RangeError,
    message: /x contains a non-finite value \(NaN or Infinity\) in sample 2/,
  },
  {
    entry: 'model.evaluate',
    input: 'more labels than samples',
    call: () => model.evaluate(x4, Int32Array.of(0, 1, 2, 0, 1)),
    error: RangeError,
    message: /y has 5 labels but x has 4 samples/,
  },
  {
    entry: 'model.evaluate',
    input: 'batchSize 0',
    call: () => model.evaluate(x4, labels4, { batchSize: 0 }),
    error: RangeError,
    message: /batchSize must be a positive integer, got 0/,
  },
  {
    entry: 'model.evaluate',
    input: 'batchSize a string',
    call: () => model.evaluate(x4, labels4, { batchSize: 'a' as never }),
    error: TypeError,
    message: /batchSize must be a positive integer, got string a/,
  },
  {
    entry: 'model.evaluate',
    input: 'options null',
    call: () => model.evaluate(x4, labels4, null as never),
    error: TypeError,
    message: /evaluate options must be an object, got null/,
  },
  {
    entry: 'model.evaluate',
    input: 'x disposed',
    call: () => model.evaluate(disposedTensor(), labels4.subarray(0, 2)),
    error: TypeError,
    message: /the tensor was disposed/,
  },
  {
    entry: 'model.predict',
    input: 'x a Float32Array',
    call: () => model.predict(new Float32Array(16) as never),
    error: TypeError,
    message: /x must be a Tensor .* got Float32Array/,
  },
  {
    entry: 'model.predict',
    input: 'x of the wrong rank',
    call: () => model.predict(ck.tensor(new Float32Array(16), [4, 4, 1])),
    error: RangeError,
    message: /x must have shape \[n, 4, 4, 1\], got \[4, 4, 1\]/,
  },
  {
    entry: 'model.predict',
    input: 'x with NaN',
    call: () => model.predict(imagesWith(NaN)),
    error: RangeError,
    message: /x contains a non-finite value \(NaN or Infinity\) in sample 2/,
  },
  // A request this small runs inline, as one batch, whatever batchSize says.
  {
    entry: 'model.predict',
    input: 'x with Infinity',
    call: () => model.predict(imagesWith(Infinity), { batchSize: 1 }),
    error: RangeError,
    message: /x contains a non-finite value \(NaN or Infinity\) in sample 2/,
  },
  {
    entry: 'model.predict',
    input: 'x detached',
    call: () => model.predict(detachedTensor()),
    error: TypeError,
    message: /tensor data's ArrayBuffer is detached/,
  },
  {
    entry: 'model.predict',
    input: 'x disposed',
    call: () => model.predict(disposedTensor()),
    error: TypeError,
    message: /the tensor was disposed/,
  },
  {
    entry: 'model.predict',
    input: 'batchSize 0',
    call: () => model.predict(x4, { batchSize: 0 }),
    error: RangeError,
    message: /batchSize must be a positive integer, got 0/,
  },
  {
    entry: 'model.predict',
    input: 'batchSize fractional',
    call: () => model.predict(x4, { batchSize: 1.5 }),
    error: RangeError,
    message: /batchSize must be a positive integer, got 1.5/,
  },
  {
    entry: 'model.predict',
    input: 'batchSize a string',
    call: () => model.predict(x4, { batchSize: '8' as never }),
    error: TypeError,
    message: /batchSize must be a positive integer, got string 8/,
  },
  {
    entry: 'model.predict',
    input: 'options null',
    call: () => model.predict(x4, null as never),
    error: TypeError,
    message: /predict options must be an object, got null/,
  },
  {
    entry: 'model.predict',
    input: 'a disposed model',
    call: () => disposedModel().predict(x4),
    error: RangeError,
    message: /the model was disposed/,
  },
  {
    entry: 'model.predictSync',
    input: 'x undefined',
    call: () => model.predictSync(undefined as never),
    error: TypeError,
    message: /x must be a Tensor .* got undefined/,
  },
  {
    entry: 'model.predictSync',
    input: 'x of the wrong shape',
    call: () => model.predictSync(ck.tensor(new Float32Array(64), [2, 4, 4, 2])),
    error: RangeError,
    message: /x must have shape \[n, 4, 4, 1\], got \[2, 4, 4, 2\]/,
  },
  {
    entry: 'model.predictSync',
    input: 'x with NaN',
    call: () => model.predictSync(imagesWith(NaN)),
    error: RangeError,
    message: /x contains a non-finite value \(NaN or Infinity\) in sample 2/,
  },
  {
    entry: 'model.predictSync',
    input: 'x detached',
    call: () => model.predictSync(detachedTensor()),
    error: TypeError,
    message: /tensor data's ArrayBuffer is detached/,
  },
  {
    entry: 'model.predictSync',
    input: 'a disposed model',
    call: () => disposedModel().predictSync(x4),
    error: RangeError,
    message: /the model was disposed/,
  },
  {
    entry: 'model.trainOnBatch',
    input: 'an uncompiled model',
    call: () => uncompiled.trainOnBatch(x4, labels4),
    error: RangeError,
    message: /trainOnBatch: the model must be compiled first/,
  },
  {
    entry: 'model.trainOnBatch',
    input: 'x without samples',
    call: () => model.trainOnBatch(images(0), new Int32Array(0)),
    error: RangeError,
    message: /trainOnBatch: x has no samples/,
  },
  {
    entry: 'model.trainOnBatch',
    input: 'x with NaN',
    call: () => model.trainOnBatch(imagesWith(NaN), labels4),
    error: RangeError,
    message: /x contains a non-finite value \(NaN or Infinity\) in sample 2/,
  },
  {
    entry: 'model.trainOnBatch',
    input: 'y a string',
    call: () => model.trainOnBatch(x4, 'y' as never),
    error: TypeError,
    message: /y must be class indices .* got string y/,
  },
  {
    entry: 'model.trainOnBatch',
    input: 'a label past the classes',
    call: () => model.trainOnBatch(x4, Int32Array.of(0, 0, 0, 7)),
    error: RangeError,
    message: /label 7 in sample 3 of the batch is outside \[0, 3\)/,
  },
  {
    entry: 'model.trainOnBatch',
    input: 'a disposed model',
    call: () => disposedModel().trainOnBatch(x4, labels4),
    error: RangeError,
    message: /the model was disposed/,
  },
];

const weightRows: BadInputRow[] = [
  {
    entry: 'model.setWeights',
    input: 'not an array',
    call: () => model.setWeights(model.getWeights()[0] as never),
    error: TypeError,
    message: /setWeights takes an array of Tensors, got an object \(Tensor\)/,
  },
  {
    entry: 'model.setWeights',
    input: 'too few',
    call: () => model.setWeights(model.getWeights().slice(1)),
    error: RangeError,
    message: /setWeights: the model has 4 weights, got 3/,
  },
  {
    entry: 'model.setWeights',
    input: 'an empty array',
    call: () => model.setWeights([]),
    error: RangeError,
    message: /setWeights: the model has 4 weights, got 0/,
  },
  {
    entry: 'model.setWeights',
    input: 'a Float32Array instead of a Tensor',
    call: () => model.setWeights(model.getWeights().map((w) => w.data) as never),
    error: TypeError,
    message: /setWeights: weights\[0\] \(conv2d.*\/kernel\) must be a Tensor, got Float32Array/,
  },
  {
    entry: 'model.setWeights',
    input: 'a weight of the wrong shape',
    call: () => model.setWeights(model.getWeights().map((w, i) => (i === 1 ? ck.tensor(new Float32Array(3)) : w))),
    error: RangeError,
    message: /setWeights: weights\[1\] \(conv2d.*\/bias\) must have shape \[2\], got \[3\]/,
  },
  {
    entry: 'model.setWeights',
    input: 'a NaN weight',
    call: () => model.setWeights(weightsWith(NaN)),
    error: RangeError,
    message: /weights\[0\] \(kernel\) contains NaN or Infinity/,
  },
  {
    entry: 'model.setWeights',
    input: 'an Infinity weight',
    call: () => model.setWeights(weightsWith(-Infinity)),
    error: RangeError,
    message: /weights\[0\] \(kernel\) contains NaN or Infinity/,
  },
  {
    entry: 'model.setWeights',
    input: 'a disposed weight',
    call: () =>
      model.setWeights(
        model.getWeights().map((w, i) => {
          if (i === 2) w.dispose();
          return w;
        }),
      ),
    error: TypeError,
    message: /the tensor was disposed/,
  },
  {
    entry: 'model.setWeights',
    input: 'a disposed model',
    call: () => disposedModel().setWeights(model.getWeights()),
    error: RangeError,
    message: /the model was disposed/,
  },
  {
    entry: 'model.getWeights',
    input: 'a disposed model',
    call: () => disposedModel().getWeights(),
    error: RangeError,
    message: /the model was disposed/,
  },
];

const optimizerRows: BadInputRow[] = [
  {
    entry: 'ck.optimizers.sgd',
    input: 'options a number',
    call: () => ck.optimizers.sgd(5 as never),
    error: TypeError,
    message: /sgd options must be an object, got number 5/,
  },
  {
    entry: 'ck.optimizers.sgd',
    input: 'learningRate negative',
    call: () => ck.optimizers.sgd({ learningRate: -1 }),
    error: RangeError,
    message: /learningRate must be a finite number in \[0, 1000000\], got -1/,
  },
  {
    entry: 'ck.optimizers.sgd',
    input: 'learningRate NaN',
    call: () => ck.optimizers.sgd({ learningRate: NaN }),
    error: RangeError,
    message: /learningRate must be a finite number .* got NaN/,
  },
  {
    entry: 'ck.optimizers.sgd',
    input: 'learningRate Infinity',
    call: () => ck.optimizers.sgd({ learningRate: Infinity }),
    error: RangeError,
    message: /learningRate must be a finite number .* got Infinity/,
  },
  {
    entry: 'ck.optimizers.sgd',
    input: 'learningRate a string',
    call: () => ck.optimizers.sgd({ learningRate: '0.1' as never }),
    error: TypeError,
    message: /learningRate must be a number, got string 0.1/,
  },
  {
    entry: 'ck.optimizers.sgd',
    input: 'learningRate an object without at()',
    call: () => ck.optimizers.sgd({ learningRate: { at: 5 } as never }),
    error: TypeError,
    message: /learningRate must be a number, got an object/,
  },
  {
    entry: 'ck.optimizers.sgd',
    input: 'momentum 2',
    call: () => ck.optimizers.sgd({ momentum: 2 }),
    error: RangeError,
    message: /momentum must be a finite number in \[0, 1\], got 2/,
  },
  {
    entry: 'ck.optimizers.sgd',
    input: 'nesterov a string',
    call: () => ck.optimizers.sgd({ nesterov: 'yes' as never }),
    error: TypeError,
    message: /nesterov must be a boolean, got string yes/,
  },
  {
    entry: 'ck.optimizers.sgd',
    input: 'clipNorm negative',
    call: () => ck.optimizers.sgd({ clipNorm: -1 }),
    error: RangeError,
    message: /clipNorm must be a finite number in \[0, Infinity\], got -1/,
  },
  {
    entry: 'ck.optimizers.rmsprop',
    input: 'rho negative',
    call: () => ck.optimizers.rmsprop({ rho: -0.5 }),
    error: RangeError,
    message: /rho must be a finite number in \[0, 1\], got -0.5/,
  },
  {
    entry: 'ck.optimizers.rmsprop',
    input: 'epsilon NaN',
    call: () => ck.optimizers.rmsprop({ epsilon: NaN }),
    error: RangeError,
    message: /epsilon must be a finite number .* got NaN/,
  },
  {
    entry: 'ck.optimizers.adam',
    input: 'beta1 1',
    call: () => ck.optimizers.adam({ beta1: 1 }),
    error: RangeError,
    message: /beta1 must be a finite number in \[0, 0.999999\], got 1/,
  },
  {
    entry: 'ck.optimizers.adam',
    input: 'globalClipNorm Infinity',
    call: () => ck.optimizers.adam({ globalClipNorm: Infinity }),
    error: RangeError,
    message: /globalClipNorm must be a finite number .* got Infinity/,
  },
  {
    entry: 'ck.optimizers.adamw',
    input: 'weightDecay negative',
    call: () => ck.optimizers.adamw({ weightDecay: -0.1 }),
    error: RangeError,
    message: /weightDecay must be a finite number in \[0, Infinity\], got -0.1/,
  },
  {
    entry: 'ck.optimizers.adamw',
    input: 'options null',
    call: () => ck.optimizers.adamw(null as never),
    error: TypeError,
    message: /adamw options must be an object, got null/,
  },
  {
    entry: 'ck.optimizers.stepDecay',
    input: 'no options',
    call: () => ck.optimizers.stepDecay(undefined as never),
    error: TypeError,
    message:
      /stepDecay takes an options object such as \{ initialLearningRate: 0.01, factor: 0.5, stepSize: 1000 \}, got undefined/,
  },
  {
    entry: 'ck.optimizers.stepDecay',
    input: 'stepSize 0',
    call: () => ck.optimizers.stepDecay({ initialLearningRate: 0.1, factor: 0.5, stepSize: 0 }),
    error: RangeError,
    message: /stepSize must be a finite number in \[1, Infinity\], got 0/,
  },
  {
    entry: 'ck.optimizers.exponentialDecay',
    input: 'initialLearningRate NaN',
    call: () => ck.optimizers.exponentialDecay({ initialLearningRate: NaN, decaySteps: 10, decayRate: 0.9 }),
    error: RangeError,
    message: /initialLearningRate must be a finite number .* got NaN/,
  },
  {
    entry: 'ck.optimizers.exponentialDecay',
    input: 'staircase a number',
    call: () =>
      ck.optimizers.exponentialDecay({
        initialLearningRate: 0.1,
        decaySteps: 10,
        decayRate: 0.9,
        staircase: 1 as never,
      }),
    error: TypeError,
    message: /staircase must be a boolean, got number 1/,
  },
  {
    entry: 'ck.optimizers.cosineDecay',
    input: 'options null',
    call: () => ck.optimizers.cosineDecay(null as never),
    error: TypeError,
    message: /cosineDecay takes an options object .* got null/,
  },
  {
    entry: 'ck.optimizers.cosineDecay',
    input: 'alpha 2',
    call: () => ck.optimizers.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 2 }),
    error: RangeError,
    message: /alpha must be a finite number in \[0, 1\], got 2/,
  },
];

const callbackRows: BadInputRow[] = [
  {
    entry: 'ck.callbacks.earlyStopping',
    input: 'options a number',
    call: () => ck.callbacks.earlyStopping(5 as never),
    error: TypeError,
    message: /earlyStopping options must be an object, got number 5/,
  },
  {
    entry: 'ck.callbacks.earlyStopping',
    input: 'options null',
    call: () => ck.callbacks.earlyStopping(null as never),
    error: TypeError,
    message: /earlyStopping options must be an object, got null/,
  },
  {
    entry: 'ck.callbacks.earlyStopping',
    input: 'patience negative',
    call: () => ck.callbacks.earlyStopping({ patience: -1 }),
    error: RangeError,
    message: /patience must be a finite number in \[0, Infinity\], got -1/,
  },
  {
    entry: 'ck.callbacks.earlyStopping',
    input: 'patience NaN',
    call: () => ck.callbacks.earlyStopping({ patience: NaN }),
    error: RangeError,
    message: /patience must be a finite number .* got NaN/,
  },
  {
    entry: 'ck.callbacks.earlyStopping',
    input: "mode 'up'",
    call: () => ck.callbacks.earlyStopping({ mode: 'up' as never }),
    error: RangeError,
    message: /mode must be one of auto, min, max; got 'up'/,
  },
  {
    entry: 'ck.callbacks.earlyStopping',
    input: 'monitor a number',
    call: () => ck.callbacks.earlyStopping({ monitor: 5 as never }),
    error: TypeError,
    message: /monitor must be a metric name such as 'val_loss', got number 5/,
  },
  {
    entry: 'ck.callbacks.earlyStopping',
    input: 'restoreBestWeights a string',
    call: () => ck.callbacks.earlyStopping({ restoreBestWeights: 'yes' as never }),
    error: TypeError,
    message: /restoreBestWeights must be a boolean, got string yes/,
  },
  {
    entry: 'ck.callbacks.modelCheckpoint',
    input: 'no options',
    call: () => ck.callbacks.modelCheckpoint(undefined as never),
    error: TypeError,
    message: /modelCheckpoint filepath must be a non-empty string/,
  },
  {
    entry: 'ck.callbacks.modelCheckpoint',
    input: 'filepath a number',
    call: () => ck.callbacks.modelCheckpoint({ filepath: 5 as never }),
    error: TypeError,
    message: /modelCheckpoint filepath must be a non-empty string, got number 5/,
  },
  {
    entry: 'ck.callbacks.modelCheckpoint',
    input: 'saveBestOnly a string',
    call: () => ck.callbacks.modelCheckpoint({ filepath: 'x', saveBestOnly: 'true' as never }),
    error: TypeError,
    message: /saveBestOnly must be a boolean, got string true/,
  },
  {
    entry: 'ck.callbacks.reduceLROnPlateau',
    input: 'factor 1',
    call: () => ck.callbacks.reduceLROnPlateau({ factor: 1 }),
    error: RangeError,
    message: /factor must be a finite number in \[0, 0.999999\], got 1/,
  },
  {
    entry: 'ck.callbacks.reduceLROnPlateau',
    input: 'minLr negative',
    call: () => ck.callbacks.reduceLROnPlateau({ minLr: -1 }),
    error: RangeError,
    message: /minLr must be a finite number in \[0, Infinity\], got -1/,
  },
  {
    entry: 'ck.callbacks.reduceLROnPlateau',
    input: 'cooldown a string',
    call: () => ck.callbacks.reduceLROnPlateau({ cooldown: '2' as never }),
    error: TypeError,
    message: /cooldown must be a number, got string 2/,
  },
];

const backendRows: BadInputRow[] = [
  {
    entry: 'ck.setNumThreads',
    input: '0',
    call: () => ck.setNumThreads(0),
    error: RangeError,
    message: /threads must be a positive integer, got 0/,
  },
  {
    entry: 'ck.setNumThreads',
    input: 'negative',
    call: () => ck.setNumThreads(-2),
    error: RangeError,
    message: /threads must be a positive integer, got -2/,
  },
  {
    entry: 'ck.setNumThreads',
    input: 'fractional',
    call: () => ck.setNumThreads(1.5),
    error: RangeError,
    message: /threads must be a positive integer, got 1.5/,
  },
  {
    entry: 'ck.setNumThreads',
    input: 'NaN',
    call: () => ck.setNumThreads(NaN),
    error: RangeError,
    message: /threads must be a positive integer, got NaN/,
  },
  {
    entry: 'ck.setNumThreads',
    input: 'a string',
    call: () => ck.setNumThreads('2' as never),
    error: TypeError,
    message: /threads must be a positive integer, got string 2/,
  },
  {
    entry: 'ck.setNumThreads',
    input: '257',
    call: () => ck.setNumThreads(257),
    error: RangeError,
    message: /^threads must be in \[1, 256\], got 257$/,
  },
  {
    entry: 'ck.setNumThreads',
    input: String(huge),
    call: () => ck.setNumThreads(huge),
    error: RangeError,
    message: /threads must be in \[1, 256\], got 2147483648/,
  },
  {
    entry: 'ck.models.kerasMnist',
    input: 'options a number',
    call: () => ck.models.kerasMnist(5 as never),
    error: TypeError,
    message: /kerasMnist options must be an object, got number 5/,
  },
  {
    entry: 'ck.models.lenet5',
    input: 'classes 0',
    call: () => ck.models.lenet5({ classes: 0 }),
    error: RangeError,
    message: /Dense units must be a positive integer, got 0/,
  },
  {
    entry: 'ck.models.bnConvnet',
    input: 'inputShape with a negative dimension',
    call: () => ck.models.bnConvnet({ inputShape: [28, -1, 1] }),
    error: RangeError,
    message: /Conv2D inputShape\[1\] must be a positive integer, got -1/,
  },
];

// Files for loadModel and loadIdx, written once.
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-bad-input-'));
  await writeFile(join(dir, 'labels.idx'), Uint8Array.of(0, 0, 0x08, 1, 0, 0, 0, 2, 3, 4));
  await writeFile(join(dir, 'not-json.json'), '{');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fileRows: BadInputRow[] = [
  {
    entry: 'ck.loadModel',
    input: 'path a number',
    call: () => ck.loadModel(5 as never),
    error: TypeError,
    message: /loadModel: the path must be a non-empty string, got number 5/,
  },
  {
    entry: 'ck.loadModel',
    input: 'path empty',
    call: () => ck.loadModel(''),
    error: TypeError,
    message: /loadModel: the path must be a non-empty string, got string/,
  },
  {
    entry: 'ck.loadModel',
    input: 'a folder that does not exist',
    call: () => ck.loadModel(join(dir, 'missing')),
    error: Error,
    message: /loadModel: .*missing.model\.json cannot be read \(ENOENT/,
  },
  {
    entry: 'ck.loadModel',
    input: 'a file that is not JSON',
    call: () => ck.loadModel(join(dir, 'not-json.json')),
    error: Error,
    message: /loadModel: .*not-json\.json is not valid JSON/,
  },
  {
    entry: 'ck.datasets.loadIdx',
    input: 'imagesPath a number',
    call: () => ck.datasets.loadIdx(5 as never, 'x'),
    error: TypeError,
    message: /loadIdx: imagesPath must be a non-empty string, got number 5/,
  },
  {
    entry: 'ck.datasets.loadIdx',
    input: 'labelsPath empty',
    call: () => ck.datasets.loadIdx('x', ''),
    error: TypeError,
    message: /loadIdx: labelsPath must be a non-empty string, got string/,
  },
  {
    entry: 'ck.datasets.loadIdx',
    input: 'options a string',
    call: () => ck.datasets.loadIdx('x', 'y', 'z' as never),
    error: TypeError,
    message: /loadIdx: options must be an object, got string z/,
  },
  {
    entry: 'ck.datasets.loadIdx',
    input: 'normalize a number',
    call: () => ck.datasets.loadIdx('x', 'y', { normalize: 1 as never }),
    error: TypeError,
    message: /loadIdx: options.normalize must be a boolean, got number 1/,
  },
  {
    entry: 'ck.datasets.loadIdx',
    input: 'files that do not exist',
    call: () => ck.datasets.loadIdx(join(dir, 'nope-images'), join(dir, 'labels.idx')),
    error: Error,
    message: /loadIdx: cannot read the images file .*nope-images: no such file/,
  },
  {
    entry: 'ck.datasets.loadIdx',
    input: 'a labels file as the images',
    call: () => ck.datasets.loadIdx(join(dir, 'labels.idx'), join(dir, 'labels.idx')),
    error: RangeError,
    message: /labels\.idx: an images file must have 3 dimensions \[count, rows, columns\], got shape \[2\]/,
  },
  {
    entry: 'ck.datasets.readIdx',
    input: 'bytes a string',
    call: () => ck.datasets.readIdx('abc' as never, 'file'),
    error: TypeError,
    message: /readIdx: file must be a Uint8Array \(or Buffer\), got string abc/,
  },
  {
    entry: 'ck.datasets.readIdx',
    input: 'bytes detached',
    call: () => ck.datasets.readIdx(detach(new Uint8Array(8)), 'file'),
    error: TypeError,
    message: /file's ArrayBuffer is detached/,
  },
  {
    entry: 'ck.datasets.readIdx',
    input: 'bytes empty',
    call: () => ck.datasets.readIdx(new Uint8Array(0), 'file'),
    error: RangeError,
    message: /file: too short for an IDX file: expected at least a 4-byte magic number, got 0 bytes/,
  },
  {
    entry: 'ck.datasets.fashionMnist',
    input: 'dataDir a number',
    call: () => ck.datasets.fashionMnist({ dataDir: 5 as never }),
    error: TypeError,
    message: /fashionMnist: options.dataDir must be a non-empty string, got number 5/,
  },
];

describe('bad input gets a TypeError or RangeError that names the problem', () => {
  describe('tensors', () => badInputTable(tensorRows));
  describe('layer configs', () => badInputTable(layerRows));
  describe('sequential, build and compile', () => badInputTable(sequentialRows));
  describe('fit', () => badInputTable(fitRows));
  describe('evaluate, predict, predictSync, trainOnBatch', () => badInputTable(evaluatePredictRows));
  describe('getWeights and setWeights', () => badInputTable(weightRows));
  describe('optimizers and schedules', () => badInputTable(optimizerRows));
  describe('callbacks', () => badInputTable(callbackRows));
  describe('setNumThreads and ready-made models', () => badInputTable(backendRows));
  describe('loadModel and loadIdx', () => badInputTable(fileRows));
});

describe('after all of it', () => {
  it('the process and the shared models still work: predictions match a fresh copy', async () => {
    const fresh = tinyModel();
    fresh.setWeights(model.getWeights());
    const x = images(3, 0.25);
    expect((await model.predict(x)).data).toEqual(fresh.predictSync(x).data);
    expect(model.predictSync(x).data.every(Number.isFinite)).toBe(true);
    const loss = await model.trainOnBatch(x4, labels4);
    expect(Number.isFinite(loss)).toBe(true);
  });
});
