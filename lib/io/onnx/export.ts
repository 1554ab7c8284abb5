// convkit model -> ONNX (opset 13), encoded with onnx-proto (the official onnx.proto compiled by
// protobufjs).
//
// The graph takes and returns tensors as convkit does: NHWC, batch first, with a symbolic batch
// dimension. Conv, pooling and BatchNormalization run channels first in ONNX, so the exporter
// tracks whether the running tensor is channels last (as convkit holds it) or channels first and
// inserts a Transpose only where the next op needs the other layout: a stack of convolutions
// stays NCHW, and the tensor goes back to NHWC before Flatten, Reshape or a softmax, so the
// dense kernels keep Keras's (h, w, c) row order. Weights are transposed here, once.
import type { onnx } from 'onnx-proto';
import { defaultAlpha, SELU_ALPHA, SELU_SCALE, type ActivationName } from '../../activations';
import { Model } from '../../engine/model';
import { formats } from '../../engine/sequential';
import {
  Activation,
  Add,
  Average,
  AveragePooling2D,
  Concatenate,
  BatchNormalization,
  Dense,
  DepthwiseConv2D,
  Dropout,
  ELU,
  Flatten,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  LeakyReLU,
  Maximum,
  MaxPooling2D,
  Maxout,
  Multiply,
  PReLU,
  ReLU,
  Reshape,
  SeparableConv2D,
  type Layer,
} from '../../layers';
import { Convolution } from '../../layers/convolutional';
import { samePadding } from '../../layers/geometry';
import { describe } from '../../errors';
import type { Shape, Tensor } from '../../tensor';
import { version } from '../../version';
import { toLittleEndian, writeFileAtomic } from '../files';
import {
  channelsFirstPerm,
  channelsLastPerm,
  EXPORT_IR_VERSION,
  EXPORT_OPSET,
  KERAS_TO_ONNX_KERNEL,
  transpose,
} from './layout';
import { onnxProto } from './proto';

/** Names of the exported graph's input and output. */
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'output';

/** The running tensor: its name in the graph, convkit's per-sample shape, and its layout in the graph. */
interface Flow {
  name: string;
  shape: Shape;
  /** Held as [n, c, ...spatial] rather than convkit's [n, ...spatial, c] (only for per-sample rank >= 2). */
  channelsFirst: boolean;
}

type Attribute = onnx.IAttributeProto;
const attributeType = () => onnxProto().AttributeProto.AttributeType;
const dataType = () => onnxProto().TensorProto.DataType;
const ints = (name: string, values: readonly number[]): Attribute => ({
  name,
  type: attributeType().INTS,
  ints: [...values],
});
const int = (name: string, value: number): Attribute => ({ name, type: attributeType().INT, i: value });
const float = (name: string, value: number): Attribute => ({ name, type: attributeType().FLOAT, f: value });

/** Collects the nodes and initializers of a graph, naming every tensor after the layer that makes it. */
class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  /** Transposes made so far, by input tensor and direction: a tensor several layers read is transposed once. */
  readonly transposed = new Map<string, string>();
  private readonly names = new Set<string>([ONNX_INPUT_NAME, ONNX_OUTPUT_NAME]);

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Adds a node; returns the name of its output. */
  node(opType: string, inputs: string[], prefix: string, attribute: Attribute[] = []): string {
    const output = this.unique(`${prefix}/${opType}`);
    this.nodes.push({ opType, name: output, input: inputs, output: [output], attribute });
    return output;
  }

  /** A float32 initializer, in raw_data (one copy of the bytes, where float_data would encode value by value). */
  floats(name: string, dims: readonly number[], data: Float32Array): string {
    const unique = this.unique(name);
    this.initializers.push({
      name: unique,
      dims: [...dims],
      dataType: dataType().FLOAT,
      rawData: toLittleEndian(data),
    });
    return unique;
  }

  int64s(name: string, values: readonly number[]): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [values.length], dataType: dataType().INT64, int64Data: [...values] });
    return unique;
  }

  /** Renames the tensor `from` (the output of the last node) to `to`; an Identity when no node made it. */
  finish(from: string, to: string): void {
    const last = this.nodes[this.nodes.length - 1];
    if (last?.output?.[0] === from) last.output = [to];
    else this.nodes.push({ opType: 'Identity', name: to, input: [from], output: [to] });
  }
}

function transposeOnce(graph: GraphBuilder, flow: Flow, prefix: string, perm: number[]): string {
  const key = `${flow.name}\u0000${perm.join(',')}`;
  let name = graph.transposed.get(key);
  if (name === undefined) {
    name = graph.node('Transpose', [flow.name], prefix, [ints('perm', perm)]);
    graph.transposed.set(key, name);
  }
  return name;
}

function toChannelsFirst(graph: GraphBuilder, flow: Flow, prefix: string): Flow {
  if (flow.channelsFirst || flow.shape.length < 2) return flow;
  const name = transposeOnce(graph, flow, prefix, channelsFirstPerm(flow.shape.length));
  return { ...flow, name, channelsFirst: true };
}

function toChannelsLast(graph: GraphBuilder, flow: Flow, prefix: string): Flow {
  if (!flow.channelsFirst) return flow;
  const name = transposeOnce(graph, flow, prefix, channelsLastPerm(flow.shape.length));
  return { ...flow, name, channelsFirst: false };
}

function activation(graph: GraphBuilder, flow: Flow, name: ActivationName, alpha: number, prefix: string): Flow {
  const apply = (opType: string, input: string, attribute: Attribute[] = []) =>
    graph.node(opType, [input], prefix, attribute);
  const op = (opType: string, attribute: Attribute[] = []) => ({ ...flow, name: apply(opType, flow.name, attribute) });
  const scalar = (label: string, value: number) => graph.floats(`${prefix}/${label}`, [], Float32Array.of(value));
  const binary = (opType: string, a: string, b: string) => graph.node(opType, [a, b], prefix);
  // x * g(x), for the activations written as a gate over their input (opset 13 has no HardSwish, Mish, Gelu).
  const gated = (gate: string) => ({ ...flow, name: binary('Mul', flow.name, gate) });
  const hardSigmoid = () => apply('HardSigmoid', flow.name, [float('alpha', 1 / 6), float('beta', 0.5)]);
  switch (name) {
    case 'linear':
      return flow;
    case 'relu':
      return op('Relu');
    case 'leakyRelu':
      return op('LeakyRelu', [float('alpha', alpha)]);
    case 'elu':
      return op('Elu', [float('alpha', alpha)]);
    case 'sigmoid':
      return op('Sigmoid');
    case 'tanh':
      return op('Tanh');
    case 'softmax': {
      // convkit's softmax runs over the last axis: the channels, so they must be last here too.
      const last = toChannelsLast(graph, flow, prefix);
      return { ...last, name: graph.node('Softmax', [last.name], prefix, [int('axis', -1)]) };
    }
    case 'relu6':
      return { ...flow, name: graph.node('Clip', [flow.name, scalar('min', 0), scalar('max', 6)], prefix) };
    case 'swish':
      return gated(apply('Sigmoid', flow.name));
    case 'hardSigmoid':
      return { ...flow, name: hardSigmoid() };
    case 'hardSwish':
      return gated(hardSigmoid());
    case 'gelu': {
      // Phi(x) = (1 + erf(x / sqrt 2)) / 2.
      const erf = apply('Erf', binary('Mul', flow.name, scalar('inverse_sqrt2', Math.SQRT1_2)));
      return gated(binary('Mul', binary('Add', erf, scalar('one', 1)), scalar('half', 0.5)));
    }
    case 'softplus':
      return op('Softplus');
    case 'selu':
      return op('Selu', [float('alpha', SELU_ALPHA), float('gamma', SELU_SCALE)]);
    case 'mish':
      return gated(apply('Tanh', apply('Softplus', flow.name)));
  }
}

/** ONNX pads [top, left, bottom, right] of a window op, TensorFlow's rule for 'same'. */
function windowPads(layer: Convolution | MaxPooling2D | AveragePooling2D, inputShape: Shape): number[] {
  if (layer.padding === 'valid') return [0, 0, 0, 0];
  const [kernel, dilation] =
    layer instanceof Convolution ? [layer.kernelSize, layer.dilationRate] : [layer.poolSize, [1, 1]];
  const [top, bottom] = samePadding(inputShape[0], kernel[0], layer.strides[0], dilation[0]);
  const [left, right] = samePadding(inputShape[1], kernel[1], layer.strides[1], dilation[1]);
  return [top, left, bottom, right];
}

/** Adds one layer's nodes; returns the flow after it. `weights` are the layer's, in Keras's order. */
function exportLayer(graph: GraphBuilder, layer: Layer, input: Flow, weights: Tensor[], outputShape: Shape): Flow {
  const prefix = layer.name;
  const flowTo = (name: string, channelsFirst = input.channelsFirst): Flow => ({
    name,
    shape: outputShape,
    channelsFirst,
  });
  if (layer instanceof Convolution) {
    const x = toChannelsFirst(graph, input, prefix);
    const window = [
      ints('kernel_shape', layer.kernelSize),
      ints('strides', layer.strides),
      ints('dilations', layer.dilationRate),
      ints('pads', windowPads(layer, input.shape)),
    ];
    // A Conv of `kernel` in Keras's layout [kh, kw, in / group, out], and the bias if given.
    const conv = (
      from: string,
      name: string,
      kernel: Float32Array,
      shape: Shape,
      bias: Tensor | undefined,
      attributes: Attribute[],
    ) => {
      const inputs = [
        from,
        graph.floats(
          `${prefix}/${name}`,
          KERAS_TO_ONNX_KERNEL.map((axis) => shape[axis]),
          transpose(kernel, shape, KERAS_TO_ONNX_KERNEL),
        ),
      ];
      if (bias) inputs.push(graph.floats(`${prefix}/bias`, bias.shape, bias.data));
      return graph.node('Conv', inputs, prefix, attributes);
    };
    let output: string;
    if (layer instanceof DepthwiseConv2D) {
      // Depthwise: one group per input channel, output channel c * M + m of group c, so Keras's
      // [kh, kw, C, M] is the grouped kernel [kh, kw, 1, C * M].
      const [depthwise, ...rest] = weights;
      const [kh, kw, channels, multiplier] = depthwise.shape;
      const groupedShape = [kh, kw, 1, channels * multiplier];
      const depthwiseAttributes = [...window, int('group', channels)];
      if (layer instanceof SeparableConv2D) {
        const [pointwise, bias] = rest;
        const mid = conv(x.name, 'depthwise_kernel', depthwise.data, groupedShape, undefined, depthwiseAttributes);
        output = conv(mid, 'pointwise_kernel', pointwise.data, pointwise.shape, bias, [ints('kernel_shape', [1, 1])]);
      } else {
        output = conv(x.name, 'depthwise_kernel', depthwise.data, groupedShape, rest[0], depthwiseAttributes);
      }
    } else {
      output = conv(x.name, 'kernel', weights[0].data, weights[0].shape, weights[1], window);
    }
    return activation(graph, flowTo(output, true), layer.activation, defaultAlpha(layer.activation), prefix);
  }
  if (layer instanceof MaxPooling2D || layer instanceof AveragePooling2D) {
    const x = toChannelsFirst(graph, input, prefix);
    const attributes = [
      ints('kernel_shape', layer.poolSize),
      ints('strides', layer.strides),
      ints('pads', windowPads(layer, input.shape)),
    ];
    // Keras averages over the cells inside the image only.
    if (layer instanceof AveragePooling2D) attributes.push(int('count_include_pad', 0));
    return flowTo(
      graph.node(layer instanceof MaxPooling2D ? 'MaxPool' : 'AveragePool', [x.name], prefix, attributes),
      true,
    );
  }
  if (layer instanceof GlobalAveragePooling2D || layer instanceof GlobalMaxPooling2D) {
    // A reduction over the spatial axes works in either layout, so no Transpose is needed.
    const axes = input.channelsFirst ? [2, 3] : [1, 2];
    const opType = layer instanceof GlobalAveragePooling2D ? 'ReduceMean' : 'ReduceMax';
    return flowTo(graph.node(opType, [input.name], prefix, [ints('axes', axes), int('keepdims', 0)]), false);
  }
  if (layer instanceof Flatten || layer instanceof Reshape) {
    // convkit flattens and reshapes in NHWC order.
    const x = toChannelsLast(graph, input, prefix);
    if (layer instanceof Flatten) {
      return input.shape.length === 1
        ? flowTo(x.name, false)
        : flowTo(graph.node('Flatten', [x.name], prefix, [int('axis', 1)]), false);
    }
    // 0 copies the (symbolic) batch dimension.
    const shape = graph.int64s(`${prefix}/shape`, [0, ...outputShape]);
    return flowTo(graph.node('Reshape', [x.name, shape], prefix), false);
  }
  if (layer instanceof Dense) {
    const [kernel, bias] = weights;
    const inputs = [input.name, graph.floats(`${prefix}/kernel`, kernel.shape, kernel.data)];
    if (bias) inputs.push(graph.floats(`${prefix}/bias`, bias.shape, bias.data));
    const gemm = graph.node('Gemm', inputs, prefix);
    return activation(graph, flowTo(gemm, false), layer.activation, defaultAlpha(layer.activation), prefix);
  }
  if (layer instanceof Dropout) return { ...input, shape: outputShape };
  if (layer instanceof Activation) return activation(graph, input, layer.activation, layer.alpha, prefix);
  if (layer instanceof LeakyReLU) return activation(graph, input, 'leakyRelu', layer.alpha, prefix);
  if (layer instanceof ELU) return activation(graph, input, 'elu', layer.alpha, prefix);
  if (layer instanceof ReLU) return activation(graph, input, layer.activation, 0, prefix);
  if (layer instanceof PReLU) {
    // One slope per channel, broadcast from the right: [c] channels last, [c, 1, 1] channels first.
    const [alpha] = weights;
    const channels = alpha.shape[alpha.shape.length - 1];
    const dims = input.channelsFirst ? [channels, ...input.shape.slice(1).fill(1)] : [channels];
    const slope = graph.floats(`${prefix}/alpha`, dims, alpha.data);
    return { ...input, name: graph.node('PRelu', [input.name, slope], prefix) };
  }
  if (layer instanceof BatchNormalization) {
    // ONNX normalizes axis 1: channels first (a [n, c] input already is).
    const x = toChannelsFirst(graph, input, prefix);
    const [gamma, beta, mean, variance] = weights.map((w, i) =>
      graph.floats(`${prefix}/${['gamma', 'beta', 'moving_mean', 'moving_variance'][i]}`, w.shape, w.data),
    );
    return flowTo(
      graph.node('BatchNormalization', [x.name, gamma, beta, mean, variance], prefix, [
        float('epsilon', layer.epsilon),
      ]),
      x.channelsFirst,
    );
  }
  if (layer instanceof Maxout) {
    // Groups of `pieces` consecutive channels: [..., units * pieces] -> [..., units, pieces] -> max over the last axis.
    const x = toChannelsLast(graph, input, prefix);
    const grouped = graph.int64s(`${prefix}/groups`, [0, ...outputShape, layer.pieces]);
    const reshaped = graph.node('Reshape', [x.name, grouped], prefix);
    return flowTo(graph.node('ReduceMax', [reshaped], prefix, [ints('axes', [-1]), int('keepdims', 0)]), false);
  }
  throw new RangeError(`exportOnnx: layer '${layer.name}' (${layer.className}) has no ONNX translation`);
}

/**
 * A merge layer's nodes: Sum, Mean and Max (variadic) for Add, Average and Maximum, a chain of Mul
 * for Multiply (a per-channel gate broadcasts as in convkit), Concat on the channel axis. The
 * inputs are brought to one layout: channels first when any of them is (convolutions follow).
 */
function exportMerge(graph: GraphBuilder, layer: Layer, inputs: Flow[], outputShape: Shape): Flow {
  const prefix = layer.name;
  const channelsFirst = inputs.some((f) => f.channelsFirst) && outputShape.length >= 2;
  const aligned = inputs.map((flow) => {
    let x = flow;
    if (x.shape.length < outputShape.length) {
      // A gate [c] beside [h, w, c]: shaped [1, ..., 1, c] (channels last) to broadcast over the positions.
      const x0 = toChannelsLast(graph, x, prefix);
      const shape = [...outputShape.slice(0, -1).map(() => 1), x0.shape[x0.shape.length - 1]];
      const dims = graph.int64s(`${prefix}/gate_shape`, [0, ...shape]);
      x = { name: graph.node('Reshape', [x0.name, dims], prefix), shape, channelsFirst: false };
    }
    return channelsFirst ? toChannelsFirst(graph, x, prefix) : toChannelsLast(graph, x, prefix);
  });
  const names = aligned.map((f) => f.name);
  const out = (name: string): Flow => ({ name, shape: outputShape, channelsFirst });
  if (layer instanceof Add) return out(graph.node('Sum', names, prefix));
  if (layer instanceof Average) return out(graph.node('Mean', names, prefix));
  if (layer instanceof Maximum) return out(graph.node('Max', names, prefix));
  if (layer instanceof Multiply)
    return out(names.slice(1).reduce((a, b) => graph.node('Mul', [a, b], prefix), names[0]));
  if (layer instanceof Concatenate)
    return out(graph.node('Concat', names, prefix, [int('axis', channelsFirst ? 1 : -1)]));
  throw new RangeError(`exportOnnx: layer '${layer.name}' (${layer.className}) has no ONNX translation`);
}

function valueInfo(name: string, shape: Shape): onnx.IValueInfoProto {
  const dims = [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))];
  return { name, type: { tensorType: { elemType: dataType().FLOAT, shape: { dim: dims } } } };
}

/**
 * The model as a serialized ONNX model (opset 13). Its input `input` and output `output` are
 * float32, batch first with a symbolic batch dimension, in convkit's layout (NHWC for images).
 * Dropout is left out (the graph is for inference) and batch normalization uses the moving
 * statistics. Like getWeights, it throws a RangeError while a training step computes;
 * exportOnnx waits for the step instead.
 */
export function toOnnx(model: Model): Uint8Array {
  if (!(model instanceof Model)) throw new TypeError(`toOnnx takes a model, got ${describe(model)}`);
  return onnxBytes(model, model.getWeights());
}

function onnxBytes(model: Model, weights: Tensor[]): Uint8Array {
  const graph = new GraphBuilder();
  const { inbound } = model.connections;
  const input: Flow = { name: ONNX_INPUT_NAME, shape: model.inputShape, channelsFirst: false };
  const flows: Flow[] = [];
  let used = 0;
  model.layers.forEach((layer, i) => {
    const inputs = inbound[i].map((j) => (j < 0 ? input : flows[j]));
    const count = layer.weightSpecs(inputs[0].shape).length;
    const outputShape = layer.outputShapeFor(inputs.map((f) => f.shape));
    const layerWeights = weights.slice(used, used + count);
    used += count;
    flows.push(
      layer.mergesInputs
        ? exportMerge(graph, layer, inputs, outputShape)
        : exportLayer(graph, layer, inputs[0], layerWeights, outputShape),
    );
  });
  let flow = flows[flows.length - 1];
  flow = toChannelsLast(graph, flow, 'output');
  graph.finish(flow.name, ONNX_OUTPUT_NAME);
  const { ModelProto } = onnxProto();
  const proto = ModelProto.create({
    irVersion: EXPORT_IR_VERSION,
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    producerName: 'convkit',
    producerVersion: version,
    graph: {
      name: model.name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [valueInfo(ONNX_INPUT_NAME, model.inputShape)],
      output: [valueInfo(ONNX_OUTPUT_NAME, model.outputShape)],
    },
  });
  return ModelProto.encode(proto).finish();
}

/**
 * Writes toOnnx(model) to `path` atomically (a temporary file renamed over the target); waits for a
 * running training step rather than throwing. Same as `model.exportOnnx(path)`.
 */
export async function exportOnnx(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`exportOnnx: the path must be a non-empty string, got ${describe(path)}`);
  if (!(model instanceof Model)) throw new TypeError(`exportOnnx takes a model, got ${describe(model)}`);
  // readWeights: waits for a running training step, where getWeights would fail.
  await writeFileAtomic(path, [onnxBytes(model, await model.readWeights())]);
}

// model.exportOnnx() reaches this through the engine's format registry (engine/formats.ts).
formats.register('onnx', exportOnnx);
