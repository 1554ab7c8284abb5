// The Keras MNIST convnet as an ONNX model, built from convkit's weights (Keras order and
// layouts) with onnx-proto, the official onnx.proto compiled by protobufjs.
//
// Input x: [n, 28, 28, 1] NHWC like convkit's, transposed to NCHW for ONNX's Conv. Before Flatten
// the activations go back to NHWC, so the dense kernel keeps Keras's row order (h, w, c).

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT
const OPSET = 13;
const IR_VERSION = 7; // the IR version that goes with opset 13

/** Keras conv kernel [kh, kw, in, out] to ONNX's [out, in, kh, kw]. */
function convKernelToOnnx({ shape: [kh, kw, cin, cout], data }) {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o];
      }
    }
  }
  return { shape: [cout, cin, kh, kw], data: out };
}

/**
 * Serialized ONNX model (Uint8Array) of kerasMnist with `weights` as convkit's getWeights() gives
 * them: [conv kernel, bias] x 3, then [dense kernel, bias] x 2. `onnx` is onnx-proto's namespace.
 */
export function kerasMnistToOnnx(onnx, weights) {
  if (weights.length !== 10) throw new Error(`kerasMnist has 10 weight tensors, got ${weights.length}`);
  const { AttributeType } = onnx.AttributeProto;
  const initializer = [];
  const constant = (name, { shape, data }) => {
    initializer.push({
      name, dims: shape, dataType: FLOAT,
      // raw_data is little-endian float32, which is how Node's Float32Array lays it out on every
      // platform convkit runs on.
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  };
  const ints = (name, values) => ({ name, type: AttributeType.INTS, ints: values });
  const int = (name, value) => ({ name, type: AttributeType.INT, i: value });
  const node = [];
  let counter = 0;
  const op = (opType, input, attribute = [], output = `t${counter++}`) => {
    node.push({ opType, input, output: [output], name: `${opType.toLowerCase()}_${node.length}`, attribute });
    return output;
  };

  let h = op('Transpose', ['x'], [ints('perm', [0, 3, 1, 2])]);
  for (let layer = 0; layer < 3; layer++) {
    const kernel = constant(`conv${layer + 1}/kernel`, convKernelToOnnx(weights[2 * layer]));
    const bias = constant(`conv${layer + 1}/bias`, weights[2 * layer + 1]);
    h = op('Relu', [op('Conv', [h, kernel, bias], [ints('kernel_shape', [3, 3])])]);
    if (layer < 2) h = op('MaxPool', [h], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
  }
  h = op('Flatten', [op('Transpose', [h], [ints('perm', [0, 2, 3, 1])])], [int('axis', 1)]);
  h = op('Relu', [op('Gemm', [h, constant('dense1/kernel', weights[6]), constant('dense1/bias', weights[7])])]);
  const logits = op('Gemm', [h, constant('dense2/kernel', weights[8]), constant('dense2/bias', weights[9])]);
  op('Softmax', [logits], [int('axis', -1)], 'y');

  const tensorType = (dims) => ({ tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'convkit bench',
    graph: {
      name: 'keras_mnist',
      node,
      initializer,
      input: [{ name: 'x', type: tensorType(['n', 28, 28, 1]) }],
      output: [{ name: 'y', type: tensorType(['n', weights[9].shape[0]]) }],
    },
  });
  const problem = onnx.ModelProto.verify(model);
  if (problem) throw new Error(`invalid ONNX model: ${problem}`);
  return onnx.ModelProto.encode(model).finish();
}
