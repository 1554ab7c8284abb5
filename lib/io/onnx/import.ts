// ONNX -> convkit model, for graphs of the ops convkit has: a Sequential for a single chain, a
// graph model (ck.model) when branches meet again in Add/Sum, Mean, Max, Mul or Concat nodes.
//
// The importer visits the nodes from the graph input to the graph output in topological order
// and keeps, for each tensor it computed, the convkit layer that holds it and (the running tensor
// of a chain, a branch's tensor in a graph) its ONNX shape, convkit's shape and how the two relate (`Order`):
// - 'nhwc': the same values in the same memory order (the shapes may differ by a reshape, which
//   convkit adds lazily, as a Flatten or Reshape layer, when a layer needs a particular shape);
// - 'channelsFirst': ONNX holds [c, h, w] what convkit holds as [h, w, c] (NCHW: a PyTorch
//   graph, or an NHWC graph after its Transpose perm [0, 3, 1, 2]; any rank from 2 on);
// - 'flatChannelsFirst': such a tensor flattened in ONNX's (c, h, w) order while convkit's Flatten
//   uses (h, w, c): the next Gemm/MatMul (or BatchNormalization) absorbs the permutation in its
//   weights;
// - 'unknown': a [n, a, b, c] graph input before any op has shown whether it is NCHW or NHWC.
// Weights are converted once, to Keras's layouts. The imported model always takes NHWC input.
import { readFile } from 'node:fs/promises';
import type { onnx } from 'onnx-proto';
import { SELU_ALPHA, SELU_SCALE, type ActivationName } from '../../activations';
import { graphModel } from '../../engine/functional';
import type { Model } from '../../engine/model';
import { Sequential } from '../../engine/sequential';
import { deserializeLayer, type LayerConfig } from '../../layers';
import { outputLength, samePadding, type Padding } from '../../layers/geometry';
import { describe } from '../../errors';
import { shapeSize, Tensor } from '../../tensor';
import { channelsFirstIndex, channelsFirstPerm, channelsLastPerm, ONNX_TO_KERAS_KERNEL, transpose } from './layout';
import { onnxProto } from './proto';
import { attributes, type Attributes, floatValues, int64, int64Values, tensorDims, type Fail } from './read';

/** The default-domain opsets whose semantics the importer knows for the ops it reads. */
const MIN_OPSET = 7;
const MAX_OPSET = 22;

const SUPPORTED_OPS = [
  'Conv',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'ReduceMean',
  'ReduceMax',
  'Gemm',
  'MatMul',
  'Relu',
  'LeakyRelu',
  'Elu',
  'Sigmoid',
  'Tanh',
  'Softmax',
  'Clip',
  'HardSigmoid',
  'HardSwish',
  'Softplus',
  'Selu',
  'PRelu',
  'Flatten',
  'Reshape',
  'Transpose',
  'BatchNormalization',
  'Dropout',
  'Identity',
  'Add',
  'Sum',
  'Mean',
  'Max',
  'Mul',
  'Concat',
] as const;
type OpType = (typeof SUPPORTED_OPS)[number];

type Order = 'unknown' | 'nhwc' | 'channelsFirst' | 'flatChannelsFirst';

interface Flow {
  /** Per-sample shape in the ONNX graph (no batch axis). */
  onnxShape: number[];
  /** Per-sample shape of convkit's tensor after the layers planned so far. */
  shape: number[];
  order: Order;
  /** For 'flatChannelsFirst': onnx[j] = convkit[flatIndex[j]]. */
  flatIndex?: Int32Array;
}

/** A layer to create: its class and config as model.json has them, its weights, the node it came from, and the layers it reads (-1: the input). */
interface LayerPlan {
  className: string;
  config: LayerConfig;
  weights: Tensor[];
  node: string;
  inputs: number[];
}

/** A computed tensor: its flow, the layer whose output holds it (-1: the input), and whether that layer's output is used by this path alone. */
interface Branch {
  flow: Flow;
  tail: number;
  fresh: boolean;
}

/** The merge ops and the convkit layers they become. */
const MERGES: Record<string, string> = {
  Add: 'Add',
  Sum: 'Add',
  Mean: 'Average',
  Max: 'Maximum',
  Mul: 'Multiply',
  Concat: 'Concatenate',
};

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
const isDefaultDomain = (domain: string | null | undefined) => !domain || domain === 'ai.onnx';

/** Values of `data` (rows of `rowSize`) moved so that row j lands at row index[j]. */
function scatterRows(data: Float32Array, index: Int32Array, rowSize: number): Float32Array {
  const out = new Float32Array(data.length);
  index.forEach((target, j) => out.set(data.subarray(j * rowSize, (j + 1) * rowSize), target * rowSize));
  return out;
}

/** Whether a Transpose with per-sample `perm` leaves the values' memory order as is (it only moves size-1 axes). */
function keepsMemoryOrder(shape: readonly number[], perm: readonly number[]): boolean {
  const moved = perm.filter((axis) => shape[axis] !== 1);
  return moved.every((axis, i) => i === 0 || axis > moved[i - 1]);
}

class OnnxImporter {
  private flow: Flow;
  /** The layer holding the running tensor (-1: the input), and whether its output is used by this path alone (so an activation may fuse into it). */
  private tail = -1;
  private fresh = false;
  /** Every computed tensor by name. */
  private readonly branches = new Map<string, Branch>();
  private inputShape: number[] | null = null;
  private inputOrder: 'nhwc' | 'channelsFirst' = 'nhwc';
  private readonly plans: LayerPlan[] = [];
  private readonly layerNames = new Set<string>();
  private readonly constants = new Map<string, onnx.ITensorProto>();
  private readonly consumers = new Map<string, onnx.INodeProto[]>();
  private readonly visited = new Set<onnx.INodeProto>();
  private readonly labels = new Map<onnx.INodeProto, string>();
  private readonly nodes: onnx.INodeProto[];
  private readonly inputName: string;
  private readonly outputName: string;

  constructor(
    private readonly source: string,
    private readonly graph: onnx.IGraphProto,
    private readonly opset: number,
  ) {
    (graph.node ?? []).forEach((node, i) => this.labels.set(node, node.name ? `'${node.name}'` : `#${i}`));
    for (const tensor of graph.initializer ?? []) {
      if (!tensor.name) this.fail('an initializer has no name');
      if (this.constants.has(tensor.name)) this.fail(`two initializers are named '${tensor.name}'`);
      this.constants.set(tensor.name, tensor);
    }
    // Constant nodes are initializers written as nodes (PyTorch emits them for Reshape's shape).
    this.nodes = (graph.node ?? []).filter((node) => {
      if (node.opType !== 'Constant' || !isDefaultDomain(node.domain)) return true;
      const fail: Fail = this.nodeFail(node);
      const value = attributes(node, ['value'], fail).tensor('value');
      const output = node.output?.[0];
      if (!value || !output) fail("needs a tensor attribute 'value' and an output");
      this.constants.set(output, value);
      return false;
    });
    for (const node of this.nodes) {
      for (const name of new Set(node.input ?? []))
        if (name) this.consumers.set(name, [...(this.consumers.get(name) ?? []), node]);
    }

    const inputs = (graph.input ?? []).filter((value) => !this.constants.has(value.name ?? ''));
    if (inputs.length !== 1) {
      this.fail(
        `the graph has ${inputs.length} inputs besides its initializers (${inputs.map((v) => `'${v.name}'`).join(', ')}); convkit imports graphs with one input`,
      );
    }
    const outputs = graph.output ?? [];
    if (outputs.length !== 1)
      this.fail(`the graph has ${outputs.length} outputs; convkit imports graphs with one output`);
    this.inputName = inputs[0].name ?? '';
    this.outputName = outputs[0].name ?? '';
    const onnxShape = this.inputSampleShape(inputs[0]);
    // Only a [n, a, b, c] input can be NCHW or NHWC; the first op that cares decides (see resolve).
    if (onnxShape.length === 3) {
      this.flow = { onnxShape, shape: [], order: 'unknown' };
    } else {
      this.inputShape = onnxShape;
      this.flow = { onnxShape, shape: onnxShape, order: 'nhwc' };
    }
  }

  private fail(message: string): never {
    throw new RangeError(`loadOnnx: ${this.source}: ${message}`);
  }

  private nodeFail(node: onnx.INodeProto): Fail {
    return (message) => this.fail(`node ${this.labels.get(node)} (${node.opType}): ${message}`);
  }

  /** The per-sample dimensions of the graph input: float32, every axis but the batch of known size. */
  private inputSampleShape(input: onnx.IValueInfoProto): number[] {
    const what = `input '${input.name}'`;
    const tensorType = input.type?.tensorType;
    if (!tensorType) this.fail(`${what} is not a tensor`);
    const { DataType } = onnxProto().TensorProto;
    if (tensorType.elemType !== DataType.FLOAT) {
      this.fail(`${what} has element type ${DataType[tensorType.elemType ?? 0]}; convkit computes in FLOAT (float32)`);
    }
    const dims = tensorType.shape?.dim ?? [];
    if (dims.length < 2)
      this.fail(`${what} must have a known shape [batch, ...] of rank 2 or more, got rank ${dims.length}`);
    return dims.slice(1).map((dim, i) => {
      const size = dim.dimValue == null ? NaN : int64(dim.dimValue, `${what} dimension ${i + 1}`, (m) => this.fail(m));
      if (!(size >= 1)) {
        const actual = dim.dimParam ? `symbolic ('${dim.dimParam}')` : dim.dimValue == null ? 'unknown' : String(size);
        this.fail(`${what} dimension ${i + 1} is ${actual}; convkit needs a fixed size for every axis but the batch`);
      }
      return size;
    });
  }

  /** The node that outputs each tensor. */
  private readonly producers = new Map<string, onnx.INodeProto>();

  /** Whether a tensor is computed from the input (rather than a constant, or missing). */
  private computed(name: string): boolean {
    return name === this.inputName || this.producers.has(name);
  }

  /** The nodes on a path from the input to the output; a RangeError naming a node off every such path. */
  private pathNodes(): Set<onnx.INodeProto> {
    for (const node of this.nodes) for (const name of node.output ?? []) if (name) this.producers.set(name, node);
    const fromInput = new Set<onnx.INodeProto>();
    const reached = new Set<string>([this.inputName]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const node of this.nodes) {
        if (fromInput.has(node) || !(node.input ?? []).some((name) => reached.has(name))) continue;
        fromInput.add(node);
        for (const name of node.output ?? []) if (name) reached.add(name);
        changed = true;
      }
    }
    if (!reached.has(this.outputName)) {
      const deadEnd = [...reached].find((name) => name !== this.inputName && !this.consumers.has(name));
      if (deadEnd) this.fail(`tensor '${deadEnd}' feeds no node and is not the graph output '${this.outputName}'`);
      this.fail(`the graph output '${this.outputName}' is not computed from the input '${this.inputName}'`);
    }
    const toOutput = new Set<onnx.INodeProto>();
    const pending = [this.outputName];
    while (pending.length > 0) {
      const node = this.producers.get(pending.pop()!);
      if (!node || toOutput.has(node)) continue;
      toOutput.add(node);
      for (const name of node.input ?? []) if (name && !this.constants.has(name)) pending.push(name);
    }
    const stray = this.nodes.find((node) => !fromInput.has(node) || !toOutput.has(node));
    if (stray) {
      this.fail(
        `node ${this.labels.get(stray)} (${stray.opType}) is not on the path from input '${this.inputName}' to output '${this.outputName}'`,
      );
    }
    return toOutput;
  }

  /** Builds the model: visits the nodes from the input in topological order, then creates and weights the layers. */
  run(): Model {
    const path = this.pathNodes();
    this.branches.set(this.inputName, { flow: this.flow, tail: -1, fresh: false });
    for (let progress = true; progress && !this.branches.has(this.outputName); ) {
      progress = false;
      for (const node of this.nodes) {
        if (this.visited.has(node) || !path.has(node)) continue;
        const inputs = (node.input ?? []).filter((name) => name && this.computed(name));
        if (!inputs.every((name) => this.branches.has(name))) continue;
        this.visit(node);
        progress = true;
      }
    }
    if (!this.branches.has(this.outputName)) {
      const stuck = this.nodes.find((node) => path.has(node) && !this.visited.has(node))!;
      this.fail(`the graph has a cycle through node ${this.labels.get(stuck)} (${stuck.opType})`);
    }
    this.enter(this.outputName);
    this.resolve('nhwc');
    if (this.flow.order === 'flatChannelsFirst') {
      this.fail(
        'the output is a channels-first (NCHW) tensor flattened in that order, which convkit (flattening channels last) cannot produce',
      );
    }
    // Same values, so give convkit's output the graph's output shape. (An NCHW output comes out NHWC.)
    if (this.flow.order === 'nhwc') this.reshapeTo(this.flow.onnxShape, 'output');
    if (this.plans.length === 0) this.fail('the graph has no op that makes a convkit layer');
    if (this.tail !== this.plans.length - 1)
      this.fail(`the output '${this.outputName}' is not computed by the last layer planned (an internal error)`);
    return this.build();
  }

  /**
   * Makes the computed tensor `name` the running one: its flow, its layer. `readers` is how many of
   * its readers the step taking it consumes: an activation folds into its layer only when there are no others.
   */
  private enter(name: string, readers = 1): void {
    const branch = this.branches.get(name)!;
    // The input, still undecided here when another branch settled its layout.
    this.flow =
      branch.flow.order === 'unknown' && this.inputShape
        ? { ...branch.flow, shape: this.inputShape, order: this.inputOrder }
        : branch.flow;
    this.tail = branch.tail;
    this.fresh = branch.fresh && (this.consumers.get(name)?.length ?? 0) <= readers && name !== this.outputName;
  }

  /** Handles one node whose computed inputs are all known, and records the tensor it outputs. */
  private visit(node: onnx.INodeProto): void {
    const fail = this.nodeFail(node);
    const inputs = node.input ?? [];
    const merge =
      isDefaultDomain(node.domain) &&
      Object.hasOwn(MERGES, node.opType ?? '') &&
      inputs.filter((name) => name && this.computed(name)).length >= 2;
    let output: string;
    const gated = this.gatedActivation(node);
    if (gated) {
      output = gated;
    } else if (merge) {
      this.visited.add(node);
      output = this.merge(node, fail);
    } else {
      if (!inputs[0] || !this.computed(inputs[0])) {
        const computed = inputs.findIndex((name) => name && this.computed(name));
        fail(`takes the running tensor '${inputs[computed]}' as input ${computed}; convkit needs it as input 0`);
      }
      this.enter(inputs[0]);
      output = this.step(node, inputs[0]);
    }
    this.branches.set(output, { flow: this.flow, tail: this.tail, fresh: this.fresh });
  }

  /** Add/Sum, Mean, Max, Mul, Concat of computed tensors: a convkit merge layer reading each branch. */
  private merge(node: onnx.INodeProto, fail: Fail): string {
    const op = node.opType as string;
    const attrs = attributes(node, op === 'Concat' ? ['axis'] : [], fail);
    const inputs = node.input ?? [];
    inputs.forEach((name, i) => {
      if (!name || !this.computed(name)) {
        fail(
          `input ${i} '${name}' is a constant: convkit's ${MERGES[op]} merges computed tensors${op === 'Add' ? ' (a constant Add is read only as the bias after a MatMul)' : ''}`,
        );
      }
    });
    const outputs = node.output ?? [];
    if (!outputs[0]) fail('has no output');
    outputs.slice(1).forEach((name, i) => {
      if (name && (this.consumers.has(name) || name === this.outputName))
        fail(`its output ${i + 1} ('${name}') is used; convkit computes only output 0`);
    });
    const describeFlow = (f: Flow) =>
      `[batch, ${f.onnxShape.join(', ')}]${f.order === 'channelsFirst' ? ' (channels first)' : f.order === 'flatChannelsFirst' ? ' (flattened channels first)' : ''}`;
    const branches = inputs.map((name) => {
      this.enter(name);
      this.resolve('nhwc');
      if (op !== 'Concat') this.relaxChannelsFirst();
      return { flow: this.flow, tail: this.tail };
    });
    const listing = () => branches.map((b) => describeFlow(b.flow)).join(' and ');
    if (branches.some((b) => b.flow.order === 'flatChannelsFirst'))
      fail(`merges ${listing()}: a channels-first tensor flattened in that order cannot be merged`);
    const full = branches.reduce((a, b) => (shapeSize(b.flow.onnxShape) > shapeSize(a.flow.onnxShape) ? b : a)).flow;
    // convkit's shape of a full-sized branch: NHWC branches take their ONNX shape.
    const fullShape = full.order === 'nhwc' ? full.onnxShape : full.shape;
    const channels = fullShape[fullShape.length - 1];
    /** Makes branch i's convkit tensor `shape` (a Reshape layer on that branch when needed). */
    const reshapeBranch = (i: number, shape: number[]) => {
      this.flow = branches[i].flow;
      this.tail = branches[i].tail;
      this.reshapeTo(shape, this.label(node));
      branches[i] = { flow: this.flow, tail: this.tail };
    };
    if (op === 'Concat') {
      const rank = full.onnxShape.length + 1;
      const axis = attrs.int('axis', 1);
      const normalized = axis < 0 ? axis + rank : axis;
      const channelAxis = full.order === 'channelsFirst' ? 1 : rank - 1;
      const others = (o: number[]) => o.filter((_, j) => j !== normalized - 1);
      const agree = branches.every(
        (b) =>
          b.flow.order === full.order &&
          b.flow.onnxShape.length === full.onnxShape.length &&
          sameShape(others(b.flow.onnxShape), others(full.onnxShape)),
      );
      if (normalized !== channelAxis || !agree) {
        fail(
          `concatenates ${listing()} on axis ${axis}: convkit concatenates tensors of one layout and size along their channels (axis ${channelAxis} here)`,
        );
      }
      branches.forEach((b, i) => {
        if (b.flow.order === 'nhwc') reshapeBranch(i, b.flow.onnxShape);
      });
      const onnxShape = [...full.onnxShape];
      onnxShape[normalized - 1] = branches.reduce((sum, b) => sum + b.flow.onnxShape[normalized - 1], 0);
      const joined = branches.reduce((sum, b) => sum + b.flow.shape[b.flow.shape.length - 1], 0);
      this.flow = { onnxShape, shape: [...fullShape.slice(0, -1), joined], order: full.order };
    } else {
      branches.forEach((b, i) => {
        const o = b.flow.onnxShape;
        if (b.flow.order === full.order && sameShape(o, full.onnxShape)) {
          if (b.flow.order === 'nhwc') reshapeBranch(i, o);
          return;
        }
        // A per-channel gate ([1, C, 1, 1] beside NCHW; [1, 1, 1, C] or [1, C] beside NHWC), for Mul only:
        // C values in channel order, which convkit holds as [C] and broadcasts over the positions.
        const gate =
          op === 'Mul' &&
          fullShape.length >= 2 &&
          shapeSize(o) === channels &&
          (full.order === 'channelsFirst'
            ? o.length === full.onnxShape.length && o[0] === channels
            : o[o.length - 1] === channels);
        if (!gate) {
          fail(
            `merges ${listing()}: convkit's ${MERGES[op]} takes tensors of one shape and layout${op === 'Mul' ? ', or a per-channel gate ([batch, C, 1, 1] beside NCHW)' : ''}`,
          );
        }
        reshapeBranch(i, [channels]);
      });
      this.flow = { ...full, shape: [...fullShape] };
    }
    this.tail = -1;
    this.plan(this.label(node), MERGES[op], op === 'Concat' ? { axis: -1 } : {});
    this.plans[this.tail].inputs = branches.map((b) => b.tail);
    return outputs[0];
  }

  private build(): Model {
    const chain = this.plans.every((plan, i) => plan.inputs.length === 1 && plan.inputs[0] === i - 1);
    const layers = this.plans.map((plan, i) => {
      try {
        return deserializeLayer({
          className: plan.className,
          config: chain && i === 0 ? { ...plan.config, inputShape: this.inputShape } : plan.config,
        });
      } catch (error) {
        this.fail(`node ${plan.node}: ${(error as Error).message}`);
      }
    });
    const name = this.graph.name || 'onnx_model';
    let model: Model;
    try {
      model = chain
        ? new Sequential({ name, layers })
        : graphModel({
            name,
            layers,
            inbound: this.plans.map((plan) => plan.inputs),
            inputName: layers.some((l) => l.name === 'input') ? 'graph_input' : 'input',
            inputShape: this.inputShape!,
          });
      model.build(this.inputShape!);
      model.setWeights(this.plans.flatMap((plan) => plan.weights));
    } catch (error) {
      this.fail(`the imported layers do not build: ${(error as Error).message}`);
    }
    return model;
  }

  /** Handles one node whose input 0 is the running tensor; returns the name of the new running tensor. */
  private step(node: onnx.INodeProto, current: string): string {
    const fail = this.nodeFail(node);
    this.visited.add(node);
    if (!isDefaultDomain(node.domain)) fail(`ops of domain '${node.domain}' are not supported`);
    if (!(SUPPORTED_OPS as readonly string[]).includes(node.opType ?? '')) {
      fail(
        `op ${node.opType} is not supported; convkit imports ${SUPPORTED_OPS.join(', ')} (Add as a MatMul's bias, or of computed tensors)`,
      );
    }
    const inputs = node.input ?? [];
    if (inputs[0] !== current)
      fail(`takes the running tensor '${current}' as input ${inputs.indexOf(current)}; convkit needs it as input 0`);
    const outputs = node.output ?? [];
    if (!outputs[0]) fail('has no output');
    outputs.slice(1).forEach((name, i) => {
      if (name && (this.consumers.has(name) || name === this.outputName))
        fail(`its output ${i + 1} ('${name}') is used; convkit computes only output 0`);
    });
    return this.handlers[node.opType as OpType](node, fail) ?? outputs[0];
  }

  // ---- the running tensor's layout ----

  /** Settles an 'unknown' [n, a, b, c] input as NCHW or NHWC; convkit's input is NHWC either way. */
  private resolve(order: 'nhwc' | 'channelsFirst'): void {
    if (this.flow.order !== 'unknown') return;
    const [a, b, c] = this.flow.onnxShape;
    this.inputShape = order === 'channelsFirst' ? [b, c, a] : [a, b, c];
    this.inputOrder = order;
    this.flow = { ...this.flow, shape: this.inputShape, order };
  }

  /** A channels-first tensor with one channel or a 1x1 map has NHWC's memory order: follow it as 'nhwc'. */
  private relaxChannelsFirst(): void {
    const [c, ...spatial] = this.flow.onnxShape;
    if (this.flow.order === 'channelsFirst' && (c === 1 || shapeSize(spatial) === 1))
      this.flow = { ...this.flow, order: 'nhwc' };
  }

  /** Gives convkit's tensor the per-sample `shape` (same values, same order) with a Flatten or Reshape layer. */
  private reshapeTo(shape: number[], node: string): void {
    if (sameShape(this.flow.shape, shape)) return;
    if (shape.length === 1) this.plan(node, 'Flatten', {});
    else this.plan(node, 'Reshape', { targetShape: shape });
    this.flow = { ...this.flow, shape };
  }

  private label(node: onnx.INodeProto): string {
    return this.labels.get(node)!;
  }

  private plan(node: string, className: string, config: LayerConfig, weights: Tensor[] = []): void {
    // Layers are named after their nodes ('#3' for a nameless node becomes the class name).
    const base = node.startsWith('#') ? className.toLowerCase() : node.replace(/^'|'$/g, '');
    let name = base;
    for (let i = 1; this.layerNames.has(name); i++) name = `${base}_${i}`;
    this.layerNames.add(name);
    this.plans.push({ className, config: { ...config, name }, weights, node, inputs: [this.tail] });
    this.tail = this.plans.length - 1;
    this.fresh = true;
  }

  /** The running tensor as [h, w, c] for an op that reads it as NCHW (Conv, pooling). */
  private channelsFirstInput(node: onnx.INodeProto, fail: Fail): [number, number, number] {
    this.resolve('channelsFirst');
    if (this.flow.onnxShape.length !== 3)
      fail(`needs a [batch, c, h, w] input, got [batch, ${this.flow.onnxShape.join(', ')}]`);
    const [c, h, w] = this.flow.onnxShape;
    if (this.flow.order === 'nhwc' && (c === 1 || h * w === 1)) {
      this.reshapeTo([h, w, c], this.label(node));
      this.flow = { ...this.flow, order: 'channelsFirst' };
    }
    if (this.flow.order !== 'channelsFirst') {
      fail(
        `reads its input [batch, ${this.flow.onnxShape.join(', ')}] as NCHW, but the values are in NHWC order here (an NHWC graph needs a Transpose perm [0, 3, 1, 2] before it)`,
      );
    }
    return this.flow.shape as [number, number, number];
  }

  /** The number of features of a [batch, features] input (Gemm, MatMul), adding a Flatten layer when convkit's tensor is not flat yet. */
  private flatInput(node: onnx.INodeProto, fail: Fail): number {
    this.resolve('nhwc');
    this.relaxChannelsFirst();
    if (this.flow.onnxShape.length !== 1) {
      fail(
        `needs a [batch, features] input, got [batch, ${this.flow.onnxShape.join(', ')}] (a Flatten before it is missing)`,
      );
    }
    if (this.flow.order === 'nhwc') this.reshapeTo(this.flow.onnxShape, this.label(node));
    return this.flow.onnxShape[0];
  }

  /** ONNX flattening the running tensor to [batch, size]: convkit flattens too, channels last. */
  private flatten(node: onnx.INodeProto): void {
    this.resolve('nhwc');
    this.relaxChannelsFirst();
    const size = shapeSize(this.flow.onnxShape);
    if (this.flow.order === 'channelsFirst') {
      const channelsLast = this.flow.shape;
      this.plan(this.label(node), 'Flatten', {});
      this.flow = {
        onnxShape: [size],
        shape: [size],
        order: 'flatChannelsFirst',
        flatIndex: channelsFirstIndex(channelsLast),
      };
    } else {
      this.flow = { ...this.flow, onnxShape: [size] };
    }
  }

  // ---- constants ----

  /** Input `index` of a node, which must be a constant (an initializer or a Constant node's output). */
  private constantInput(node: onnx.INodeProto, index: number, what: string, fail: Fail) {
    const name = node.input?.[index];
    if (!name) fail(`input ${index} (${what}) is missing`);
    const tensor = this.constants.get(name);
    const label = `input ${index} (${what}) '${name}'`;
    if (tensor) return { tensor, label, dims: tensorDims(tensor, label, fail) };
    const producer = this.nodes.find((n) => n.output?.includes(name));
    fail(
      producer
        ? `${label} is computed by node ${this.label(producer)} (${producer.opType}); convkit needs a constant (an initializer) there`
        : `${label} is missing: no initializer or Constant node defines it`,
    );
  }

  /** A float32 constant input of rank `rank`. */
  private floats(node: onnx.INodeProto, index: number, what: string, rank: number, fail: Fail): Tensor {
    const { tensor, label, dims } = this.constantInput(node, index, what, fail);
    if (dims.length !== rank) fail(`${label} must have rank ${rank}, got shape [${dims.join(', ')}]`);
    return new Tensor(floatValues(tensor, dims, label, fail), dims);
  }

  /** A float32 constant input that broadcasts to [size] (shapes [size], [1, size], [1] or []), as [size]. */
  private vector(node: onnx.INodeProto, index: number, what: string, size: number, fail: Fail): Float32Array {
    const { tensor, label, dims } = this.constantInput(node, index, what, fail);
    const values = floatValues(tensor, dims, label, fail);
    const squeezed = dims.filter((d) => d !== 1);
    if (values.length === 1) return new Float32Array(size).fill(values[0]);
    if (squeezed.length !== 1 || squeezed[0] !== size || dims.length > 2 || dims[dims.length - 1] !== size) {
      fail(`${label} has shape [${dims.join(', ')}], expected [${size}]`);
    }
    return values;
  }

  private int64s(node: onnx.INodeProto, index: number, what: string, fail: Fail): number[] {
    const { tensor, label, dims } = this.constantInput(node, index, what, fail);
    if (dims.length !== 1) fail(`${label} must be a 1-D tensor, got shape [${dims.join(', ')}]`);
    return int64Values(tensor, dims, label, fail);
  }

  private optionalInput(node: onnx.INodeProto, index: number): boolean {
    return Boolean(node.input?.[index]);
  }

  private inputCount(node: onnx.INodeProto, min: number, max: number, fail: Fail): void {
    const count = node.input?.length ?? 0;
    if (count < min || count > max) fail(`has ${count} inputs, expected ${min === max ? min : `${min} to ${max}`}`);
  }

  // ---- attributes shared by the window ops ----

  private pair(attrs: Attributes, name: string, fail: Fail, fallback: [number, number] = [1, 1]): [number, number] {
    const values = attrs.ints(name) ?? fallback;
    if (values.length !== 2 || !values.every((v) => v >= 1))
      fail(`attribute '${name}' must be 2 positive integers, got [${values.join(', ')}]`);
    return values as [number, number];
  }

  /** convkit's padding for an ONNX window op's auto_pad/pads, or an error when it has none that matches. */
  private padding(
    attrs: Attributes,
    size: number[],
    kernel: number[],
    strides: number[],
    dilations: number[],
    fail: Fail,
  ): Padding {
    const autoPad = attrs.string('auto_pad', 'NOTSET');
    if (autoPad !== 'NOTSET' && attrs.has('pads')) fail(`has both auto_pad '${autoPad}' and pads`);
    const [[top, bottom], [left, right]] = [0, 1].map((axis) =>
      samePadding(size[axis], kernel[axis], strides[axis], dilations[axis]),
    );
    const same = [top, left, bottom, right];
    let pads: number[];
    if (autoPad === 'NOTSET') pads = attrs.ints('pads') ?? [0, 0, 0, 0];
    else if (autoPad === 'VALID') pads = [0, 0, 0, 0];
    else if (autoPad === 'SAME_UPPER') pads = same;
    else if (autoPad === 'SAME_LOWER') pads = [bottom, right, top, left];
    else
      fail(
        `auto_pad '${autoPad}' is not supported (convkit reads NOTSET, VALID, SAME_UPPER, and SAME_LOWER where it pads evenly)`,
      );
    if (pads.length !== 4 || pads.some((p) => p < 0))
      fail(`attribute 'pads' must be 4 non-negative integers, got [${pads.join(', ')}]`);
    if (pads.every((p) => p === 0)) return 'valid';
    if (sameShape(pads, same)) return 'same';
    fail(
      `pads [${pads.join(', ')}] (auto_pad ${autoPad}) on a ${size.join('x')} input cannot be expressed: convkit pads 'valid' (none) or 'same' (TensorFlow's rule, pads [${same.join(', ')}] here)`,
    );
  }

  /** A pooling node: MaxPool or AveragePool. */
  private pool(
    node: onnx.INodeProto,
    fail: Fail,
    className: 'MaxPooling2D' | 'AveragePooling2D',
    attrs: Attributes,
  ): void {
    this.inputCount(node, 1, 1, fail);
    const [h, w, c] = this.channelsFirstInput(node, fail);
    if (!attrs.has('kernel_shape')) fail("attribute 'kernel_shape' is missing");
    const poolSize = this.pair(attrs, 'kernel_shape', fail);
    const strides = this.pair(attrs, 'strides', fail);
    if (attrs.int('ceil_mode', 0) !== 0)
      fail("ceil_mode 1 is not supported: convkit's pooling rounds the output size down");
    if (!sameShape(this.pair(attrs, 'dilations', fail), [1, 1])) fail('dilated pooling is not supported');
    const padding = this.padding(attrs, [h, w], poolSize, strides, [1, 1], fail);
    if (className === 'AveragePooling2D' && padding !== 'valid' && attrs.int('count_include_pad', 0) !== 0) {
      fail('count_include_pad 1 with padding is not supported: convkit averages over the cells inside the image only');
    }
    this.plan(this.label(node), className, { poolSize, strides, padding });
    const outH = outputLength(h, poolSize[0], strides[0], 1, padding);
    const outW = outputLength(w, poolSize[1], strides[1], 1, padding);
    if (outH < 1 || outW < 1) fail(`a ${poolSize.join('x')} window does not fit the ${h}x${w} input`);
    this.flow = { onnxShape: [c, outH, outW], shape: [outH, outW, c], order: 'channelsFirst' };
  }

  /** GlobalAveragePool/GlobalMaxPool, or ReduceMean/ReduceMax over the spatial axes: [h, w, c] -> [c]. */
  private globalPool(
    node: onnx.INodeProto,
    className: 'GlobalAveragePooling2D' | 'GlobalMaxPooling2D',
    keepDims: boolean,
  ): void {
    const c = this.flow.shape[2];
    this.plan(this.label(node), className, {});
    const kept = this.flow.order === 'channelsFirst' ? [c, 1, 1] : [1, 1, c];
    this.flow = { onnxShape: keepDims ? kept : [c], shape: [c], order: 'nhwc' };
  }

  /** Adds a dense layer with an ONNX weight matrix [in, out] (its rows in ONNX's feature order) and bias. */
  private dense(
    node: onnx.INodeProto,
    kernel: Float32Array,
    inFeatures: number,
    units: number,
    bias: Float32Array | null,
  ): void {
    const rows = this.flow.order === 'flatChannelsFirst' ? scatterRows(kernel, this.flow.flatIndex!, units) : kernel;
    const weights = [new Tensor(rows, [inFeatures, units])];
    if (bias) weights.push(new Tensor(bias, [units]));
    this.plan(this.label(node), 'Dense', { units, useBias: bias !== null, activation: 'linear' }, weights);
    this.flow = { onnxShape: [units], shape: [units], order: 'nhwc' };
  }

  /** An elementwise activation: fused into the conv or dense layer just before it when it has no parameter. */
  private activation(node: onnx.INodeProto, name: ActivationName, alpha?: number): void {
    const last = this.fresh && this.tail >= 0 ? this.plans[this.tail] : undefined;
    if (
      alpha === undefined &&
      last &&
      ['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(last.className) &&
      last.config.activation === 'linear'
    ) {
      last.config.activation = name;
    } else if (name === 'leakyRelu' || name === 'elu') {
      this.plan(this.label(node), name === 'elu' ? 'ELU' : 'LeakyReLU', { alpha });
    } else {
      this.plan(this.label(node), 'Activation', { activation: name });
    }
  }

  /**
   * x * Sigmoid(x) (swish) or x * HardSigmoid(x) with alpha 1/6 and beta 0.5 (hardSwish), as
   * PyTorch exports SiLU and Hardswish: when `gate` is a Sigmoid or HardSigmoid read by a Mul alone,
   * and that Mul multiplies the gate's output by the gate's own input x, plans one activation of x
   * (folding into x's layer when the gate and the Mul are x's only readers) and returns the Mul's
   * output. null when `gate` is not such a gate: it is then an activation of its own, and a Mul of
   * two computed tensors a merge.
   */
  private gatedActivation(gate: onnx.INodeProto): string | null {
    if ((gate.opType !== 'Sigmoid' && gate.opType !== 'HardSigmoid') || !isDefaultDomain(gate.domain)) return null;
    const x = gate.input?.[0];
    const gateOutput = gate.output?.[0];
    const readers = gateOutput ? (this.consumers.get(gateOutput) ?? []) : [];
    if (!x || !gateOutput || gateOutput === this.outputName || readers.length !== 1) return null;
    const mul = readers[0];
    const inputs = mul.input ?? [];
    const output = mul.output?.[0];
    if (mul.opType !== 'Mul' || !isDefaultDomain(mul.domain) || !output) return null;
    if (inputs.length !== 2 || !inputs.includes(x) || !inputs.includes(gateOutput)) return null;
    const gateFail = this.nodeFail(gate);
    if (gate.opType === 'HardSigmoid') this.hardSigmoidAttributes(gate, gateFail);
    else attributes(gate, [], gateFail);
    attributes(mul, [], this.nodeFail(mul));
    this.visited.add(gate);
    this.visited.add(mul);
    this.enter(x, 2);
    this.activation(mul, gate.opType === 'Sigmoid' ? 'swish' : 'hardSwish');
    return output;
  }

  /** HardSigmoid's attributes, which must be convkit's hardSigmoid: alpha 1/6, beta 0.5 (ONNX's defaults are 0.2, 0.5). */
  private hardSigmoidAttributes(node: onnx.INodeProto, fail: Fail): void {
    const attrs = attributes(node, ['alpha', 'beta'], fail);
    const [alpha, beta] = [attrs.float('alpha', 0.2), attrs.float('beta', 0.5)];
    if (Math.abs(alpha - 1 / 6) > 1e-6 || beta !== 0.5) {
      fail(
        `alpha ${alpha}, beta ${beta} is not supported: convkit's hardSigmoid is relu6(x + 3) / 6 (alpha 1/6, beta 0.5)`,
      );
    }
  }

  /** Clip's bounds: attributes before opset 11, optional constant inputs 1 and 2 since. */
  private clipBounds(node: onnx.INodeProto, fail: Fail): [number, number] {
    if (this.opset < 11) {
      const attrs = attributes(node, ['min', 'max'], fail);
      return [attrs.float('min', -Infinity), attrs.float('max', Infinity)];
    }
    attributes(node, [], fail);
    this.inputCount(node, 1, 3, fail);
    const bound = (index: number, what: string, fallback: number) =>
      this.optionalInput(node, index) ? this.vector(node, index, what, 1, fail)[0] : fallback;
    return [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
  }

  /** The handler of an activation op that takes no attributes. */
  private withoutAttributes(name: ActivationName): (node: onnx.INodeProto, fail: Fail) => void {
    return (node, fail) => {
      attributes(node, [], fail);
      this.activation(node, name);
    };
  }

  /** Normalizes a (possibly negative) ONNX axis of the running tensor, batch axis included. */
  private axis(value: number, fail: Fail): number {
    const rank = this.flow.onnxShape.length + 1;
    if (value < -rank || value >= rank) fail(`axis ${value} is out of range for a tensor of rank ${rank}`);
    return value < 0 ? value + rank : value;
  }

  // ---- one handler per op: checks its inputs and attributes, plans layers, updates the flow ----

  // biome-ignore lint/suspicious/noConfusingVoidType: a handler returns a value name, or is a void call such as this.dense(...)
  private readonly handlers: Record<OpType, (node: onnx.INodeProto, fail: Fail) => string | void> = {
    Conv: (node, fail) => {
      const attrs = attributes(node, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'], fail);
      this.inputCount(node, 2, 3, fail);
      const [h, w, c] = this.channelsFirstInput(node, fail);
      const kernel = this.floats(node, 1, 'W', 4, fail);
      const [filters, kernelChannels, kh, kw] = kernel.shape;
      const group = attrs.int('group', 1);
      // group = input channels with one input channel per group: a depthwise convolution, output
      // channel c * M + m of group c, as Keras orders a depthwise kernel [kh, kw, C, M].
      const depthwise = group !== 1 && group === c && kernelChannels === 1 && filters % c === 0;
      if (group !== 1 && !depthwise)
        fail(
          `group ${group} is not supported: convkit has no grouped convolution (only depthwise: group = input channels, W [C * M, 1, kh, kw])`,
        );
      if (!depthwise && kernelChannels !== c)
        fail(`W has shape [${kernel.shape.join(', ')}]: ${kernelChannels} input channels, but the input has ${c}`);
      const kernelShape = attrs.ints('kernel_shape');
      if (kernelShape && !sameShape(kernelShape, [kh, kw]))
        fail(`kernel_shape [${kernelShape.join(', ')}] does not match W's [${kh}, ${kw}]`);
      const strides = this.pair(attrs, 'strides', fail);
      const dilations = this.pair(attrs, 'dilations', fail);
      const padding = this.padding(attrs, [h, w], [kh, kw], strides, dilations, fail);
      const kerasKernel = transpose(kernel.data, kernel.shape, ONNX_TO_KERAS_KERNEL);
      const weights = [new Tensor(kerasKernel, depthwise ? [kh, kw, c, filters / c] : [kh, kw, c, filters])];
      if (this.optionalInput(node, 2)) weights.push(new Tensor(this.vector(node, 2, 'B', filters, fail), [filters]));
      const outH = outputLength(h, kh, strides[0], dilations[0], padding);
      const outW = outputLength(w, kw, strides[1], dilations[1], padding);
      if (outH < 1 || outW < 1)
        fail(`a ${kh}x${kw} kernel (dilation ${dilations.join('x')}) does not fit the ${h}x${w} input`);
      const window = {
        kernelSize: [kh, kw],
        strides,
        dilationRate: dilations,
        padding,
        useBias: weights.length === 2,
        activation: 'linear',
      };
      if (depthwise) {
        this.plan(this.label(node), 'DepthwiseConv2D', { depthMultiplier: filters / c, ...window }, weights);
      } else {
        this.plan(this.label(node), 'Conv2D', { filters, ...window }, weights);
      }
      this.flow = { onnxShape: [filters, outH, outW], shape: [outH, outW, filters], order: 'channelsFirst' };
    },
    MaxPool: (node, fail) => {
      const attrs = attributes(
        node,
        ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
        fail,
      );
      this.pool(node, fail, 'MaxPooling2D', attrs);
    },
    AveragePool: (node, fail) => {
      const attrs = attributes(
        node,
        ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
        fail,
      );
      this.pool(node, fail, 'AveragePooling2D', attrs);
    },
    GlobalAveragePool: (node, fail) => {
      attributes(node, [], fail);
      this.inputCount(node, 1, 1, fail);
      this.channelsFirstInput(node, fail);
      this.globalPool(node, 'GlobalAveragePooling2D', true);
    },
    GlobalMaxPool: (node, fail) => {
      attributes(node, [], fail);
      this.inputCount(node, 1, 1, fail);
      this.channelsFirstInput(node, fail);
      this.globalPool(node, 'GlobalMaxPooling2D', true);
    },
    ReduceMean: (node, fail) => this.reduce(node, fail),
    ReduceMax: (node, fail) => this.reduce(node, fail),
    Gemm: (node, fail) => {
      const attrs = attributes(node, ['alpha', 'beta', 'transA', 'transB'], fail);
      this.inputCount(node, 2, 3, fail);
      if (attrs.int('transA', 0) !== 0) fail('transA 1 is not supported');
      const transB = attrs.int('transB', 0) !== 0;
      const features = this.flatInput(node, fail);
      const b = this.floats(node, 1, 'B', 2, fail);
      const [inFeatures, units] = transB ? [b.shape[1], b.shape[0]] : b.shape;
      if (inFeatures !== features)
        fail(
          `B has shape [${b.shape.join(', ')}]${transB ? ' (transB 1)' : ''}, which does not take ${features} input features`,
        );
      const alpha = attrs.float('alpha', 1);
      const kernel = (transB ? transpose(b.data, b.shape, [1, 0]) : b.data).map((v) => v * alpha);
      const beta = attrs.float('beta', 1);
      const bias =
        this.optionalInput(node, 2) && beta !== 0 ? this.vector(node, 2, 'C', units, fail).map((v) => v * beta) : null;
      this.dense(node, kernel, features, units, bias);
    },
    MatMul: (node, fail) => {
      attributes(node, [], fail);
      this.inputCount(node, 2, 2, fail);
      const features = this.flatInput(node, fail);
      const b = this.floats(node, 1, 'B', 2, fail);
      const [inFeatures, units] = b.shape;
      if (inFeatures !== features)
        fail(`B has shape [${b.shape.join(', ')}], which does not take ${features} input features`);
      // MatMul + Add(bias) is how some exporters write a dense layer: take the Add along.
      const product = node.output![0];
      const next = this.consumers.get(product) ?? [];
      const add =
        next.length === 1 && next[0].opType === 'Add' && isDefaultDomain(next[0].domain) && product !== this.outputName
          ? next[0]
          : null;
      const biasIndex = add?.input?.length === 2 ? add.input.findIndex((name) => name !== product) : -1;
      if (!add || biasIndex < 0 || !this.constants.has(add.input![biasIndex])) {
        this.dense(node, b.data, features, units, null);
        return;
      }
      const addFail: Fail = this.nodeFail(add);
      attributes(add, [], addFail);
      const sum = add.output?.[0];
      if (!sum) addFail('has no output');
      this.visited.add(add);
      this.dense(node, b.data, features, units, this.vector(add, biasIndex, 'bias', units, addFail));
      return sum;
    },
    Relu: this.withoutAttributes('relu'),
    Sigmoid: this.withoutAttributes('sigmoid'),
    Tanh: this.withoutAttributes('tanh'),
    LeakyRelu: (node, fail) =>
      this.activation(node, 'leakyRelu', attributes(node, ['alpha'], fail).float('alpha', 0.01)),
    Elu: (node, fail) => this.activation(node, 'elu', attributes(node, ['alpha'], fail).float('alpha', 1)),
    Clip: (node, fail) => {
      const [min, max] = this.clipBounds(node, fail);
      if (min !== 0 || (max !== 6 && max !== Infinity))
        fail(`bounds [${min}, ${max}] are not supported: convkit clips to [0, 6] (relu6) or [0, inf) (relu)`);
      this.activation(node, max === 6 ? 'relu6' : 'relu');
    },
    HardSigmoid: (node, fail) => {
      this.hardSigmoidAttributes(node, fail);
      this.activation(node, 'hardSigmoid');
    },
    HardSwish: this.withoutAttributes('hardSwish'),
    Softplus: this.withoutAttributes('softplus'),
    Selu: (node, fail) => {
      const attrs = attributes(node, ['alpha', 'gamma'], fail);
      const [alpha, gamma] = [attrs.float('alpha', SELU_ALPHA), attrs.float('gamma', SELU_SCALE)];
      if (Math.abs(alpha - SELU_ALPHA) > 1e-6 || Math.abs(gamma - SELU_SCALE) > 1e-6)
        fail(
          `alpha ${alpha}, gamma ${gamma} is not supported: convkit's selu has alpha ${SELU_ALPHA}, gamma ${SELU_SCALE}`,
        );
      this.activation(node, 'selu');
    },
    PRelu: (node, fail) => {
      attributes(node, [], fail);
      this.inputCount(node, 2, 2, fail);
      const { tensor, label, dims } = this.constantInput(node, 1, 'slope', fail);
      const slope = floatValues(tensor, dims, label, fail);
      // One slope per channel: [c, 1, 1] (or [1, c, 1, 1]) over NCHW maps, [c] (or [1, 1, c]) over NHWC
      // ones, [f] over features; or one slope for everything (PyTorch's default), repeated.
      const trailing = dims.slice(dims.findIndex((d) => d !== 1));
      if (this.flow.order === 'unknown') this.resolve(trailing.length === 3 ? 'channelsFirst' : 'nhwc');
      const { onnxShape, order } = this.flow;
      const channels = order === 'channelsFirst' ? onnxShape[0] : onnxShape[onnxShape.length - 1];
      const perChannel =
        order === 'channelsFirst'
          ? sameShape(trailing, [channels, ...onnxShape.slice(1).fill(1)])
          : order === 'nhwc' && sameShape(trailing, [channels]);
      if (order === 'flatChannelsFirst' || (slope.length !== 1 && !perChannel)) {
        fail(
          `${label} has shape [${dims.join(', ')}], which is not one slope per channel of [batch, ${onnxShape.join(', ')}] (${order === 'channelsFirst' ? 'NCHW' : 'NHWC'})`,
        );
      }
      const { shape } = this.flow;
      const alpha = slope.length === 1 ? new Float32Array(channels).fill(slope[0]) : slope;
      const sharedAxes = shape.length === 1 ? null : shape.slice(1).map((_, i) => i + 1);
      const alphaShape = shape.map((size, i) => (i === shape.length - 1 ? size : 1));
      this.plan(this.label(node), 'PReLU', { sharedAxes }, [new Tensor(alpha, alphaShape)]);
    },
    Softmax: (node, fail) => {
      const axis = this.axis(attributes(node, ['axis'], fail).int('axis', this.opset >= 13 ? -1 : 1), fail);
      this.resolve('nhwc');
      this.relaxChannelsFirst();
      const { onnxShape, order } = this.flow;
      // convkit's softmax runs over its last axis: ONNX's axis 1 when channels first, its last axis otherwise.
      // Before opset 13, Softmax ran over all the axes from `axis` on: one axis only when it is the last.
      const channelsAxis = order === 'channelsFirst' ? 1 : onnxShape.length;
      if (axis !== channelsAxis || (this.opset < 13 && axis !== onnxShape.length)) {
        fail(
          `softmax over axis ${axis}${this.opset < 13 ? ` and the axes after it (opset ${this.opset})` : ''} of [batch, ${onnxShape.join(', ')}] is not supported: convkit's softmax runs over the channels (axis ${channelsAxis} here)`,
        );
      }
      if (order === 'nhwc') this.reshapeTo(onnxShape, this.label(node));
      this.activation(node, 'softmax');
    },
    Flatten: (node, fail) => {
      const attrs = attributes(node, ['axis'], fail);
      const axis = this.axis(attrs.int('axis', 1), fail);
      if (axis !== 1) fail(`axis ${axis} is not supported: convkit flattens every axis but the batch (axis 1)`);
      this.flatten(node);
    },
    Reshape: (node, fail) => {
      const allowZero = attributes(node, ['allowzero'], fail).int('allowzero', 0) !== 0;
      this.inputCount(node, 2, 2, fail);
      const target = this.reshapeTarget(this.int64s(node, 1, 'shape', fail), allowZero, fail);
      this.resolve('nhwc');
      this.relaxChannelsFirst();
      if (sameShape(target, this.flow.onnxShape)) return;
      if (target.length === 1) this.flatten(node);
      else if (this.flow.order === 'nhwc') this.flow = { ...this.flow, onnxShape: target };
      else
        fail(
          `reshapes [batch, ${this.flow.onnxShape.join(', ')}] (${this.flow.order === 'channelsFirst' ? 'channels first' : 'flattened channels first'}) to [batch, ${target.join(', ')}]: convkit can follow only a flatten of a channels-first tensor`,
        );
    },
    Transpose: (node, fail) => {
      const perm = attributes(node, ['perm'], fail).ints('perm') ?? [];
      const rank = this.flow.onnxShape.length + 1;
      if (
        perm.length !== rank ||
        !sameShape(
          [...perm].sort((a, b) => a - b),
          perm.map((_, i) => i),
        ) ||
        perm[0] !== 0
      ) {
        fail(`perm [${perm.join(', ')}] must reorder the ${rank} axes and keep the batch axis first`);
      }
      if (perm.every((axis, i) => axis === i)) return;
      const sampleRank = rank - 1;
      const toFirst = channelsFirstPerm(sampleRank);
      const toLast = channelsLastPerm(sampleRank);
      this.resolve(sameShape(perm, toLast) ? 'channelsFirst' : 'nhwc');
      this.relaxChannelsFirst();
      const { onnxShape, order } = this.flow;
      if (order === 'channelsFirst' && sameShape(perm, toLast)) {
        this.flow = { ...this.flow, onnxShape: this.flow.shape, order: 'nhwc' };
      } else if (order === 'nhwc' && sampleRank >= 2 && sameShape(perm, toFirst)) {
        this.reshapeTo(onnxShape, this.label(node));
        this.flow = { ...this.flow, onnxShape: perm.slice(1).map((a) => onnxShape[a - 1]), order: 'channelsFirst' };
      } else if (
        order === 'nhwc' &&
        keepsMemoryOrder(
          onnxShape,
          perm.slice(1).map((a) => a - 1),
        )
      ) {
        this.flow = { ...this.flow, onnxShape: perm.slice(1).map((a) => onnxShape[a - 1]) };
      } else {
        fail(
          `perm [${perm.join(', ')}] on [batch, ${onnxShape.join(', ')}] is not a layout change convkit can follow (only channels last <-> channels first, e.g. NHWC <-> NCHW)`,
        );
      }
    },
    BatchNormalization: (node, fail) => {
      const attrs = attributes(node, ['epsilon', 'momentum', 'spatial', 'training_mode'], fail);
      this.inputCount(node, 5, 5, fail);
      if (attrs.int('spatial', 1) !== 1) fail('spatial 0 (per-position statistics) is not supported');
      if (attrs.int('training_mode', 0) !== 0)
        fail('training_mode 1 is not supported: convkit imports graphs for inference');
      this.resolve('channelsFirst');
      const { onnxShape, order } = this.flow;
      // ONNX normalizes axis 1: convkit's channels when channels first, or the features of a [batch, c] tensor.
      if (order === 'nhwc') {
        if (!onnxShape.slice(1).every((d) => d === 1))
          fail(`normalizes axis 1 of [batch, ${onnxShape.join(', ')}], which convkit holds in NHWC order`);
        this.reshapeTo([onnxShape[0]], this.label(node));
      }
      const channels = onnxShape[0];
      const names = ['scale', 'B', 'input_mean', 'input_var'];
      const weights = names.map((what, i) => {
        const values = this.vector(node, i + 1, what, channels, fail);
        return new Tensor(order === 'flatChannelsFirst' ? scatterRows(values, this.flow.flatIndex!, 1) : values, [
          channels,
        ]);
      });
      this.plan(this.label(node), 'BatchNormalization', { epsilon: attrs.float('epsilon', 1e-5) }, weights);
    },
    Dropout: (node, fail) => {
      attributes(node, ['ratio', 'seed', 'is_test'], fail);
      this.inputCount(node, 1, 3, fail);
      if (this.optionalInput(node, 2)) {
        const mode = this.constantInput(node, 2, 'training_mode', fail).tensor;
        if (mode.int32Data?.some((v) => v !== 0) || mode.rawData?.some((v) => v !== 0))
          fail('training_mode true is not supported: convkit imports graphs for inference');
      }
    },
    Identity: (node, fail) => {
      attributes(node, [], fail);
      this.inputCount(node, 1, 1, fail);
    },
    // Merges go through merge(); a handler is reached only when input 0 is not computed.
    Add: (_node, fail) => fail('adds a constant to a computed tensor: convkit reads a bias Add after a MatMul only'),
    Sum: (_node, fail) => fail('needs computed inputs'),
    Mean: (_node, fail) => fail('needs computed inputs'),
    Max: (_node, fail) => fail('needs computed inputs'),
    Mul: (_node, fail) => fail('multiplies by a constant: convkit multiplies computed tensors only'),
    Concat: (_node, fail) => fail('needs computed inputs'),
  };

  /** ReduceMean/ReduceMax: global pooling over the spatial axes, or (ReduceMax) maxout over the last axis. */
  private reduce(node: onnx.INodeProto, fail: Fail): void {
    const attrs = attributes(node, ['axes', 'keepdims', 'noop_with_empty_axes'], fail);
    // Opset 18 moved `axes` from an attribute to input 1.
    const listed =
      this.opset >= 18
        ? this.optionalInput(node, 1)
          ? this.int64s(node, 1, 'axes', fail)
          : undefined
        : attrs.ints('axes');
    if (!listed || listed.length === 0) fail('reducing every axis is not supported: convkit needs the axes listed');
    const axes = listed.map((a) => this.axis(a, fail)).sort((a, b) => a - b);
    const keepDims = attrs.int('keepdims', 1) !== 0;
    const isMax = node.opType === 'ReduceMax';
    const className = isMax ? 'GlobalMaxPooling2D' : 'GlobalAveragePooling2D';
    this.resolve(sameShape(axes, [2, 3]) ? 'channelsFirst' : 'nhwc');
    const { onnxShape, order } = this.flow;
    const rank = onnxShape.length + 1;
    if (order === 'channelsFirst' && rank === 4 && sameShape(axes, [2, 3])) {
      this.globalPool(node, className, keepDims);
    } else if (order === 'nhwc' && rank === 4 && sameShape(axes, [1, 2])) {
      this.reshapeTo(onnxShape, this.label(node));
      this.globalPool(node, className, keepDims);
    } else if (isMax && order === 'nhwc' && rank >= 3 && sameShape(axes, [rank - 1])) {
      // Max over the last axis of [..., units, pieces]: convkit's maxout of [..., units * pieces].
      const pieces = onnxShape[rank - 2];
      const outer = onnxShape.slice(0, -1);
      this.reshapeTo([...onnxShape.slice(0, -2), onnxShape[rank - 3] * pieces], this.label(node));
      this.plan(this.label(node), 'Maxout', { pieces });
      this.flow = { onnxShape: keepDims ? [...outer, 1] : outer, shape: outer, order: 'nhwc' };
    } else {
      fail(
        `${node.opType} over axes [${axes.join(', ')}] of [batch, ${onnxShape.join(', ')}] is not supported: convkit reads it as global pooling over the spatial axes of an image${isMax ? ', or as maxout over the last axis' : ''}`,
      );
    }
  }

  /** The per-sample shape a Reshape `shape` input asks for; the batch entry must be 0 (copy) or -1. */
  private reshapeTarget(shape: number[], allowZero: boolean, fail: Fail): number[] {
    const { onnxShape } = this.flow;
    const size = shapeSize(onnxShape);
    if (shape.length < 1 || (shape[0] !== 0 && shape[0] !== -1) || (allowZero && shape[0] === 0)) {
      fail(`shape [${shape.join(', ')}] fixes the batch dimension; convkit needs 0 (copy) or -1 there`);
    }
    const target = shape.slice(1).map((d, i) => {
      if (d === 0 && !allowZero) {
        if (i >= onnxShape.length)
          fail(`shape [${shape.join(', ')}] copies dimension ${i + 1}, which the input does not have`);
        return onnxShape[i];
      }
      if (d < -1 || d === 0) fail(`shape [${shape.join(', ')}] has the dimension ${d}`);
      return d;
    });
    const unknown = target.indexOf(-1);
    if (unknown >= 0) {
      if (shape[0] === -1 || target.indexOf(-1, unknown + 1) >= 0)
        fail(`shape [${shape.join(', ')}] has more than one -1`);
      const known = shapeSize(target.filter((d) => d !== -1));
      target[unknown] = size / known;
    }
    if (!target.every(Number.isInteger) || shapeSize(target) !== size) {
      fail(
        `shape [${shape.join(', ')}] does not fit the input [batch, ${onnxShape.join(', ')}] (${size} values per sample)`,
      );
    }
    return target;
  }
}

/**
 * Imports an ONNX model (a path to a .onnx file, or its bytes): a Sequential model for a chain of
 * nodes, a graph model (as ck.model makes) when branches meet in a merge.
 *
 * The graph must lead from one float32 input to one output through Conv (a Conv whose group is
 * its input channels, one input channel per group, is a DepthwiseConv2D), MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool, Gemm, MatMul (+ Add), Relu, LeakyRelu,
 * Elu, Sigmoid, Tanh, Softmax, Clip (0 to 6: relu6), HardSigmoid (alpha 1/6), HardSwish, Softplus,
 * Selu, PRelu (one slope, or one per channel), x * Sigmoid(x) (swish) and x * HardSigmoid(x)
 * (hardSwish), Flatten, Reshape, Transpose (as a layout change), BatchNormalization (inference),
 * Dropout and Identity, and where branches meet Add / Sum, Mean, Max, Mul (also by a per-channel
 * gate [1, C, 1, 1]) and Concat on the channel axis, with weights stored in the file (opsets
 * 7 to 22). Both NCHW graphs (as PyTorch exports them) and NHWC graphs (as convkit exports them)
 * are read; **the returned model takes NHWC input** either way: an NCHW graph's [n, c, h, w]
 * input becomes [n, h, w, c]. Anything else (an unsupported op or attribute, a grouped
 * convolution that is not depthwise, a padding convkit cannot express, several inputs or outputs)
 * is a RangeError naming the
 * node, its op and the attribute.
 */
export async function loadOnnx(source: string | Uint8Array): Promise<Model> {
  let bytes: Uint8Array;
  let label: string;
  if (typeof source === 'string' && source.length > 0) {
    label = source;
    try {
      bytes = await readFile(source);
    } catch (error) {
      throw new Error(`loadOnnx: ${source} cannot be read (${(error as Error).message})`);
    }
  } else if (source instanceof Uint8Array) {
    label = 'the given bytes';
    bytes = source;
  } else {
    throw new TypeError(`loadOnnx takes a path to a .onnx file or its bytes (a Uint8Array), got ${describe(source)}`);
  }
  const fail: Fail = (message) => {
    throw new RangeError(`loadOnnx: ${label}: ${message}`);
  };
  let model: onnx.ModelProto;
  try {
    model = onnxProto().ModelProto.decode(bytes);
  } catch (error) {
    fail(`is not a valid ONNX file (the protobuf does not decode: ${(error as Error).message}); is it truncated?`);
  }
  const irVersion = int64(model.irVersion ?? 0, 'ir_version', fail);
  if (irVersion < 3) fail(`has ir_version ${irVersion}; an ONNX model has 3 or more (is this an ONNX file?)`);
  if (!model.graph) fail('has no graph (is this an ONNX file?)');
  const opsetEntry = (model.opsetImport ?? []).find((entry) => isDefaultDomain(entry.domain));
  if (!opsetEntry) fail('imports no version of the default ONNX operator set (opset_import)');
  const opset = int64(opsetEntry.version ?? 0, 'opset version', fail);
  if (opset < MIN_OPSET || opset > MAX_OPSET)
    fail(`uses opset ${opset}; convkit reads opsets ${MIN_OPSET} to ${MAX_OPSET}`);
  return new OnnxImporter(label, model.graph, opset).run();
}
