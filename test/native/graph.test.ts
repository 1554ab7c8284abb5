// Networks that are graphs (native/model/graph.cc and the merge layers): forward against a float64
// reference of the same graph, every weight's gradient against central finite differences of that
// reference's loss (read back from one SGD step with learning rate 1: the weights move by minus
// the gradient), and the refusals of graphs that are not well formed.
import { describe, expect, it } from 'vitest';
import { type ActivationName, createNetwork, type NativeLayerSpec } from '../../lib/native/network';
import { numericGradient } from '../helpers/gradcheck';
import { randomArray, rng } from '../helpers/random';
import { referenceActivation } from '../reference/activation';
import { referenceDepthwiseConv2d } from '../reference/depthwise_conv2d';
import { concatenate, elementwiseMerge, type MergeKind, multiply } from '../reference/merge';

function dense(x: Float64Array, kernel: Float64Array, bias: Float64Array, activation: ActivationName): Float64Array {
  const units = bias.length;
  const out = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    let sum = bias[u];
    for (let i = 0; i < x.length; i++) sum += x[i] * kernel[i * units + u];
    out[u] = sum;
  }
  return referenceActivation(activation, 0, 1, units, out);
}

function denseSpec(inFeatures: number, units: number, activation: ActivationName, inputs?: number[]): NativeLayerSpec {
  return { kind: 'dense', inFeatures, units, useBias: true, activation, alpha: 0, ...(inputs ? { inputs } : {}) };
}

/** A graph, its reference forward per sample given float64 weights, and its input/output sizes. */
interface Case {
  name: string;
  layers: NativeLayerSpec[];
  inputSize: number;
  outputSize: number;
  forward(x: Float64Array, w: Float64Array[]): Float64Array;
  /** Weights to start from instead of the initial ones, given those. */
  weights?(initial: Float32Array[]): Float32Array[];
}

// Two branches of one input merged, the merge read twice (by a dense layer and by a concatenation,
// so its gradient arrives along two paths and is added), then a dense head.
function branchCase(merge: MergeKind): Case {
  return {
    name: `two dense branches merged by ${merge}, the merge read twice`,
    inputSize: 12,
    outputSize: 3,
    layers: [
      denseSpec(12, 8, 'relu'),
      denseSpec(12, 8, 'tanh', [-1]),
      { kind: merge, size: 8, inputs: [0, 1] },
      denseSpec(8, 4, 'linear', [2]),
      { kind: 'concatenate', positions: 1, channels: [4, 8], inputs: [3, 2] },
      denseSpec(12, 3, 'linear'),
    ],
    forward(x, w) {
      const a = dense(x, w[0], w[1], 'relu');
      const b = dense(x, w[2], w[3], 'tanh');
      const m = elementwiseMerge(merge, [a, b]);
      const d = dense(m, w[4], w[5], 'linear');
      return dense(concatenate(1, [4, 8], [d, m]), w[6], w[7], 'linear');
    },
  };
}

// Squeeze-excite: a per-channel gate from the global average, multiplied back into the input.
const squeezeExcite: Case = {
  name: 'a squeeze-excite gate broadcast over positions',
  inputSize: 12,
  outputSize: 2,
  layers: [
    { kind: 'globalAveragePooling2d', height: 2, width: 2, channels: 3 },
    denseSpec(3, 3, 'sigmoid'),
    { kind: 'multiply', positions: 4, channels: 3, broadcast: [0, 1], inputs: [-1, 1] },
    { kind: 'reshape', size: 12 },
    denseSpec(12, 2, 'linear'),
  ],
  forward(x, w) {
    const mean = new Float64Array(3);
    for (let p = 0; p < 4; p++) for (let c = 0; c < 3; c++) mean[c] += x[p * 3 + c] / 4;
    const gate = dense(mean, w[0], w[1], 'sigmoid');
    return dense(multiply(4, 3, [false, true], [x, gate]), w[2], w[3], 'linear');
  },
};

// A residual block: y = relu(x + dense(relu(dense(x)))), the input itself on the skip path.
const residual: Case = {
  name: 'a residual block whose skip path is the network input',
  inputSize: 6,
  outputSize: 2,
  layers: [
    denseSpec(6, 6, 'relu'),
    denseSpec(6, 6, 'linear'),
    { kind: 'add', size: 6, inputs: [1, -1] },
    { kind: 'activation', size: 6, channels: 6, activation: 'relu', alpha: 0 },
    denseSpec(6, 2, 'linear'),
  ],
  forward(x, w) {
    const h = dense(dense(x, w[0], w[1], 'relu'), w[2], w[3], 'linear');
    const sum = elementwiseMerge('add', [h, x]).map((v) => Math.max(v, 0));
    return dense(sum, w[4], w[5], 'linear');
  },
};

// One layer read twice by the same merge: both gradients land on it within one backward step.
const doubled: Case = {
  name: 'a merge reading the same layer twice',
  inputSize: 4,
  outputSize: 2,
  layers: [denseSpec(4, 4, 'tanh'), { kind: 'add', size: 4, inputs: [0, 0] }, denseSpec(4, 2, 'linear')],
  forward(x, w) {
    const h = dense(x, w[0], w[1], 'tanh');
    return dense(elementwiseMerge('add', [h, h]), w[2], w[3], 'linear');
  },
};

// A learned slope per channel (PReLU, 2 positions of 4 channels) between dense layers: the gradients
// of alpha and of the input (alpha moved away from its initial 0, so negative values pass).
const prelu: Case = {
  name: 'a per-channel PReLU between dense layers',
  inputSize: 6,
  outputSize: 3,
  layers: [denseSpec(6, 8, 'linear'), { kind: 'prelu', size: 8, channels: 4 }, denseSpec(8, 3, 'linear')],
  weights: (w) => w.map((values, t) => (t === 2 ? Float32Array.from([0.25, -0.5, 1.5, 0.05]) : values)),
  forward(x, w) {
    const h = dense(x, w[0], w[1], 'linear').map((v, i) => (v > 0 ? v : w[2][i % 4] * v));
    return dense(h, w[3], w[4], 'linear');
  },
};

// relu6 after a GEMM, then max pooling: relu6 is not fused into the GEMM, nor its backward into the
// pooling's (its derivative does not follow from the sign of its output). The kernel is scaled so
// that some values saturate at 6. Then a hardSwish dense layer.
const relu6Pooled: Case = {
  name: 'relu6 after a dense layer, max pooled, then hardSwish',
  inputSize: 12,
  outputSize: 2,
  layers: [
    denseSpec(12, 16, 'relu6'),
    {
      kind: 'maxPooling2d',
      inHeight: 2,
      inWidth: 2,
      channels: 4,
      poolHeight: 2,
      poolWidth: 2,
      strideHeight: 2,
      strideWidth: 2,
      padding: 'valid',
    },
    denseSpec(4, 4, 'hardSwish'),
    denseSpec(4, 2, 'linear'),
  ],
  weights: (w) => w.map((values, t) => (t === 0 ? values.map((v) => 12 * v) : values)),
  forward(x, w) {
    const h = dense(x, w[0], w[1], 'relu6');
    const pooled = Float64Array.from({ length: 4 }, (_, c) => Math.max(h[c], h[4 + c], h[8 + c], h[12 + c]));
    return dense(dense(pooled, w[2], w[3], 'hardSwish'), w[4], w[5], 'linear');
  },
};

// A separable convolution (depthwise with multiplier 2, then pointwise with bias and tanh) into a
// strided depthwise convolution with a fused relu, then a dense head: MobileNet's block in small.
const window = { strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padding: 'same' as const };
const separable: Case = {
  name: 'a separable convolution, then a strided depthwise one with a fused relu',
  inputSize: 5 * 5 * 2,
  outputSize: 2,
  layers: [
    {
      kind: 'separableConv2d',
      inHeight: 5,
      inWidth: 5,
      inChannels: 2,
      depthMultiplier: 2,
      filters: 3,
      kernelHeight: 3,
      kernelWidth: 3,
      ...window,
      useBias: true,
      activation: 'tanh',
      alpha: 0,
    },
    {
      kind: 'depthwiseConv2d',
      inHeight: 5,
      inWidth: 5,
      inChannels: 3,
      depthMultiplier: 1,
      kernelHeight: 3,
      kernelWidth: 2,
      ...window,
      strideHeight: 2,
      strideWidth: 2,
      useBias: true,
      activation: 'relu',
      alpha: 0,
    },
    { kind: 'reshape', size: 27 },
    denseSpec(27, 2, 'linear'),
  ],
  forward(x, w) {
    const shape = { batch: 1, inHeight: 5, inWidth: 5, kernelHeight: 3, ...window };
    const depthwise = referenceDepthwiseConv2d(
      { ...shape, inChannels: 2, depthMultiplier: 2, kernelWidth: 3 },
      x,
      w[0],
      null,
    );
    const pointwise = new Float64Array(25 * 3);
    for (let p = 0; p < 25; p++) {
      for (let f = 0; f < 3; f++) {
        let sum = w[2][f];
        for (let c = 0; c < 4; c++) sum += depthwise.output[p * 4 + c] * w[1][c * 3 + f];
        pointwise[p * 3 + f] = Math.tanh(sum);
      }
    }
    const strided = referenceDepthwiseConv2d(
      { ...shape, inChannels: 3, depthMultiplier: 1, kernelWidth: 2, strideHeight: 2, strideWidth: 2 },
      pointwise,
      w[3],
      w[4],
    ).output.map((v) => Math.max(v, 0));
    return dense(strided, w[5], w[6], 'linear');
  },
};

const cases: Case[] = [
  separable,
  branchCase('add'),
  branchCase('average'),
  branchCase('maximum'),
  squeezeExcite,
  residual,
  doubled,
  prelu,
  relu6Pooled,
];

function meanSquaredError(c: Case, x: Float32Array, y: Float32Array, batch: number, w: Float64Array[]): number {
  let sum = 0;
  for (let b = 0; b < batch; b++) {
    const out = c.forward(Float64Array.from(x.subarray(b * c.inputSize, (b + 1) * c.inputSize)), w);
    for (let i = 0; i < c.outputSize; i++) sum += (out[i] - y[b * c.outputSize + i]) ** 2;
  }
  return sum / (batch * c.outputSize);
}

describe('graph networks', () => {
  it.each(cases)('$name: forward matches the reference', async (c) => {
    const random = rng(7);
    const network = createNetwork(c.layers);
    if (c.weights) network.setWeights(c.weights(network.getWeights()));
    expect(network.inputSize).toBe(c.inputSize);
    expect(network.outputSize).toBe(c.outputSize);
    const batch = 5;
    const x = randomArray(random, batch * c.inputSize);
    const output = new Float32Array(batch * c.outputSize);
    await network.predict(x, output, { batch });
    const weights = network.getWeights().map((w) => Float64Array.from(w));
    for (let b = 0; b < batch; b++) {
      const expected = c.forward(Float64Array.from(x.subarray(b * c.inputSize, (b + 1) * c.inputSize)), weights);
      for (let i = 0; i < c.outputSize; i++) expect(output[b * c.outputSize + i]).toBeCloseTo(expected[i], 5);
    }
    network.dispose();
  });

  it.each(cases)('$name: every weight gradient matches finite differences', async (c) => {
    const random = rng(11);
    const network = createNetwork(c.layers);
    if (c.weights) network.setWeights(c.weights(network.getWeights()));
    network.compile({ loss: 'meanSquaredError', optimizer: { kind: 'sgd' } });
    const batch = 4;
    const x = randomArray(random, batch * c.inputSize);
    const y = randomArray(random, batch * c.outputSize);
    const before = network.getWeights().map((w) => Float64Array.from(w));
    await network.trainStep(x, y, { batch, learningRate: 1, seed: 1 });
    const after = network.getWeights();
    before.forEach((weights, t) => {
      const numeric = numericGradient(
        (w) =>
          meanSquaredError(
            c,
            x,
            y,
            batch,
            before.map((other, u) => (u === t ? w : other)),
          ),
        weights,
        Array.from({ length: weights.length }, (_, i) => i),
      );
      for (const [i, expected] of numeric) {
        const measured = weights[i] - after[t][i];
        expect(Math.abs(measured - expected)).toBeLessThan(2e-4 + 2e-3 * Math.abs(expected));
      }
    });
    network.dispose();
  });

  it('a fused softmax loss at the end of a graph trains to the same gradient as the reference', async () => {
    const layers: NativeLayerSpec[] = [
      denseSpec(4, 4, 'relu'),
      { kind: 'add', size: 4, inputs: [0, -1] },
      denseSpec(4, 3, 'linear'),
      { kind: 'activation', size: 3, channels: 3, activation: 'softmax', alpha: 0 },
    ];
    const network = createNetwork(layers);
    network.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: { kind: 'sgd' } });
    const random = rng(3);
    const batch = 3;
    const x = randomArray(random, batch * 4);
    const labels = Int32Array.from([0, 2, 1]);
    const before = network.getWeights().map((w) => Float64Array.from(w));
    await network.trainStep(x, labels, { batch, learningRate: 1, seed: 1 });
    const after = network.getWeights();
    const loss = (w: Float64Array[]) => {
      let sum = 0;
      for (let b = 0; b < batch; b++) {
        const xb = Float64Array.from(x.subarray(b * 4, b * 4 + 4));
        const logits = dense(elementwiseMerge('add', [dense(xb, w[0], w[1], 'relu'), xb]), w[2], w[3], 'linear');
        const max = Math.max(...logits);
        const total = logits.reduce((s, v) => s + Math.exp(v - max), 0);
        sum -= logits[labels[b]] - max - Math.log(total);
      }
      return sum / batch;
    };
    before.forEach((weights, t) => {
      const numeric = numericGradient((w) => loss(before.map((o, u) => (u === t ? w : o))), weights, [
        ...weights.keys(),
      ]);
      for (const [i, expected] of numeric) {
        expect(Math.abs(weights[i] - after[t][i] - expected)).toBeLessThan(2e-4 + 2e-3 * Math.abs(expected));
      }
    });
    network.dispose();
  });

  it('a frozen batch norm runs in inference mode in training: statistics kept, gradient through its affine map', async () => {
    const layers: NativeLayerSpec[] = [
      denseSpec(4, 6, 'linear'),
      { kind: 'batchNormalization', size: 6, channels: 6, epsilon: 1e-3, momentum: 0.9, trainable: false },
      denseSpec(6, 2, 'linear'),
    ];
    const network = createNetwork(layers);
    network.compile({ loss: 'meanSquaredError', optimizer: { kind: 'sgd' } });
    const random = rng(21);
    const weights = network.getWeights();
    // Statistics and affine parameters far from the identity, so inference mode is visible.
    weights[2] = randomArray(random, 6, 0.5, 2); // gamma
    weights[3] = randomArray(random, 6, -1, 1); // beta
    weights[4] = randomArray(random, 6, -1, 1); // moving mean
    weights[5] = randomArray(random, 6, 0.5, 3); // moving variance
    network.setWeights(weights);
    const batch = 4;
    const x = randomArray(random, batch * 4);
    const y = randomArray(random, batch * 2);
    const before = network.getWeights().map((w) => Float64Array.from(w));
    const forward = (w: Float64Array[], xb: Float64Array) => {
      const h = dense(xb, w[0], w[1], 'linear').map(
        (v, c) => (w[2][c] * (v - w[4][c])) / Math.sqrt(w[5][c] + 1e-3) + w[3][c],
      );
      return dense(h, w[6], w[7], 'linear');
    };
    const loss = (w: Float64Array[]) => {
      let sum = 0;
      for (let b = 0; b < batch; b++) {
        const out = forward(w, Float64Array.from(x.subarray(b * 4, b * 4 + 4)));
        for (let i = 0; i < 2; i++) sum += (out[i] - y[b * 2 + i]) ** 2;
      }
      return sum / (batch * 2);
    };
    const result = await network.trainStep(x, y, { batch, learningRate: 1, seed: 1 });
    expect(result.loss).toBeCloseTo(loss(before), 4); // the training forward used the moving statistics
    const after = network.getWeights();
    for (const frozen of [2, 3, 4, 5]) expect([frozen, ...after[frozen]]).toEqual([frozen, ...before[frozen]]);
    for (const t of [0, 1, 6, 7]) {
      const numeric = numericGradient((w) => loss(before.map((o, u) => (u === t ? w : o))), before[t], [
        ...before[t].keys(),
      ]);
      for (const [i, expected] of numeric) {
        expect(Math.abs(before[t][i] - after[t][i] - expected)).toBeLessThan(2e-4 + 2e-3 * Math.abs(expected));
      }
    }
    network.dispose();
  });

  describe('inference reuses a buffer once its readers have run', () => {
    it('a chain of 8 dense layers needs two buffers, training eight', () => {
      const layers = Array.from({ length: 8 }, () => denseSpec(100, 100, 'relu')); // relu: fused, one node each
      const network = createNetwork(layers);
      expect(network.outputFloatsPerSample).toEqual({ inference: 200, training: 800 });
      network.dispose();
    });

    it('a branch keeps its buffer until the merge, and the fused loss keeps the logits', () => {
      // 0: dense 4->8 | 1: dense 8->8 (reads 0) | 2: dense 8->8 | 3: add(0, 2) | 4: dense 8->3 | 5: softmax
      const layers: NativeLayerSpec[] = [
        denseSpec(4, 8, 'linear'),
        denseSpec(8, 8, 'linear'),
        denseSpec(8, 8, 'linear'),
        { kind: 'add', size: 8, inputs: [0, 2] },
        denseSpec(8, 3, 'linear'),
        { kind: 'activation', size: 3, channels: 3, activation: 'softmax', alpha: 0 },
      ];
      const network = createNetwork(layers);
      // Layer 0's buffer lives until the add (layer 3), beside the two for layers 1 and 2; the add
      // takes layer 1's; the head's logits and the softmax's output both live to the end.
      expect(network.outputFloatsPerSample).toEqual({ inference: 8 + 8 + 8, training: 8 * 4 + 3 + 3 });
      network.dispose();
    });
  });

  describe('refuses graphs that are not well formed, naming the layer', () => {
    const ok = denseSpec(4, 4, 'relu');
    it.each<[string, NativeLayerSpec[], RegExp]>([
      [
        'a layer reading a later one',
        [ok, { ...denseSpec(4, 4, 'relu'), inputs: [1] }],
        /inputs\[0\] must be an integer in \[-1, 0\]/,
      ],
      [
        'a merge of one input',
        [ok, { kind: 'add', size: 4, inputs: [0] }],
        /inputs must have 2 to 4096 elements, got 1/,
      ],
      ['an unread output', [ok, denseSpec(4, 2, 'relu', [-1])], /layer 0's output is read by no later layer/],
      [
        'inputs of different sizes',
        [denseSpec(4, 3, 'relu'), { kind: 'add', size: 4, inputs: [0, -1] }],
        /layer 1 takes 4 values per sample at input 0 but layer 0 produces 3/,
      ],
      ['two inputs for a one-input layer', [ok, denseSpec(4, 4, 'relu', [0, -1])], /layer 1 takes 1 inputs, given 2/],
      [
        'a broadcast list of the wrong length',
        [ok, { kind: 'multiply', positions: 1, channels: 4, broadcast: [0, 0, 1], inputs: [0, -1] }],
        /multiply: broadcast must have one flag per input/,
      ],
      [
        'a network input read at two sizes',
        [
          denseSpec(4, 2, 'relu'),
          { ...denseSpec(6, 2, 'relu'), inputs: [-1] },
          { kind: 'add', size: 2, inputs: [0, 1] },
        ],
        /from the network's input, which another layer reads as 4/,
      ],
    ])('%s', (_, layers, message) => {
      expect(() => createNetwork(layers)).toThrow(message);
    });
  });
});
