// ONNX export, checked by running the exported graphs in onnxruntime-node (an independent
// implementation of every op) against convkit's own predictions.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../../lib';
import { expectClose } from '../../helpers/assert';
import { randomInput, runOrt } from './graph';
import { exportModelNames, testModel } from './models';

const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-onnx-export-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('toOnnx', () => {
  it.each(exportModelNames)('%s: onnxruntime-node computes what convkit predicts', async (name) => {
    const model = testModel(name);
    const batch = 3;
    const shape = [batch, ...model.inputShape];
    const x = randomInput(
      shape.reduce((a, b) => a * b, 1),
      42,
    );
    const expected = await model.predict(ck.tensor(x, shape));
    const actual = await runOrt(ck.toOnnx(model), x, shape);
    expect(actual.dims).toEqual([batch, ...model.outputShape]);
    expectClose(actual.data, expected.data, TOLERANCE, name);
  });

  it('writes opset 13 with an NHWC input whose batch dimension is symbolic', () => {
    const model = testModel('kerasMnist');
    const proto = onnx.ModelProto.decode(ck.toOnnx(model));
    expect(Number(proto.irVersion)).toBe(7);
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    const graph = proto.graph!;
    const dims = (value: onnx.IValueInfoProto) =>
      value.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input!.map((v) => v.name)).toEqual(['input']);
    expect(dims(graph.input![0])).toEqual(['batch', 28, 28, 1]);
    expect(dims(graph.output![0])).toEqual(['batch', 10]);
    // The conv stack stays NCHW: one Transpose in, one back before Flatten.
    expect(graph.node!.map((n) => n.opType)).toEqual([
      'Transpose',
      'Conv',
      'Relu',
      'MaxPool',
      'Conv',
      'Relu',
      'MaxPool',
      'Conv',
      'Relu',
      'Transpose',
      'Flatten',
      'Gemm',
      'Relu',
      'Gemm',
      'Softmax',
    ]);
    // Conv kernels in ONNX's [out, in, kh, kw].
    expect(graph.initializer!.filter((t) => t.dims!.length === 4).map((t) => t.dims!.map(Number))).toEqual([
      [32, 1, 3, 3],
      [64, 32, 3, 3],
      [64, 64, 3, 3],
    ]);
  });

  it('leaves dropout out and gives a model without layers that compute an Identity graph', async () => {
    const model = ck.sequential({ layers: [ck.layers.dropout({ inputShape: [3], rate: 0.5 })] });
    const bytes = ck.toOnnx(model);
    expect(onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType)).toEqual(['Identity']);
    const x = randomInput(6, 1);
    expectClose((await runOrt(bytes, x, [2, 3])).data, x, { atol: 0, rtol: 0 }, 'identity');
  });

  it('refuses what is not a model', () => {
    expect(() => ck.toOnnx({} as ck.Sequential)).toThrow(TypeError);
    expect(() => ck.toOnnx({} as ck.Sequential)).toThrow(/toOnnx takes a model/);
  });
});

describe('exportOnnx / model.exportOnnx', () => {
  it('writes the same bytes as toOnnx, atomically (no temporary file left)', async () => {
    const model = testModel('globalMax');
    const path = join(dir, 'model.onnx');
    await model.exportOnnx(path);
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array(ck.toOnnx(model)));
    const second = join(dir, 'again.onnx');
    await ck.exportOnnx(model, second);
    expect(new Uint8Array(await readFile(second))).toEqual(new Uint8Array(ck.toOnnx(model)));
    expect((await readdir(dir)).sort()).toEqual(['again.onnx', 'model.onnx']);
  });

  it('refuses a bad path with a TypeError and leaves nothing behind when the directory is missing', async () => {
    const model = testModel('denseOnly');
    await expect(ck.exportOnnx(model, '' as string)).rejects.toThrow(TypeError);
    await expect(model.exportOnnx(42 as unknown as string)).rejects.toThrow(/non-empty string/);
    await expect(model.exportOnnx(join(dir, 'missing', 'model.onnx'))).rejects.toThrow(/ENOENT/);
  });
});
