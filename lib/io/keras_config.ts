// Translation between Keras model configs and convkit layers, in one place for every interop
// format: the TensorFlow.js layers format (tfjs-layers and tensorflowjs_converter write Keras's
// snake_case JSON), Keras 2 .h5 files (`model_config`) and Keras 3 .keras files (`config.json`,
// whose entries add `module` / `registered_name` / `build_config`). A layer or attribute is
// accepted or refused the same way whatever the file; anything that would change results and
// that convkit does not implement is refused with the layer and the attribute named.
import { defaultAlpha, type ActivationName } from '../activations';
import { graphModel, orderGraph } from '../engine/functional';
import type { Model } from '../engine/model';
import { Sequential } from '../engine/sequential';
import type { InitializerName } from '../initializers';
import {
  Activation,
  Add,
  Average,
  AveragePooling2D,
  Concatenate,
  BatchNormalization,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Dropout,
  ELU,
  Flatten,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  LeakyReLU,
  type Layer,
  Maximum,
  MaxPooling2D,
  Maxout,
  Multiply,
  PReLU,
  ReLU,
  Reshape,
  SeparableConv2D,
} from '../layers';
import type { LayerArgs } from '../layers/base';
import { Convolution } from '../layers/convolutional';
import { Tensor, type Shape } from '../tensor';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const json = (value: unknown) => JSON.stringify(value) ?? String(value);

/** A Keras model as convkit layers: one per Keras layer (the InputLayer gives the input shape). */
export interface KerasModelPlan {
  name: string;
  /** Shape of one sample (the Keras batch shape without its batch axis). */
  inputShape: number[];
  /**
   * The convkit layer of each Keras layer, from the input to the output, with the Keras class it
   * came from and its position among the file's layers (InputLayer aside).
   */
  layers: { layer: Layer; kerasClass: string; position: number }[];
  /** A Functional model: its input layer's name and what each layer reads (see ck.model); null for a Sequential. */
  graph: { inputName: string; inbound: number[][] } | null;
}

/** Weights a loader must supply for one layer, in convkit's (= Keras's) order. */
export interface LayerWeightsRequest {
  /** Position among the plan's layers. */
  index: number;
  layer: Layer;
  kerasClass: string;
  weights: { name: string; shape: number[] }[];
}

/** One weight as a loader found it. */
export interface LoadedWeight {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

// Regularizers and constraints act only in training; their refusal says so.
const trainingOnly = /_(regularizer|constraint)$/;

/**
 * One Keras layer's config. Each translator reads the attributes it implements; `checkRest`
 * then refuses any other attribute that is set (Keras writes null for a feature that is off).
 */
class KerasLayerConfig {
  private readonly read = new Set(['name', 'trainable', 'dtype', 'batch_input_shape']);

  constructor(
    readonly className: string,
    readonly name: string,
    private readonly config: Json,
    /** Whether the entry is Keras 3's (it names its module), where some names mean other functions. */
    readonly keras3 = false,
  ) {}

  get(attribute: string): unknown {
    this.read.add(attribute);
    return this.config[attribute];
  }

  /** Attributes with no effect on a loaded model's results (e.g. initializers of loaded weights). */
  ignore(...attributes: string[]): void {
    for (const attribute of attributes) this.read.add(attribute);
  }

  refuse(attribute: string, detail: string): never {
    throw new RangeError(`layer '${this.name}' (${this.className}): ${attribute} ${detail}`);
  }

  /** The attribute, which must be absent or one of `accepted` (convkit's only behaviour). */
  only(attribute: string, accepted: unknown[], explanation: string): void {
    const value = this.get(attribute);
    if (value !== undefined && !accepted.includes(value))
      this.refuse(attribute, `${json(value)} is not supported (${explanation})`);
  }

  checkRest(): void {
    for (const [attribute, value] of Object.entries(this.config)) {
      if (this.read.has(attribute) || value === null || value === undefined) continue;
      const why = trainingOnly.test(attribute)
        ? 'convkit trains without weight regularizers and constraints; remove it from the Keras model before saving (it does not change predictions)'
        : 'convkit does not implement it';
      this.refuse(attribute, `${json(value)} is not supported: ${why}`);
    }
  }

  /** Name and trainable flag, and the dtype check every layer shares. */
  common(): LayerArgs {
    checkDtype(this.config.dtype, (detail) => this.refuse('dtype', detail));
    const trainable = this.config.trainable;
    if (trainable !== undefined && typeof trainable !== 'boolean')
      this.refuse('trainable', `must be a boolean, got ${json(trainable)}`);
    return { name: this.name, trainable: trainable ?? true };
  }
}

/** float32 only: Keras 2 and tfjs write the dtype's name, Keras 3 a DTypePolicy object. */
function checkDtype(dtype: unknown, refuse: (detail: string) => never): void {
  const name = isObject(dtype) && isObject(dtype.config) ? dtype.config.name : dtype;
  if (name === undefined || name === null || name === 'float32') return;
  refuse(`${json(name)} is not supported (convkit computes in float32; mixed precision and other dtypes are refused)`);
}

// Keras's names, the first for each of ours being the one written. hard_sigmoid is relu6(x + 3) / 6
// in Keras 3 only (activationOf); silu is Keras 3's name of swish.
const kerasActivations: Record<string, ActivationName> = {
  linear: 'linear',
  relu: 'relu',
  elu: 'elu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  relu6: 'relu6',
  swish: 'swish',
  silu: 'swish',
  hard_swish: 'hardSwish',
  hard_silu: 'hardSwish',
  hard_sigmoid: 'hardSigmoid',
  gelu: 'gelu',
  softplus: 'softplus',
  selu: 'selu',
  mish: 'mish',
};

const tfjsHardSigmoid =
  "is 0.2x + 0.5 in Keras 2 and tfjs, which convkit does not compute (its hardSigmoid is Keras 3's relu6(x + 3) / 6)";

/** A layer's built-in activation (Conv2D, Dense): the Keras names convkit computes identically. */
function activationOf(config: KerasLayerConfig): ActivationName {
  const value = config.get('activation');
  if (value === undefined || value === null) return 'linear';
  if (value === 'hard_sigmoid' && !config.keras3)
    return config.refuse('activation', `'hard_sigmoid' ${tfjsHardSigmoid}`);
  if (typeof value === 'string' && Object.hasOwn(kerasActivations, value)) return kerasActivations[value];
  return config.refuse(
    'activation',
    `${json(value)} is not supported (convkit has ${Object.keys(kerasActivations).join(', ')})`,
  );
}

/** Axis of a BatchNormalization or Softmax: only the last one (-1, or its index counting the batch axis). */
function lastAxisOnly(config: KerasLayerConfig, inputShape: Shape): void {
  const value = config.get('axis');
  const axis = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (axis === undefined || axis === -1 || axis === inputShape.length) return;
  config.refuse(
    'axis',
    `${json(value)} is not supported: convkit works on the last axis only (-1 or ${inputShape.length} for input [batch, ${inputShape.join(', ')}])`,
  );
}

function channelsLast(config: KerasLayerConfig): void {
  config.only('data_format', [null, 'channels_last'], "convkit is NHWC, 'channels_last' only");
}

function paddingOf(config: KerasLayerConfig): 'valid' | 'same' {
  config.only('padding', ['valid', 'same'], "convkit has 'valid' and 'same'");
  return (config.get('padding') as 'valid' | 'same' | undefined) ?? 'valid';
}

// Keras's initializers that convkit has, with their default arguments. Initializers only draw
// fresh weights, so one convkit lacks cannot change a loaded model; it falls back to the layer's
// default (convkit's own save keeps the name).
const kerasInitializers: {
  convkit: InitializerName;
  className: string;
  config: Json;
  varianceScaling?: [number, string, string[]];
}[] = [
  {
    convkit: 'glorotUniform',
    className: 'GlorotUniform',
    config: { seed: null },
    varianceScaling: [1, 'fan_avg', ['uniform']],
  },
  {
    convkit: 'glorotNormal',
    className: 'GlorotNormal',
    config: { seed: null },
    varianceScaling: [1, 'fan_avg', ['normal', 'truncated_normal']],
  },
  {
    convkit: 'heNormal',
    className: 'HeNormal',
    config: { seed: null },
    varianceScaling: [2, 'fan_in', ['normal', 'truncated_normal']],
  },
  { convkit: 'heUniform', className: 'HeUniform', config: { seed: null }, varianceScaling: [2, 'fan_in', ['uniform']] },
  { convkit: 'zeros', className: 'Zeros', config: {} },
  { convkit: 'ones', className: 'Ones', config: {} },
  { convkit: 'randomNormal', className: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: null } },
  { convkit: 'randomUniform', className: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
];

function initializerOf(config: KerasLayerConfig, attribute: string): InitializerName | undefined {
  const value = config.get(attribute);
  const className = isObject(value) ? value.class_name : value;
  const args = isObject(value) && isObject(value.config) ? value.config : {};
  const same = (expected: Json) =>
    Object.entries(expected).every(([key, v]) => key === 'seed' || (args[key] ?? v) === v);
  for (const known of kerasInitializers) {
    if (
      typeof className === 'string' &&
      className.replace(/_/g, '').toLowerCase() === known.className.toLowerCase() &&
      same(known.config)
    )
      return known.convkit;
    const scaling = known.varianceScaling;
    if (
      className === 'VarianceScaling' &&
      scaling &&
      args.scale === scaling[0] &&
      args.mode === scaling[1] &&
      scaling[2].includes(String(args.distribution))
    ) {
      return known.convkit;
    }
  }
  return undefined;
}

type Translator = (config: KerasLayerConfig, inputShape: Shape) => Layer;

function pooling(Pooling: typeof MaxPooling2D | typeof AveragePooling2D): Translator {
  return (c) => {
    channelsLast(c);
    return new Pooling({
      ...c.common(),
      poolSize: (c.get('pool_size') ?? 2) as number,
      strides: (c.get('strides') ?? undefined) as number | undefined,
      padding: paddingOf(c),
    });
  };
}

function globalPooling(Pooling: typeof GlobalAveragePooling2D | typeof GlobalMaxPooling2D): Translator {
  return (c) => {
    channelsLast(c);
    c.only('keepdims', [false], 'convkit drops the pooled axes; add a Reshape instead');
    return new Pooling(c.common());
  };
}

/** What Conv2D, DepthwiseConv2D and SeparableConv2D configs share. */
function convolutionArgs(c: KerasLayerConfig) {
  channelsLast(c);
  c.only('groups', [1], 'convkit has no grouped convolutions');
  return {
    ...c.common(),
    kernelSize: c.get('kernel_size') as number,
    strides: (c.get('strides') ?? 1) as number,
    padding: paddingOf(c),
    dilationRate: (c.get('dilation_rate') ?? 1) as number,
    activation: activationOf(c),
    useBias: (c.get('use_bias') ?? true) as boolean,
    biasInitializer: initializerOf(c, 'bias_initializer'),
  };
}

/** What DepthwiseConv2D and SeparableConv2D configs share beyond that. */
function depthwiseArgs(c: KerasLayerConfig) {
  return {
    ...convolutionArgs(c),
    depthMultiplier: (c.get('depth_multiplier') ?? 1) as number,
    depthwiseInitializer: initializerOf(c, 'depthwise_initializer'),
  };
}

/** How each supported Keras layer becomes a convkit layer. */
const translators: Record<string, Translator> = {
  Conv2D: (c) =>
    new Conv2D({
      ...convolutionArgs(c),
      filters: c.get('filters') as number,
      kernelInitializer: initializerOf(c, 'kernel_initializer'),
    }),
  DepthwiseConv2D: (c) => new DepthwiseConv2D(depthwiseArgs(c)),
  SeparableConv2D: (c) =>
    new SeparableConv2D({
      ...depthwiseArgs(c),
      filters: c.get('filters') as number,
      pointwiseInitializer: initializerOf(c, 'pointwise_initializer'),
    }),
  Dense: (c) =>
    new Dense({
      ...c.common(),
      units: c.get('units') as number,
      activation: activationOf(c),
      useBias: (c.get('use_bias') ?? true) as boolean,
      kernelInitializer: initializerOf(c, 'kernel_initializer'),
      biasInitializer: initializerOf(c, 'bias_initializer'),
    }),
  MaxPooling2D: pooling(MaxPooling2D),
  AveragePooling2D: pooling(AveragePooling2D),
  GlobalAveragePooling2D: globalPooling(GlobalAveragePooling2D),
  GlobalMaxPooling2D: globalPooling(GlobalMaxPooling2D),
  Flatten: (c) => {
    channelsLast(c);
    return new Flatten(c.common());
  },
  Reshape: (c) => new Reshape({ ...c.common(), targetShape: c.get('target_shape') as number[] }),
  Dropout: (c) => {
    // The seed only picks which units drop in training; convkit seeds dropout per fit().
    c.ignore('seed');
    return new Dropout({ ...c.common(), rate: c.get('rate') as number });
  },
  BatchNormalization: (c, inputShape) => {
    lastAxisOnly(c, inputShape);
    c.only('center', [true], 'convkit always has beta');
    c.only('scale', [true], 'convkit always has gamma');
    c.only('renorm', [false], 'convkit has no batch renormalization');
    // Initializers of loaded weights; renorm settings while renorm is off; fused / synchronized
    // choose an implementation, not a result.
    c.ignore(
      'beta_initializer',
      'gamma_initializer',
      'moving_mean_initializer',
      'moving_variance_initializer',
      'renorm_clipping',
      'renorm_momentum',
      'fused',
      'synchronized',
    );
    return new BatchNormalization({
      ...c.common(),
      momentum: (c.get('momentum') ?? 0.99) as number,
      epsilon: (c.get('epsilon') ?? 1e-3) as number,
    });
  },
  Activation: (c) => {
    // keras.activations.leaky_relu (Keras 3) has slope 0.2, unlike the LeakyReLU layer's 0.3.
    if (c.get('activation') === 'leaky_relu')
      return new Activation({ ...c.common(), activation: 'leakyRelu', alpha: 0.2 });
    return new Activation({ ...c.common(), activation: activationOf(c) });
  },
  ReLU: (c) => {
    c.only('max_value', [null, 6], 'convkit caps ReLU at 6 only');
    c.only('negative_slope', [0], 'use a LeakyReLU layer');
    c.only('threshold', [0], 'convkit has no thresholded ReLU');
    return new ReLU({ ...c.common(), maxValue: (c.get('max_value') ?? undefined) as number | undefined });
  },
  PReLU: (c) => {
    c.only('alpha_regularizer', [null], 'convkit has no regularizers');
    c.only('alpha_constraint', [null], 'convkit has no constraints');
    // The initializer of a loaded weight.
    c.ignore('alpha_initializer');
    return new PReLU({ ...c.common(), sharedAxes: (c.get('shared_axes') ?? null) as number[] | null });
  },
  LeakyReLU: (c) => {
    // Keras 2 and tfjs call the slope alpha, Keras 3 negative_slope.
    const [slope, alpha] = [c.get('negative_slope'), c.get('alpha')];
    return new LeakyReLU({ ...c.common(), alpha: (slope ?? alpha ?? 0.3) as number });
  },
  ELU: (c) => new ELU({ ...c.common(), alpha: (c.get('alpha') ?? 1) as number }),
  Softmax: (c, inputShape) => {
    lastAxisOnly(c, inputShape);
    return new Activation({ ...c.common(), activation: 'softmax' });
  },
  Add: (c) => new Add(c.common()),
  Average: (c) => new Average(c.common()),
  Maximum: (c) => new Maximum(c.common()),
  Multiply: (c) => new Multiply(c.common()),
  Concatenate: (c, inputShape) => {
    lastAxisOnly(c, inputShape);
    return new Concatenate(c.common());
  },
};

const modelClasses = ['Sequential', 'Functional', 'Model'];

/** A layer entry: Keras 2 / tfjs { class_name, config }, Keras 3 adds module, registered_name, build_config. */
interface LayerEntry {
  className: string;
  name: string;
  config: Json;
  entry: Json;
}

function layerEntry(entry: unknown, where: string): LayerEntry {
  if (!isObject(entry) || typeof entry.class_name !== 'string' || !isObject(entry.config)) {
    throw new RangeError(`${where} must be an object { class_name, config }, got ${json(entry)}`);
  }
  const name = entry.config.name ?? entry.name;
  if (typeof name !== 'string' || name.length === 0) throw new RangeError(`${where} (${entry.class_name}) has no name`);
  return { className: entry.class_name, name, config: entry.config, entry };
}

/** The per-sample shape from a Keras batch shape [null, ...dims]. */
function sampleShape(batchShape: unknown, where: string): number[] {
  if (!Array.isArray(batchShape) || batchShape.length < 2)
    throw new RangeError(`${where} must be a batch shape [null, ...dims], got ${json(batchShape)}`);
  const dims = batchShape.slice(1);
  if (!dims.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new RangeError(
      `${where} is ${json(batchShape)}: convkit needs every dimension but the batch known (a fixed input size)`,
    );
  }
  return dims as number[];
}

function inputLayerShape(input: LayerEntry): number[] {
  const config = new KerasLayerConfig(input.className, input.name, input.config);
  config.common();
  config.only('sparse', [false], 'convkit inputs are dense');
  config.only('ragged', [false], 'convkit inputs are dense');
  config.ignore('optional');
  const batchShape = config.get('batch_input_shape') ?? config.get('batch_shape');
  config.checkRest();
  return sampleShape(batchShape, `InputLayer '${input.name}' batch shape`);
}

/** Layers of a Sequential config: Keras ≥ 2.3, tfjs and Keras 3 { name, layers }; older Keras a bare list. */
function sequentialLayers(config: unknown): { name: string; entries: LayerEntry[]; buildInputShape?: unknown } {
  const body = Array.isArray(config) ? { layers: config } : config;
  if (!isObject(body) || !Array.isArray(body.layers))
    throw new RangeError(`a Sequential config must have a layers array, got ${json(config)}`);
  return {
    name: typeof body.name === 'string' ? body.name : 'sequential',
    entries: body.layers.map((entry, i) => layerEntry(entry, `layers[${i}]`)),
    buildInputShape: body.build_input_shape,
  };
}

/** The layer a Functional node reads from: Keras 2 / tfjs [[name, node, tensor, kwargs]], Keras 3 { args: [keras tensor], kwargs }. */
function nodeInputs(node: unknown, layer: string): { source: string; kwargs: unknown }[] {
  const history = (tensor: unknown): string | undefined => {
    const h =
      isObject(tensor) && tensor.class_name === '__keras_tensor__' && isObject(tensor.config)
        ? tensor.config.keras_history
        : undefined;
    return Array.isArray(h) && typeof h[0] === 'string' && h[1] === 0 && h[2] === 0 ? h[0] : undefined;
  };
  if (Array.isArray(node)) {
    return node.map((input) => {
      if (!Array.isArray(input) || typeof input[0] !== 'string' || input[1] !== 0 || input[2] !== 0) {
        throw new RangeError(
          `layer '${layer}': inbound node ${json(input)} is not supported (convkit reads layers applied once, each output used as a whole)`,
        );
      }
      return { source: input[0], kwargs: input[3] };
    });
  }
  if (isObject(node) && Array.isArray(node.args)) {
    // A merge layer is called with one argument, the list of its inputs.
    const args = node.args.length === 1 && Array.isArray(node.args[0]) ? node.args[0] : node.args;
    return args.map((arg: unknown) => {
      const source = history(arg);
      if (source === undefined)
        throw new RangeError(
          `layer '${layer}': call argument ${json(arg)} is not supported (convkit reads layers called on Keras tensors)`,
        );
      return { source, kwargs: node.kwargs };
    });
  }
  throw new RangeError(`layer '${layer}': inbound node ${json(node)} is not a Keras node`);
}

/** [name, 0, 0] or a list of one of them (Keras 2 always wraps; Keras 3 does not for one tensor). */
function singleEndpoint(value: unknown, what: string): string {
  if (Array.isArray(value) && Array.isArray(value[0]) && value.length > 1) {
    throw new RangeError(
      `${what} lists ${value.length} ${what === 'input_layers' ? 'inputs' : 'outputs'} (${value.map((e) => json(Array.isArray(e) ? e[0] : e)).join(', ')}): convkit reads models with one input and one output`,
    );
  }
  const endpoint = Array.isArray(value) && Array.isArray(value[0]) && value.length === 1 ? value[0] : value;
  if (!Array.isArray(endpoint) || typeof endpoint[0] !== 'string') {
    throw new RangeError(`${what} is ${json(value)}: convkit reads models with one input and one output`);
  }
  return endpoint[0];
}

/** A Functional config: its input layer, and its other layers ordered from the input with what each reads. */
function functionalLayers(config: unknown): {
  name: string;
  input: LayerEntry;
  entries: LayerEntry[];
  positions: number[];
  inbound: number[][];
} {
  if (!isObject(config) || !Array.isArray(config.layers))
    throw new RangeError(`a Functional config must have a layers array, got ${json(config)}`);
  const all = config.layers.map((entry, i) => layerEntry(entry, `layers[${i}]`));
  const inputName = singleEndpoint(config.input_layers, 'input_layers');
  const output = singleEndpoint(config.output_layers, 'output_layers');
  const input = all.find((e) => e.name === inputName);
  if (!input) throw new RangeError(`input_layers names '${inputName}', which is not among the layers`);
  if (input.className !== 'InputLayer')
    throw new RangeError(`input_layers names '${inputName}', a ${input.className} rather than an InputLayer`);
  const entries = all.filter((e) => e !== input);
  const nodes = entries.map((entry) => {
    const nodes = entry.entry.inbound_nodes ?? [];
    if (!Array.isArray(nodes)) throw new RangeError(`layer '${entry.name}': inbound_nodes must be an array`);
    if (entry.className === 'InputLayer')
      throw new RangeError(`layer '${entry.name}' is a second InputLayer: convkit reads models with one input`);
    if (nodes.length !== 1)
      throw new RangeError(
        `layer '${entry.name}' is called ${nodes.length} times: convkit reads models where each layer is used once (no shared layers)`,
      );
    const inputs = nodeInputs(nodes[0], entry.name);
    for (const { kwargs } of inputs) {
      if (isObject(kwargs) && Object.values(kwargs).some((v) => v !== null))
        throw new RangeError(`layer '${entry.name}' is called with arguments ${json(kwargs)}: not supported`);
    }
    return { name: entry.name, sources: inputs.map((i) => i.source) };
  });
  const { order, inbound } = orderGraph(nodes, inputName, output);
  return {
    name: typeof config.name === 'string' ? config.name : 'model',
    input,
    entries: order.map((i) => entries[i]),
    positions: order,
    inbound,
  };
}

/**
 * Translates a Keras model config (Sequential, or Functional with one input and one output) to convkit layers.
 * Accepts the config itself or tensorflowjs_converter's wrapper { model_config, keras_version, backend }.
 * Throws a RangeError naming the layer and attribute convkit cannot honour.
 */
export function kerasModelFromConfig(topology: unknown): KerasModelPlan {
  const root = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  if (!isObject(root) || typeof root.class_name !== 'string') {
    throw new RangeError(`the model config must be Keras JSON { class_name, config }, got ${json(root).slice(0, 200)}`);
  }
  let model: { name: string; entries: LayerEntry[]; buildInputShape?: unknown; positions?: number[] };
  let graph: { inputName: string; inbound: number[][] } | null = null;
  let inputShape: number[] | undefined;
  if (root.class_name === 'Sequential') model = sequentialLayers(root.config);
  else if (root.class_name === 'Functional' || root.class_name === 'Model') {
    const functional = functionalLayers(root.config);
    model = functional;
    graph = { inputName: functional.input.name, inbound: functional.inbound };
    inputShape = inputLayerShape(functional.input);
  } else
    throw new RangeError(
      `model class '${root.class_name}' is not supported (convkit reads Sequential and Functional models)`,
    );

  const entries = [...model.entries];
  if (!graph && entries[0]?.className === 'InputLayer') inputShape = inputLayerShape(entries.shift()!);
  if (entries.length === 0) throw new RangeError('the model has no layers');
  const first = entries[0];
  const buildShape = isObject(first.entry.build_config) ? first.entry.build_config.input_shape : undefined;
  const batchShape = first.config.batch_input_shape ?? model.buildInputShape ?? buildShape;
  if (!inputShape) {
    if (batchShape === undefined)
      throw new RangeError(
        `the model has no input shape (no InputLayer, and layer '${first.name}' has no batch_input_shape)`,
      );
    inputShape = sampleShape(batchShape, `the input shape of layer '${first.name}'`);
  }

  const layers: KerasModelPlan['layers'] = [];
  const shapes: Shape[] = [];
  const inbound = graph ? graph.inbound : entries.map((_, i) => [i - 1]);
  entries.forEach((entry, index) => {
    const where = `layer '${entry.name}' (${entry.className})`;
    if (modelClasses.includes(entry.className))
      throw new RangeError(`${where}: nested models are not supported (flatten the model into one Sequential)`);
    if (entry.className === 'InputLayer') throw new RangeError(`${where}: an InputLayer may only come first`);
    if (!Object.hasOwn(translators, entry.className)) {
      throw new RangeError(
        `${where}: this layer class is not supported (convkit reads ${Object.keys(translators).join(', ')}, InputLayer)`,
      );
    }
    const config = new KerasLayerConfig(entry.className, entry.name, entry.config, 'module' in entry.entry);
    const inputShapes = inbound[index].map((i) => (i < 0 ? inputShape! : shapes[i]));
    let layer: Layer;
    try {
      layer = translators[entry.className](config, inputShapes[0]);
      config.checkRest();
      shapes.push(layer.outputShapeFor(inputShapes));
    } catch (error) {
      const message = (error as Error).message;
      throw new RangeError(message.startsWith(`layer '${entry.name}'`) ? message : `${where}: ${message}`);
    }
    layers.push({ layer, kerasClass: entry.className, position: model.positions?.[index] ?? index });
  });
  return { name: model.name, inputShape, layers, graph };
}

/**
 * Builds the planned model and sets its weights from `read`, which returns a layer's weights as
 * the file has them; names, count and shapes are checked here, for every format alike.
 */
export function buildKerasModel(plan: KerasModelPlan, read: (request: LayerWeightsRequest) => LoadedWeight[]): Model {
  const model = plan.graph
    ? graphModel({
        name: plan.name,
        layers: plan.layers.map((l) => l.layer),
        inbound: plan.graph.inbound,
        inputName: plan.graph.inputName,
        inputShape: plan.inputShape,
      })
    : new Sequential({ name: plan.name, layers: plan.layers.map((l) => l.layer) });
  model.build(plan.inputShape);
  const specs = model.weightSpecs();
  const weights: Float32Array[] = plan.layers.flatMap(({ layer, kerasClass }, index) => {
    const expected = specs.filter((s) => s.layer === layer.name);
    if (expected.length === 0) return [];
    const found = read({ index, layer, kerasClass, weights: expected.map(({ name, shape }) => ({ name, shape })) });
    const names = (list: { name: string }[]) => list.map((w) => w.name).join(', ');
    if (found.length !== expected.length || found.some((w, i) => w.name !== expected[i].name)) {
      throw new RangeError(
        `layer '${layer.name}' (${kerasClass}): the file has weights [${names(found)}], convkit needs [${names(expected)}]`,
      );
    }
    return found.map((w, i) => {
      if (w.shape.join() !== expected[i].shape.join()) {
        throw new RangeError(
          `weight '${layer.name}/${w.name}' has shape [${w.shape.join(', ')}] in the file, the architecture needs [${expected[i].shape.join(', ')}]`,
        );
      }
      return w.data;
    });
  });
  model.setWeights(weights.map((data, i) => new Tensor(data, specs[i].shape)));
  return model;
}

function kerasInitializer(name: InitializerName): Json {
  const known = kerasInitializers.find((k) => k.convkit === name)!;
  return { class_name: known.className, config: known.config };
}

/** The name tfjs-layers reads for one of ours; hardSigmoid and hardSwish have none. */
function kerasActivationName(activation: ActivationName, layer: Layer): string {
  if (activation === 'hardSigmoid' || activation === 'hardSwish') {
    throw new RangeError(
      `layer '${layer.name}' (${layer.className}): ${activation} has no tfjs equivalent (hard_sigmoid ${tfjsHardSigmoid}; tfjs has no hard_swish)`,
    );
  }
  return Object.keys(kerasActivations).find((k) => kerasActivations[k] === activation)!;
}

/** The Keras layers (one, or two for a leaky-ReLU activation, which Keras has only as a layer) of a convkit layer. */
function kerasLayersOf(layer: Layer, inputShape: Shape): Json[] {
  const entry = (className: string, config: Json, name = layer.name): Json => ({
    class_name: className,
    config: { name, trainable: layer.trainable, dtype: 'float32', ...config },
  });
  const withActivation = (className: string, config: Json, activation: ActivationName): Json[] => {
    if (activation !== 'leakyRelu')
      return [entry(className, { ...config, activation: kerasActivationName(activation, layer) })];
    return [
      entry(className, { ...config, activation: 'linear' }),
      entry('LeakyReLU', { alpha: defaultAlpha('leakyRelu') }, `${layer.name}_leaky_re_lu`),
    ];
  };
  if (layer instanceof Convolution) {
    const config: Json = {
      kernel_size: layer.kernelSize,
      strides: layer.strides,
      padding: layer.padding,
      data_format: 'channels_last',
      dilation_rate: layer.dilationRate,
      use_bias: layer.useBias,
      bias_initializer: kerasInitializer(layer.biasInitializer),
    };
    if (layer instanceof Conv2D || layer instanceof SeparableConv2D) config.filters = layer.filters;
    if (layer instanceof Conv2D) config.kernel_initializer = kerasInitializer(layer.kernelInitializer);
    if (layer instanceof DepthwiseConv2D) {
      config.depth_multiplier = layer.depthMultiplier;
      config.depthwise_initializer = kerasInitializer(layer.depthwiseInitializer);
    }
    if (layer instanceof SeparableConv2D) config.pointwise_initializer = kerasInitializer(layer.pointwiseInitializer);
    return withActivation(layer.className, config, layer.activation);
  }
  if (layer instanceof Dense) {
    return withActivation(
      'Dense',
      {
        units: layer.units,
        use_bias: layer.useBias,
        kernel_initializer: kerasInitializer(layer.kernelInitializer),
        bias_initializer: kerasInitializer(layer.biasInitializer),
      },
      layer.activation,
    );
  }
  if (layer instanceof MaxPooling2D || layer instanceof AveragePooling2D) {
    return [
      entry(layer.className, {
        pool_size: layer.poolSize,
        strides: layer.strides,
        padding: layer.padding,
        data_format: 'channels_last',
      }),
    ];
  }
  if (layer instanceof GlobalAveragePooling2D || layer instanceof GlobalMaxPooling2D) {
    return [entry(layer.className, { data_format: 'channels_last', keepdims: false })];
  }
  if (layer instanceof Flatten) return [entry('Flatten', { data_format: 'channels_last' })];
  // The inferred -1 written out: tfjs-layers cannot infer it in front of a Dense layer.
  if (layer instanceof Reshape) return [entry('Reshape', { target_shape: layer.computeOutputShape(inputShape) })];
  if (layer instanceof Dropout) return [entry('Dropout', { rate: layer.rate, noise_shape: null, seed: null })];
  if (layer instanceof BatchNormalization) {
    return [
      entry('BatchNormalization', {
        axis: -1,
        momentum: layer.momentum,
        epsilon: layer.epsilon,
        center: true,
        scale: true,
        beta_initializer: kerasInitializer('zeros'),
        gamma_initializer: kerasInitializer('ones'),
        moving_mean_initializer: kerasInitializer('zeros'),
        moving_variance_initializer: kerasInitializer('ones'),
      }),
    ];
  }
  if (layer instanceof LeakyReLU) return [entry('LeakyReLU', { alpha: layer.alpha })];
  if (layer instanceof Concatenate) return [entry('Concatenate', { axis: -1 })];
  if (layer instanceof Add || layer instanceof Average || layer instanceof Maximum || layer instanceof Multiply)
    return [entry(layer.className, {})];
  if (layer instanceof ELU) return [entry('ELU', { alpha: layer.alpha })];
  if (layer instanceof Activation) {
    if (layer.activation === 'leakyRelu') return [entry('LeakyReLU', { alpha: layer.alpha })];
    if (layer.activation === 'elu' && layer.alpha !== 1) return [entry('ELU', { alpha: layer.alpha })];
    return [entry('Activation', { activation: kerasActivationName(layer.activation, layer) })];
  }
  if (layer instanceof ReLU) {
    return [entry('ReLU', { max_value: layer.maxValue ?? null, negative_slope: 0, threshold: 0 })];
  }
  if (layer instanceof PReLU) {
    return [
      entry('PReLU', {
        alpha_initializer: kerasInitializer(layer.alphaInitializer),
        alpha_regularizer: null,
        alpha_constraint: null,
        shared_axes: layer.sharedAxes,
      }),
    ];
  }
  const reason = layer instanceof Maxout ? 'Keras has no maxout layer' : 'it has no Keras equivalent';
  throw new RangeError(`layer '${layer.name}' (${layer.className}): ${reason}`);
}

/**
 * The Keras config of a convkit model as tensorflowjs_converter writes it into model.json:
 * Keras 2's snake_case JSON with an InputLayer first, plus keras_version and backend.
 */
export function kerasConfigOf(model: Model, generatedBy: string): Json {
  const { inbound, graph } = model.connections;
  const shapes: Shape[] = [];
  const inputShapesOf = (i: number) => inbound[i].map((j) => (j < 0 ? model.inputShape : shapes[j]));
  const perLayer = model.layers.map((layer, i) => {
    const inputShapes = inputShapesOf(i);
    const entries = kerasLayersOf(layer, inputShapes[0]);
    shapes.push(layer.outputShapeFor(inputShapes));
    return entries;
  });
  const layers = perLayer.flat();
  const names = new Set<unknown>();
  for (const { config } of layers) {
    const name = (config as Json).name;
    if (names.has(name))
      throw new RangeError(`two Keras layers would be named '${String(name)}' (rename the convkit layer)`);
    names.add(name);
  }
  let inputName = graph ? model.connections.inputName : `${model.layers[0].name}_input`;
  while (names.has(inputName)) inputName = `_${inputName}`;
  const input: Json = {
    class_name: 'InputLayer',
    config: {
      batch_input_shape: [null, ...model.inputShape],
      dtype: 'float32',
      sparse: false,
      ragged: false,
      name: inputName,
    },
  };
  if (!graph) {
    return {
      class_name: 'Sequential',
      config: { name: model.name, layers: [input, ...layers] },
      keras_version: generatedBy,
      backend: 'convkit',
    };
  }
  // A Functional config as tfjs writes it (tf.model(...).toJSON()): every layer with the layers it
  // reads; a convkit layer that becomes two Keras layers (an activation Keras has only as a layer)
  // is a chain of the two, read by its consumers through the second.
  const inboundNode = (sources: string[]) => [sources.map((source) => [source, 0, 0, {}])];
  const outputName = (i: number) => (i < 0 ? inputName : String((perLayer[i].at(-1)!.config as Json).name));
  const functionalLayers: Json[] = [{ name: inputName, ...input, inbound_nodes: [] }];
  perLayer.forEach((entries, i) => {
    let sources = inbound[i].map(outputName);
    for (const entry of entries) {
      const name = String((entry.config as Json).name);
      functionalLayers.push({ name, ...entry, inbound_nodes: inboundNode(sources) });
      sources = [name];
    }
  });
  return {
    class_name: 'Model',
    config: {
      name: model.name,
      layers: functionalLayers,
      input_layers: [[inputName, 0, 0]],
      output_layers: [[outputName(model.layers.length - 1), 0, 0]],
    },
    keras_version: generatedBy,
    backend: 'convkit',
  };
}
