// Checked reads of decoded ONNX protobuf messages: int64 fields (protobufjs decodes them as Long
// objects), tensors (raw little-endian bytes or typed repeated fields) and node attributes. Every
// problem goes to the `fail` callback, which throws an error naming the file and the node.
import type { onnx } from 'onnx-proto';
import { shapeSize } from '../../tensor';
import { fromLittleEndian } from '../files';
import { onnxProto } from './proto';

export type Fail = (message: string) => never;

/** An int64 field as a number (protobufjs gives a Long for a decoded field, a number for a built one). */
export function int64(value: unknown, what: string, fail: Fail): number {
  const number = typeof value === 'number' ? value : Number(String(value));
  if (!Number.isSafeInteger(number)) fail(`${what} is ${String(value)}, not an integer convkit can use`);
  return number;
}

/** A constant tensor's dimensions; each a non-negative integer. */
export function tensorDims(tensor: onnx.ITensorProto, what: string, fail: Fail): number[] {
  return (tensor.dims ?? []).map((d, axis) => {
    const dim = int64(d, `${what} dims[${axis}]`, fail);
    if (dim < 0) fail(`${what} dims[${axis}] is ${dim}`);
    return dim;
  });
}

/** The count of elements of `dims` and the bytes of the tensor's values, after the checks every tensor needs. */
function tensorPayload(
  tensor: onnx.ITensorProto,
  dims: number[],
  dataType: onnx.TensorProto.DataType,
  what: string,
  fail: Fail,
) {
  const { DataType, DataLocation } = onnxProto().TensorProto;
  if (tensor.dataLocation === DataLocation.EXTERNAL) {
    fail(
      `${what} keeps its values in an external data file, which convkit does not read (save the model with its weights inside the .onnx file)`,
    );
  }
  if (tensor.segment) fail(`${what} is a segment of a tensor, which convkit does not read`);
  if (tensor.dataType !== dataType) {
    fail(`${what} has data type ${DataType[tensor.dataType ?? 0] ?? tensor.dataType}, expected ${DataType[dataType]}`);
  }
  let count: number;
  try {
    count = shapeSize(dims, `${what} dims`);
  } catch (error) {
    fail((error as Error).message);
  }
  return { count, raw: tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : null };
}

/** A FLOAT tensor's values, from raw_data (little-endian) or float_data. */
export function floatValues(tensor: onnx.ITensorProto, dims: number[], what: string, fail: Fail): Float32Array {
  const { count, raw } = tensorPayload(tensor, dims, onnxProto().TensorProto.DataType.FLOAT, what, fail);
  if (raw) {
    if (raw.length !== count * 4)
      fail(`${what} has ${raw.length} bytes of raw data, its shape [${dims.join(', ')}] needs ${count * 4}`);
    return fromLittleEndian(raw, 0, count);
  }
  const values = tensor.floatData ?? [];
  if (values.length !== count)
    fail(`${what} has ${values.length} values, its shape [${dims.join(', ')}] needs ${count}`);
  return Float32Array.from(values);
}

/** An INT64 tensor's values, from raw_data (little-endian) or int64_data. */
export function int64Values(tensor: onnx.ITensorProto, dims: number[], what: string, fail: Fail): number[] {
  const { count, raw } = tensorPayload(tensor, dims, onnxProto().TensorProto.DataType.INT64, what, fail);
  if (raw) {
    if (raw.length !== count * 8)
      fail(`${what} has ${raw.length} bytes of raw data, its shape [${dims.join(', ')}] needs ${count * 8}`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Array.from({ length: count }, (_, i) => int64(view.getBigInt64(i * 8, true), `${what}[${i}]`, fail));
  }
  const values = tensor.int64Data ?? [];
  if (values.length !== count)
    fail(`${what} has ${values.length} values, its shape [${dims.join(', ')}] needs ${count}`);
  return values.map((v, i) => int64(v, `${what}[${i}]`, fail));
}

/**
 * A node's attributes, restricted to the names convkit reads for its op: any other attribute is
 * refused, so nothing that changes the op's meaning is silently ignored.
 */
export class Attributes {
  private readonly byName = new Map<string, onnx.IAttributeProto>();

  constructor(
    node: onnx.INodeProto,
    known: readonly string[],
    private readonly fail: Fail,
  ) {
    for (const attribute of node.attribute ?? []) {
      const name = attribute.name ?? '';
      if (!known.includes(name)) {
        fail(
          `attribute '${name}' is not supported${known.length > 0 ? ` (convkit reads ${known.join(', ')})` : ' (convkit reads none for this op)'}`,
        );
      }
      this.byName.set(name, attribute);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private typed(name: string, type: onnx.AttributeProto.AttributeType): onnx.IAttributeProto | undefined {
    const attribute = this.byName.get(name);
    const { AttributeType } = onnxProto().AttributeProto;
    if (attribute && attribute.type !== type) {
      this.fail(
        `attribute '${name}' has type ${AttributeType[attribute.type ?? 0] ?? attribute.type}, expected ${AttributeType[type]}`,
      );
    }
    return attribute;
  }

  int(name: string, fallback: number): number {
    const attribute = this.typed(name, onnxProto().AttributeProto.AttributeType.INT);
    return attribute ? int64(attribute.i, `attribute '${name}'`, this.fail) : fallback;
  }

  ints(name: string): number[] | undefined {
    return this.typed(name, onnxProto().AttributeProto.AttributeType.INTS)?.ints?.map((v, i) =>
      int64(v, `attribute '${name}'[${i}]`, this.fail),
    );
  }

  float(name: string, fallback: number): number {
    const attribute = this.typed(name, onnxProto().AttributeProto.AttributeType.FLOAT);
    return attribute ? (attribute.f ?? 0) : fallback;
  }

  string(name: string, fallback: string): string {
    const attribute = this.typed(name, onnxProto().AttributeProto.AttributeType.STRING);
    return attribute ? Buffer.from(attribute.s ?? []).toString('utf8') : fallback;
  }

  tensor(name: string): onnx.ITensorProto | undefined {
    return this.typed(name, onnxProto().AttributeProto.AttributeType.TENSOR)?.t ?? undefined;
  }
}

/** Checks a node's attribute names against those its op reads; returns them for reading. */
export function attributes(node: onnx.INodeProto, known: readonly string[], fail: Fail): Attributes {
  return new Attributes(node, known, fail);
}
