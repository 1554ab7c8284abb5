// TensorFlow.js layers format: models built and saved by @tensorflow/tfjs itself load in convkit
// with the same predictions, convkit's tfjs saves load in tfjs with the same predictions, and
// what convkit cannot honour is refused by name.
import { mkdtemp, readFile, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';
import {
  artifactsOf,
  fileHandler,
  randomizeWeights,
  saveLikeConverter,
  saveLikeTfjsNode,
  tf,
  tfjsPredict,
} from '../helpers/tfjs_files';

const tolerance = { atol: 1e-5, rtol: 1e-5 };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-tfjs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Random inputs for a batch of 3 samples of `shape`. */
function inputs(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  const batchShape = [3, ...shape];
  return {
    data: randomArray(
      rng(seed),
      batchShape.reduce((a, b) => a * b, 1),
    ),
    shape: batchShape,
  };
}

async function expectSamePredictions(model: tf.LayersModel, path: string, inputShape: number[], seed: number) {
  const x = inputs(inputShape, seed);
  const loaded = await ck.loadModel(path);
  expect(loaded.inputShape).toEqual(inputShape);
  expectClose(
    (await loaded.predict(ck.tensor(x.data, x.shape))).data,
    tfjsPredict(model, x.data, x.shape),
    tolerance,
    path,
  );
  return loaded;
}

/** Conv2D, BatchNormalization, ReLU, MaxPooling2D, AveragePooling2D, LeakyReLU, ELU, Dropout, Flatten, Dense. */
function convStack(): tf.Sequential {
  const model = tf.sequential({ name: 'conv_stack' });
  model.add(
    tf.layers.conv2d({
      inputShape: [7, 6, 2],
      filters: 3,
      kernelSize: [3, 2],
      strides: [2, 1],
      padding: 'same',
      activation: 'relu',
      name: 'conv',
    }),
  );
  model.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 0.01, name: 'bn' }));
  model.add(tf.layers.reLU({ name: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'max_pool' }));
  model.add(
    tf.layers.conv2d({
      filters: 4,
      kernelSize: 2,
      dilationRate: 2,
      useBias: false,
      activation: 'elu',
      name: 'dilated',
    }),
  );
  model.add(tf.layers.averagePooling2d({ poolSize: [2, 1], name: 'avg_pool' }));
  model.add(tf.layers.leakyReLU({ alpha: 0.15, name: 'leaky' }));
  model.add(tf.layers.elu({ name: 'elu' }));
  model.add(tf.layers.dropout({ rate: 0.3, name: 'drop' }));
  model.add(tf.layers.flatten({ name: 'flat' }));
  model.add(tf.layers.dense({ units: 5, activation: 'tanh', name: 'hidden' }));
  model.add(tf.layers.dense({ units: 3, useBias: false, activation: 'sigmoid', name: 'out' }));
  return model;
}

/** GlobalMaxPooling2D, GlobalAveragePooling2D, Reshape, Activation, Softmax, BatchNormalization on features. */
function headStack(pooling: 'max' | 'average'): tf.Sequential {
  const model = tf.sequential({ name: `head_${pooling}` });
  model.add(
    tf.layers.conv2d({
      inputShape: [5, 5, 3],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'sigmoid',
      name: 'conv',
    }),
  );
  model.add(
    pooling === 'max'
      ? tf.layers.globalMaxPooling2d({ name: 'pool' })
      : tf.layers.globalAveragePooling2d({ name: 'pool' }),
  );
  model.add(tf.layers.batchNormalization({ name: 'bn' }));
  model.add(tf.layers.reshape({ targetShape: [2, 2], name: 'square' }));
  model.add(tf.layers.activation({ activation: 'tanh', name: 'tanh' }));
  model.add(tf.layers.reshape({ targetShape: [4], name: 'line' }));
  model.add(tf.layers.dense({ units: 3, name: 'logits' }));
  // tfjs's Softmax layer defaults to axis 1: the last one on [batch, features].
  model.add(tf.layers.softmax({ name: 'softmax' }));
  return model;
}

/** DepthwiseConv2D and SeparableConv2D: multipliers, strides, dilation, fused and separate activations. */
function separableStack(): tf.Sequential {
  const model = tf.sequential({ name: 'separable_stack' });
  model.add(
    tf.layers.depthwiseConv2d({
      inputShape: [9, 8, 3],
      kernelSize: 3,
      depthMultiplier: 2,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      name: 'dw',
    }),
  );
  model.add(
    // No depthMultiplier: tfjs-layers leaves it out of SeparableConv2D's saved config (Keras writes it).
    tf.layers.separableConv2d({
      filters: 4,
      kernelSize: [3, 2],
      dilationRate: 2,
      padding: 'same',
      activation: 'tanh',
      name: 'sep',
    }),
  );
  model.add(tf.layers.depthwiseConv2d({ kernelSize: 2, useBias: false, name: 'dw_valid' }));
  model.add(tf.layers.separableConv2d({ filters: 3, kernelSize: 1, activation: 'elu', name: 'sep_pointwise' }));
  model.add(tf.layers.flatten({ name: 'flat' }));
  model.add(tf.layers.dense({ units: 2, name: 'out' }));
  return model;
}

describe('loading models written by tfjs', () => {
  it('reads every layer type, saved as tfjs-node does, with the same predictions', async () => {
    const cases: [string, tf.Sequential, number[]][] = [
      ['conv', convStack(), [7, 6, 2]],
      ['head_max', headStack('max'), [5, 5, 3]],
      ['head_average', headStack('average'), [5, 5, 3]],
      ['separable', separableStack(), [9, 8, 3]],
    ];
    for (const [name, model, shape] of cases) {
      randomizeWeights(model, name.length);
      await saveLikeTfjsNode(model, join(dir, name));
      const loaded = await expectSamePredictions(model, join(dir, name), shape, 7);
      expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    }
  });

  it('reads a path to model.json, the Functional form of a chain and the converter wrapper with several groups and shards', async () => {
    const input = tf.input({ shape: [6, 6, 1], name: 'image' });
    let x = tf.layers
      .conv2d({ filters: 2, kernelSize: 3, activation: 'relu', name: 'c' })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'n' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten({ name: 'f' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 4, activation: 'softmax', name: 'd' }).apply(x) as tf.SymbolicTensor;
    const functional = tf.model({ inputs: input, outputs: x, name: 'chain' });
    randomizeWeights(functional, 11);
    expect((await artifactsOf(functional)).modelTopology).toMatchObject({ class_name: 'Model' });
    await saveLikeTfjsNode(functional, join(dir, 'functional'));
    await expectSamePredictions(functional, join(dir, 'functional', 'model.json'), [6, 6, 1], 3);

    // Groups in another order than the layers, shards that cut weights in the middle.
    const groups = [
      ['n/moving_variance', 'd/kernel', 'n/moving_mean'],
      ['c/bias', 'n/gamma', 'c/kernel', 'd/bias', 'n/beta'],
    ];
    await saveLikeConverter(functional, join(dir, 'converted'), groups, 3);
    expect((await readdir(join(dir, 'converted'))).filter((f) => f.endsWith('.bin'))).toHaveLength(6);
    await expectSamePredictions(functional, join(dir, 'converted'), [6, 6, 1], 4);
  });
});

function convkitModel(): ck.Sequential {
  return ck.sequential({
    name: 'to_tfjs',
    seed: 5,
    layers: [
      ck.layers.conv2d({
        inputShape: [8, 7, 2],
        filters: 4,
        kernelSize: [3, 2],
        strides: [2, 1],
        padding: 'same',
        activation: 'leakyRelu',
        name: 'c1',
      }),
      ck.layers.batchNormalization({ momentum: 0.8, epsilon: 0.01 }),
      ck.layers.elu(),
      ck.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      ck.layers.conv2d({
        filters: 3,
        kernelSize: 2,
        dilationRate: 1,
        useBias: false,
        kernelInitializer: 'heNormal',
        activation: 'elu',
      }),
      ck.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
      ck.layers.leakyReLU({ alpha: 0.2 }),
      ck.layers.activation({ activation: 'elu' }),
      ck.layers.activation({ activation: 'leakyRelu', alpha: 0.05 }),
      ck.layers.dropout({ rate: 0.25 }),
      ck.layers.reshape({ targetShape: [-1] }),
      ck.layers.dense({ units: 6, activation: 'tanh', kernelInitializer: 'randomUniform' }),
      ck.layers.dense({ units: 4, activation: 'sigmoid' }),
      ck.layers.activation({ activation: 'softmax' }),
    ],
  });
}

/** A convkit model with non-trivial batch-norm statistics (a short fit). */
async function trainedConvkitModel(): Promise<ck.Sequential> {
  const model = convkitModel();
  const x = inputs([8, 7, 2], 21);
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(ck.tensor(x.data, x.shape), new Int32Array([0, 1, 3]), {
    epochs: 2,
    batchSize: 3,
    verbose: 0,
    seed: 1,
  });
  return model;
}

describe("saving in the tfjs format, read by tfjs's loadLayersModel", () => {
  it('gives tfjs the same predictions, and convkit too', async () => {
    const model = await trainedConvkitModel();
    const path = join(dir, 'from_convkit');
    await model.save(path, { format: 'tfjs' });
    const files = await readdir(path);
    expect(files.filter((f) => f !== 'model.json')).toEqual([
      expect.stringMatching(/^group1-shard1of1-[0-9a-f]{8}\.bin$/),
    ]);

    const x = inputs([8, 7, 2], 9);
    const expected = (await model.predict(ck.tensor(x.data, x.shape))).data;
    const inTfjs = await tf.loadLayersModel(fileHandler(join(path, 'model.json')));
    expectClose(tfjsPredict(inTfjs, x.data, x.shape), expected, tolerance, 'tfjs');
    // The conv's leaky-ReLU activation, which Keras has only as a layer, became one.
    const names = inTfjs.layers.map((l) => `${l.name}:${l.getClassName()}`);
    expect(names.indexOf('c1_leaky_re_lu:LeakyReLU')).toBe(names.indexOf('c1:Conv2D') + 1);

    const again = await ck.loadModel(path);
    expect((await again.predict(ck.tensor(x.data, x.shape))).data).toEqual(expected);
  });

  it('writes depthwise and separable convolutions that tfjs predicts the same', async () => {
    const model = ck.sequential({
      layers: [
        ck.layers.depthwiseConv2d({
          inputShape: [6, 6, 2],
          kernelSize: 3,
          depthMultiplier: 3,
          activation: 'leakyRelu',
        }),
        ck.layers.separableConv2d({ filters: 5, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu' }),
        ck.layers.flatten(),
        ck.layers.dense({ units: 2 }),
      ],
    });
    const random = rng(4);
    model.setWeights(model.getWeights().map((w) => ck.tensor(randomArray(random, w.size), w.shape)));
    const path = join(dir, 'separable_from_convkit');
    await model.save(path, { format: 'tfjs' });
    const x = inputs([6, 6, 2], 5);
    const inTfjs = await tf.loadLayersModel(fileHandler(join(path, 'model.json')));
    expect(inTfjs.layers.map((l) => l.getClassName())).toEqual([
      'InputLayer',
      'DepthwiseConv2D',
      'LeakyReLU',
      'SeparableConv2D',
      'Flatten',
      'Dense',
    ]);
    expectClose(
      tfjsPredict(inTfjs, x.data, x.shape),
      (await model.predict(ck.tensor(x.data, x.shape))).data,
      tolerance,
      'tfjs',
    );
  });

  it('splits the weights into 4 MiB shards and replaces a previous save without leftovers', async () => {
    const path = join(dir, 'big');
    const wide = () =>
      ck.sequential({
        seed: 2,
        layers: [
          ck.layers.dense({ inputShape: [1100], units: 1000, name: 'wide' }),
          ck.layers.dense({ units: 2, name: 'narrow' }),
        ],
      });
    await wide().save(path);
    const model = wide();
    await model.save(path, { format: 'tfjs' });
    const shards = (await readdir(path)).filter((f) => f !== 'model.json').sort();
    expect(shards).toEqual([expect.stringMatching(/^group1-shard1of2-/), expect.stringMatching(/^group1-shard2of2-/)]);
    const x = inputs([1100], 4);
    const inTfjs = await tf.loadLayersModel(fileHandler(join(path, 'model.json')));
    expectClose(
      tfjsPredict(inTfjs, x.data, x.shape),
      (await model.predict(ck.tensor(x.data, x.shape))).data,
      tolerance,
      'wide',
    );

    await model.save(path, { format: 'tfjs' });
    await ck.models.lenet5({ seed: 1 }).save(path);
    expect((await readdir(path)).sort()).toEqual(['model.json', expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/)]);
  });

  it('refuses a model Keras cannot describe, and a bad format option', async () => {
    const maxout = ck.sequential({
      layers: [ck.layers.dense({ inputShape: [4], units: 6 }), ck.layers.maxout({ pieces: 2, name: 'mx' })],
    });
    await expect(maxout.save(join(dir, 'maxout'), { format: 'tfjs' })).rejects.toThrow(
      /tfjs format cannot hold this model: layer 'mx' \(Maxout\): Keras has no maxout layer/,
    );
    await expect(maxout.save(join(dir, 'maxout'), { format: 'onnx' as 'tfjs' })).rejects.toThrow(
      /save format must be one of convkit, tfjs; got 'onnx'/,
    );
    // Valid Keras, but tfjs-layers 4 cannot load it: refused when saving rather than when loading.
    const elu = ck.sequential({
      layers: [ck.layers.dense({ inputShape: [4], units: 2 }), ck.layers.elu({ alpha: 0.5, name: 'soft' })],
    });
    await expect(elu.save(join(dir, 'elu'), { format: 'tfjs' })).rejects.toThrow(
      /layer 'soft' \(ELU\): tfjs-layers supports ELU with alpha 1 only/,
    );
  });
});

describe('refusals name the layer and the attribute', () => {
  let path: string;
  let original: string;
  const jsonPath = () => join(path, 'model.json');
  const edit = async (change: (json: any) => void) => {
    const json = JSON.parse(original);
    change(json);
    await writeFile(jsonPath(), JSON.stringify(json));
  };
  const layer = (json: any, name: string) =>
    json.modelTopology.config.layers.find((l: any) => l.config.name === name).config;

  beforeAll(async () => {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [4, 4, 2], filters: 2, kernelSize: 2, name: 'conv' }));
    model.add(tf.layers.reLU({ name: 'relu' }));
    model.add(tf.layers.reshape({ targetShape: [3, 6], name: 'rows' }));
    model.add(tf.layers.flatten({ name: 'flat' }));
    model.add(tf.layers.dense({ units: 2, name: 'dense' }));
    path = join(dir, 'refusals');
    await saveLikeTfjsNode(model, path);
    original = await readFile(jsonPath(), 'utf8');
  });

  it('unsupported layers and attributes', async () => {
    const cases: [(json: any) => void, RegExp][] = [
      [
        (j) => {
          j.modelTopology.config.layers[1].class_name = 'Conv3D';
        },
        /layer 'relu' \(Conv3D\): this layer class is not supported/,
      ],
      [
        (j) => {
          layer(j, 'conv').padding = 'causal';
        },
        /layer 'conv' \(Conv2D\): padding "causal" is not supported \(convkit has 'valid' and 'same'\)/,
      ],
      [
        (j) => {
          layer(j, 'conv').data_format = 'channels_first';
        },
        /layer 'conv' \(Conv2D\): data_format "channels_first" is not supported/,
      ],
      [
        (j) => {
          layer(j, 'conv').groups = 2;
        },
        /layer 'conv' \(Conv2D\): groups 2 is not supported/,
      ],
      [
        (j) => {
          layer(j, 'conv').activation = 'softsign';
        },
        /layer 'conv' \(Conv2D\): activation "softsign" is not supported/,
      ],
      [
        (j) => {
          layer(j, 'conv').activation = 'hard_sigmoid';
        },
        /layer 'conv' \(Conv2D\): activation 'hard_sigmoid' is 0.2x \+ 0.5 in Keras 2 and tfjs, which convkit does not compute/,
      ],
      [
        (j) => {
          layer(j, 'relu').max_value = 4;
        },
        /layer 'relu' \(ReLU\): max_value 4 is not supported \(convkit caps ReLU at 6 only\)/,
      ],
      [
        (j) => {
          layer(j, 'dense').kernel_regularizer = { class_name: 'L2', config: { l2: 0.01 } };
        },
        /layer 'dense' \(Dense\): kernel_regularizer .* is not supported: convkit trains without weight regularizers/,
      ],
      [
        (j) => {
          layer(j, 'dense').dtype = 'float16';
        },
        /layer 'dense' \(Dense\): dtype "float16" is not supported/,
      ],
      [
        (j) => {
          j.modelTopology.config.layers.splice(3, 0, { class_name: 'Softmax', config: { name: 'sm', axis: 1 } });
        },
        /layer 'sm' \(Softmax\): axis 1 is not supported: convkit works on the last axis only \(-1 or 2 for input \[batch, 3, 6\]\)/,
      ],
      [
        (j) => {
          j.modelTopology.config.layers[0].config.batch_input_shape = [null, null, null, 2];
        },
        /convkit needs every dimension but the batch known/,
      ],
      [
        (j) => {
          j.modelTopology.class_name = 'Functional';
        },
        /input_layers is undefined: convkit reads models with one input and one output/,
      ],
      [
        (j) => {
          j.format = 'graph-model';
        },
        /a graph model is a TensorFlow graph without layers/,
      ],
    ];
    for (const [change, message] of cases) {
      await edit(change);
      await expect(ck.loadModel(path), String(message)).rejects.toThrow(message);
    }
  });

  it('weights: wrong dtype, quantized, missing, unused, missing shard, wrong byte length', async () => {
    const entry = (j: any, name: string) => j.weightsManifest[0].weights.find((w: any) => w.name === name);
    const cases: [(json: any) => void, RegExp][] = [
      [
        (j) => {
          entry(j, 'dense/bias').dtype = 'int32';
        },
        /weight 'dense\/bias' has dtype "int32": convkit reads float32 weights only/,
      ],
      [
        (j) => {
          entry(j, 'dense/bias').quantization = { dtype: 'uint8', scale: 0.1, min: 0 };
        },
        /weight 'dense\/bias' is quantized/,
      ],
      [
        (j) => {
          entry(j, 'dense/bias').name = 'dense/offset';
        },
        /weight 'dense\/bias' is not in weightsManifest/,
      ],
      [
        (j) => {
          j.weightsManifest[0].weights.push({ name: 'extra/kernel', shape: [0], dtype: 'float32' });
        },
        /weightsManifest has weights that no layer uses: extra\/kernel/,
      ],
      [
        (j) => {
          entry(j, 'dense/kernel').shape = [2, 18];
        },
        /weight 'dense\/kernel' has shape \[2, 18\] in the file, the architecture needs \[18, 2\]/,
      ],
      [
        (j) => {
          j.weightsManifest[0].paths = ['../elsewhere.bin'];
        },
        /'..\/elsewhere.bin' points outside the model's directory/,
      ],
    ];
    for (const [change, message] of cases) {
      await edit(change);
      await expect(ck.loadModel(path), String(message)).rejects.toThrow(message);
    }
    await writeFile(jsonPath(), original);
    const weights = join(path, 'weights.bin');
    const bytes = await readFile(weights);
    await truncate(weights, bytes.length - 4);
    const short = `hold ${bytes.length - 4} bytes, its 4 float32 weights need ${bytes.length}`;
    await expect(ck.loadModel(path)).rejects.toThrow(
      new RegExp(`weightsManifest\\[0\\]'s shards \\(.*weights.bin\\) ${short}`),
    );
    await unlink(weights);
    await expect(ck.loadModel(path)).rejects.toThrow(
      /weights.bin cannot be read \(a weight shard listed in .*model.json\)/,
    );
    await writeFile(weights, bytes);
    await expect(ck.loadModel(path)).resolves.toBeInstanceOf(ck.Sequential);
  });
});

describe("MobileNet's and EfficientNet's activations in the tfjs format", () => {
  it('a tfjs model with relu6, swish, selu, softplus, gelu, mish, ReLU(6) and PReLU loads with the same predictions', async () => {
    const model = tf.sequential({ name: 'mobile_acts' });
    model.add(tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, activation: 'relu6', name: 'c1' }));
    model.add(tf.layers.prelu({ sharedAxes: [1, 2], name: 'pr' }));
    model.add(tf.layers.reLU({ maxValue: 6, name: 'r6' }));
    model.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'swish', name: 'c2' }));
    model.add(tf.layers.activation({ activation: 'mish', name: 'mish' }));
    model.add(tf.layers.flatten({ name: 'flat' }));
    model.add(tf.layers.dense({ units: 6, activation: 'selu', name: 'd1' }));
    model.add(tf.layers.dense({ units: 5, activation: 'softplus', name: 'd2' }));
    model.add(tf.layers.prelu({ name: 'pr_flat' }));
    model.add(tf.layers.dense({ units: 3, activation: 'gelu', name: 'd3' }));
    randomizeWeights(model, 31);
    await saveLikeTfjsNode(model, join(dir, 'mobile_acts'));
    const loaded = await expectSamePredictions(model, join(dir, 'mobile_acts'), [6, 6, 2], 5);
    expect(loaded.layers.map((l) => l.className)).toContain('PReLU');
  });

  it('convkit saves them for tfjs with the same predictions, and refuses hardSigmoid and hardSwish by name', async () => {
    const model = ck.sequential({
      seed: 3,
      layers: [
        ck.layers.conv2d({ inputShape: [5, 5, 2], filters: 4, kernelSize: 2, activation: 'silu' }),
        ck.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: 'randomUniform' }),
        ck.layers.reLU({ maxValue: 6 }),
        ck.layers.activation({ activation: 'relu6' }),
        ck.layers.flatten(),
        ck.layers.dense({ units: 5, activation: 'mish' }),
        ck.layers.activation({ activation: 'gelu' }),
        ck.layers.dense({ units: 3, activation: 'selu' }),
        ck.layers.activation({ activation: 'softplus' }),
      ],
    });
    const path = join(dir, 'mobile_from_convkit');
    await model.save(path, { format: 'tfjs' });
    const x = inputs([5, 5, 2], 8);
    const inTfjs = await tf.loadLayersModel(fileHandler(join(path, 'model.json')));
    expectClose(
      tfjsPredict(inTfjs, x.data, x.shape),
      (await model.predict(ck.tensor(x.data, x.shape))).data,
      tolerance,
      'tfjs',
    );
    for (const activation of ['hardSigmoid', 'hardSwish'] as const) {
      const hard = ck.sequential({ layers: [ck.layers.activation({ inputShape: [4], activation, name: 'hard' })] });
      await expect(hard.save(join(dir, activation), { format: 'tfjs' })).rejects.toThrow(
        new RegExp(`layer 'hard' \\(Activation\\): ${activation} has no tfjs equivalent`),
      );
    }
  });
});
