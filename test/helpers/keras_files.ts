// Keras files built the way Keras writes them, for tests (there is no Python Keras here). The
// layouts follow Keras's source: keras/src/legacy/saving/legacy_h5_format.py (Keras 2 and the
// legacy .h5 of Keras 3) and keras/src/saving/saving_lib.py (.keras), and the layer configs each
// layer's get_config() in tf.keras 2.15 and Keras 3. HDF5 is written with h5wasm, zips with fflate.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import * as h5wasm from 'h5wasm/node';
import * as ck from '../../lib';
import { randomArray, rng } from './random';
import { randomizeWeights, tf } from './tfjs_files';

await h5wasm.ready;

export { h5wasm };

type Json = Record<string, unknown>;

/** A layer as a test describes it: Keras 2's class name, its name, and the arguments that differ from Keras's defaults. */
export interface LayerSpec {
  className: string;
  name: string;
  args?: Json;
  /** In a Functional config, the layers it reads (default: the layer before it, or the input). */
  inbound?: string[];
}

/** One layer's weights, in the layer's own order. */
export interface Weight {
  name: string;
  shape: number[];
  data: Float32Array;
}

const init = (className: string, config: Json = {}) => ({ class_name: className, config });
const regularizersOff = (...weights: string[]) =>
  Object.fromEntries(
    weights.flatMap((w) => [
      [`${w}_regularizer`, null],
      [`${w}_constraint`, null],
    ]),
  );

/** What tf.keras 2.15's get_config() writes for each layer beyond name / trainable / dtype. */
const keras2Defaults: Record<string, Json> = {
  Conv2D: {
    strides: [1, 1],
    padding: 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    groups: 1,
    activation: 'linear',
    use_bias: true,
    kernel_initializer: init('GlorotUniform', { seed: null }),
    bias_initializer: init('Zeros'),
    activity_regularizer: null,
    ...regularizersOff('kernel', 'bias'),
  },
  // DepthwiseConv2D's get_config is Conv2D's without the kernel's entries (groups stays).
  DepthwiseConv2D: {
    strides: [1, 1],
    padding: 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    groups: 1,
    activation: 'linear',
    use_bias: true,
    bias_initializer: init('Zeros'),
    depth_multiplier: 1,
    depthwise_initializer: init('GlorotUniform', { seed: null }),
    activity_regularizer: null,
    ...regularizersOff('depthwise', 'bias'),
  },
  SeparableConv2D: {
    strides: [1, 1],
    padding: 'valid',
    data_format: 'channels_last',
    depth_multiplier: 1,
    dilation_rate: [1, 1],
    activation: 'linear',
    use_bias: true,
    depthwise_initializer: init('GlorotUniform', { seed: null }),
    pointwise_initializer: init('GlorotUniform', { seed: null }),
    bias_initializer: init('Zeros'),
    activity_regularizer: null,
    ...regularizersOff('depthwise', 'pointwise', 'bias'),
  },
  Dense: {
    activation: 'linear',
    use_bias: true,
    kernel_initializer: init('GlorotUniform', { seed: null }),
    bias_initializer: init('Zeros'),
    activity_regularizer: null,
    ...regularizersOff('kernel', 'bias'),
  },
  MaxPooling2D: { pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' },
  AveragePooling2D: { pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' },
  GlobalAveragePooling2D: { data_format: 'channels_last', keepdims: false },
  GlobalMaxPooling2D: { data_format: 'channels_last', keepdims: false },
  Flatten: { data_format: 'channels_last' },
  Reshape: {},
  Dropout: { noise_shape: null, seed: null },
  BatchNormalization: {
    axis: -1,
    momentum: 0.99,
    epsilon: 0.001,
    center: true,
    scale: true,
    beta_initializer: init('Zeros'),
    gamma_initializer: init('Ones'),
    moving_mean_initializer: init('Zeros'),
    moving_variance_initializer: init('Ones'),
    ...regularizersOff('beta', 'gamma'),
  },
  Activation: {},
  ReLU: { max_value: null, negative_slope: 0.0, threshold: 0.0 },
  LeakyReLU: { alpha: 0.3 },
  ELU: { alpha: 1.0 },
  Softmax: { axis: -1 },
  Add: {},
  Average: {},
  Maximum: {},
  Multiply: {},
  Concatenate: { axis: -1 },
};

function keras2LayerConfig(spec: LayerSpec): Json {
  return { name: spec.name, trainable: true, dtype: 'float32', ...keras2Defaults[spec.className], ...spec.args };
}

/** tf.keras 2.15's Sequential config: an InputLayer first, then { class_name, config } per layer. */
export function keras2Sequential(name: string, inputShape: number[], layers: LayerSpec[]): Json {
  return {
    class_name: 'Sequential',
    config: {
      name,
      layers: [
        {
          class_name: 'InputLayer',
          config: {
            batch_input_shape: [null, ...inputShape],
            dtype: 'float32',
            sparse: false,
            ragged: false,
            name: `${layers[0].name}_input`,
          },
        },
        ...layers.map((spec) => ({ class_name: spec.className, config: keras2LayerConfig(spec) })),
      ],
    },
  };
}

/** tf.keras 2.15's Functional config (a chain unless the specs say what they read): inbound nodes [[[name, 0, 0, {}], ...]]. */
export function keras2Functional(name: string, inputShape: number[], layers: LayerSpec[]): Json {
  const input = 'input_1';
  const names = [input, ...layers.map((l) => l.name)];
  return {
    class_name: 'Functional',
    config: {
      name,
      trainable: true,
      layers: [
        {
          class_name: 'InputLayer',
          config: {
            batch_input_shape: [null, ...inputShape],
            dtype: 'float32',
            sparse: false,
            ragged: false,
            name: input,
          },
          name: input,
          inbound_nodes: [],
        },
        ...layers.map((spec, i) => ({
          class_name: spec.className,
          config: keras2LayerConfig(spec),
          name: spec.name,
          inbound_nodes: [(spec.inbound ?? [names[i]]).map((source) => [source, 0, 0, {}])],
        })),
      ],
      input_layers: [[input, 0, 0]],
      output_layers: [[layers[layers.length - 1].name, 0, 0]],
    },
  };
}

const dtypePolicy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

/** Keras 3's get_config() of a layer: DTypePolicy objects, serialized initializers, renamed and added attributes. */
function keras3LayerConfig(spec: LayerSpec): Json {
  const config: Json = { ...keras2LayerConfig(spec), dtype: dtypePolicy };
  for (const [key, value] of Object.entries(config)) {
    if (key.endsWith('_initializer'))
      config[key] = { module: 'keras.initializers', ...(value as Json), registered_name: null };
  }
  if (spec.className === 'Dense') config.quantization_config = null;
  // Keras 3 keeps the axis as given (-1), where a built Keras 2 layer lists it counting the batch axis.
  if (spec.className === 'BatchNormalization')
    Object.assign(config, {
      axis: -1,
      synchronized: false,
      renorm: false,
      renorm_clipping: null,
      renorm_momentum: 0.99,
    });
  if (spec.className === 'LeakyReLU') {
    config.negative_slope = config.alpha;
    delete config.alpha;
  }
  return config;
}

function keras3Entry(spec: LayerSpec, inputShape: (number | null)[]): Json {
  return {
    module: 'keras.layers',
    class_name: spec.className,
    config: keras3LayerConfig(spec),
    registered_name: null,
    build_config: { input_shape: inputShape },
  };
}

const keras3Input = (name: string, inputShape: number[]) => ({
  module: 'keras.layers',
  class_name: 'InputLayer',
  config: { batch_shape: [null, ...inputShape], dtype: 'float32', sparse: false, ragged: false, name, optional: false },
  registered_name: null,
});

/** Keras 3's serialized Sequential, as config.json holds it. `shapes[i]` is layer i's per-sample input shape. */
export function keras3Sequential(name: string, shapes: number[][], layers: LayerSpec[]): Json {
  const batch = (shape: number[]) => [null, ...shape];
  return {
    module: 'keras',
    class_name: 'Sequential',
    registered_name: null,
    config: {
      name,
      trainable: true,
      dtype: dtypePolicy,
      layers: [keras3Input('input_layer', shapes[0]), ...layers.map((spec, i) => keras3Entry(spec, batch(shapes[i])))],
      build_input_shape: batch(shapes[0]),
    },
    build_config: { input_shape: batch(shapes[0]) },
    compile_config: { optimizer: 'rmsprop', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  };
}

/**
 * Keras 3's serialized Functional (a chain unless the specs say what they read): inbound nodes
 * { args: [keras tensor], kwargs: {} }, a merge's { args: [[keras tensor, ...]], kwargs: {} }.
 * `shapes[i]` is layer i's input shape (for a graph, only shapes[0], the input's, is read).
 */
export function keras3Functional(name: string, shapes: number[][], layers: LayerSpec[]): Json {
  const input = 'input_layer';
  const tensor = (source: string, shape: number[]) => ({
    class_name: '__keras_tensor__',
    config: { shape: [null, ...shape], dtype: 'float32', keras_history: [source, 0, 0] },
  });
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    registered_name: 'Functional',
    config: {
      name,
      trainable: true,
      layers: [
        { ...keras3Input(input, shapes[0]), name: input, inbound_nodes: [] },
        ...layers.map((spec, i) => ({
          ...keras3Entry(spec, [null, ...(shapes[i] ?? shapes[0])]),
          name: spec.name,
          inbound_nodes: [
            {
              args: spec.inbound
                ? spec.inbound.length === 1
                  ? [tensor(spec.inbound[0], shapes[i] ?? shapes[0])]
                  : [spec.inbound.map((source) => tensor(source, shapes[i] ?? shapes[0]))]
                : [tensor(i === 0 ? input : layers[i - 1].name, shapes[i])],
              kwargs: {},
            },
          ],
        })),
      ],
      input_layers: [input, 0, 0],
      output_layers: [layers[layers.length - 1].name, 0, 0],
    },
  };
}

/** A fixed-length string attribute, as h5py stores Python bytes (Keras encodes its strings to bytes). */
function bytesAttribute(entity: h5wasm.Group, name: string, value: string | string[]): void {
  const values = Array.isArray(value) ? value : [value];
  const length = Math.max(1, ...values.map((v) => Buffer.byteLength(v)));
  entity.create_attribute(name, value, Array.isArray(value) ? [value.length] : null, `S${length}`);
}

function group(parent: h5wasm.Group, path: string): h5wasm.Group {
  let current = parent;
  for (const part of path.split('/'))
    current = (current.get(part) as h5wasm.Group | null) ?? current.create_group(part);
  return current;
}

function dataset(parent: h5wasm.Group, path: string, weight: Weight, compress: boolean): void {
  const slash = path.lastIndexOf('/');
  const target = slash < 0 ? parent : group(parent, path.slice(0, slash));
  const name = path.slice(slash + 1);
  // Keras writes contiguous datasets; a compressed one checks that chunked, deflated data reads too.
  const compression = compress ? { chunks: weight.shape, compression: 'gzip' as const, compression_opts: 6 } : {};
  target.create_dataset({ name, data: weight.data, shape: weight.shape, dtype: '<f', ...compression });
}

export interface H5Options {
  /** Keras 2 names weights `conv2d/kernel:0`; Keras 3's legacy h5 uses the variable path `sequential/conv2d/kernel`. */
  weightNames?: 'keras2' | 'keras3';
  /** Splits layer_names into layer_names0, layer_names1 as Keras does past HDF5's 64 KiB header limit. */
  chunkLayerNames?: boolean;
  /** Names of the weights to write gzip-compressed. */
  compressed?: string[];
}

/**
 * A Keras model .h5 (legacy_h5_format.save_model_to_hdf5): root attributes keras_version, backend,
 * model_config, training_config; model_weights with layer_names and one group per layer holding
 * weight_names and the datasets; optimizer_weights beside it.
 */
export function writeKerasH5(
  path: string,
  config: Json,
  layers: string[],
  weights: Map<string, Weight[]>,
  options: H5Options = {},
): void {
  const file = new h5wasm.File(path, 'w');
  try {
    bytesAttribute(file, 'keras_version', '2.15.0');
    bytesAttribute(file, 'backend', 'tensorflow');
    bytesAttribute(file, 'model_config', JSON.stringify(config));
    bytesAttribute(
      file,
      'training_config',
      JSON.stringify({
        loss: 'sparse_categorical_crossentropy',
        metrics: ['accuracy'],
        optimizer_config: { class_name: 'RMSprop', config: {} },
      }),
    );
    const root = file.create_group('model_weights');
    if (options.chunkLayerNames) {
      const half = Math.ceil(layers.length / 2);
      bytesAttribute(root, 'layer_names0', layers.slice(0, half));
      bytesAttribute(root, 'layer_names1', layers.slice(half));
    } else {
      bytesAttribute(root, 'layer_names', layers);
    }
    bytesAttribute(root, 'backend', 'tensorflow');
    bytesAttribute(root, 'keras_version', '2.15.0');
    for (const layer of [...layers, 'top_level_model_weights'].sort()) {
      const layerGroup = root.create_group(layer);
      const own = weights.get(layer) ?? [];
      const names = own.map((w) =>
        options.weightNames === 'keras3'
          ? `${config.class_name === 'Sequential' ? 'sequential' : 'functional'}/${layer}/${w.name}`
          : `${layer}/${w.name}:0`,
      );
      if (names.length === 0) {
        // h5py's attribute for an empty list: an empty float64 array.
        layerGroup.create_attribute('weight_names', new Float64Array(0), [0], '<d');
        continue;
      }
      bytesAttribute(layerGroup, 'weight_names', names);
      own.forEach((w, i) =>
        dataset(layerGroup, names[i], w, options.compressed?.includes(`${layer}/${w.name}`) ?? false),
      );
    }
    const optimizer = file.create_group('optimizer_weights');
    bytesAttribute(optimizer, 'weight_names', ['iteration:0']);
    optimizer.create_dataset({ name: 'iteration:0', data: new Float32Array([12]), shape: [], dtype: '<f' });
  } finally {
    file.close();
  }
}

export interface ArchiveOptions {
  /** Keras 3 writes `layers/…`; Keras 2.13 wrote `_layer_checkpoint_dependencies/…`. */
  root?: 'layers' | '_layer_checkpoint_dependencies';
  /** Recent Keras 3 versions record each layer's name on its vars group. */
  recordNames?: boolean;
  compressed?: string[];
  /** Replaces a file's content in the archive, or drops the file when null. */
  files?: Record<string, Uint8Array | null>;
}

/**
 * The weights file of a .keras archive (saving_lib's H5IOStore): `vars` of the model, then for each
 * layer `<root>/<snake_case class name, numbered when repeated>/vars/<i>`, then the optimizer's.
 */
async function kerasWeightsFile(
  modelName: string,
  layers: LayerSpec[],
  weights: Map<string, Weight[]>,
  options: ArchiveOptions,
): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'convkit-keras-fixture-'));
  try {
    const path = join(dir, 'model.weights.h5');
    const file = new h5wasm.File(path, 'w');
    try {
      if (options.recordNames) file.create_group('vars').create_attribute('name', modelName);
      const used = new Map<string, number>();
      for (const spec of layers) {
        // Keras's naming.to_snake_case, written out here independently of convkit's.
        const base = spec.className
          .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
          .replace(/([a-z])([A-Z])/g, '$1_$2')
          .toLowerCase();
        const count = used.has(base) ? used.get(base)! + 1 : 0;
        used.set(base, count);
        const own = weights.get(spec.name) ?? [];
        if (own.length === 0 && !options.recordNames) continue;
        const vars = group(file, `${options.root ?? 'layers'}/${count === 0 ? base : `${base}_${count}`}/vars`);
        if (options.recordNames) vars.create_attribute('name', spec.name);
        own.forEach((w, i) =>
          dataset(vars, String(i), w, options.compressed?.includes(`${spec.name}/${w.name}`) ?? false),
        );
      }
      group(file, 'optimizer/vars').create_dataset({ name: '0', data: new Float32Array([12]), shape: [], dtype: '<f' });
    } finally {
      file.close();
    }
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The three files of a Keras 3 save. */
export async function kerasFiles(
  config: Json,
  layers: LayerSpec[],
  weights: Map<string, Weight[]>,
  options: ArchiveOptions = {},
): Promise<Record<string, Uint8Array>> {
  const name = String((config.config as Json).name);
  const files: Record<string, Uint8Array | null> = {
    'metadata.json': Buffer.from(JSON.stringify({ keras_version: '3.6.0', date_saved: '2024-11-05@10:12:00' })),
    'config.json': Buffer.from(JSON.stringify(config)),
    'model.weights.h5': await kerasWeightsFile(name, layers, weights, options),
    ...options.files,
  };
  return Object.fromEntries(Object.entries(files).filter((entry): entry is [string, Uint8Array] => entry[1] !== null));
}

/** A .keras archive: Python's zipfile stores the members uncompressed, as here. */
export async function writeKerasArchive(
  path: string,
  config: Json,
  layers: LayerSpec[],
  weights: Map<string, Weight[]>,
  options: ArchiveOptions = {},
): Promise<void> {
  await writeFile(path, zipSync(await kerasFiles(config, layers, weights, options), { level: 0 }));
}

/** A convkit model's weights per layer, in the Weight form the writers take. */
export function convkitWeights(model: ck.Model): Map<string, Weight[]> {
  const values = model.getWeights();
  const weights = new Map<string, Weight[]>();
  model.weightSpecs().forEach((spec, i) => {
    const list = weights.get(spec.layer) ?? [];
    list.push({ name: spec.name, shape: spec.shape, data: values[i].data });
    weights.set(spec.layer, list);
  });
  return weights;
}

/** Each layer's per-sample input shape in a convkit model. */
export function convkitInputShapes(model: ck.Sequential): number[][] {
  let shape = [...model.inputShape];
  return model.layers.map((layer) => {
    const input = shape;
    shape = [...layer.computeOutputShape(shape)];
    return input;
  });
}

// The layer sets the Keras tests share, in Keras 2's config terms.

/** Conv2D, BatchNormalization, ReLU, both poolings, LeakyReLU, ELU, Dropout, Flatten, Dense, Activation. */
export const convLayers: LayerSpec[] = [
  {
    className: 'Conv2D',
    name: 'conv2d',
    args: { filters: 3, kernel_size: [3, 2], strides: [2, 1], padding: 'same', activation: 'relu' },
  },
  // Keras 2 writes a built BatchNormalization's axis as a list counting the batch axis.
  {
    className: 'BatchNormalization',
    name: 'batch_normalization',
    args: { axis: [3], momentum: 0.9, epsilon: 1.001e-5 },
  },
  { className: 'ReLU', name: 're_lu' },
  { className: 'MaxPooling2D', name: 'max_pooling2d', args: { strides: [1, 1], padding: 'same' } },
  {
    className: 'Conv2D',
    name: 'conv2d_1',
    args: { filters: 4, kernel_size: [2, 2], dilation_rate: [2, 2], use_bias: false, activation: 'elu' },
  },
  { className: 'AveragePooling2D', name: 'average_pooling2d', args: { pool_size: [2, 1], strides: [2, 1] } },
  { className: 'LeakyReLU', name: 'leaky_re_lu', args: { alpha: 0.15 } },
  { className: 'ELU', name: 'elu' },
  { className: 'Dropout', name: 'dropout', args: { rate: 0.3 } },
  { className: 'Flatten', name: 'flatten' },
  { className: 'Dense', name: 'dense', args: { units: 5, activation: 'tanh' } },
  { className: 'Dense', name: 'dense_1', args: { units: 3, use_bias: false, activation: 'sigmoid' } },
  { className: 'Activation', name: 'activation', args: { activation: 'softmax' } },
];

/**
 * A graph for Functional configs (input 'input_1', [5, 5, 2]): two branches listed out of
 * topological order, Add, Average, Maximum, a squeeze-excite Multiply and a Concatenate with the input.
 */
export const graphLayers: LayerSpec[] = [
  { className: 'Conv2D', name: 'c_b', args: { filters: 3, kernel_size: [1, 1] }, inbound: ['input_1'] },
  {
    className: 'Conv2D',
    name: 'c_a',
    args: { filters: 3, kernel_size: [3, 3], padding: 'same', activation: 'relu' },
    inbound: ['input_1'],
  },
  { className: 'BatchNormalization', name: 'bn', args: { axis: [3] }, inbound: ['c_a'] },
  { className: 'Add', name: 'add', inbound: ['bn', 'c_b'] },
  { className: 'Average', name: 'avg', inbound: ['add', 'c_b'] },
  { className: 'Maximum', name: 'max', inbound: ['avg', 'c_a'] },
  { className: 'GlobalAveragePooling2D', name: 'gap', inbound: ['max'] },
  { className: 'Dense', name: 'gate', args: { units: 3, activation: 'sigmoid' }, inbound: ['gap'] },
  { className: 'Reshape', name: 'gate3d', args: { target_shape: [1, 1, 3] }, inbound: ['gate'] },
  { className: 'Multiply', name: 'mul', inbound: ['max', 'gate3d'] },
  { className: 'Concatenate', name: 'cat', inbound: ['mul', 'input_1'] },
  { className: 'Flatten', name: 'flat', inbound: ['cat'] },
  { className: 'Dense', name: 'out', args: { units: 4, activation: 'softmax' }, inbound: ['flat'] },
];

/** DepthwiseConv2D and SeparableConv2D (MobileNet's and Xception's blocks) with depth multipliers. */
export const separableLayers: LayerSpec[] = [
  {
    className: 'DepthwiseConv2D',
    name: 'depthwise_conv2d',
    args: { kernel_size: [3, 3], strides: [2, 2], padding: 'same', depth_multiplier: 2, activation: 'relu' },
  },
  {
    className: 'SeparableConv2D',
    name: 'separable_conv2d',
    args: { filters: 5, kernel_size: [3, 2], depth_multiplier: 3, dilation_rate: [2, 2], padding: 'same' },
  },
  { className: 'DepthwiseConv2D', name: 'depthwise_conv2d_1', args: { kernel_size: [2, 2], use_bias: false } },
  { className: 'Flatten', name: 'flatten' },
  { className: 'Dense', name: 'dense', args: { units: 3 } },
];

/** GlobalAveragePooling2D or GlobalMaxPooling2D, BatchNormalization on features, Reshape, Softmax. */
export function headLayers(pooling: 'GlobalAveragePooling2D' | 'GlobalMaxPooling2D'): LayerSpec[] {
  return [
    {
      className: 'Conv2D',
      name: 'conv2d',
      args: {
        filters: 4,
        kernel_size: [3, 3],
        padding: 'same',
        activation: 'sigmoid',
        kernel_initializer: { class_name: 'HeNormal', config: { seed: null } },
      },
    },
    { className: pooling, name: 'pool' },
    { className: 'BatchNormalization', name: 'bn', args: { axis: [1] } },
    { className: 'Reshape', name: 'reshape', args: { target_shape: [2, 2] } },
    { className: 'Softmax', name: 'softmax' },
    { className: 'Reshape', name: 'reshape_1', args: { target_shape: [4] } },
    { className: 'Dense', name: 'dense', args: { units: 3 } },
  ];
}

/** The reference: tfjs builds the model from the same Keras config; its random weights go into the file. */
export async function tfjsReference(
  config: Record<string, unknown>,
  seed: number,
): Promise<{ model: tf.LayersModel; weights: Map<string, Weight[]> }> {
  const model = await tf.models.modelFromJSON({
    modelTopology: config as tf.io.ModelJSON['modelTopology'],
  } as tf.io.ModelJSON);
  randomizeWeights(model, seed);
  const weights = new Map<string, Weight[]>();
  for (const layer of model.layers) {
    const own = layer.weights.map((w) => ({
      name: w.originalName.slice(w.originalName.lastIndexOf('/') + 1),
      shape: w.shape as number[],
      data: w.read().dataSync() as Float32Array,
    }));
    if (own.length > 0) weights.set(layer.name, own);
  }
  return { model, weights };
}

export function sampleInputs(shape: number[], seed: number): ck.Tensor {
  const batch = [3, ...shape];
  return ck.tensor(
    randomArray(
      rng(seed),
      batch.reduce((a, b) => a * b, 1),
    ),
    batch,
  );
}
