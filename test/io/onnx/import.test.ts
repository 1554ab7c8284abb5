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
    const config = (m: ck.Model) =>
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

describe("MobileNet's and EfficientNet's activations written the way PyTorch exports them", () => {
  it('imports Clip(0, 6), HardSwish, x * HardSigmoid, Mul(Sigmoid(x), x), Softplus, Selu and PRelu with one or a slope per channel', async () => {
    const random = rng(41);
    const scalar = (name: string, value: number) => floatTensor(name, [], Float32Array.of(value));
    const bytes = buildModel({
      input: ['N', 3, 5, 5],
      opset: 14,
      initializers: [
        weights(random, 'w1', [4, 3, 3, 3], -2, 2),
        scalar('zero', 0),
        scalar('six', 6),
        weights(random, 'slope', [4, 1, 1], 0, 0.5),
        weights(random, 'w2', [4, 4, 1, 1]),
        floatTensor('shared', [1], Float32Array.of(0.25)),
        weights(random, 'fc', [16, 5]),
        weights(random, 'fc.b', [5]),
        weights(random, 'fc.slope', [5]),
      ],
      nodes: [
        node('Conv', ['input', 'w1'], ['c1'], [ints('pads', [1, 1, 1, 1])]),
        node('Clip', ['c1', 'zero', 'six'], ['relu6']),
        node('PRelu', ['relu6', 'slope'], ['prelu']),
        node('Conv', ['prelu', 'w2'], ['c2']),
        node('HardSwish', ['c2'], ['hswish']),
        node('HardSigmoid', ['hswish'], ['gate'], [float('alpha', 1 / 6), float('beta', 0.5)]),
        node('Mul', ['hswish', 'gate'], ['hswish2']),
        node('PRelu', ['hswish2', 'shared'], ['prelu_shared']),
        node('MaxPool', ['prelu_shared'], ['pool'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
        node('Sigmoid', ['pool'], ['sig']),
        node('Mul', ['sig', 'pool'], ['swish']),
        node('Softplus', ['swish'], ['softplus']),
        node('Selu', ['softplus'], ['selu']),
        node('Transpose', ['selu'], ['nhwc'], [ints('perm', [0, 2, 3, 1])]),
        node('Flatten', ['nhwc'], ['flat']),
        node('Gemm', ['flat', 'fc', 'fc.b'], ['dense']),
        node('PRelu', ['dense', 'fc.slope'], ['output']),
      ],
    });
    const model = await expectSameAsOrt(bytes, [2, 3, 5, 5], 43);
    const kinds = model.layers.map((l) => (l instanceof ck.layers.Activation ? l.activation : l.className));
    expect(kinds).toEqual([
      'Conv2D',
      'PReLU',
      'Conv2D',
      'hardSwish',
      'PReLU',
      'MaxPooling2D',
      'swish',
      'softplus',
      'selu',
      'Flatten',
      'Dense',
      'PReLU',
    ]);
  });

  it('refuses a HardSigmoid, Clip or Selu that is not the function convkit computes', async () => {
    const single = (op: ReturnType<typeof node>, opset = 13) =>
      ck.loadOnnx(
        buildModel({ input: ['N', 4], opset, initializers: [floatTensor('one', [], Float32Array.of(1))], nodes: [op] }),
      );
    await expect(single(node('HardSigmoid', ['input'], ['output']))).rejects.toThrow(
      /\(HardSigmoid\): alpha 0.2\d*, beta 0.5 is not supported: convkit's hardSigmoid is relu6\(x \+ 3\) \/ 6/,
    );
    await expect(single(node('Clip', ['input', '', 'one'], ['output']))).rejects.toThrow(
      /\(Clip\): bounds \[-Infinity, 1\] are not supported: convkit clips to \[0, 6\] \(relu6\) or \[0, inf\) \(relu\)/,
    );
    await expect(single(node('Selu', ['input'], ['output'], [float('gamma', 1)]))).rejects.toThrow(
      /\(Selu\): alpha 1.67\d*, gamma 1 is not supported/,
    );
    const prelu = buildModel({
      input: ['N', 2, 3, 3],
      initializers: [floatTensor('slope', [3, 1], new Float32Array(3))],
      nodes: [node('PRelu', ['input', 'slope'], ['output'])],
    });
    await expect(ck.loadOnnx(prelu)).rejects.toThrow(
      /\(PRelu\): input 1 \(slope\) 'slope' has shape \[3, 1\], which is not one slope per channel of \[batch, 2, 3, 3\] \(NHWC\)/,
    );
    const relu6 = await ck.loadOnnx(
      buildModel({
        input: ['N', 4],
        opset: 10,
        nodes: [node('Clip', ['input'], ['output'], [float('min', 0), float('max', 6)])],
      }),
    );
    expect(Array.from((await relu6.predict(ck.tensor([[-1, 2, 6.5, 7]]))).data)).toEqual([0, 2, 6, 6]);
  });
});

describe('loadOnnx of graphs (branches that meet again)', () => {
  it('our graph exports (Sum, Mean, Max, Mul with a gate, Concat) import as graph models with the same outputs', async () => {
    const x = ck.input({ shape: [6, 5, 2], name: 'image' });
    const stem = ck.layers
      .conv2d({ name: 'stem', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
      .apply(x);
    const c1 = ck.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same' }).apply(stem);
    const bn = ck.layers.batchNormalization({ name: 'bn' }).apply(c1);
    const sum = ck.layers.add({ name: 'residual' }).apply([stem, bn]);
    const squeeze = ck.layers.globalAveragePooling2d({ name: 'squeeze' }).apply(sum);
    const gate = ck.layers.dense({ name: 'gate', units: 4, activation: 'sigmoid' }).apply(squeeze);
    const gate3d = ck.layers.reshape({ name: 'gate_3d', targetShape: [1, 1, 4] }).apply(gate);
    const excited = ck.layers.multiply({ name: 'excite' }).apply([sum, gate3d]);
    const avg = ck.layers.average({ name: 'avg' }).apply([excited, stem]);
    const max = ck.layers.maximum({ name: 'max' }).apply([avg, c1]);
    const joined = ck.layers.concatenate({ name: 'joined' }).apply([max, x]);
    const flat = ck.layers.flatten({ name: 'flat' }).apply(ck.layers.maxPooling2d({ name: 'pool' }).apply(joined));
    const out = ck.layers.dense({ name: 'head', units: 3, activation: 'softmax' }).apply(flat);
    const model = ck.model({ inputs: x, outputs: out, seed: 4 });
    const random = rng(8);
    model.setWeights(
      model.weightSpecs().map(({ name, shape }) =>
        ck.tensor(
          Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
            name.includes('variance') ? 0.5 + random() : random() - 0.5,
          ),
          shape,
        ),
      ),
    );
    const path = join(dir, 'graph.onnx');
    await model.exportOnnx(path);
    const imported = await ck.loadOnnx(path);
    expect(imported.connections.graph).toBe(true);
    expect(imported.countParams()).toBe(model.countParams());
    const merges = imported.layers.filter((l) => l.mergesInputs).map((l) => l.className);
    expect(merges.sort()).toEqual(['Add', 'Average', 'Concatenate', 'Maximum', 'Multiply']);
    const input = ck.tensor(randomInput(3 * 6 * 5 * 2, 9), [3, 6, 5, 2]);
    expectClose((await imported.predict(input)).data, (await model.predict(input)).data, TOLERANCE, 'graph');
    // And back out: the imported graph exports and runs in onnxruntime-node.
    const again = await runOrt(ck.toOnnx(imported), input.data, [...input.shape]);
    expectClose(again.data, (await model.predict(input)).data, TOLERANCE, 're-exported');
    model.dispose();
    imported.dispose();
  });

  it('NCHW graphs: Add of two conv branches, Concat on the channel axis, Mul by a [1, C, 1, 1] gate', async () => {
    const random = rng(61);
    const bytes = buildModel({
      input: ['N', 3, 6, 6],
      initializers: [
        weights(random, 'wa', [4, 3, 3, 3]),
        weights(random, 'ba', [4]),
        weights(random, 'wb', [4, 3, 1, 1]),
        weights(random, 'wse', [4, 4, 1, 1]),
        weights(random, 'bse', [4]),
        weights(random, 'fc', [2, 7]),
      ],
      nodes: [
        node(
          'Conv',
          ['input', 'wa', 'ba'],
          ['a'],
          [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])],
          'conv_a',
        ),
        node('Relu', ['a'], ['ra'], [], 'relu_a'),
        node('Conv', ['input', 'wb'], ['b'], [ints('kernel_shape', [1, 1])], 'conv_b'),
        node('Add', ['ra', 'b'], ['sum'], [], 'add'),
        // Squeeze-excite: the gate [N, 4, 1, 1] broadcast over [N, 4, 6, 6].
        node('GlobalAveragePool', ['sum'], ['pooled'], [], 'squeeze'),
        node('Conv', ['pooled', 'wse', 'bse'], ['se'], [ints('kernel_shape', [1, 1])], 'excite'),
        node('Sigmoid', ['se'], ['gate'], [], 'gate'),
        node('Mul', ['sum', 'gate'], ['scaled'], [], 'scale'),
        node('Concat', ['scaled', 'input'], ['joined'], [int('axis', 1)], 'concat'),
        node('GlobalAveragePool', ['joined'], ['features'], [], 'gap'),
        node('Flatten', ['features'], ['flat'], [], 'flatten'),
        node('Gemm', ['flat', 'fc'], ['output'], [int('transB', 1)], 'fc'),
      ],
    });
    const model = await expectSameAsOrt(bytes, [2, 3, 6, 6], 62);
    expect(model.connections.graph).toBe(true);
    // The activation after conv_a folds into it: conv_a's output is read by the Relu alone.
    expect((model.getLayer('conv_a').getConfig() as { activation: string }).activation).toBe('relu');
  });

  it('does not fold an activation into a layer whose output another branch reads', async () => {
    const random = rng(71);
    const bytes = buildModel({
      input: ['N', 2, 4, 4],
      initializers: [weights(random, 'w', [2, 2, 1, 1])],
      nodes: [
        node('Conv', ['input', 'w'], ['c'], [ints('kernel_shape', [1, 1])], 'conv'),
        node('Relu', ['c'], ['r'], [], 'relu'),
        node('Sum', ['c', 'r', 'input'], ['s'], [], 'sum'),
        node('GlobalMaxPool', ['s'], ['pooled'], [], 'pool'),
        node('Flatten', ['pooled'], ['output'], [], 'flatten'),
      ],
    });
    const model = await expectSameAsOrt(bytes, [2, 2, 4, 4], 72);
    expect(model.layers.map((l) => l.className).slice(0, 3)).toEqual(['Conv2D', 'Activation', 'Add']);
  });

  it('x * Sigmoid(x) and x * HardSigmoid(x) on a branch are one activation; a Mul whose gate another node reads is a merge', async () => {
    const random = rng(81);
    const bytes = buildModel({
      input: ['N', 2, 4, 4],
      initializers: [weights(random, 'wa', [3, 2, 1, 1]), weights(random, 'wb', [3, 2, 1, 1])],
      nodes: [
        node('Conv', ['input', 'wa'], ['a'], [ints('kernel_shape', [1, 1])], 'conv_a'),
        node('Sigmoid', ['a'], ['a_gate'], [], 'a_gate'),
        node('Mul', ['a', 'a_gate'], ['a_swish'], [], 'a_swish'),
        node('Conv', ['input', 'wb'], ['b'], [ints('kernel_shape', [1, 1])], 'conv_b'),
        node('HardSigmoid', ['b'], ['b_gate'], [float('alpha', 1 / 6), float('beta', 0.5)], 'b_gate'),
        node('Mul', ['b_gate', 'b'], ['b_hswish'], [], 'b_hswish'),
        // conv_a's output is read by the Sum too: its swish cannot fold into it.
        node('Sum', ['a_swish', 'b_hswish', 'a'], ['sum'], [], 'sum'),
        // The Sigmoid's output is read by the Max too: sum * s_gate is a Multiply merge.
        node('Sigmoid', ['sum'], ['s_gate'], [], 's_gate'),
        node('Mul', ['sum', 's_gate'], ['prod'], [], 'prod'),
        node('Max', ['prod', 's_gate'], ['m'], [], 'max'),
        node('GlobalAveragePool', ['m'], ['pooled'], [], 'gap'),
        node('Flatten', ['pooled'], ['output'], [], 'flatten'),
      ],
    });
    const model = await expectSameAsOrt(bytes, [2, 2, 4, 4], 82);
    const kinds = model.layers.map((l) => (l instanceof ck.layers.Activation ? l.activation : l.className));
    expect(kinds).toEqual([
      'Conv2D',
      'swish',
      'Conv2D',
      'Add',
      'sigmoid',
      'Multiply',
      'Maximum',
      'GlobalAveragePooling2D',
    ]);
    expect((model.getLayer('conv_a').getConfig() as { activation: string }).activation).toBe('linear');
    expect((model.getLayer('conv_b').getConfig() as { activation: string }).activation).toBe('hardSwish');
  });
});

describe('loadOnnx of rewired graphs', () => {
  it('120 random rewirings of an exported graph: refused clearly, or computing what onnxruntime-node computes', async () => {
    const x = ck.input({ shape: [4, 4, 2] });
    const a = ck.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    const b = ck.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(a);
    const sum = ck.layers.add().apply([a, b, x]);
    const g = ck.layers.dense({ units: 2, activation: 'sigmoid' }).apply(ck.layers.globalAveragePooling2d().apply(sum));
    const gated = ck.layers.multiply().apply([sum, ck.layers.reshape({ targetShape: [1, 1, 2] }).apply(g)]);
    const cat = ck.layers.concatenate().apply([gated, b]);
    const out = ck.layers.dense({ units: 3 }).apply(ck.layers.flatten().apply(cat));
    const model = ck.model({ inputs: x, outputs: out, seed: 3 });
    const { onnx } = await import('onnx-proto');
    const original = ck.toOnnx(model);
    const random = rng(123);
    const input = randomInput(2 * 4 * 4 * 2, 5);
    let compared = 0;
    for (let trial = 0; trial < 120; trial++) {
      const proto = onnx.ModelProto.decode(original);
      const nodes = proto.graph!.node!;
      const tensors = ['input', ...nodes.flatMap((n) => n.output ?? [])];
      const target = nodes[Math.floor(random() * nodes.length)];
      const slot = Math.floor(random() * target.input!.length);
      target.input![slot] = tensors[Math.floor(random() * tensors.length)];
      const bytes = onnx.ModelProto.encode(proto).finish();
      let reference: { data: Float32Array; dims: number[] } | undefined;
      try {
        reference = await runOrt(bytes, input, [2, 4, 4, 2]);
      } catch {
        reference = undefined;
      }
      let imported: ck.Model;
      try {
        imported = await ck.loadOnnx(bytes);
      } catch (error) {
        expect(error, String(error)).toBeInstanceOf(RangeError);
        expect((error as Error).message).toMatch(/^loadOnnx: the given bytes: /);
        continue;
      }
      const actual = await imported.predict(ck.tensor(input, [2, 4, 4, 2]));
      if (reference && reference.dims.length === 2) {
        expectClose(actual.data, reference.data, TOLERANCE, `trial ${trial}`);
        compared++;
      }
      imported.dispose();
    }
    expect(compared).toBeGreaterThan(0);
    model.dispose();
  });
});
