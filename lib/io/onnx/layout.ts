// Index arithmetic shared by the ONNX exporter and importer. convkit keeps tensors channels last
// (NHWC) and weights in Keras's layouts; ONNX's Conv, pooling and BatchNormalization want channels
// first (NCHW) and conv kernels as [out, in, kh, kw].
import type { Shape } from '../../tensor';

/** ONNX's opset and IR version that convkit writes (IR 7 is the one that goes with opset 13). */
export const EXPORT_OPSET = 13;
export const EXPORT_IR_VERSION = 7;

/** Axis orders that turn a Keras conv kernel [kh, kw, in, out] into ONNX's [out, in, kh, kw], and back. */
export const KERAS_TO_ONNX_KERNEL = [3, 2, 0, 1] as const;
export const ONNX_TO_KERAS_KERNEL = [2, 3, 1, 0] as const;

/** The Transpose perm (batch axis included) that moves the channels of a per-sample shape of `rank` from last to first. */
export function channelsFirstPerm(rank: number): number[] {
  return [0, rank, ...Array.from({ length: rank - 1 }, (_, i) => i + 1)];
}

/** The inverse of channelsFirstPerm: channels from first back to last. */
export function channelsLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 1 }, (_, i) => i + 2), 1];
}

/** A row-major array of `shape` with its axes reordered: output axis i is input axis perm[i]. */
export function transpose<T extends Float32Array | Int32Array>(data: T, shape: Shape, perm: readonly number[]): T {
  const rank = shape.length;
  const inputStrides = new Array<number>(rank);
  for (let axis = rank - 1, stride = 1; axis >= 0; axis--) {
    inputStrides[axis] = stride;
    stride *= shape[axis];
  }
  const outputShape = perm.map((axis) => shape[axis]);
  const step = perm.map((axis) => inputStrides[axis]);
  const out = new (data.constructor as new (length: number) => T)(data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < data.length; i++) {
    out[i] = data[source];
    // Odometer over the output index; `source` follows it through the input's strides.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis] += 1;
      source += step[axis];
      if (index[axis] < outputShape[axis]) break;
      source -= step[axis] * outputShape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

/**
 * Where the values of a channels-last tensor of `shape` (e.g. [h, w, c]), flattened channels first
 * (CHW, as an NCHW graph's Flatten orders them), sit in its channels-last flattening (HWC,
 * convkit's order): channelsFirst[j] = channelsLast[result[j]].
 */
export function channelsFirstIndex(shape: Shape): Int32Array {
  const rank = shape.length;
  const iota = Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i);
  return transpose(iota, shape, [rank - 1, ...Array.from({ length: rank - 1 }, (_, i) => i)]);
}
