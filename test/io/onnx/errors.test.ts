// What loadOnnx refuses, and how: every error names the file (or 'the given bytes'), the node,
// its op and the attribute or input at fault.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../../lib';
import { rng } from '../../helpers/random';
import { buildModel, floatTensor, int, int64Tensor, ints, node, string, type GraphSpec } from './graph';
import { testModel } from './models';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-onnx-errors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const zeros = (name: string, dims: number[]) =>
  floatTensor(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)));

/** An NCHW Conv -> Relu -> Flatten -> Gemm graph, with parts replaced by `change`. */
function graph(change: Partial<GraphSpec> & { conv?: onnx.IAttributeProto[] } = {}): Uint8Array {
  return buildModel({
    input: ['N', 2, 5, 5],
    initializers: [zeros('w', [3, 2, 3, 3]), zeros('b', [3]), zeros('fc', [2, 27])],
    nodes: [
      node('Conv', ['input', 'w', 'b'], ['c'], change.conv ?? [ints('kernel_shape', [3, 3])], 'conv'),
      node('Relu', ['c'], ['r'], [], 'relu'),
      node('Flatten', ['r'], ['f'], [], 'flatten'),
      node('Gemm', ['f', 'fc'], ['output'], [int('transB', 1)], 'fc'),
    ],
    ...change,
  });
}

const rejects = (bytes: Uint8Array, pattern: RegExp) => expect(ck.loadOnnx(bytes)).rejects.toThrow(pattern);

describe('loadOnnx refuses', () => {
  it('accepts the base graph these tests change (so each refusal comes from its change)', async () => {
    const model = await ck.loadOnnx(graph());
    expect(model.inputShape).toEqual([5, 5, 2]);
    expect(model.outputShape).toEqual([2]);
  });

  it('arguments that are neither a path nor bytes, and files that cannot be read', async () => {
    await expect(ck.loadOnnx(42 as unknown as string)).rejects.toThrow(TypeError);
    await expect(ck.loadOnnx('')).rejects.toThrow(/path to a \.onnx file or its bytes/);
    await expect(ck.loadOnnx(join(dir, 'missing.onnx'))).rejects.toThrow(/missing\.onnx cannot be read/);
  });

  it('truncated and garbage files', async () => {
    const bytes = ck.toOnnx(testModel('kerasMnist'));
    const path = join(dir, 'truncated.onnx');
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(ck.loadOnnx(path)).rejects.toThrow(/truncated\.onnx: is not a valid ONNX file/);
    // Cut anywhere, the file must be refused (never a half-built model).
    for (const fraction of [0.01, 0.3, 0.7, 0.99]) {
      await expect(ck.loadOnnx(bytes.subarray(0, Math.floor(bytes.length * fraction)))).rejects.toThrow(RangeError);
    }
    const random = rng(5);
    for (let trial = 0; trial < 5; trial++) {
      const garbage = Uint8Array.from({ length: 200 + trial * 50 }, () => Math.floor(random() * 256));
      await expect(ck.loadOnnx(garbage)).rejects.toThrow(
        /loadOnnx: the given bytes: (is not a valid ONNX file|has ir_version|has no graph|imports no version)/,
      );
    }
    await expect(ck.loadOnnx(Buffer.from('{"format": "not onnx"}'))).rejects.toThrow(RangeError);
  });

  it('unsupported ops and domains, naming the node and the op', async () => {
    await rejects(
      graph({ nodes: [node('Sin', ['input'], ['output'], [], 'trig')] }),
      /node 'trig' \(Sin\): op Sin is not supported; convkit imports Conv, /,
    );
    const custom = { ...node('Relu', ['input'], ['output'], [], 'r'), domain: 'com.example' };
    await rejects(graph({ nodes: [custom] }), /node 'r' \(Relu\): ops of domain 'com.example'/);
    await rejects(
      graph({ initializers: [zeros('k', [1])], nodes: [node('Add', ['input', 'k'], ['output'], [], 'sum')] }),
      /node 'sum' \(Add\): adds a constant to a computed tensor: convkit reads a bias Add after a MatMul only/,
    );
  });

  it('unsupported attributes: group, SAME_LOWER with odd padding, pads convkit cannot express, ceil_mode, count_include_pad, unknown ones', async () => {
    // Two groups of two input channels: grouped, not depthwise (group 4, one channel each, would be).
    const grouped = graph({
      input: ['N', 4, 6, 6],
      initializers: [zeros('w', [4, 2, 3, 3]), zeros('fc', [2, 64])],
      nodes: [
        node('Conv', ['input', 'w'], ['c'], [int('group', 2)], 'conv'),
        node('Flatten', ['c'], ['f']),
        node('Gemm', ['f', 'fc'], ['output'], [int('transB', 1)]),
      ],
    });
    await rejects(grouped, /node 'conv' \(Conv\): group 2 is not supported/);
    await rejects(
      graph({ input: ['N', 2, 6, 6], conv: [string('auto_pad', 'SAME_LOWER'), ints('strides', [2, 2])] }),
      /node 'conv' \(Conv\): pads \[1, 1, 0, 0\] \(auto_pad SAME_LOWER\) on a 6x6 input cannot be expressed: .* pads \[0, 0, 1, 1\] here/,
    );
    await rejects(
      graph({ conv: [ints('pads', [0, 0, 1, 1])] }),
      /node 'conv' \(Conv\): pads \[0, 0, 1, 1\] \(auto_pad NOTSET\) on a 5x5 input cannot be expressed: convkit pads 'valid' \(none\) or 'same' \(TensorFlow's rule, pads \[1, 1, 1, 1\] here\)/,
    );
    await rejects(
      graph({ conv: [string('auto_pad', 'VALID'), ints('pads', [1, 1, 1, 1])] }),
      /has both auto_pad 'VALID' and pads/,
    );
    await rejects(
      graph({ conv: [ints('kernel_shape', [3, 3]), int('banana', 1)] }),
      /node 'conv' \(Conv\): attribute 'banana' is not supported \(convkit reads auto_pad, dilations, group, kernel_shape, pads, strides\)/,
    );
    await rejects(graph({ conv: [ints('kernel_shape', [3])] }), /kernel_shape \[3\] does not match W's \[3, 3\]/);
    await rejects(graph({ conv: [int('strides', 2)] }), /attribute 'strides' has type INT, expected INTS/);
    const pool = (attributes: onnx.IAttributeProto[], opType = 'MaxPool') =>
      buildModel({
        input: ['N', 2, 5, 5],
        nodes: [node(opType, ['input'], ['output'], attributes, 'pool')],
      });
    await rejects(
      pool([ints('kernel_shape', [2, 2]), ints('strides', [2, 2]), int('ceil_mode', 1)]),
      /node 'pool' \(MaxPool\): ceil_mode 1 is not supported/,
    );
    await rejects(
      pool([ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), int('count_include_pad', 1)], 'AveragePool'),
      /node 'pool' \(AveragePool\): count_include_pad 1 with padding/,
    );
    await rejects(pool([ints('strides', [2, 2])]), /attribute 'kernel_shape' is missing/);
    await rejects(pool([ints('kernel_shape', [2, 2]), ints('dilations', [2, 2])]), /dilated pooling is not supported/);
  });

  it('graphs convkit cannot hold: off-path nodes, dead ends, several inputs, merges it cannot follow', async () => {
    const stray = graph({
      nodes: [node('Relu', ['input'], ['output'], [], 'r'), node('Relu', ['output'], ['extra'], [], 'after')],
    });
    await rejects(stray, /node 'after' \(Relu\) is not on the path from input 'input' to output 'output'/);
    const cycle = graph({
      nodes: [
        node('Relu', ['input'], ['x1'], [], 'r'),
        node('Add', ['x1', 'x3'], ['x2'], [], 'join'),
        node('Sigmoid', ['x2'], ['x3'], [], 's'),
        node('Identity', ['x3'], ['output'], [], 'out'),
      ],
    });
    await rejects(cycle, /the graph has a cycle through node 'join' \(Add\)/);
    const spatialConcat = graph({
      nodes: [
        node('Relu', ['input'], ['p'], [], 'left'),
        node('Sigmoid', ['input'], ['q'], [], 'right'),
        node('Concat', ['p', 'q'], ['output'], [int('axis', 2)], 'cat'),
      ],
    });
    await rejects(
      spatialConcat,
      /node 'cat' \(Concat\): concatenates \[batch, 2, 5, 5\] and \[batch, 2, 5, 5\] on axis 2: convkit concatenates .* along their channels \(axis 3 here\)/,
    );
    const mismatched = graph({
      initializers: [zeros('w', [3, 2, 3, 3])],
      nodes: [
        node('Conv', ['input', 'w'], ['c'], [ints('kernel_shape', [3, 3])], 'conv'),
        node('Add', ['c', 'input'], ['output'], [], 'sum'),
      ],
    });
    await rejects(
      mismatched,
      /node 'sum' \(Add\): merges \[batch, 3, 3, 3\] \(channels first\) and \[batch, 2, 5, 5\] \(channels first\): convkit's Add takes tensors of one shape and layout/,
    );
    const deadEnd = graph({ nodes: [node('Relu', ['input'], ['x'], [], 'r')] });
    await rejects(deadEnd, /tensor 'x' feeds no node and is not the graph output 'output'/);
    const twoInputs = onnx.ModelProto.decode(graph());
    twoInputs.graph!.input!.push({ name: 'second', type: twoInputs.graph!.input![0].type });
    await rejects(
      onnx.ModelProto.encode(twoInputs).finish(),
      /the graph has 2 inputs besides its initializers \('input', 'second'\)/,
    );
    const computedWeight = graph({
      nodes: [node('Relu', ['input'], ['r'], [], 'r'), node('Conv', ['r', 'r'], ['output'], [], 'conv')],
    });
    await rejects(computedWeight, /tensor 'r' feeds|input 1 \(W\) 'r' is computed by node 'r'/);
  });

  it('missing initializers, wrong dims and malformed tensors', async () => {
    await rejects(
      graph({ initializers: [zeros('b', [3]), zeros('fc', [2, 27])] }),
      /node 'conv' \(Conv\): input 1 \(W\) 'w' is missing: no initializer or Constant node defines it/,
    );
    await rejects(
      graph({ initializers: [zeros('w', [3, 4, 3, 3]), zeros('b', [3]), zeros('fc', [2, 27])] }),
      /W has shape \[3, 4, 3, 3\]: 4 input channels, but the input has 2/,
    );
    await rejects(
      graph({ initializers: [zeros('w', [3, 2, 3]), zeros('b', [3]), zeros('fc', [2, 27])] }),
      /input 1 \(W\) 'w' must have rank 4, got shape \[3, 2, 3\]/,
    );
    await rejects(
      graph({ initializers: [zeros('w', [3, 2, 3, 3]), zeros('b', [4]), zeros('fc', [2, 27])] }),
      /input 2 \(B\) 'b' has shape \[4\], expected \[3\]/,
    );
    await rejects(
      graph({ initializers: [zeros('w', [3, 2, 3, 3]), zeros('b', [3]), zeros('fc', [2, 28])] }),
      /node 'fc' \(Gemm\): B has shape \[2, 28\] \(transB 1\), which does not take 27 input features/,
    );
    const short = { ...zeros('w', [3, 2, 3, 3]), rawData: new Uint8Array(10) };
    await rejects(
      graph({ initializers: [short, zeros('b', [3]), zeros('fc', [2, 27])] }),
      /input 1 \(W\) 'w' has 10 bytes of raw data, its shape \[3, 2, 3, 3\] needs 216/,
    );
    const doubles = { ...zeros('w', [3, 2, 3, 3]), dataType: onnx.TensorProto.DataType.DOUBLE };
    await rejects(
      graph({ initializers: [doubles, zeros('b', [3]), zeros('fc', [2, 27])] }),
      /'w' has data type DOUBLE, expected FLOAT/,
    );
    const external = {
      ...zeros('w', [3, 2, 3, 3]),
      rawData: null,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    };
    await rejects(
      graph({ initializers: [external, zeros('b', [3]), zeros('fc', [2, 27])] }),
      /keeps its values in an external data file/,
    );
    await rejects(
      graph({ input: ['N', 2, 'height', 5] }),
      /input 'input' dimension 2 is symbolic \('height'\); convkit needs a fixed size/,
    );
    await rejects(
      graph({ input: ['N', 2, 2, 2] }),
      /node 'conv' \(Conv\): a 3x3 kernel \(dilation 1x1\) does not fit the 2x2 input/,
    );
  });

  it('layouts convkit cannot follow, and opsets it does not know', async () => {
    const transpose = buildModel({
      input: ['N', 2, 3, 4],
      nodes: [node('Transpose', ['input'], ['output'], [ints('perm', [0, 2, 1, 3])], 't')],
    });
    await rejects(
      transpose,
      /node 't' \(Transpose\): perm \[0, 2, 1, 3\] on \[batch, 2, 3, 4\] is not a layout change convkit can follow/,
    );
    const batchPerm = buildModel({
      input: ['N', 2, 3, 4],
      nodes: [node('Transpose', ['input'], ['output'], [ints('perm', [1, 0, 2, 3])], 't')],
    });
    await rejects(batchPerm, /perm \[1, 0, 2, 3\] must reorder the 4 axes and keep the batch axis first/);
    const flatOutput = buildModel({
      input: ['N', 2, 3, 4],
      nodes: [
        node('Relu', ['input'], ['r'], [], 'r'),
        node('MaxPool', ['r'], ['p'], [ints('kernel_shape', [1, 1])]),
        node('Flatten', ['p'], ['output']),
      ],
    });
    await rejects(flatOutput, /the output is a channels-first \(NCHW\) tensor flattened in that order/);
    const softmax = buildModel({
      input: ['N', 2, 3, 4],
      nodes: [node('Conv', ['input', 'w'], ['c'], [], 'c'), node('Softmax', ['c'], ['output'], [int('axis', 2)], 's')],
      initializers: [zeros('w', [2, 2, 1, 1])],
    });
    await rejects(softmax, /node 's' \(Softmax\): softmax over axis 2 of \[batch, 2, 3, 4\] is not supported/);
    const fixedBatch = buildModel({
      input: ['N', 2, 3, 4],
      initializers: [int64Tensor('shape', [1, -1])],
      nodes: [node('Reshape', ['input', 'shape'], ['output'], [], 'view')],
    });
    await rejects(
      fixedBatch,
      /node 'view' \(Reshape\): shape \[1, -1\] fixes the batch dimension; convkit needs 0 \(copy\) or -1 there/,
    );
    await rejects(graph({ opset: 6 }), /uses opset 6; convkit reads opsets 7 to 22/);
    const noGraph = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }] }).finish();
    await rejects(noGraph, /has no graph/);
  });
});
