// Graph models (Keras's functional API, tfjs's tf.model): layers applied to symbolic tensors from
// ck.input, gathered by ck.model({ inputs, outputs }) into a Model whose layers may branch and
// merge (residual adds, concatenations, squeeze-excite gates). Sequential is the special case of
// a chain; both run as one native network.
import { describe, integer } from '../errors';
import type { Layer } from '../layers/base';
import { SymbolicTensor } from '../layers/symbolic';
import { freshSeed } from '../random';
import type { Shape } from '../tensor';
import { Model } from './model';

/** Options of `ck.model`. */
export interface ModelArgs {
  /** The model's input, from `ck.input` (or an array holding just that one). */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's output: a symbolic tensor some layer's apply() returned (or an array of one). */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** The model's name, shown by summary() (default 'model'). */
  name?: string;
  /** An integer seeding the weight initializers (default: a random seed). */
  seed?: number;
}

/** One symbolic tensor from an argument that may be an array of one. */
function single(value: unknown, field: string): SymbolicTensor {
  const list = Array.isArray(value) ? value : [value];
  if (list.length !== 1) {
    throw new RangeError(
      `model ${field}: one ${field === 'inputs' ? 'input' : 'output'} is supported, got ${list.length}`,
    );
  }
  if (!(list[0] instanceof SymbolicTensor)) {
    throw new TypeError(
      `model ${field} must be a symbolic tensor (ck.input(...) or a layer's apply(...)), got ${describe(list[0])}`,
    );
  }
  return list[0];
}

/**
 * The layers between input and output in topological order (a layer after every layer it reads;
 * among independent branches, in the order apply() reached them), with what each reads by index.
 */
function collectLayers(input: SymbolicTensor, output: SymbolicTensor): { layers: Layer[]; inbound: number[][] } {
  if (output === input)
    throw new RangeError('model outputs: the output is the input itself; apply a layer to it first');
  const order: SymbolicTensor[] = [];
  const visited = new Set<SymbolicTensor>();
  const visit = (tensor: SymbolicTensor, path: string) => {
    if (tensor === input || visited.has(tensor)) return;
    if (tensor.layer === null) {
      throw new RangeError(
        `model outputs: '${path}' is computed from the input '${tensor.name}', which is not the model's inputs`,
      );
    }
    visited.add(tensor);
    for (const source of tensor.inputs) visit(source, `${tensor.name} <- ${source.name}`);
    order.push(tensor);
  };
  visit(output, output.name);
  const index = new Map(order.map((tensor, i) => [tensor, i]));
  const layers = order.map((tensor) => tensor.layer as Layer);
  const names = new Set<string>();
  for (const layer of layers) {
    if (names.has(layer.name))
      throw new RangeError(`model: two layers are named '${layer.name}'; layer names must be unique`);
    if (layer.name === input.name)
      throw new RangeError(
        `model: layer '${layer.name}' has the input's name; the input and the layers need distinct names (ck.input({ name }))`,
      );
    names.add(layer.name);
  }
  const inbound = order.map((tensor) => tensor.inputs.map((source) => (source === input ? -1 : index.get(source)!)));
  return { layers, inbound };
}

/** A graph model (Keras's Functional). */
export class Functional extends Model {
  constructor(name: string, layers: Layer[], seed: number, inbound: number[][], inputName: string, inputShape: Shape) {
    super(name, layers, seed, inbound, inputName);
    this.core.declaredInputShape = inputShape;
  }

  /** ck.model's input tensor becomes `inputs`, so a new model can be made from this one's tensors. */
  useInput(input: SymbolicTensor): void {
    this.adoptSymbolicInput(input);
  }

  /**
   * Architecture as saved in model.json: Keras's Functional config (the shape of tfjs's
   * `tf.model(...).toJSON()`, in camelCase, with convkit's layer configs): an InputLayer, then
   * every layer with the layers it reads as `inboundNodes`, and the input and output layers.
   */
  override toJSON(): Record<string, unknown> {
    const { inputName, inbound } = this.connections;
    const source = (i: number) => (i < 0 ? inputName : this.layers[i].name);
    return {
      className: 'Functional',
      config: {
        name: this.name,
        layers: [
          {
            name: inputName,
            className: 'InputLayer',
            config: { batchInputShape: [null, ...this.inputShape], dtype: 'float32', sparse: false, name: inputName },
            inboundNodes: [],
          },
          ...this.layers.map((layer, i) => ({
            name: layer.name,
            className: layer.className,
            config: layer.getConfig(),
            inboundNodes: [inbound[i].map((j) => [source(j), 0, 0, {}])],
          })),
        ],
        inputLayers: [[inputName, 0, 0]],
        outputLayers: [[this.layers[this.layers.length - 1].name, 0, 0]],
      },
    };
  }
}

/** One node of a graph read from a file: its name and the names of what it reads. */
export interface GraphNode {
  name: string;
  sources: string[];
}

/**
 * Orders the nodes of a graph read from a file (Keras's inbound nodes, an ONNX graph, ...) from the
 * input to the output, as ck.model does: returns, for the nodes the output depends on, their
 * indices in topological order and what each reads (by position in that order, -1: the input).
 * A source naming no node, a cycle, or a node the output does not depend on is a RangeError
 * naming it.
 */
export function orderGraph(
  nodes: GraphNode[],
  input: string,
  output: string,
): { order: number[]; inbound: number[][] } {
  const byName = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (node.name === input || byName.has(node.name))
      throw new RangeError(`two layers are named '${node.name}'; layer names must be unique`);
    byName.set(node.name, i);
  });
  if (output === input) throw new RangeError(`the output is the input '${input}' itself`);
  if (!byName.has(output)) throw new RangeError(`the output '${output}' is not among the layers`);
  const order: number[] = [];
  const position = new Map<number, number>();
  const state = new Map<number, 'visiting' | 'done'>();
  // Iterative depth-first search: a deep chain must not exhaust the stack.
  const stack: { node: number; next: number }[] = [{ node: byName.get(output)!, next: 0 }];
  state.set(stack[0].node, 'visiting');
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const sources = nodes[top.node].sources;
    if (top.next < sources.length) {
      const name = sources[top.next++];
      if (name === input) continue;
      const source = byName.get(name);
      if (source === undefined)
        throw new RangeError(`layer '${nodes[top.node].name}' reads '${name}', which is not among the layers`);
      const seen = state.get(source);
      if (seen === 'visiting')
        throw new RangeError(`the layers form a cycle through '${name}' (read by '${nodes[top.node].name}')`);
      if (seen === undefined) {
        state.set(source, 'visiting');
        stack.push({ node: source, next: 0 });
      }
      continue;
    }
    state.set(top.node, 'done');
    position.set(top.node, order.length);
    order.push(top.node);
    stack.pop();
  }
  const unused = nodes.filter((_, i) => !state.has(i)).map((n) => `'${n.name}'`);
  if (unused.length > 0)
    throw new RangeError(`layer ${unused.join(', ')}: the output '${output}' does not depend on it`);
  const inbound = order.map((i) =>
    nodes[i].sources.map((name) => (name === input ? -1 : position.get(byName.get(name)!)!)),
  );
  return { order, inbound };
}

/** Options of graphModel: a graph read from a file, already in topological order. */
export interface GraphModelArgs {
  name: string;
  layers: Layer[];
  /** Per layer, the layers it reads (earlier in `layers`; -1: the input); the last layer is the output. */
  inbound: number[][];
  inputName: string;
  inputShape: Shape;
  seed?: number;
}

/** A graph model from layers and their connections (what loaders build; ck.model starts from symbolic tensors). */
export function graphModel(args: GraphModelArgs): Functional {
  const { layers, inbound } = args;
  if (layers.length === 0) throw new RangeError('the model has no layers');
  if (inbound.length !== layers.length)
    throw new RangeError(`graph: ${layers.length} layers but ${inbound.length} inbound lists`);
  inbound.forEach((sources, i) => {
    if (
      !Array.isArray(sources) ||
      sources.length === 0 ||
      sources.some((j) => !Number.isInteger(j) || j < -1 || j >= i)
    ) {
      throw new RangeError(
        `graph: layer '${layers[i].name}' must read earlier layers or the input, got ${JSON.stringify(sources)}`,
      );
    }
  });
  const names = new Set<string>([args.inputName]);
  for (const layer of layers) {
    if (names.has(layer.name)) throw new RangeError(`two layers are named '${layer.name}'; layer names must be unique`);
    names.add(layer.name);
  }
  const seed = args.seed === undefined ? freshSeed() : integer(args.seed, 'model seed');
  return new Functional(args.name, layers, seed, inbound, args.inputName, args.inputShape);
}

/**
 * A model from a graph of layers: `inputs` from `ck.input`, `outputs` from the last layer's
 * apply(). Everything the output depends on must lead back to that input. The model has the
 * surface of a Sequential (compile, fit, evaluate, predict, summary with a "Connected to" column,
 * getLayer, activations, createPredictor), and saving, loading and ONNX export.
 * @throws {TypeError | RangeError} when inputs or outputs are not symbolic tensors, there is more
 *   than one of either, or the output does not depend on the input alone.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const x = ck.input({ shape: [28, 28, 1] });
 * const c1 = ck.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
 * const c2 = ck.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same' }).apply(c1);
 * const residual = ck.layers.activation({ activation: 'relu' }).apply(ck.layers.add().apply([c1, c2]));
 * const pooled = ck.layers.globalAveragePooling2d().apply(residual);
 * const out = ck.layers.dense({ units: 10, activation: 'softmax' }).apply(pooled);
 * const model = ck.model({ inputs: x, outputs: out });
 * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * model.summary();
 * ```
 */
export function model(args: ModelArgs): Model {
  if (args === null || typeof args !== 'object')
    throw new TypeError(`model() takes { inputs, outputs }, got ${describe(args)}`);
  const input = single(args.inputs, 'inputs');
  if (input.layer !== null)
    throw new RangeError(`model inputs must come from ck.input, got the output of layer '${input.name}'`);
  const output = single(args.outputs, 'outputs');
  if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
    throw new TypeError(`model name must be a non-empty string, got ${describe(args.name)}`);
  }
  const { layers, inbound } = collectLayers(input, output);
  const seed = args.seed === undefined ? freshSeed() : integer(args.seed, 'model seed');
  const made = new Functional(args.name ?? 'model', layers, seed, inbound, input.name, input.shape);
  made.useInput(input);
  return made;
}
