// ONNX import: convkit's own exports round-trip, and NCHW graphs written the way PyTorch exports
// them compute in convkit (on NHWC input) what onnxruntime-node computes (on NCHW input).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../../lib';
import { expectClose } from '../../helpers/assert';
import { randomArray, rng } from '../../helpers/random';
import {
  buildModel,
  float,
  floatTensor,
  int,
  int64Tensor,
  ints,
  nchwToNhwc,
  node,
  randomInput,
  runOrt,
  string,
  tensor,
} from './graph';
import { modelNames, testModel } from './models';

const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-onnx-import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOnnx of convkit exports', () => {
  it.each(modelNames)('%s: export -> import gives the same model outputs', async (name) => {
    const model = testModel(name);
    const imported = await ck.loadOnnx(ck.toOnnx(model));
    expect(imported.inputShape).toEqual(model.inputShape);
    expect(imported.outputShape).toEqual(model.outputShape);
    expect(imported.countParams()).toBe(model.countParams());
    const shape = [3, ...model.inputShape];
    const x = ck.tensor(
      randomInput(
        shape.reduce((a, b) => a * b, 1),
        7,
      ),
      shape,
    );
    expectClose((await imported.predict(x)).data, (await model.predict(x)).data, TOLERANCE, name);
  });

  it('reads a file path, and folds activations back into their conv and dense layers', async () => {
    const model = testModel('kerasMnist');
    const path = join(dir, 'keras_mnist.onnx');
    await model.exportOnnx(path);
    const imported = await ck.loadOnnx(path);
    expect(imported.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
    const original = model.getWeights();
    imported.getWeights().forEach((w, i) => {
      expect(w.shape).toEqual(original[i].shape);
      expectClose(w.data, original[i].data, { atol: 0, rtol: 0 }, `weight ${i}`);
    });
    const config = (m: ck.Sequential) =>
      m.layers.map((l) => {
        const { name: _name, inputShape: _inputShape, ...rest } = l.getConfig();
        return rest;
      });
    expect(config(imported)).toEqual(config(model));
  });
});

/** Seeded random float32 values of a shape, as an initializer. */
function weights(random: () => number, name: string, dims: number[], lo = -0.5, hi = 0.5) {
  return floatTensor(
    name,
    dims,
    randomArray(
      random,
      dims.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
  );
}

/** Runs an NCHW graph in onnxruntime-node and its import in convkit on the same images. */
async function expectSameAsOrt(bytes: Uint8Array, nchw: number[], seed: number) {
  const x = randomInput(
    nchw.reduce((a, b) => a * b, 1),
    seed,
  );
  const reference = await runOrt(bytes, x, nchw);
  const model = await ck.loadOnnx(bytes);
  const [n, c, h, w] = nchw;
  expect(model.inputShape).toEqual([h, w, c]);
  const actual = await model.predict(ck.tensor(nchwToNhwc(x, nchw), [n, h, w, c]));
  expect([n, ...model.outputShape]).toEqual(reference.dims);
  expectClose(actual.data, reference.data, TOLERANCE, 'convkit vs onnxruntime');
  return model;
}

describe('loadOnnx of NCHW graphs (PyTorch style)', () => {
  it('imports a LeNet-like net: Conv with bias, Relu, MaxPool, Flatten, Gemm transB=1, Softmax', async () => {
    const random = rng(11);
    // torch.onnx.export of conv(3->6, 3x3, padding=1) relu pool conv(6->8, 3x3) relu pool flatten
    // linear(32->10) relu linear(10->5) softmax(dim=1), with a dynamic batch axis.
    const bytes = buildModel({
      input: ['batch_size', 3, 12, 12],
      initializers: [
        weights(random, 'conv1.weight', [6, 3, 3, 3]),
        weights(random, 'conv1.bias', [6]),
        weights(random, 'conv2.weight', [8, 6, 3, 3]),
        weights(random, 'conv2.bias', [8]),
        weights(random, 'fc1.weight', [10, 32]),
        weights(random, 'fc1.bias', [10]),
        weights(random, 'fc2.weight', [5, 10]),
        weights(random, 'fc2.bias', [5]),
      ],
      nodes: [
        node(
          'Conv',
          ['input', 'conv1.weight', 'conv1.bias'],
          ['/conv1/Conv_output_0'],
          [
            ints('dilations', [1, 1]),
            int('group', 1),
            ints('kernel_shape', [3, 3]),
            ints('pads', [1, 1, 1, 1]),
            ints('strides', [1, 1]),
          ],
          '/conv1/Conv',
        ),
        node('Relu', ['/conv1/Conv_output_0'], ['/relu/Relu_output_0'], [], '/relu/Relu'),
        node(
          'MaxPool',
          ['/relu/Relu_output_0'],
          ['/pool/MaxPool_output_0'],
          [int('ceil_mode', 0), ints('kernel_shape', [2, 2]), ints('pads', [0, 0, 0, 0]), ints('strides', [2, 2])],
          '/pool/MaxPool',
        ),
        node(
          'Conv',
          ['/pool/MaxPool_output_0', 'conv2.weight', 'conv2.bias'],
          ['/conv2/Conv_output_0'],
          [
            ints('dilations', [1, 1]),
            int('group', 1),
            ints('kernel_shape', [3, 3]),
            ints('pads', [0, 0, 0, 0]),
            ints('strides', [1, 1]),
          ],
          '/conv2/Conv',
        ),
        node('Relu', ['/conv2/Conv_output_0'], ['/relu_1/Relu_output_0'], [], '/relu_1/Relu'),
        node(
          'MaxPool',
          ['/relu_1/Relu_output_0'],
          ['/pool_1/MaxPool_output_0'],
          [int('ceil_mode', 0), ints('kernel_shape', [2, 2]), ints('pads', [0, 0, 0, 0]), ints('strides', [2, 2])],
          '/pool_1/MaxPool',
        ),
        node('Flatten', ['/pool_1/MaxPool_output_0'], ['/Flatten_output_0'], [int('axis', 1)], '/Flatten'),
        node(
          'Gemm',
          ['/Flatten_output_0', 'fc1.weight', 'fc1.bias'],
          ['/fc1/Gemm_output_0'],
          [float('alpha', 1), float('beta', 1), int('transB', 1)],
          '/fc1/Gemm',
        ),
        node('Relu', ['/fc1/Gemm_output_0'], ['/relu_2/Relu_output_0'], [], '/relu_2/Relu'),
        node(
          'Gemm',
          ['/relu_2/Relu_output_0', 'fc2.weight', 'fc2.bias'],
          ['/fc2/Gemm_output_0'],
          [float('alpha', 1), float('beta', 1), int('transB', 1)],
          '/fc2/Gemm',
        ),
        node('Softmax', ['/fc2/Gemm_output_0'], ['output'], [int('axis', 1)], '/Softmax'),
      ],
    });
    const model = await expectSameAsOrt(bytes, [4, 3, 12, 12], 12);
    // conv, pool, conv, pool, flatten, dense, dense: the Relus and the Softmax fold into their layers.
    expect(model.layers.map((l) => l.className)).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'Dense',
    ]);
    expect(model.layers.map((l) => l.name)).toContain('/conv1/Conv');
  });

  it('imports strides with SAME_UPPER, batch norm, dilation, average pooling without the padding, MatMul + Add, a Constant reshape', async () => {
    const random = rng(21);
    const bytes = buildModel({
      input: ['N', 2, 9, 9],
      initializers: [
        weights(random, 'w1', [4, 2, 3, 3]),
        weights(random, 'b1', [4]),
        weights(random, 'bn.scale', [4], 0.5, 1.5),
        weights(random, 'bn.bias', [4]),
        weights(random, 'bn.mean', [4]),
        weights(random, 'bn.var', [4], 0.5, 1.5),
        weights(random, 'w2', [5, 4, 3, 3]),
        weights(random, 'matmul.w', [20, 6]),
        weights(random, 'add.b', [6]),
        weights(random, 'gemm.b', [6, 4]),
        weights(random, 'gemm.c', [1, 4]),
      ],
      nodes: [
        node(
          'Conv',
          ['input', 'w1', 'b1'],
          ['c1'],
          [string('auto_pad', 'SAME_UPPER'), ints('kernel_shape', [3, 3]), ints('strides', [2, 2])],
        ),
        node(
          'BatchNormalization',
          ['c1', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'],
          ['bn'],
          [float('epsilon', 1e-5), float('momentum', 0.9)],
        ),
        node('LeakyRelu', ['bn'], ['lrelu'], [float('alpha', 0.01)]),
        node('Conv', ['lrelu', 'w2'], ['c2'], [ints('dilations', [2, 2]), ints('pads', [2, 2, 2, 2])]),
        node('Elu', ['c2'], ['elu'], [float('alpha', 0.7)]),
        node(
          'AveragePool',
          ['elu'],
          ['avg'],
          [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), int('count_include_pad', 0)],
        ),
        node('Identity', ['avg'], ['same']),
        node('MaxPool', ['same'], ['pool'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
        node('Dropout', ['pool'], ['drop']),
        node('Sigmoid', ['drop'], ['sig']),
        node('Constant', [], ['shape'], [tensor('value', int64Tensor('', [0, -1]))]),
        node('Reshape', ['sig', 'shape'], ['flat']),
        node('MatMul', ['flat', 'matmul.w'], ['mm']),
        node('Add', ['mm', 'add.b'], ['dense']),
        node('Tanh', ['dense'], ['tanh']),
        node('Gemm', ['tanh', 'gemm.b', 'gemm.c'], ['logits'], [float('alpha', 0.5), float('beta', 2)]),
        node('Softmax', ['logits'], ['output'], [int('axis', -1)]),
      ],
    });
    await expectSameAsOrt(bytes, [3, 2, 9, 9], 22);
  });

  it('imports global pooling, a 1x1 conv after it, and batch norm after a flatten', async () => {
    const random = rng(31);
    const squeeze = buildModel({
      input: ['N', 3, 6, 5],
      initializers: [
        weights(random, 'w1', [4, 3, 1, 1]),
        weights(random, 'w2', [6, 4, 1, 1]),
        weights(random, 'b2', [6]),
        weights(random, 'g', [6], 0.5, 1.5),
        weights(random, 'b', [6]),
        weights(random, 'm', [6]),
        weights(random, 'v', [6], 0.5, 1.5),
        weights(random, 'fc', [2, 6]),
      ],
      nodes: [
        node('Conv', ['input', 'w1'], ['c1']),
        node('Relu', ['c1'], ['r1']),
        node('GlobalAveragePool', ['r1'], ['gap']),
        node('Conv', ['gap', 'w2', 'b2'], ['c2'], [ints('kernel_shape', [1, 1])]),
        node('Flatten', ['c2'], ['flat']),
        node('BatchNormalization', ['flat', 'g', 'b', 'm', 'v'], ['bn']),
        node('Gemm', ['bn', 'fc'], ['output'], [int('transB', 1)]),
      ],
    });
    await expectSameAsOrt(squeeze, [2, 3, 6, 5], 32);
  });

  it('imports a depthwise Conv (group = input channels, two filters each) as DepthwiseConv2D, its Relu fused', async () => {
    const random = rng(41);
    const depthwise = buildModel({
      input: ['N', 3, 7, 7],
      initializers: [
        weights(random, 'dw', [6, 1, 3, 3]),
        weights(random, 'db', [6]),
        weights(random, 'pw', [4, 6, 1, 1]),
        weights(random, 'fc', [2, 64]),
      ],
      nodes: [
        node(
          'Conv',
          ['input', 'dw', 'db'],
          ['c1'],
          [int('group', 3), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])],
        ),
        node('Relu', ['c1'], ['r1']),
        node('Conv', ['r1', 'pw'], ['c2'], [ints('kernel_shape', [1, 1])]),
        node('Flatten', ['c2'], ['flat']),
        node('Gemm', ['flat', 'fc'], ['output'], [int('transB', 1)]),
      ],
    });
    const model = await expectSameAsOrt(depthwise, [2, 3, 7, 7], 42);
    expect(model.layers.map((l) => l.className)).toEqual(['DepthwiseConv2D', 'Conv2D', 'Flatten', 'Dense']);
    expect((model.layers[0] as ck.layers.DepthwiseConv2D).depthMultiplier).toBe(2);
    expect((model.layers[0] as ck.layers.DepthwiseConv2D).activation).toBe('relu');
  });

  it('reads the opset-specific forms: ReduceMean axes as an input (opset 18), Softmax before opset 13', async () => {
    const random = rng(51);
    const reduce = buildModel({
      opset: 18,
      input: ['N', 3, 6, 6],
      initializers: [weights(random, 'w', [4, 3, 3, 3]), int64Tensor('axes', [-2, -1]), weights(random, 'fc', [4, 2])],
      nodes: [
        node('Conv', ['input', 'w'], ['c'], [ints('pads', [1, 1, 1, 1])]),
        node('ReduceMean', ['c', 'axes'], ['mean'], [int('keepdims', 0)]),
        node('MatMul', ['mean', 'fc'], ['output']),
      ],
    });
    await expectSameAsOrt(reduce, [2, 3, 6, 6], 52);
    const legacy = buildModel({
      opset: 11,
      input: ['N', 2, 5, 5],
      initializers: [weights(random, 'w', [3, 2, 3, 3]), weights(random, 'fc', [4, 27]), weights(random, 'b', [4])],
      nodes: [
        node('Conv', ['input', 'w'], ['c']),
        node('Flatten', ['c'], ['f']),
        node('Gemm', ['f', 'fc', 'b'], ['g'], [int('transB', 1)]),
        node('Softmax', ['g'], ['output']),
      ],
    });
    await expectSameAsOrt(legacy, [2, 2, 5, 5], 53);
  });

  it('imports an NHWC graph (Transpose in, NCHW ops, Transpose back, flatten in HWC order) keeping its input shape', async () => {
    const random = rng(41);
    const bytes = buildModel({
      input: ['N', 6, 5, 3],
      initializers: [weights(random, 'w', [4, 3, 3, 3]), weights(random, 'fc', [4 * 3 * 4, 2])],
      nodes: [
        node('Transpose', ['input'], ['t'], [ints('perm', [0, 3, 1, 2])]),
        node('Conv', ['t', 'w'], ['c'], [ints('pads', [0, 0, 0, 0])]),
        node('Relu', ['c'], ['r']),
        node('Transpose', ['r'], ['back'], [ints('perm', [0, 2, 3, 1])]),
        node('Flatten', ['back'], ['flat']),
        node('MatMul', ['flat', 'fc'], ['output']),
      ],
    });
    const shape = [3, 6, 5, 3];
    const x = randomInput(
      shape.reduce((a, b) => a * b, 1),
      42,
    );
    const reference = await runOrt(bytes, x, shape);
    const model = await ck.loadOnnx(bytes);
    expect(model.inputShape).toEqual([6, 5, 3]);
    expectClose((await model.predict(ck.tensor(x, shape))).data, reference.data, TOLERANCE, 'NHWC graph');
  });
});
