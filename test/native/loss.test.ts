import { describe, expect, it } from 'vitest';
import { activationKernels as a } from '../helpers/kernels/activation';
import {
  type ClassLossParams,
  type LossKernels,
  lossKernels as k,
  type OutputLossParams,
} from '../helpers/kernels/loss';
import { expectGradientClose, numericGradient, toFloat64 } from '../helpers/gradcheck';
import { randomArray, randomLabels, rng, softTargets } from '../helpers/random';
import {
  PROBABILITY_EPSILON,
  referenceBinaryCrossentropy,
  referenceBinaryCrossentropyFromLogits,
  referenceCategoricalCrossentropy,
  referenceMeanSquaredError,
  referenceSoftmaxCrossEntropyFromLogits,
  referenceSparseCategoricalCrossentropy,
  referenceSparseSoftmaxCrossEntropyFromLogits,
} from '../reference/loss';

type DenseName =
  | 'softmaxCrossEntropyFromLogits'
  | 'categoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'binaryCrossentropyFromLogits'
  | 'meanSquaredError';
type SparseName = 'sparseSoftmaxCrossEntropyFromLogits' | 'sparseCategoricalCrossentropy';
type Generator = (random: () => number, batch: number, width: number) => Float32Array;
type Reference = (batch: number, width: number, predictions: ArrayLike<number>, targets: ArrayLike<number>) => number;

/** Logits of moderate size. */
const logits: Generator = (random, batch, width) => randomArray(random, batch * width, -4, 4);

/**
 * Probabilities whose rows do not sum to 1 (so the renormalization matters) and that stay far from
 * the clip bounds after it.
 */
const rowProbabilities: Generator = (random, batch, width) => randomArray(random, batch * width, 0.05, 1);

/** Independent probabilities far from the clip bounds. */
const probabilities: Generator = (random, batch, width) => randomArray(random, batch * width, 0.02, 0.98);

function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((c, b) => {
    out[b * classes + c] = 1;
  });
  return out;
}

const oneHotTargets: Generator = (random, batch, classes) => oneHot(randomLabels(random, batch, classes), classes);

/** Non-negative weights whose rows do not sum to 1: Keras takes targets as they come. */
const unnormalizedTargets: Generator = (random, batch, classes) => randomArray(random, batch * classes, 0, 1.5);

const hardBinaryTargets: Generator = (random, batch, outputs) =>
  Float32Array.from({ length: batch * outputs }, () => (random() < 0.5 ? 0 : 1));
const softBinaryTargets: Generator = (random, batch, outputs) => randomArray(random, batch * outputs, 0, 1);
const regressionTargets: Generator = (random, batch, outputs) => randomArray(random, batch * outputs, -2, 2);

interface DenseLoss {
  name: DenseName;
  width: 'classes' | 'outputs';
  reference: Reference;
  predictions: Generator;
  targets: [string, Generator][];
}

const denseLosses: DenseLoss[] = [
  {
    name: 'softmaxCrossEntropyFromLogits',
    width: 'classes',
    reference: referenceSoftmaxCrossEntropyFromLogits,
    predictions: logits,
    targets: [
      ['one-hot', oneHotTargets],
      ['soft', softTargets],
      ['unnormalized', unnormalizedTargets],
    ],
  },
  {
    name: 'categoricalCrossentropy',
    width: 'classes',
    reference: referenceCategoricalCrossentropy,
    predictions: rowProbabilities,
    targets: [
      ['one-hot', oneHotTargets],
      ['soft', softTargets],
      ['unnormalized', unnormalizedTargets],
    ],
  },
  {
    name: 'binaryCrossentropy',
    width: 'outputs',
    reference: referenceBinaryCrossentropy,
    predictions: probabilities,
    targets: [
      ['hard', hardBinaryTargets],
      ['soft', softBinaryTargets],
    ],
  },
  {
    name: 'binaryCrossentropyFromLogits',
    width: 'outputs',
    reference: referenceBinaryCrossentropyFromLogits,
    predictions: logits,
    targets: [
      ['hard', hardBinaryTargets],
      ['soft', softBinaryTargets],
    ],
  },
  {
    name: 'meanSquaredError',
    width: 'outputs',
    reference: referenceMeanSquaredError,
    predictions: (r, b, w) => randomArray(r, b * w, -3, 3),
    targets: [['real', regressionTargets]],
  },
];

interface SparseLoss {
  name: SparseName;
  /** The dense loss it equals with one-hot targets. */
  dense: DenseName;
  reference: (batch: number, classes: number, predictions: ArrayLike<number>, labels: ArrayLike<number>) => number;
  predictions: Generator;
}

const sparseLosses: SparseLoss[] = [
  {
    name: 'sparseSoftmaxCrossEntropyFromLogits',
    dense: 'softmaxCrossEntropyFromLogits',
    reference: referenceSparseSoftmaxCrossEntropyFromLogits,
    predictions: logits,
  },
  {
    name: 'sparseCategoricalCrossentropy',
    dense: 'categoricalCrossentropy',
    reference: referenceSparseCategoricalCrossentropy,
    predictions: rowProbabilities,
  },
];

const shapes = [
  [1, 1],
  [1, 6],
  [5, 1],
  [4, 3],
  [8, 10],
  [3, 17],
] as const;

type Grad = Float32Array | null | undefined;

/** Calls a dense loss kernel with the params object its width field names. */
function callDense(
  loss: DenseLoss | DenseName,
  batch: number,
  width: number,
  predictions: Float32Array,
  targets: Float32Array,
  ...grad: [] | [Grad]
): number {
  const name = typeof loss === 'string' ? loss : loss.name;
  const field = typeof loss === 'string' ? denseLosses.find((l) => l.name === name)!.width : loss.width;
  const params = field === 'classes' ? { batch, classes: width } : { batch, outputs: width };
  return (k[name] as (p: object, x: Float32Array, t: Float32Array, g?: Grad) => number)(
    params,
    predictions,
    targets,
    ...grad,
  );
}

function callSparse(
  name: SparseName,
  batch: number,
  classes: number,
  predictions: Float32Array,
  labels: Int32Array,
  ...grad: [] | [Grad]
): number {
  return k[name]({ batch, classes }, predictions, labels, ...grad);
}

/** A loss value within 1e-9 relative of the float64 reference: the kernels sum in double. */
function expectLossClose(actual: number, expected: number, label: string, rtol = 1e-9): void {
  if (!(Math.abs(actual - expected) <= rtol * (1e-3 + Math.abs(expected)))) {
    expect.fail(`${label}: loss is ${actual}, reference gives ${expected}`);
  }
}

const allIndices = (n: number) => Array.from({ length: n }, (_, i) => i);
const gradAtol = 1e-6;
const gradRtol = 1e-5;

const denseCases = denseLosses.flatMap((loss, i) =>
  loss.targets.flatMap(([targetName, targets], j) =>
    shapes.map(([batch, width], s) => ({
      loss,
      targets,
      batch,
      width,
      seed: 1000 * i + 100 * j + s,
      name: `${loss.name}, ${targetName} targets, ${batch}x${width}`,
    })),
  ),
);

const sparseCases = sparseLosses.flatMap((loss, i) =>
  shapes.map(([batch, classes], s) => ({
    loss,
    batch,
    classes,
    seed: 7000 + 100 * i + s,
    name: `${loss.name}, ${batch}x${classes}`,
  })),
);

describe('dense losses match the float64 reference, value and gradient', () => {
  it.each(denseCases)('$name', ({ loss, targets: makeTargets, batch, width, seed }) => {
    const random = rng(seed);
    const predictions = loss.predictions(random, batch, width);
    const targets = makeTargets(random, batch, width);
    const grad = new Float32Array(predictions.length).fill(Number.NaN);
    const value = callDense(loss, batch, width, predictions, targets, grad);
    expectLossClose(value, loss.reference(batch, width, predictions, targets), loss.name);

    const x = toFloat64(predictions);
    const numeric = numericGradient((p) => loss.reference(batch, width, p, targets), x, allIndices(x.length));
    expectGradientClose(grad, numeric, gradAtol, gradRtol, loss.name);
  });
});

describe('sparse losses match the float64 reference and their dense forms with one-hot targets', () => {
  it.each(sparseCases)('$name', ({ loss, batch, classes, seed }) => {
    const random = rng(seed);
    const predictions = loss.predictions(random, batch, classes);
    const labels = randomLabels(random, batch, classes);
    const grad = new Float32Array(predictions.length).fill(Number.NaN);
    const value = callSparse(loss.name, batch, classes, predictions, labels, grad);
    expectLossClose(value, loss.reference(batch, classes, predictions, labels), loss.name);

    const x = toFloat64(predictions);
    const numeric = numericGradient((p) => loss.reference(batch, classes, p, labels), x, allIndices(x.length));
    expectGradientClose(grad, numeric, gradAtol, gradRtol, loss.name);

    const denseGrad = new Float32Array(predictions.length);
    const denseValue = callDense(loss.dense, batch, classes, predictions, oneHot(labels, classes), denseGrad);
    expectLossClose(value, denseValue, `${loss.name} vs ${loss.dense}`, 1e-12);
    expect(grad).toEqual(denseGrad);
  });
});

describe('losses by hand: which mean each one takes', () => {
  it('cross-entropies average over the batch', () => {
    const probs = Float32Array.from([0.5, 0.25, 0.25, 0.25, 0.25, 0.5]);
    const targets = Float32Array.from([1, 0, 0, 0, 0, 1]);
    const expected = -(Math.log(0.5) + Math.log(0.5)) / 2;
    expect(k.categoricalCrossentropy({ batch: 2, classes: 3 }, probs, targets)).toBeCloseTo(expected, 12);
    expect(k.sparseCategoricalCrossentropy({ batch: 2, classes: 3 }, probs, Int32Array.from([1, 0]))).toBeCloseTo(
      -Math.log(0.25),
      12,
    );
    // Rows summing to 2 are renormalized: [1, 0.5, 0.5] is [0.5, 0.25, 0.25].
    expect(
      k.categoricalCrossentropy({ batch: 1, classes: 3 }, Float32Array.from([1, 0.5, 0.5]), targets.subarray(0, 3)),
    ).toBeCloseTo(-Math.log(0.5), 12);
    expect(
      k.sparseSoftmaxCrossEntropyFromLogits(
        { batch: 2, classes: 2 },
        Float32Array.from([0, 0, 3, 3]),
        Int32Array.from([0, 1]),
      ),
    ).toBeCloseTo(Math.log(2), 12);
  });

  it('binary cross-entropy and mean squared error average over every element', () => {
    const params: OutputLossParams = { batch: 2, outputs: 2 };
    expect(k.meanSquaredError(params, Float32Array.from([1, 2, 3, 4]), new Float32Array(4))).toBe(7.5);
    expect(
      k.binaryCrossentropy(params, Float32Array.from([0.5, 0.5, 0.25, 0.75]), Float32Array.from([1, 0, 0, 0])),
    ).toBeCloseTo(-(2 * Math.log(0.5) + Math.log(0.75) + Math.log(0.25)) / 4, 12);
    expect(k.binaryCrossentropyFromLogits(params, new Float32Array(4), Float32Array.from([1, 0, 0.5, 1]))).toBeCloseTo(
      Math.log(2),
      12,
    );
    const grad = new Float32Array(4);
    k.meanSquaredError(params, Float32Array.from([1, 2, 3, 4]), Float32Array.from([0, 2, 5, 4]), grad);
    expect(Array.from(grad)).toEqual([0.5, 0, -1, 0]);
  });
});

describe('from-logits forms equal the probability forms applied to softmax / sigmoid outputs', () => {
  const pairs = [
    {
      fused: 'softmaxCrossEntropyFromLogits',
      probability: 'categoricalCrossentropy',
      activation: 'softmax',
      targets: softTargets,
    },
    {
      fused: 'softmaxCrossEntropyFromLogits',
      probability: 'categoricalCrossentropy',
      activation: 'softmax',
      targets: oneHotTargets,
    },
    {
      fused: 'binaryCrossentropyFromLogits',
      probability: 'binaryCrossentropy',
      activation: 'sigmoid',
      targets: softBinaryTargets,
    },
    {
      fused: 'binaryCrossentropyFromLogits',
      probability: 'binaryCrossentropy',
      activation: 'sigmoid',
      targets: hardBinaryTargets,
    },
  ] as const;

  it.each(
    pairs.flatMap((pair, i) =>
      [
        [3, 5],
        [1, 2],
        [6, 10],
      ].map(([batch, width], s) => ({ ...pair, batch, width, seed: 300 + 10 * i + s })),
    ),
  )(
    '$fused vs $activation + $probability, $batch x $width',
    ({ fused, probability, activation, targets: makeTargets, batch, width, seed }) => {
      const random = rng(seed);
      const z = randomArray(random, batch * width, -4, 4);
      const targets = makeTargets(random, batch, width);
      const params = { kind: activation, rows: batch, cols: width };
      const probs = new Float32Array(z.length);
      a.activationForward(params, z, probs);

      const fusedGrad = new Float32Array(z.length);
      const fusedValue = callDense(fused, batch, width, z, targets, fusedGrad);
      const probsGrad = new Float32Array(z.length);
      const value = callDense(probability, batch, width, probs, targets, probsGrad);
      expectLossClose(value, fusedValue, `${probability} of ${activation}`, 1e-5);

      // Chain rule: the gradient with respect to the logits through the activation's backward.
      const chained = new Float32Array(z.length);
      a.activationBackward(params, z, probs, probsGrad, chained);
      expectGradientClose(chained, new Map(Array.from(fusedGrad, (g, i) => [i, g])), 1e-6, 1e-4, `${fused} gradient`);
    },
  );

  it('sparse forms agree too', () => {
    const random = rng(77);
    const [batch, classes] = [5, 4];
    const z = randomArray(random, batch * classes, -4, 4);
    const labels = randomLabels(random, batch, classes);
    const probs = new Float32Array(z.length);
    a.activationForward({ kind: 'softmax', rows: batch, cols: classes }, z, probs);
    expectLossClose(
      callSparse('sparseCategoricalCrossentropy', batch, classes, probs, labels),
      callSparse('sparseSoftmaxCrossEntropyFromLogits', batch, classes, z, labels),
      'sparse',
      1e-5,
    );
  });
});

describe('extreme logits give finite losses and gradients', () => {
  const extreme = Float32Array.from([1000, -1000, 0, -1000, 1000, 999, -1000, -1000, -1000, 1000, 1000, -1000]);

  it.each([
    {
      name: 'softmaxCrossEntropyFromLogits' as const,
      targets: Float32Array.from([0, 1, 0, 1, 0, 0, 0.2, 0.3, 0.5, 0, 0.5, 0.5]),
      reference: referenceSoftmaxCrossEntropyFromLogits,
      width: 3,
    },
    {
      name: 'binaryCrossentropyFromLogits' as const,
      targets: Float32Array.from([0, 1, 1, 0.5, 1, 0, 0.3, 0, 1, 1, 0.7, 0]),
      reference: referenceBinaryCrossentropyFromLogits,
      width: 2,
    },
  ])('$name', ({ name, targets, reference, width }) => {
    const batch = extreme.length / width;
    const grad = new Float32Array(extreme.length).fill(Number.NaN);
    const value = callDense(name, batch, width, extreme, targets, grad);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThan(100); // some rows put their target on a logit 2000 below the max
    expectLossClose(value, reference(batch, width, extreme, targets), name);
    expect(grad.every(Number.isFinite)).toBe(true);
    const numeric = numericGradient(
      (z) => reference(batch, width, z, targets),
      toFloat64(extreme),
      allIndices(extreme.length),
    );
    expectGradientClose(grad, numeric, gradAtol, gradRtol, name);
  });

  it('sparseSoftmaxCrossEntropyFromLogits', () => {
    const labels = Int32Array.from([1, 0, 2, 2]);
    const grad = new Float32Array(extreme.length).fill(Number.NaN);
    const value = k.sparseSoftmaxCrossEntropyFromLogits({ batch: 4, classes: 3 }, extreme, labels, grad);
    // Per row, lse - z[label]: 1000 - (-1000); 1000 + log(1 + e^-1) - (-1000);
    // -1000 + log 3 - (-1000); 1000 + log 2 - (-1000).
    expectLossClose(value, (2000 + 2000 + Math.log1p(Math.exp(-1)) + Math.log(3) + 2000 + Math.log(2)) / 4, 'sparse');
    const numeric = numericGradient(
      (z) => referenceSparseSoftmaxCrossEntropyFromLogits(4, 3, z, labels),
      toFloat64(extreme),
      allIndices(12),
    );
    expectGradientClose(grad, numeric, gradAtol, gradRtol, 'sparse');
  });
});

describe('probability losses clip as Keras does', () => {
  const logEpsilon = -Math.log(PROBABILITY_EPSILON);
  const f = Math.fround;

  it('categorical: a zero probability on the target costs -log(1e-7) and passes no gradient', () => {
    const probs = Float32Array.from([0, 0.5, 0.5, 0.2, 0.3, 0.5, 1, 0, 0]);
    const targets = Float32Array.from([1, 0, 0, 0, 1, 0, 1, 0, 0]);
    const grad = new Float32Array(9).fill(Number.NaN);
    const value = k.categoricalCrossentropy({ batch: 3, classes: 3 }, probs, targets, grad);
    expectLossClose(value, (logEpsilon - Math.log(f(0.3)) - Math.log(1 - PROBABILITY_EPSILON)) / 3, 'clipped');
    expectLossClose(value, referenceCategoricalCrossentropy(3, 3, probs, targets), 'clipped reference');
    // A step of 1e-9 keeps the clipped entries clipped, so the reference's derivative there is 0.
    const numeric = numericGradient(
      (p) => referenceCategoricalCrossentropy(3, 3, p, targets),
      toFloat64(probs),
      allIndices(9),
      1e-9,
    );
    expectGradientClose(grad, numeric, 1e-6, 1e-4, 'clipped');
    expect(Array.from(grad.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(grad.subarray(6, 9))).toEqual([0, 0, 0]);
    expect(grad.subarray(3, 6).every((g) => g !== 0)).toBe(true);
  });

  it('sparse categorical clips the same way', () => {
    const probs = Float32Array.from([0, 0.5, 0.5, 0.2, 0.3, 0.5]);
    const grad = new Float32Array(6).fill(Number.NaN);
    const value = k.sparseCategoricalCrossentropy({ batch: 2, classes: 3 }, probs, Int32Array.from([0, 1]), grad);
    expectLossClose(value, (logEpsilon - Math.log(f(0.3))) / 2, 'sparse clipped');
    expect(Array.from(grad.subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('binary: probabilities 0 and 1 cost at most -log(1e-7) and pass no gradient', () => {
    const probs = Float32Array.from([0, 1, 0, 1, 0.5, 0.25]);
    const targets = Float32Array.from([1, 0, 0, 1, 1, 0]);
    const grad = new Float32Array(6).fill(Number.NaN);
    const value = k.binaryCrossentropy({ batch: 3, outputs: 2 }, probs, targets, grad);
    expect(Number.isFinite(value)).toBe(true);
    expectLossClose(
      value,
      (2 * logEpsilon - 2 * Math.log(1 - PROBABILITY_EPSILON) - Math.log(0.5) - Math.log(0.75)) / 6,
      'binary clipped',
    );
    expectLossClose(value, referenceBinaryCrossentropy(3, 2, probs, targets), 'binary clipped reference');
    const numeric = numericGradient(
      (p) => referenceBinaryCrossentropy(3, 2, p, targets),
      toFloat64(probs),
      allIndices(6),
      1e-9,
    );
    expectGradientClose(grad, numeric, 1e-6, 1e-4, 'binary clipped');
    expect(Array.from(grad.subarray(0, 4))).toEqual([0, 0, 0, 0]);
  });
});

describe('an omitted grad gives the same loss and writes nothing', () => {
  const all = [
    ...denseLosses.map((loss) => ({ name: loss.name, sparse: false })),
    ...sparseLosses.map((loss) => ({ name: loss.name, sparse: true })),
  ];

  it.each(all)('$name', ({ name, sparse }) => {
    const random = rng(55);
    const [batch, width] = [4, 5];
    const predictions = randomArray(random, batch * width, 0.05, 0.95);
    const targets = sparse ? randomLabels(random, batch, width) : softBinaryTargets(random, batch, width);
    const [predictionsBefore, targetsBefore] = [predictions.slice(), targets.slice()];
    const run = (...grad: [] | [Grad]) =>
      sparse
        ? callSparse(name as SparseName, batch, width, predictions, targets as Int32Array, ...grad)
        : callDense(name as DenseName, batch, width, predictions, targets as Float32Array, ...grad);
    const withGrad = run(new Float32Array(batch * width));
    expect(run()).toBe(withGrad);
    expect(run(undefined)).toBe(withGrad);
    expect(run(null)).toBe(withGrad);
    expect(predictions).toEqual(predictionsBefore);
    expect(targets).toEqual(targetsBefore);
  });
});

describe('losses reject bad input', () => {
  const cp: ClassLossParams = { batch: 2, classes: 3 };
  const op: OutputLossParams = { batch: 2, outputs: 3 };
  const six = () => new Float32Array(6);
  const labels = Int32Array.from([0, 2]);

  it('names a wrong array length with the shape it expected', () => {
    expect(() => k.softmaxCrossEntropyFromLogits(cp, new Float32Array(5), six())).toThrow(
      new RangeError('softmaxCrossEntropyFromLogits: predictions must have 6 elements (batch*classes), got 5'),
    );
    expect(() => k.categoricalCrossentropy(cp, six(), new Float32Array(7))).toThrow(
      new RangeError('categoricalCrossentropy: targets must have 6 elements (batch*classes), got 7'),
    );
    expect(() => k.binaryCrossentropy(op, six(), six(), new Float32Array(5))).toThrow(
      new RangeError('binaryCrossentropy: grad must have 6 elements (batch*outputs), got 5'),
    );
    expect(() => k.meanSquaredError(op, six(), new Float32Array(3))).toThrow(
      new RangeError('meanSquaredError: targets must have 6 elements (batch*outputs), got 3'),
    );
    expect(() => k.binaryCrossentropyFromLogits(op, new Float32Array(0), six())).toThrow(
      new RangeError(
        'binaryCrossentropyFromLogits: predictions must have 6 elements (batch*outputs), got 0 (empty or detached buffer)',
      ),
    );
    expect(() => k.sparseSoftmaxCrossEntropyFromLogits(cp, six(), Int32Array.from([0, 1, 2]))).toThrow(
      new RangeError('sparseSoftmaxCrossEntropyFromLogits: labels must have 2 elements (batch), got 3'),
    );
    expect(() => k.sparseCategoricalCrossentropy(cp, six(), labels, new Float32Array(2))).toThrow(
      new RangeError('sparseCategoricalCrossentropy: grad must have 6 elements (batch*classes), got 2'),
    );
  });

  it('rejects the wrong array type', () => {
    expect(() => k.categoricalCrossentropy(cp, new Float64Array(6) as unknown as Float32Array, six())).toThrow(
      new TypeError('categoricalCrossentropy: predictions must be a Float32Array, got Float64Array'),
    );
    expect(() => k.meanSquaredError(op, six(), [0, 0, 0, 0, 0, 0] as unknown as Float32Array)).toThrow(
      new TypeError('meanSquaredError: targets must be a Float32Array, got an Array'),
    );
    expect(() => k.binaryCrossentropy(op, six(), six(), new Float64Array(6) as unknown as Float32Array)).toThrow(
      new TypeError('binaryCrossentropy: grad must be a Float32Array, got Float64Array'),
    );
    expect(() =>
      k.softmaxCrossEntropyFromLogits(cp, six(), Int32Array.from(labels) as unknown as Float32Array),
    ).toThrow(new TypeError('softmaxCrossEntropyFromLogits: targets must be a Float32Array, got Int32Array'));
    // Labels as floats (e.g. one-hot rows or float class ids) are a type error, not a silent cast.
    expect(() =>
      k.sparseCategoricalCrossentropy(cp, six(), Float32Array.from([0, 2]) as unknown as Int32Array),
    ).toThrow(TypeError);
    expect(() =>
      k.sparseCategoricalCrossentropy(cp, six(), Float32Array.from([0, 2]) as unknown as Int32Array),
    ).toThrow(/^sparseCategoricalCrossentropy: labels must be an? Int32Array, got Float32Array$/);
  });

  it('names the first label out of range and its value, before writing anything', () => {
    for (const name of ['sparseSoftmaxCrossEntropyFromLogits', 'sparseCategoricalCrossentropy'] as const) {
      const grad = new Float32Array(9).fill(Number.NaN);
      expect(() =>
        k[name]({ batch: 3, classes: 3 }, new Float32Array(9).fill(0.3), Int32Array.from([0, 3, -1]), grad),
      ).toThrow(new RangeError(`${name}: labels[1] is 3, outside [0, 3)`));
      expect(grad.every(Number.isNaN)).toBe(true);
      expect(() =>
        k[name]({ batch: 3, classes: 3 }, new Float32Array(9).fill(0.3), Int32Array.from([0, 2, -1])),
      ).toThrow(new RangeError(`${name}: labels[2] is -1, outside [0, 3)`));
    }
  });

  it('rejects a grad that shares memory with an input', () => {
    const shared = new Float32Array(12);
    const predictions = shared.subarray(0, 6);
    expect(() => k.meanSquaredError(op, predictions, six(), predictions)).toThrow(
      /^meanSquaredError: grad and predictions must not share memory/,
    );
    expect(() => k.categoricalCrossentropy(cp, six(), predictions, shared.subarray(3, 9))).toThrow(
      /^categoricalCrossentropy: grad and targets must not share memory/,
    );
    expect(() => k.sparseSoftmaxCrossEntropyFromLogits(cp, predictions, labels, shared.subarray(5, 11))).toThrow(
      /^sparseSoftmaxCrossEntropyFromLogits: grad and predictions must not share memory/,
    );
  });

  it('rejects bad params', () => {
    expect(() => k.categoricalCrossentropy({ ...cp, batch: 0 }, new Float32Array(0), new Float32Array(0))).toThrow(
      /^categoricalCrossentropy: batch must be in \[1,/,
    );
    expect(() => k.binaryCrossentropy(cp as unknown as OutputLossParams, six(), six())).toThrow(
      new TypeError('binaryCrossentropy: outputs must be an integer, got undefined'),
    );
    expect(() => k.sparseCategoricalCrossentropy({ batch: 2, classes: 2.5 }, six(), labels)).toThrow(
      /^sparseCategoricalCrossentropy: classes must be an integer, got 2.5/,
    );
    expect(() => k.meanSquaredError({ batch: 2 ** 30, outputs: 2 ** 30 }, six(), six())).toThrow(
      /^meanSquaredError: batch\*outputs is too large/,
    );
    expect(() => k.softmaxCrossEntropyFromLogits(undefined as unknown as ClassLossParams, six(), six())).toThrow(
      new TypeError('softmaxCrossEntropyFromLogits: params must be an object, got undefined'),
    );
  });
});

// Keeps the facade's names and the kernels' exports in step.
it('exports every loss kernel', () => {
  const names: (keyof LossKernels)[] = [...denseLosses.map((l) => l.name), ...sparseLosses.map((l) => l.name)];
  for (const name of names) expect(typeof k[name], name).toBe('function');
});
