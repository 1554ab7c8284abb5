// Test helpers for ONNX: build small graphs with onnx-proto the way exporters write them, run
// models in onnxruntime-node (the independent reference), and move data between NCHW and NHWC.
import { createRequire } from 'node:module';
import { onnx } from 'onnx-proto';
import * as ck from '../../../lib';
import { randomArray, rng } from '../../helpers/random';

// onnxruntime-node is CommonJS with native bindings: load it as Node does.
const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

export const ints = (name: string, values: number[]): onnx.IAttributeProto => ({
  name,
  type: AttributeType.INTS,
  ints: values,
});
export const int = (name: string, value: number): onnx.IAttributeProto => ({ name, type: AttributeType.INT, i: value });
export const float = (name: string, value: number): onnx.IAttributeProto => ({
  name,
  type: AttributeType.FLOAT,
  f: value,
});
export const string = (name: string, value: string): onnx.IAttributeProto => ({
  name,
  type: AttributeType.STRING,
  s: Buffer.from(value),
});

export const tensor = (name: string, value: onnx.ITensorProto): onnx.IAttributeProto => ({
  name,
  type: AttributeType.TENSOR,
  t: value,
});

export function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: onnx.IAttributeProto[] = [],
  name = `/${opType.toLowerCase()}_${output[0]}`,
): onnx.INodeProto {
  return { opType, input, output, attribute, name };
}

/** A float32 initializer in raw_data, little-endian, as PyTorch writes them. */
export function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  const bytes = Buffer.alloc(data.length * 4);
  data.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return { name, dims, dataType: DataType.FLOAT, rawData: bytes };
}

export function int64Tensor(name: string, values: number[]): onnx.ITensorProto {
  const bytes = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => bytes.writeBigInt64LE(BigInt(v), i * 8));
  return { name, dims: [values.length], dataType: DataType.INT64, rawData: bytes };
}

export interface GraphSpec {
  nodes: onnx.INodeProto[];
  initializers?: onnx.ITensorProto[];
  /** Graph input dims; a string is a symbolic dimension. */
  input: (number | string)[];
  inputName?: string;
  outputName?: string;
  opset?: number;
}

/** A serialized model: one input, one output, opset 17 and IR 8 by default (PyTorch 2's defaults). */
export function buildModel(spec: GraphSpec): Uint8Array {
  const dims = spec.input.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    producerName: 'convkit tests',
    graph: {
      name: 'test_graph',
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: [
        { name: spec.inputName ?? 'input', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims } } } },
      ],
      output: [{ name: spec.outputName ?? 'output', type: { tensorType: { elemType: DataType.FLOAT } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Runs a model's single input through onnxruntime-node; returns the single output. */
export async function runOrt(
  bytes: Uint8Array,
  data: Float32Array,
  shape: number[],
): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const outputs = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, shape) });
  const output = outputs[session.outputNames[0]];
  return { data: output.data as Float32Array, dims: [...output.dims] };
}

/** [n, c, h, w] -> [n, h, w, c], written out as a plain loop (independent of the library's transpose). */
export function nchwToNhwc(data: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x];
      }
    }
  }
  return out;
}

/**
 * Replaces a model's weights with seeded random ones: biases and batch-norm statistics too (the
 * initializers leave them at 0 and 1, which would hide a dropped or misplaced one).
 */
export function randomizeWeights(model: ck.Sequential, seed: number): void {
  const random = rng(seed);
  const specs = model.weightSpecs();
  model.setWeights(
    specs.map((spec) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const positive = spec.name === 'moving_variance' || spec.name === 'gamma';
      return ck.tensor(
        positive ? randomArray(random, size, 0.5, 1.5) : randomArray(random, size, -0.5, 0.5),
        spec.shape,
      );
    }),
  );
}

/** Seeded random values in [-1, 1). */
export function randomInput(size: number, seed: number): Float32Array {
  return randomArray(rng(seed), size);
}
