// Step-by-step evidence that convkit trains kerasMnist as Keras would. This script records what
// convkit does; keras_reference.py (PyTorch, written to Keras's semantics) replays the same steps
// from the same initial weights on the same batches and compares.
//
// It writes to --out (default /tmp/convkit-reference):
//   meta.json        seed, steps, batch size, weight names/shapes, per-step RMSprop losses, timings,
//                    the two checks below
//   order.bin        int32 training-sample indices, steps * batchSize of them (batch k = slice k)
//   init.bin         kerasMnist({ seed }) initial weights, float32, getWeights() order and layouts
//   probs0.bin       predict() of batch 0 at the initial weights (softmax outputs), float32
//   grad0.bin        gradient of the mean loss of batch 0 at the initial weights (recovered from one
//                    SGD step with learning rate 1e4: (w - w') / 1e4), float32
//   after-K.bin      weights after K RMSprop (Keras defaults, lr 1e-3) steps with trainOnBatch,
//                    batch k = order slice k, for K in 1, 2, 5, 10, 20, 50, 100, 200, ... and `steps`
//                    (how fast the two sides drift apart tells a bug from float32 noise)
// Two more checks: fit() over the same samples in the same order (shuffle: false) must end with
// exactly the after-<steps> weights (meta.fitVersusTrainOnBatchMaxAbsDiff, checking fit's batching
// against trainOnBatch), and meta.testLoss / testAccuracy are evaluate()'s on the 10k test images
// with those weights (batch 256, as the CLI), which the reference recomputes independently.
//
// Run (one kernel thread, low priority; about 20 s for 300 steps, then about 4 minutes for the
// reference, mostly its float64 run):
//   npm run build:ts
//   CONVKIT_NUM_THREADS=1 nice -n 19 node scripts/reference/convkit-steps.mjs --seed 1 --steps 300
//   nice -n 19 /usr/bin/python3 scripts/reference/keras_reference.py compare --dir /tmp/convkit-reference
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ck from '../../dist/esm/index.mjs';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    steps: { type: 'string', default: '300' },
    'batch-size': { type: 'string', default: '64' },
    out: { type: 'string', default: '/tmp/convkit-reference' },
  },
});
function integerFlag(name, min) {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`--${name} must be an integer >= ${min}, got '${values[name]}'`);
  return value;
}
const seed = integerFlag('seed', 0);
const steps = integerFlag('steps', 1);
const batchSize = integerFlag('batch-size', 1);
const out = values.out;
// Recovering a gradient from one SGD step: a large rate keeps w's rounding small next to lr * g.
const gradientProbeRate = 1e4;

const { train, test } = await ck.datasets.fashionMnist();
const inputSize = 28 * 28;
if (steps * batchSize > train.x.shape[0])
  throw new RangeError(`--steps * --batch-size must be at most ${train.x.shape[0]}`);

// A fixed permutation of the training set (its own small LCG, so Python only needs the file).
const order = Int32Array.from({ length: train.x.shape[0] }, (_, i) => i);
let state = (seed * 2654435761) >>> 0;
const nextUniform = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32;
};
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(nextUniform() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const used = order.subarray(0, steps * batchSize);

function gatherBatch(start, count) {
  const x = new Float32Array(count * inputSize);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const sample = used[start + i];
    x.set(train.x.data.subarray(sample * inputSize, (sample + 1) * inputSize), i * inputSize);
    y[i] = train.y[sample];
  }
  return { x: ck.tensor(x, [count, 28, 28, 1]), y };
}

function concatWeights(model) {
  const weights = model.getWeights();
  const total = weights.reduce((sum, w) => sum + w.size, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const w of weights) {
    flat.set(w.data, offset);
    offset += w.size;
  }
  return flat;
}

const freshModel = (optimizer) => {
  const model = ck.models.kerasMnist({ seed });
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
};

const save = (name, array) =>
  writeFile(join(out, name), new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
await mkdir(out, { recursive: true });
const batch0 = gatherBatch(0, batchSize);

// Forward pass and gradient at the initial weights.
const probe = freshModel(ck.optimizers.sgd({ learningRate: gradientProbeRate }));
const init = concatWeights(probe);
const probs0 = (await probe.predict(batch0.x, { batchSize })).data;
await probe.trainOnBatch(batch0.x, batch0.y);
const probed = concatWeights(probe);
const grad0 = init.map((w, i) => (w - probed[i]) / gradientProbeRate);

// RMSprop steps, one trainOnBatch per batch.
const model = freshModel('rmsprop');
const checkpoints = [...new Set([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, steps].filter((k) => k <= steps))];
const losses = [];
let trainOnBatchSeconds = 0;
for (let k = 1; k <= steps; k++) {
  const { x, y } = gatherBatch((k - 1) * batchSize, batchSize);
  const started = performance.now();
  losses.push(await model.trainOnBatch(x, y));
  trainOnBatchSeconds += (performance.now() - started) / 1000;
  if (checkpoints.includes(k)) await save(`after-${k}.bin`, concatWeights(model));
}
const final = concatWeights(model);

// The same steps through fit(): the samples in this order, no shuffling, one epoch.
const fitModel = freshModel('rmsprop');
const all = gatherBatch(0, used.length);
await fitModel.fit(all.x, all.y, { epochs: 1, batchSize, shuffle: false, verbose: 0, seed });
const fitWeights = concatWeights(fitModel);
const fitMaxDiff = final.reduce((max, w, i) => Math.max(max, Math.abs(w - fitWeights[i])), 0);
// Evaluation as the CLI does it (full test set, batch 256, so the last batch is partial).
const testResult = await model.evaluate(test.x, test.y, { batchSize: 256 });

await Promise.all([
  save('order.bin', used),
  save('init.bin', init),
  save('probs0.bin', probs0),
  save('grad0.bin', grad0),
]);
const meta = {
  seed,
  steps,
  batchSize,
  threads: ck.backendInfo().threads,
  isa: ck.backendInfo().isa,
  weights: model.weightSpecs().map(({ layer, name, shape }) => ({ name: `${layer}/${name}`, shape })),
  checkpoints,
  losses,
  trainOnBatchSeconds,
  fitVersusTrainOnBatchMaxAbsDiff: fitMaxDiff,
  testLoss: testResult.loss,
  testAccuracy: testResult.accuracy,
};
await writeFile(join(out, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
console.log(
  `convkit: ${steps} RMSprop steps in ${trainOnBatchSeconds.toFixed(1)} s; loss step 1 ${losses[0].toFixed(6)}, ` +
    `step ${steps} ${losses[steps - 1].toFixed(6)}; fit vs trainOnBatch max |diff| ${fitMaxDiff}; wrote ${out}`,
);
