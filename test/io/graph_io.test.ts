// Graph models (ck.model) through every format: convkit's own (save / loadModel), the tfjs layers
// format both ways (our saves in tf.loadLayersModel, tf.model saves in ck.loadModel), and ONNX
// export run in onnxruntime-node; files describing graphs convkit cannot hold are refused by name.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';
import { fileHandler, randomizeWeights, saveLikeTfjsNode, tf, tfjsPredict } from '../helpers/tfjs_files';
import { runOrt } from './onnx/graph';

const tolerance = { atol: 1e-5, rtol: 1e-5 };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-graph-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A residual block, a squeeze-excite gate, a concatenated skip, an average and a maximum of branches. */
function graphNet(seed = 3): ck.Model {
  const x = ck.input({ shape: [6, 6, 2], name: 'image' });
  const stem = ck.layers
    .conv2d({ name: 'stem', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(x);
  // A leaky-ReLU conv is two Keras layers (Conv2D, LeakyReLU) in the tfjs save; its readers read the second.
  const c1 = ck.layers
    .conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', activation: 'leakyRelu' })
    .apply(stem);
  const bn = ck.layers.batchNormalization({ name: 'bn' }).apply(c1);
  const leaky = ck.layers.activation({ name: 'leaky', activation: 'leakyRelu' }).apply(bn);
  const sum = ck.layers.add({ name: 'residual' }).apply([stem, leaky]);
  const squeeze = ck.layers.globalAveragePooling2d({ name: 'squeeze' }).apply(sum);
  const gate = ck.layers.dense({ name: 'gate', units: 4, activation: 'sigmoid' }).apply(squeeze);
  const gate3d = ck.layers.reshape({ name: 'gate_3d', targetShape: [1, 1, 4] }).apply(gate);
  const excited = ck.layers.multiply({ name: 'excite' }).apply([sum, gate3d]);
  const avg = ck.layers.average({ name: 'avg' }).apply([excited, stem]);
  const max = ck.layers.maximum({ name: 'max' }).apply([avg, c1]);
  const joined = ck.layers.concatenate({ name: 'joined' }).apply([max, x]);
  const pooled = ck.layers.maxPooling2d({ name: 'pool', poolSize: 2 }).apply(joined);
  const flat = ck.layers.flatten({ name: 'flat' }).apply(pooled);
  const out = ck.layers.dense({ name: 'head', units: 3, activation: 'softmax' }).apply(flat);
  const model = ck.model({ inputs: x, outputs: out, name: 'graph_net', seed });
  randomize(model, seed);
  return model;
}

/** Random weights (variances positive), so no round trip passes on initializer luck. */
function randomize(model: ck.Model, seed: number): void {
  const random = rng(seed);
  model.setWeights(
    model.weightSpecs().map(({ name, shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const positive = name.includes('variance') || name.includes('gamma');
      return ck.tensor(
        Float32Array.from({ length: size }, () => (positive ? 0.5 + random() : random() - 0.5)),
        shape,
      );
    }),
  );
}

function sample(shape: number[], seed: number, batch = 3): ck.Tensor {
  const full = [batch, ...shape];
  return ck.tensor(
    randomArray(
      rng(seed),
      full.reduce((a, b) => a * b, 1),
    ),
    full,
  );
}

const connectionsOf = (model: ck.Model) =>
  model.layers.map((layer, i) => [
    layer.name,
    model.connections.inbound[i].map((j) => (j < 0 ? 'input' : model.layers[j].name)),
  ]);

describe('Functional.toJSON', () => {
  it('ck.model refuses a layer named like the input (the saved config could not tell them apart)', () => {
    const x = ck.input({ shape: [4], name: 'features' });
    const out = ck.layers.dense({ name: 'features', units: 2 }).apply(x);
    expect(() => ck.model({ inputs: x, outputs: out })).toThrow(/layer 'features' has the input's name/);
  });

  it("has the shape of tfjs's tf.model(...).toJSON(), in camelCase", () => {
    const x = ck.input({ shape: [4, 4, 2], name: 'inp' });
    const a = ck.layers.conv2d({ name: 'c1', filters: 3, kernelSize: 1 }).apply(x);
    const b = ck.layers.conv2d({ name: 'c2', filters: 3, kernelSize: 1 }).apply(x);
    const s = ck.layers.add({ name: 'add' }).apply([a, b]);
    const g = ck.layers.globalAveragePooling2d({ name: 'gap' }).apply(s);
    const model = ck.model({ inputs: x, outputs: g, name: 'm' });
    const json = model.toJSON() as { className: string; config: Record<string, unknown> };
    expect(json.className).toBe('Functional');
    const config = json.config as { name: string; layers: Record<string, unknown>[] };
    expect(config.name).toBe('m');
    expect(config.layers.map((l) => [l.name, l.className, l.inboundNodes])).toEqual([
      ['inp', 'InputLayer', []],
      ['c1', 'Conv2D', [[['inp', 0, 0, {}]]]],
      ['c2', 'Conv2D', [[['inp', 0, 0, {}]]]],
      [
        'add',
        'Add',
        [
          [
            ['c1', 0, 0, {}],
            ['c2', 0, 0, {}],
          ],
        ],
      ],
      ['gap', 'GlobalAveragePooling2D', [[['add', 0, 0, {}]]]],
    ]);
    expect(config.layers[0].config).toEqual({
      batchInputShape: [null, 4, 4, 2],
      dtype: 'float32',
      sparse: false,
      name: 'inp',
    });
    expect(json.config.inputLayers).toEqual([['inp', 0, 0]]);
    expect(json.config.outputLayers).toEqual([['gap', 0, 0]]);
    model.dispose();
  });
});

describe("convkit's format", () => {
  it('saves and loads a graph model: same layers, connections, weights, training config and predictions', async () => {
    const model = graphNet();
    model.compile({
      optimizer: ck.optimizers.adam({ learningRate: 0.002 }),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const path = join(dir, 'convkit');
    await model.save(path);
    const saved = JSON.parse(await readFile(join(path, 'model.json'), 'utf8'));
    expect(saved.modelTopology.className).toBe('Functional');
    const loaded = await ck.loadModel(path);
    expect(loaded.connections.graph).toBe(true);
    expect(loaded.name).toBe('graph_net');
    expect(connectionsOf(loaded)).toEqual(connectionsOf(model));
    expect(loaded.connections.inputName).toBe('image');
    expect(loaded.loss).toBe('categoricalCrossentropy');
    expect(loaded.optimizer!.getConfig()).toEqual(model.optimizer!.getConfig());
    loaded.getWeights().forEach((w, i) => expect(w.data).toEqual(model.getWeights()[i].data));
    const x = sample([6, 6, 2], 1);
    expect((await loaded.predict(x)).data).toEqual((await model.predict(x)).data);
    // It trains, and saves again (over the previous save).
    await loaded.fit(x, ck.tensor(new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), [3, 3]), { epochs: 1, verbose: 0 });
    await loaded.save(path);
    const again = await ck.loadModel(path);
    expect((await again.predict(x)).data).toEqual((await loaded.predict(x)).data);
    for (const m of [model, loaded, again]) m.dispose();
  });

  it('refuses graph topologies convkit cannot hold, naming what is wrong', async () => {
    const model = graphNet();
    const path = join(dir, 'bad');
    await model.save(path);
    const original = await readFile(join(path, 'model.json'), 'utf8');
    type Layers = { name: string; className: string; inboundNodes: unknown[][] }[];
    const cases: [
      (json: { modelTopology: { config: { layers: Layers; outputLayers: unknown; inputLayers: unknown } } }) => void,
      RegExp,
    ][] = [
      [
        (j) => {
          j.modelTopology.config.layers.find((l) => l.name === 'residual')!.inboundNodes = [
            [
              ['stem', 0, 0, {}],
              ['nowhere', 0, 0, {}],
            ],
          ];
        },
        /layer 'residual' reads 'nowhere', which is not among the layers/,
      ],
      [
        (j) => {
          j.modelTopology.config.layers.find((l) => l.name === 'stem')!.inboundNodes = [[['head', 0, 0, {}]]];
        },
        /the layers form a cycle through/,
      ],
      [
        (j) => {
          j.modelTopology.config.outputLayers = [
            ['head', 0, 0],
            ['gate', 0, 0],
          ];
        },
        /outputLayers lists 2 outputs .*one input and one output/,
      ],
      [
        (j) => {
          j.modelTopology.config.inputLayers = [
            ['image', 0, 0],
            ['other', 0, 0],
          ];
        },
        /inputLayers lists 2 inputs/,
      ],
      [
        (j) => {
          j.modelTopology.config.outputLayers = [['gate', 0, 0]];
        },
        /the output 'gate' does not depend on it/,
      ],
      [
        (j) => {
          j.modelTopology.config.layers.find((l) => l.name === 'c1')!.inboundNodes = [
            [['stem', 0, 0, {}]],
            [['stem', 0, 0, {}]],
          ];
        },
        /layer 'c1': inboundNodes must be one node/,
      ],
      [
        (j) => {
          j.modelTopology.config.layers.find((l) => l.name === 'joined')!.inboundNodes = [
            [
              ['max', 0, 0, {}],
              ['gate', 0, 0, {}],
            ],
          ];
        },
        /the architecture does not build: Concatenate 'joined'/,
      ],
    ];
    for (const [change, message] of cases) {
      const json = JSON.parse(original);
      change(json);
      await writeFile(join(path, 'model.json'), JSON.stringify(json));
      await expect(ck.loadModel(path), String(message)).rejects.toThrow(message);
    }
    model.dispose();
  });
});

describe('tfjs layers format', () => {
  it('a graph saved with { format: "tfjs" } loads in tfjs and predicts the same', async () => {
    const model = graphNet(4);
    const path = join(dir, 'tfjs-save');
    await model.save(path, { format: 'tfjs' });
    const json = JSON.parse(await readFile(join(path, 'model.json'), 'utf8'));
    expect(json.modelTopology.class_name).toBe('Model');
    const inbound = (name: string) =>
      json.modelTopology.config.layers.find((l: { name: string }) => l.name === name).inbound_nodes;
    expect(inbound('c1_leaky_re_lu')).toEqual([[['c1', 0, 0, {}]]]);
    expect(inbound('max')).toEqual([
      [
        ['avg', 0, 0, {}],
        ['c1_leaky_re_lu', 0, 0, {}],
      ],
    ]);
    const inTfjs = await tf.loadLayersModel(fileHandler(join(path, 'model.json')));
    const x = sample([6, 6, 2], 2);
    expectClose(tfjsPredict(inTfjs, x.data, [...x.shape]), (await model.predict(x)).data, tolerance, 'tfjs');
    // And back into convkit, as a graph with the same connections (the leaky activation is two Keras layers).
    const back = await ck.loadModel(path);
    expect(back.connections.graph).toBe(true);
    expectClose((await back.predict(x)).data, (await model.predict(x)).data, tolerance, 'back');
    inTfjs.dispose();
    model.dispose();
    back.dispose();
  });

  it('tf.model graphs (add, concatenate, multiply, average, maximum, ...) load in convkit and predict as tfjs', async () => {
    const input = tf.input({ shape: [6, 6, 3], name: 'pixels' });
    const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
      layer.apply(x) as tf.SymbolicTensor;
    const a = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a' }), input);
    const bn = apply(tf.layers.batchNormalization({ name: 'bn' }), a);
    const r = apply(tf.layers.activation({ activation: 'relu', name: 'r' }), bn);
    const b = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'b' }), input);
    const sum = apply(tf.layers.add({ name: 'sum' }), [r, b]);
    const avg = apply(tf.layers.average({ name: 'avg' }), [sum, b]);
    const max = apply(tf.layers.maximum({ name: 'max' }), [avg, r]);
    const squeeze = apply(tf.layers.globalAveragePooling2d({ name: 'sq' }), max);
    const gate = apply(tf.layers.dense({ units: 4, activation: 'sigmoid', name: 'gate' }), squeeze);
    const gate3d = apply(tf.layers.reshape({ targetShape: [1, 1, 4], name: 'gate3d' }), gate);
    const excited = apply(tf.layers.multiply({ name: 'excite' }), [max, gate3d]);
    const cat = apply(tf.layers.concatenate({ name: 'cat' }), [excited, input]);
    const gap = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), cat);
    const out = apply(tf.layers.dense({ units: 5, activation: 'softmax', name: 'out' }), gap);
    const model = tf.model({ inputs: input, outputs: out, name: 'tf_graph' });
    randomizeWeights(model, 12);
    const path = join(dir, 'from-tfjs');
    await saveLikeTfjsNode(model, path);
    const loaded = await ck.loadModel(path);
    expect(loaded.connections.graph).toBe(true);
    expect(loaded.connections.inputName).toBe('pixels');
    const x = sample([6, 6, 3], 5);
    expectClose((await loaded.predict(x)).data, tfjsPredict(model, x.data, [...x.shape]), tolerance, 'tf.model');
    expect(connectionsOf(loaded).find(([name]) => name === 'cat')).toEqual(['cat', ['excite', 'input']]);
    model.dispose();
    loaded.dispose();
  });

  it('refuses tfjs graphs with two outputs, shared layers or a missing layer', async () => {
    const input = tf.input({ shape: [4], name: 'in' });
    const d1 = tf.layers.dense({ units: 3, name: 'd1' }).apply(input) as tf.SymbolicTensor;
    const d2 = tf.layers.dense({ units: 3, name: 'd2' }).apply(input) as tf.SymbolicTensor;
    const twoOut = tf.model({ inputs: input, outputs: [d1, d2] });
    await saveLikeTfjsNode(twoOut, join(dir, 'two-out'));
    await expect(ck.loadModel(join(dir, 'two-out'))).rejects.toThrow(
      /output_layers lists 2 outputs \("d1", "d2"\): convkit reads models with one input and one output/,
    );
    const shared = tf.layers.dense({ units: 4, name: 'shared' });
    const twice = shared.apply(shared.apply(input)) as tf.SymbolicTensor;
    await saveLikeTfjsNode(tf.model({ inputs: input, outputs: twice }), join(dir, 'shared'));
    await expect(ck.loadModel(join(dir, 'shared'))).rejects.toThrow(/layer 'shared' is called 2 times/);
    const sum = tf.layers.add({ name: 'sum' }).apply([d1, d2]) as tf.SymbolicTensor;
    await saveLikeTfjsNode(tf.model({ inputs: input, outputs: sum }), join(dir, 'missing'));
    const jsonPath = join(dir, 'missing', 'model.json');
    const json = JSON.parse(await readFile(jsonPath, 'utf8'));
    json.modelTopology.config.layers.find((l: { name: string }) => l.name === 'sum').inbound_nodes[0][1][0] = 'd9';
    await writeFile(jsonPath, JSON.stringify(json));
    await expect(ck.loadModel(jsonPath)).rejects.toThrow(/layer 'sum' reads 'd9', which is not among the layers/);
  });
});

describe('ONNX export of graphs', () => {
  it('onnxruntime-node computes what convkit predicts (Sum, Mean, Max, Mul, Concat)', async () => {
    const model = graphNet(6);
    const x = sample([6, 6, 2], 9);
    const actual = await runOrt(ck.toOnnx(model), x.data, [...x.shape]);
    expect(actual.dims).toEqual([3, 3]);
    expectClose(actual.data, (await model.predict(x)).data, tolerance, 'onnx');
    // A tensor several layers read in the other layout is transposed once ('image' feeds stem and joined).
    const { onnx } = await import('onnx-proto');
    const nodes = onnx.ModelProto.decode(ck.toOnnx(model)).graph!.node!;
    expect(nodes.filter((n) => n.opType === 'Transpose' && n.input![0] === 'input')).toHaveLength(1);
    expect(nodes.map((n) => n.opType)).toEqual(expect.arrayContaining(['Sum', 'Mean', 'Max', 'Mul', 'Concat']));
    const path = join(dir, 'graph.onnx');
    await model.exportOnnx(path);
    expect((await readFile(path)).byteLength).toBeGreaterThan(0);
    model.dispose();
  });

  it('a gate of shape [c] beside [h, w, c], and a merge of dense outputs', async () => {
    const x = ck.input({ shape: [4, 4, 3] });
    const c = ck.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x);
    const g = ck.layers.dense({ units: 3, activation: 'sigmoid' }).apply(ck.layers.globalMaxPooling2d().apply(c));
    const gated = ck.layers.multiply().apply([g, c]);
    const flat = ck.layers.flatten().apply(gated);
    const d1 = ck.layers.dense({ units: 2 }).apply(flat);
    const d2 = ck.layers.dense({ units: 2 }).apply(flat);
    const out = ck.layers.concatenate().apply([d1, ck.layers.add().apply([d1, d2])]);
    const model = ck.model({ inputs: x, outputs: out, seed: 2 });
    const input = sample([4, 4, 3], 4, 2);
    const actual = await runOrt(ck.toOnnx(model), input.data, [...input.shape]);
    expectClose(actual.data, (await model.predict(input)).data, tolerance, 'gate');
    model.dispose();
  });
});

describe('graph models with the new activations and PReLU', () => {
  it('export to ONNX (onnxruntime-node agrees) and import back, x * Sigmoid(x) and x * HardSigmoid(x) as one activation', async () => {
    const x = ck.input({ shape: [6, 6, 3], name: 'image' });
    const stem = ck.layers
      .conv2d({ name: 'stem', filters: 4, kernelSize: 3, padding: 'same', activation: 'hardSwish' })
      .apply(x);
    const p = ck.layers.prelu({ name: 'prelu', sharedAxes: [1, 2], alphaInitializer: 'randomUniform' }).apply(stem);
    const a = ck.layers.conv2d({ name: 'expand', filters: 4, kernelSize: 1, activation: 'swish' }).apply(p);
    const sum = ck.layers.add({ name: 'residual' }).apply([stem, a]);
    const r6 = ck.layers.reLU({ name: 'relu6', maxValue: 6 }).apply(sum);
    // Squeeze-excite with a hardSigmoid gate: a Multiply merge, not a hardSwish.
    const squeeze = ck.layers.globalAveragePooling2d({ name: 'squeeze' }).apply(r6);
    const gate = ck.layers.dense({ name: 'gate', units: 4, activation: 'hardSigmoid' }).apply(squeeze);
    const excited = ck.layers
      .multiply({ name: 'excite' })
      .apply([r6, ck.layers.reshape({ name: 'gate_3d', targetShape: [1, 1, 4] }).apply(gate)]);
    const swish = ck.layers.activation({ name: 'swish', activation: 'swish' }).apply(excited);
    const joined = ck.layers.concatenate({ name: 'joined' }).apply([swish, r6]);
    const flat = ck.layers.flatten({ name: 'flat' }).apply(ck.layers.maxPooling2d({ name: 'pool' }).apply(joined));
    const d = ck.layers.dense({ name: 'fc', units: 5, activation: 'selu' }).apply(flat);
    const d2 = ck.layers.prelu({ name: 'prelu_fc', alphaInitializer: 'randomUniform' }).apply(d);
    const out = ck.layers.dense({ name: 'head', units: 3, activation: 'softplus' }).apply(d2);
    const model = ck.model({ inputs: x, outputs: out, seed: 12 });
    const input = sample([6, 6, 3], 13);
    const expected = (await model.predict(input)).data;
    const bytes = ck.toOnnx(model);
    expectClose((await runOrt(bytes, input.data, [...input.shape])).data, expected, tolerance, 'onnx');
    const imported = await ck.loadOnnx(bytes);
    expect(imported.connections.graph).toBe(true);
    expect(imported.countParams()).toBe(model.countParams());
    expectClose((await imported.predict(input)).data, expected, tolerance, 'imported');
    const kinds = imported.layers.map((l) =>
      l instanceof ck.layers.Activation ? l.activation : l.mergesInputs ? l.className : null,
    );
    // The gated activation of a merge's output is an Activation layer; ReLU(6) comes back as relu6.
    expect(kinds.filter((k) => k !== null)).toEqual(['Add', 'relu6', 'Multiply', 'swish', 'Concatenate']);
    // A conv read only by the gate and the Mul of x * HardSigmoid(x) or x * Sigmoid(x) takes the activation.
    const convs = imported.layers.filter((l) => l.className === 'Conv2D');
    expect(convs.map((l) => (l.getConfig() as { activation: string }).activation)).toEqual(['hardSwish', 'swish']);
    model.dispose();
    imported.dispose();
  });

  it('gelu and mish (exported as formulas) in a graph: onnxruntime-node agrees', async () => {
    const x = ck.input({ shape: [4, 4, 2] });
    const a = ck.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'gelu' }).apply(x);
    const b = ck.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'mish' }).apply(x);
    const m = ck.layers.maximum().apply([a, b]);
    const out = ck.layers.activation({ activation: 'mish' }).apply(ck.layers.add().apply([m, a]));
    const model = ck.model({ inputs: x, outputs: out, seed: 5 });
    const input = sample([4, 4, 2], 6);
    const actual = await runOrt(ck.toOnnx(model), input.data, [...input.shape]);
    expectClose(actual.data, (await model.predict(input)).data, tolerance, 'gelu/mish');
    model.dispose();
  });
});

describe('a MobileNetV2 inverted residual block (depthwise convolution in a graph)', () => {
  it('trains, exports to ONNX (onnxruntime-node agrees), imports back and round-trips through loadModel', async () => {
    // 1x1 expand + relu6, 3x3 depthwise + relu6, 1x1 linear projection, added to the block input.
    const x = ck.input({ shape: [6, 6, 4], name: 'image' });
    const expand = ck.layers.conv2d({ name: 'expand', filters: 12, kernelSize: 1, activation: 'relu6' }).apply(x);
    const depthwise = ck.layers
      .depthwiseConv2d({ name: 'depthwise', kernelSize: 3, padding: 'same', activation: 'relu6' })
      .apply(expand);
    const project = ck.layers.conv2d({ name: 'project', filters: 4, kernelSize: 1 }).apply(depthwise);
    const block = ck.layers.add({ name: 'residual' }).apply([x, project]);
    const pooled = ck.layers.globalAveragePooling2d({ name: 'pool' }).apply(block);
    const out = ck.layers.dense({ name: 'head', units: 3, activation: 'softmax' }).apply(pooled);
    const model = ck.model({ inputs: x, outputs: out, name: 'inverted_residual', seed: 21 });
    expect(model.layers.find((l) => l.name === 'depthwise')).toBeInstanceOf(ck.layers.DepthwiseConv2D);

    // Trains: the loss goes down over a few full-batch steps.
    const images = sample([6, 6, 4], 22, 8);
    const labels = ck.tensor(
      Float32Array.from({ length: 8 * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
      [8, 3],
    );
    model.compile({ optimizer: ck.optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
    const history = await model.fit(images, labels, { epochs: 8, batchSize: 8, verbose: 0, shuffle: false });
    const losses = history.history.loss;
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);

    // ONNX: the depthwise convolution is a Conv with group = channels; onnxruntime-node agrees.
    const input = sample([6, 6, 4], 23, 3);
    const expected = (await model.predict(input)).data;
    const bytes = ck.toOnnx(model);
    const { onnx } = await import('onnx-proto');
    const convs = onnx.ModelProto.decode(bytes).graph!.node!.filter((n) => n.opType === 'Conv');
    expect(convs.map((n) => n.attribute!.find((a) => a.name === 'group')?.i ?? 1).map(Number)).toEqual([1, 12, 1]);
    expectClose((await runOrt(bytes, input.data, [...input.shape])).data, expected, tolerance, 'onnx');

    // Imported back by the graph-walking importer: the grouped Conv on the branch is a DepthwiseConv2D.
    const imported = await ck.loadOnnx(bytes);
    expect(imported.connections.graph).toBe(true);
    expect(imported.countParams()).toBe(model.countParams());
    expect(imported.layers.map((l) => l.className)).toContain('DepthwiseConv2D');
    expectClose((await imported.predict(input)).data, expected, tolerance, 'imported');

    // convkit's own format: same graph, weights and predictions.
    const path = join(dir, 'inverted_residual');
    await model.save(path);
    const loaded = await ck.loadModel(path);
    expect(loaded.connections.graph).toBe(true);
    expect(connectionsOf(loaded)).toEqual(connectionsOf(model));
    expect((loaded.layers.find((l) => l.name === 'depthwise')!.getConfig() as { activation: string }).activation).toBe(
      'relu6',
    );
    loaded.getWeights().forEach((w, i) => expect(w.data).toEqual(model.getWeights()[i].data));
    expect((await loaded.predict(input)).data).toEqual(expected);
    for (const m of [model, imported, loaded]) m.dispose();
  });
});

describe('damaged graph topologies', () => {
  it('300 random rewirings of a saved graph fail with a clear error or load a model that predicts', async () => {
    const model = graphNet(8);
    const path = join(dir, 'fuzz');
    await model.save(path);
    const original = await readFile(join(path, 'model.json'), 'utf8');
    const names = model.layers.map((l) => l.name);
    const random = rng(99);
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
    const x = sample([6, 6, 2], 3, 2);
    let loaded = 0;
    for (let trial = 0; trial < 300; trial++) {
      const json = JSON.parse(original);
      const config = json.modelTopology.config;
      const layers = config.layers as { name: string; className: string; inboundNodes: unknown }[];
      const target = pick(layers.slice(1));
      const source = () => pick([...names, 'image', 'nowhere', '', 7 as unknown as string]);
      switch (Math.floor(random() * 6)) {
        case 0:
          target.inboundNodes = [Array.from({ length: Math.floor(random() * 4) }, () => [source(), 0, 0, {}])];
          break;
        case 1:
          target.inboundNodes = pick([
            [],
            null,
            'x',
            [[['image', 1, 0, {}]]],
            [[[source(), 0, 0, {}]], [[source(), 0, 0, {}]]],
          ]);
          break;
        case 2:
          config.outputLayers = pick([
            [[source(), 0, 0]],
            [],
            null,
            [
              [source(), 0, 0],
              [source(), 0, 0],
            ],
          ]);
          break;
        case 3:
          config.inputLayers = pick([
            [[source(), 0, 0]],
            [
              ['image', 0, 0],
              ['image', 0, 0],
            ],
            'image',
          ]);
          break;
        case 4:
          target.className = pick(['Add', 'Concatenate', 'Multiply', 'Dense', 'InputLayer', 'Nope']);
          break;
        default:
          layers.splice(1 + Math.floor(random() * (layers.length - 1)), 1);
      }
      await writeFile(join(path, 'model.json'), JSON.stringify(json));
      let result: ck.Model | undefined;
      try {
        result = await ck.loadModel(path);
      } catch (error) {
        expect(error instanceof RangeError || error instanceof TypeError, String(error)).toBe(true);
        expect((error as Error).message).toMatch(/^loadModel: /);
        continue;
      }
      loaded++;
      const y = await result.predict(x);
      expect(y.shape).toEqual([2, ...result.outputShape]);
      result.dispose();
    }
    // Some rewirings are harmless (a source replaced by itself): they load and predict.
    expect(loaded).toBeLessThan(300);
    model.dispose();
  });

  it('150 random rewirings of a tfjs graph save (the Keras reader of every format) fail clearly or load', async () => {
    const model = graphNet(9);
    const path = join(dir, 'fuzz-tfjs');
    await model.save(path, { format: 'tfjs' });
    const original = await readFile(join(path, 'model.json'), 'utf8');
    const random = rng(7);
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
    const x = sample([6, 6, 2], 4, 2);
    for (let trial = 0; trial < 150; trial++) {
      const json = JSON.parse(original);
      const config = json.modelTopology.config;
      const layers = config.layers as { name: string; class_name: string; inbound_nodes: unknown }[];
      const names = layers.map((l) => l.name);
      const target = pick(layers);
      const source = () => pick([...names, 'nowhere', 3 as unknown as string]);
      switch (Math.floor(random() * 5)) {
        case 0:
          target.inbound_nodes = [Array.from({ length: Math.floor(random() * 4) }, () => [source(), 0, 0, {}])];
          break;
        case 1:
          target.inbound_nodes = pick([[], null, {}, [[[source(), 0, 1, {}]]], [[[source(), 0, 0, { mask: 1 }]]]]);
          break;
        case 2:
          config.output_layers = pick([
            [[source(), 0, 0]],
            [],
            [
              [source(), 0, 0],
              [source(), 0, 0],
            ],
          ]);
          break;
        case 3:
          config.input_layers = pick([[[source(), 0, 0]], [], null]);
          break;
        default:
          layers.splice(Math.floor(random() * layers.length), 1);
      }
      await writeFile(join(path, 'model.json'), JSON.stringify(json));
      let result: ck.Model | undefined;
      try {
        result = await ck.loadModel(path);
      } catch (error) {
        expect(error instanceof RangeError || error instanceof TypeError, String(error)).toBe(true);
        expect((error as Error).message).toMatch(/^loadModel: /);
        continue;
      }
      const y = await result.predict(x);
      expect(y.shape).toEqual([2, ...result.outputShape]);
      result.dispose();
    }
    model.dispose();
  });
});
