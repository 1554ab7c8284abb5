// Graph models (Keras's functional API, tfjs's tf.model): layers applied to symbolic tensors from
// ck.input, gathered by ck.model({ inputs, outputs }) into a Model whose layers may branch and
// merge (residual adds, concatenations, squeeze-excite gates). Sequential is the special case of
// a chain; both run as one native network.
import { describe, integer } from '../errors';
import type { Layer } from '../layers/base';
import { SymbolicTensor } from '../layers/symbolic';
import { freshSeed } from '../random';
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
    names.add(layer.name);
  }
  const inbound = order.map((tensor) => tensor.inputs.map((source) => (source === input ? -1 : index.get(source)!)));
  return { layers, inbound };
}

/** A graph model (Keras's Functional). */
class Functional extends Model {
  constructor(name: string, layers: Layer[], seed: number, inbound: number[][], input: SymbolicTensor) {
    super(name, layers, seed, inbound, input.name);
    this.core.declaredInputShape = input.shape;
  }
}

/**
 * A model from a graph of layers: `inputs` from `ck.input`, `outputs` from the last layer's
 * apply(). Everything the output depends on must lead back to that input. The model has the
 * surface of a Sequential (compile, fit, evaluate, predict, summary with a "Connected to" column,
 * getLayer, activations, createPredictor); saving and ONNX export of graph models come later.
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
  return new Functional(args.name ?? 'model', layers, seed, inbound, input);
}
