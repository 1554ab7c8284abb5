// Graph models (lib/engine/functional.ts): ck.input, layer.apply and ck.model, the merge layers'
// shape rules (lib/layers/merge.ts), and the same training surface as Sequential. The native
// graph's numbers (forward against a reference, gradients against finite differences) are
// checked in test/native/graph.test.ts; here, that the TypeScript graph reaches it intact.
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { blobImages } from '../helpers/data';

/** A small residual convnet on 8x8x1 images: conv, a residual block, a squeeze-excite gate, a concatenated skip. */
function residualNet(seed = 5) {
  const x = ck.input({ shape: [8, 8, 1], name: 'image' });
  const stem = ck.layers
    .conv2d({ name: 'stem', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(x);
  const c1 = ck.layers
    .conv2d({ name: 'c1', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(stem);
  const c2 = ck.layers.conv2d({ name: 'c2', filters: 8, kernelSize: 3, padding: 'same' }).apply(c1);
  const sum = ck.layers.add({ name: 'residual' }).apply([stem, c2]);
  const block = ck.layers.activation({ name: 'block_out', activation: 'relu' }).apply(sum);
  const squeeze = ck.layers.globalAveragePooling2d({ name: 'squeeze' }).apply(block);
  const gate = ck.layers.dense({ name: 'gate', units: 8, activation: 'sigmoid' }).apply(squeeze);
  const gate3d = ck.layers.reshape({ name: 'gate_3d', targetShape: [1, 1, 8] }).apply(gate);
  const excited = ck.layers.multiply({ name: 'excite' }).apply([block, gate3d]);
  const joined = ck.layers.concatenate({ name: 'joined' }).apply([excited, stem]);
  // The classes differ by where a blob is, so the head sees every position (flatten, not pooling).
  const pooled = ck.layers.flatten({ name: 'pool' }).apply(joined);
  const out = ck.layers.dense({ name: 'head', units: 4, activation: 'softmax' }).apply(pooled);
  return ck.model({ inputs: x, outputs: out, name: 'resnet_tiny', seed });
}

describe('ck.model', () => {
  it('builds from the input shape, in topological order, with the merge shapes', () => {
    const model = residualNet();
    expect(model.inputShape).toEqual([8, 8, 1]);
    expect(model.outputShape).toEqual([4]);
    expect(model.layers.map((l) => l.name)).toEqual([
      'stem',
      'c1',
      'c2',
      'residual',
      'block_out',
      'squeeze',
      'gate',
      'gate_3d',
      'excite',
      'joined',
      'pool',
      'head',
    ]);
    expect(model.getLayer('joined').output.shape).toEqual([8, 8, 16]);
    expect(model.getLayer('excite').output.shape).toEqual([8, 8, 8]);
    model.dispose();
  });

  it('summary() has a "Connected to" column naming what each layer reads', () => {
    const model = residualNet();
    const text = model.summary(() => {});
    expect(text).toContain('Connected to');
    const line = (name: string) => text.split('\n').find((l) => l.startsWith(`${name} (`)) ?? '';
    expect(line('residual')).toMatch(/stem, c2$/);
    expect(line('excite')).toMatch(/block_out, gate_3d$/);
    expect(line('stem')).toMatch(/image$/);
    model.dispose();
  });

  it('a chain built with ck.model predicts and trains exactly as the same Sequential', async () => {
    const layers = () => [
      ck.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
      ck.layers.maxPooling2d({ poolSize: 2 }),
      ck.layers.flatten(),
      ck.layers.dense({ units: 3, activation: 'softmax' }),
    ];
    const sequential = ck.sequential({
      layers: [ck.layers.reshape({ inputShape: [8, 8, 1], targetShape: [8, 8, 1] }), ...layers()],
      seed: 9,
    });
    const x = ck.input({ shape: [8, 8, 1] });
    let h = ck.layers.reshape({ targetShape: [8, 8, 1] }).apply(x);
    for (const layer of layers()) h = layer.apply(h);
    const graph = ck.model({ inputs: x, outputs: h, seed: 9 });
    const data = blobImages(48, 3, 1);
    expect((await graph.predict(data.x)).data).toEqual((await sequential.predict(data.x)).data);
    for (const m of [sequential, graph])
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const a = await sequential.fit(data.x, data.y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    const b = await graph.fit(data.x, data.y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    expect(b.history.loss).toEqual(a.history.loss);
    sequential.dispose();
    graph.dispose();
  });

  it('trains a residual, squeeze-excite, concatenating graph to separate its classes', async () => {
    const model = residualNet();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const train = blobImages(256, 4, 2);
    const test = blobImages(64, 4, 3);
    await model.fit(train.x, train.y, { epochs: 12, batchSize: 32, verbose: 0 });
    const result = await model.evaluate(test.x, test.y);
    expect(result.accuracy).toBeGreaterThan(0.9);
    model.dispose();
  });

  it('layers frozen after the model was built keep their weights at the next compile, while the rest trains', async () => {
    const model = residualNet();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    expect(model.outputShape).toEqual([4]); // built, with every layer trainable
    const initial = model.getWeights();
    for (const name of ['stem', 'c1', 'c2']) model.getLayer(name).trainable = false;
    expect(model.weightSpecs().find((w) => w.layer === 'stem')!.trainable).toBe(true); // until compile, as in Keras
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    expect(model.weightSpecs().find((w) => w.layer === 'stem')!.trainable).toBe(false);
    expect(() => {
      model.getLayer('c1').trainable = 'no' as never;
    }).toThrow(/Conv2D trainable must be a boolean/);
    const specs = model.weightSpecs();
    const before = model.getWeights();
    before.forEach((w, i) => expect(w.data).toEqual(initial[i].data)); // remade with the same weights
    const data = blobImages(64, 4, 4);
    await model.fit(data.x, data.y, { epochs: 1, batchSize: 16, verbose: 0 });
    const after = model.getWeights();
    specs.forEach((spec, i) => {
      if (['stem', 'c1', 'c2'].includes(spec.layer)) expect(after[i].data).toEqual(before[i].data);
      else if (spec.name === 'kernel') expect(after[i].data).not.toEqual(before[i].data);
    });
    model.dispose();
  });

  it('serves through a Predictor and gives activations of inner layers', async () => {
    const model = residualNet();
    const data = blobImages(8, 4, 5);
    const predictor = ck.createPredictor(model);
    const one = await predictor.predict(new ck.Tensor(data.x.data.subarray(0, 64), [1, 8, 8, 1]));
    const all = await model.predict(data.x);
    expect(Array.from(one.data)).toEqual(Array.from(all.data.subarray(0, 4)));
    const maps = await model.activations(data.x, { layers: ['joined', 'head'] });
    expect(maps.get('joined')!.shape).toEqual([8, 8, 8, 16]);
    expect(maps.get('head')!.data).toEqual(all.data);
    await predictor.close();
    model.dispose();
  });

  it('saves and exports (the formats are tested in test/io/graph_io.test.ts)', async () => {
    const model = residualNet();
    expect(model.connections.graph).toBe(true);
    expect((model.toJSON() as { className: string }).className).toBe('Functional');
    expect(ck.toOnnx(model).byteLength).toBeGreaterThan(0);
    model.dispose();
  });
});

describe('graph construction errors', () => {
  const x = () => ck.input({ shape: [4, 4, 2] });

  it.each<[string, () => unknown, RegExp]>([
    [
      'apply to a non-symbolic value',
      () => ck.layers.dense({ units: 2 }).apply(new Float32Array(4) as never),
      /apply takes symbolic tensors/,
    ],
    ['a merge of one input', () => ck.layers.add().apply([x()]), /merges two or more inputs, got 1/],
    ['two inputs to a one-input layer', () => ck.layers.flatten().apply([x(), x()]), /takes one input, got 2/],
    [
      'add of different shapes',
      () => ck.layers.add().apply([x(), ck.input({ shape: [4, 4, 3] })]),
      /takes inputs of one shape, got \[4, 4, 2\] and \[4, 4, 3\]/,
    ],
    [
      'concatenate of different positions',
      () => ck.layers.concatenate().apply([x(), ck.input({ shape: [2, 2, 2] })]),
      /must agree/,
    ],
    [
      'a multiply gate of the wrong channels',
      () => ck.layers.multiply().apply([x(), ck.input({ shape: [1, 1, 3] })]),
      /per-channel gates \[1, 1, 2\]/,
    ],
    ['concatenate on another axis', () => ck.layers.concatenate({ axis: 1 }), /only -1/],
    ['an input shape that is not positive', () => ck.input({ shape: [0, 2] }), /input shape\[0\]/],
  ])('%s', (_, make, message) => {
    expect(make).toThrow(message);
  });

  it('applies a layer once', () => {
    const layer = ck.layers.flatten();
    layer.apply(x());
    expect(() => layer.apply(x())).toThrow(/was applied already/);
  });

  it('needs the output to depend on the given input alone', () => {
    const a = x();
    const b = ck.input({ shape: [4, 4, 2], name: 'other' });
    const merged = ck.layers.add({ name: 'merged' }).apply([ck.layers.activation({ activation: 'relu' }).apply(a), b]);
    expect(() => ck.model({ inputs: a, outputs: merged })).toThrow(
      /computed from the input 'other', which is not the model's inputs/,
    );
    expect(() => ck.model({ inputs: a, outputs: a })).toThrow(/the output is the input itself/);
    expect(() => ck.model({ inputs: [a, b], outputs: merged })).toThrow(/one input is supported, got 2/);
    const notInput = ck.layers.flatten().apply(a);
    expect(() => ck.model({ inputs: notInput, outputs: notInput })).toThrow(/must come from ck.input/);
    expect(() => ck.layers.flatten().output).toThrow(/was not applied/);
  });
});
