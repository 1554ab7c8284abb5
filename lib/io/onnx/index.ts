// ONNX interop: export any convkit model, import chains of the ops convkit has.
export { exportOnnx, toOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export';
export { loadOnnx } from './import';
