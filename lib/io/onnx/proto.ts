// onnx-proto (protobufjs and the compiled onnx.proto) takes some 30 ms to load, so it is loaded
// on the first use of ONNX rather than with convkit.
import type { onnx } from 'onnx-proto';

let namespace: typeof onnx | undefined;

/** onnx-proto's `onnx` namespace: the message classes and enums of onnx.proto. */
export function onnxProto(): typeof onnx {
  namespace ??= (require('onnx-proto') as typeof import('onnx-proto')).onnx;
  return namespace;
}
