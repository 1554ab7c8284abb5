import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { deserializeLayer } from '../../lib/layers';

/** One configured layer of every class, with options away from the defaults, and an input that fits. */
// input: one input's shape, or (merges) each input's.
const examples: { layer: ck.layers.Layer; input: number[] | number[][] }[] = [
  {
    layer: ck.layers.conv2d({
      name: 'conv_rt',
      inputShape: [9, 8, 3],
      filters: 5,
      kernelSize: [3, 2],
      strides: [2, 1],
      padding: 'same',
      dilationRate: [1, 2],
      activation: 'elu',
      useBias: false,
      kernelInitializer: 'heUniform',
      biasInitializer: 'ones',
      trainable: false,
    }),
    input: [9, 8, 3],
  },
  {
    layer: ck.layers.depthwiseConv2d({
      kernelSize: [3, 2],
      strides: 2,
      padding: 'same',
      depthMultiplier: 2,
      activation: 'relu',
      depthwiseInitializer: 'heNormal',
      biasInitializer: 'ones',
    }),
    input: [7, 6, 3],
  },
  {
    layer: ck.layers.separableConv2d({
      filters: 4,
      kernelSize: 3,
      dilationRate: 2,
      depthMultiplier: 3,
      activation: 'tanh',
      useBias: false,
      depthwiseInitializer: 'heUniform',
      pointwiseInitializer: 'glorotNormal',
      biasInitializer: 'ones',
    }),
    input: [9, 9, 2],
  },
  {
    layer: ck.layers.dense({
      units: 7,
      activation: 'softmax',
      kernelInitializer: 'glorotNormal',
      biasInitializer: 'randomUniform',
    }),
    input: [12],
  },
  { layer: ck.layers.flatten({ inputShape: [2, 3, 4] }), input: [2, 3, 4] },
  { layer: ck.layers.reshape({ targetShape: [3, -1] }), input: [2, 3, 4] },
  { layer: ck.layers.dropout({ rate: 0.35 }), input: [5] },
  { layer: ck.layers.activation({ activation: 'leakyRelu', alpha: 0.2 }), input: [4, 4, 1] },
  { layer: ck.layers.maxPooling2d({ poolSize: [3, 2], strides: [1, 2], padding: 'same' }), input: [7, 7, 2] },
  { layer: ck.layers.averagePooling2d({ poolSize: 3 }), input: [7, 7, 2] },
  { layer: ck.layers.globalAveragePooling2d(), input: [3, 3, 6] },
  { layer: ck.layers.globalMaxPooling2d({ name: 'gmp' }), input: [3, 3, 6] },
  { layer: ck.layers.batchNormalization({ momentum: 0.8, epsilon: 1e-5 }), input: [4, 4, 3] },
  { layer: ck.layers.leakyReLU({ alpha: 0.01 }), input: [8] },
  { layer: ck.layers.elu({ alpha: 0.7 }), input: [8] },
  { layer: ck.layers.maxout({ pieces: 3 }), input: [2, 2, 9] },
  { layer: ck.layers.reLU({ maxValue: 6 }), input: [3, 3, 2] },
  { layer: ck.layers.activation({ activation: 'hardSwish' }), input: [6] },
  { layer: ck.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: 'ones' }), input: [3, 3, 4] },
  { layer: ck.layers.prelu(), input: [5] },
  {
    layer: ck.layers.add({ name: 'sum' }),
    input: [
      [3, 3, 2],
      [3, 3, 2],
    ],
  },
  { layer: ck.layers.average(), input: [[4], [4], [4]] },
  {
    layer: ck.layers.maximum({ trainable: false }),
    input: [
      [2, 5],
      [2, 5],
    ],
  },
  {
    layer: ck.layers.multiply(),
    input: [
      [3, 3, 4],
      [1, 1, 4],
    ],
  },
  {
    layer: ck.layers.concatenate({ axis: -1 }),
    input: [
      [3, 3, 4],
      [3, 3, 1],
    ],
  },
];

const inputShapes = (input: number[] | number[][]): number[][] =>
  Array.isArray(input[0]) ? (input as number[][]) : [input as number[]];

describe('factories', () => {
  it('build the class of the same name', () => {
    const pairs: [ck.layers.Layer, new (...args: never[]) => ck.layers.Layer][] = [
      [ck.layers.conv2d({ filters: 1, kernelSize: 1 }), ck.layers.Conv2D],
      [ck.layers.depthwiseConv2d({ kernelSize: 1 }), ck.layers.DepthwiseConv2D],
      [ck.layers.separableConv2d({ filters: 1, kernelSize: 1 }), ck.layers.SeparableConv2D],
      [ck.layers.dense({ units: 1 }), ck.layers.Dense],
      [ck.layers.flatten(), ck.layers.Flatten],
      [ck.layers.reshape({ targetShape: [-1] }), ck.layers.Reshape],
      [ck.layers.dropout({ rate: 0 }), ck.layers.Dropout],
      [ck.layers.activation({ activation: 'relu' }), ck.layers.Activation],
      [ck.layers.maxPooling2d(), ck.layers.MaxPooling2D],
      [ck.layers.averagePooling2d(), ck.layers.AveragePooling2D],
      [ck.layers.globalAveragePooling2d(), ck.layers.GlobalAveragePooling2D],
      [ck.layers.globalMaxPooling2d(), ck.layers.GlobalMaxPooling2D],
      [ck.layers.batchNormalization(), ck.layers.BatchNormalization],
      [ck.layers.leakyReLU(), ck.layers.LeakyReLU],
      [ck.layers.elu(), ck.layers.ELU],
      [ck.layers.maxout({ pieces: 2 }), ck.layers.Maxout],
      [ck.layers.reLU(), ck.layers.ReLU],
      [ck.layers.prelu(), ck.layers.PReLU],
      [ck.layers.add(), ck.layers.Add],
      [ck.layers.average(), ck.layers.Average],
      [ck.layers.maximum(), ck.layers.Maximum],
      [ck.layers.multiply(), ck.layers.Multiply],
      [ck.layers.concatenate(), ck.layers.Concatenate],
    ];
    for (const [layer, cls] of pairs) {
      expect(layer).toBeInstanceOf(cls);
      expect(layer).toBeInstanceOf(ck.layers.Layer);
      expect(layer.className).toBe(cls.name);
    }
  });

  it('generate unique Keras-style names per class, counting up', () => {
    const a = ck.layers.globalMaxPooling2d().name;
    const b = ck.layers.globalMaxPooling2d().name;
    const index = (name: string) => Number(/_(\d+)$/.exec(name)?.[1] ?? 0);
    expect(a).toMatch(/^global_max_pooling2d(_\d+)?$/);
    expect(b).toBe(`global_max_pooling2d_${index(a) + 1}`);
    // A given name does not consume a number.
    expect(ck.layers.globalMaxPooling2d({ name: 'mine' }).name).toBe('mine');
    expect(ck.layers.globalMaxPooling2d().name).toBe(`global_max_pooling2d_${index(a) + 2}`);
  });

  it('reject arguments that are not an object, naming the class', () => {
    expect(() => ck.layers.flatten(5 as unknown as ck.layers.LayerArgs)).toThrow(
      /Flatten arguments must be an object, got number 5/,
    );
    expect(() => ck.layers.batchNormalization(null as unknown as ck.layers.BatchNormalizationArgs)).toThrow(TypeError);
  });
});

describe('getConfig -> deserializeLayer', () => {
  it('covers every registered layer class', () => {
    let message = '';
    try {
      deserializeLayer({ className: 'Nope', config: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    const known = /\(known: (.*)\)$/.exec(message)?.[1].split(', ') ?? [];
    expect(known.length).toBeGreaterThan(10);
    expect(new Set(examples.map((e) => e.layer.className))).toEqual(new Set(known));
  });

  it.each(examples.map((e) => [e.layer.className, e] as const))(
    '%s round-trips through JSON: same config, shapes and weights',
    (_, { layer, input }) => {
      const serialized = JSON.parse(JSON.stringify({ className: layer.className, config: layer.getConfig() }));
      const rebuilt = deserializeLayer(serialized);
      expect(rebuilt.constructor).toBe(layer.constructor);
      expect(rebuilt.getConfig()).toEqual(layer.getConfig());
      expect(rebuilt.name).toBe(layer.name);
      expect(rebuilt.trainable).toBe(layer.trainable);
      expect(rebuilt.inputShape).toEqual(layer.inputShape);
      expect(rebuilt.outputShapeFor(inputShapes(input))).toEqual(layer.outputShapeFor(inputShapes(input)));
      expect(rebuilt.nativeSpecFor(inputShapes(input))).toEqual(layer.nativeSpecFor(inputShapes(input)));
      expect(rebuilt.weightSpecs(inputShapes(input)[0])).toEqual(layer.weightSpecs(inputShapes(input)[0]));
    },
  );

  it('a rebuilt model computes what the original does', () => {
    const model = ck.sequential({
      seed: 3,
      layers: [
        ck.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu' }),
        ck.layers.maxPooling2d(),
        ck.layers.flatten(),
        ck.layers.dense({ units: 4 }),
        ck.layers.maxout({ pieces: 2 }),
      ],
    });
    const json = JSON.parse(JSON.stringify(model.toJSON()));
    const copy = ck.sequential({ layers: json.config.layers.map(deserializeLayer) });
    copy.setWeights(model.getWeights());
    const x = ck.tensor(
      Float32Array.from({ length: 2 * 72 }, (_, i) => Math.sin(i)),
      [2, 6, 6, 2],
    );
    expect(copy.predictSync(x).data).toEqual(model.predictSync(x).data);
  });

  it('rejects an unknown class, naming it, and a config that is not an object', () => {
    expect(() => deserializeLayer({ className: 'Attention', config: {} })).toThrow(RangeError);
    expect(() => deserializeLayer({ className: 'Attention', config: {} })).toThrow(
      /unknown layer class 'Attention' \(known: Conv2D, DepthwiseConv2D, SeparableConv2D, Dense, /,
    );
    // Inherited object keys are not layer classes.
    expect(() => deserializeLayer({ className: 'toString', config: {} })).toThrow(/unknown layer class 'toString'/);
    expect(() => deserializeLayer({ className: '__proto__', config: {} })).toThrow(/unknown layer class '__proto__'/);
    expect(() => deserializeLayer({ className: 42, config: {} })).toThrow(/unknown layer class '42'/);
    expect(() => deserializeLayer({ className: 'Dense', config: null })).toThrow(
      /layer config of Dense must be an object/,
    );
    expect(() => deserializeLayer({ className: 'Dense', config: 'units=3' })).toThrow(TypeError);
  });

  it('validates the config like the constructor does', () => {
    expect(() => deserializeLayer({ className: 'Dense', config: { units: -3 } })).toThrow(
      /Dense units must be a positive integer, got -3/,
    );
    expect(() =>
      deserializeLayer({ className: 'Conv2D', config: { filters: 2, kernelSize: 3, padding: 'full' } }),
    ).toThrow(/Conv2D padding must be one of/);
  });
});
