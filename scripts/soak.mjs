// npm run soak [-- --predictions N --epochs N --model NAME]: a leak check for long-running
// services. After a warm-up it makes 1,000,000 single-image predictions (predictSync and the
// Promise API, alternating in blocks, with some outputs disposed and some left to the garbage
// collector, and models created and dropped along the way), then trains 20 epochs of a small
// data set, sampling the resident set size (after a full garbage collection) throughout. It fails
// (exit 1) if RSS at the end is 5% or more above RSS after the warm-up. Needs a build
// (npm run build).
//
// V8's young generation starts small and grows under sustained allocation up to its default
// maximum (two 16 MB semi-spaces on 64-bit), which alone moves RSS by more than 5% of this
// process; the script runs itself with it at that maximum from the start, so that bounded growth
// is not mistaken for a leak.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const youngGeneration = ['--min-semi-space-size=16', '--max-semi-space-size=16'];
if (!youngGeneration.every((flag) => process.execArgv.includes(flag))) {
  const { status } = spawnSync(
    process.execPath,
    [...process.execArgv, ...youngGeneration, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(status ?? 1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'esm', 'index.mjs');
if (!existsSync(entry)) {
  console.error('soak: dist/ is missing; run npm run build first');
  process.exit(1);
}
const ck = await import(entry);

const { values: options } = parseArgs({
  options: {
    predictions: { type: 'string', default: '1000000' },
    epochs: { type: 'string', default: '20' },
    model: { type: 'string', default: 'kerasMnist' },
  },
});
const predictions = Number(options.predictions);
const epochs = Number(options.epochs);
if (!Number.isSafeInteger(predictions) || predictions < 1)
  throw new RangeError(`--predictions must be a positive integer, got ${options.predictions}`);
if (!Number.isSafeInteger(epochs) || epochs < 1)
  throw new RangeError(`--epochs must be a positive integer, got ${options.epochs}`);
if (!Object.hasOwn(ck.models, options.model) || options.model.endsWith('Recipe'))
  throw new RangeError(`--model must name one of ck.models, got ${options.model}`);

const maxGrowth = 0.05;
const block = 1000; // predictions per block, all through one API
const inFlight = 16; // concurrent predict() calls in a Promise block
const sampleEvery = 100_000;
const churnEvery = 50_000; // a new model is created (and dropped) this often

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/** RSS after everything unreachable is collected (twice: Node-API finalizers run in between). */
async function settledMemory() {
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const describeMemory = (m) =>
  `rss ${mb(m.rss)}, heap ${mb(m.heapUsed)}, external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)})`;

// Seeded synthetic images, so the run needs no data files.
let state = 12345;
const random = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32;
};
const model = ck.models[options.model]({ seed: 1 });
const [height, width, channels] = model.inputShape;
const imageSize = height * width * channels;
const pool = Array.from({ length: 64 }, () => Float32Array.from({ length: imageSize }, random));
const classes = model.outputShape[0];

/** A fresh single-image tensor (a copy, as a request body would be). */
const image = (i) => ck.tensor(pool[i % pool.length].slice(), [1, height, width, channels]);

let checksum = 0;
let made = 0;
/** `count` single-image predictions, block by block, alternating predictSync and predict. */
async function predictMany(count, report = true) {
  for (let done = 0; done < count; done += block) {
    const size = Math.min(block, count - done);
    if ((made / block) % 2 === 0) {
      for (let i = 0; i < size; i++) {
        const output = model.predictSync(image(made + i));
        checksum += output.data[0];
        if (i % 2 === 0) output.dispose();
      }
    } else {
      for (let i = 0; i < size; i += inFlight) {
        const outputs = await Promise.all(
          Array.from({ length: Math.min(inFlight, size - i) }, (_, j) => model.predict(image(made + i + j))),
        );
        for (const [j, output] of outputs.entries()) {
          checksum += output.data[0];
          if (j % 2 === 0) output.dispose();
        }
      }
    }
    made += size;
    if (made % churnEvery === 0) churnModel();
    if (report && made % sampleEvery === 0) {
      const memory = await settledMemory();
      console.log(`${made.toLocaleString('en-US')} predictions, ${elapsed()}: ${describeMemory(memory)}`);
    }
  }
}

/** A model made, used and dropped: every other one disposed, the rest left to the collector. */
function churnModel() {
  const copy = ck.models[options.model]({ seed: 2 });
  copy.setWeights(model.getWeights());
  checksum += copy.predictSync(image(0)).data[0];
  if ((made / churnEvery) % 2 === 0) copy.dispose();
}

const trainX = ck.tensor(Float32Array.from({ length: 2048 * imageSize }, random), [2048, height, width, channels]);
const trainY = Int32Array.from({ length: 2048 }, (_, i) => i % classes);
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const epochMemory = [];
const train = (count) =>
  model.fit(trainX, trainY, {
    epochs: count,
    batchSize: 64,
    validationSplit: 0.125,
    verbose: 0,
    seed: 3,
    callbacks: { onEpochEnd: async () => epochMemory.push(await settledMemory()) },
  });

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

console.log(
  `soak: ${options.model}, ${predictions.toLocaleString('en-US')} predictions then ${epochs} epochs; ${ck.backendInfo().isa}, ${ck.backendInfo().threads} threads`,
);
// Warm-up: every path at full size, so the buffers meant to stay are there: each libuv worker
// thread's kernel scratch (grown by a training step on that thread: copies of the model train
// side by side), the network's idle inference workspaces (up to 4, grown by batches of 64 at
// once), and a tenth of the run's predictions and training, for glibc's arenas and V8's
// collection rhythm to settle (both keep freed memory for reuse: RSS steps up and plateaus).
const threadpool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const copies = Array.from({ length: threadpool }, () => ck.models[options.model]({ seed: 4 }));
await Promise.all(
  copies.map((copy) => {
    copy.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    return copy.fit(trainX, trainY, { epochs: 1, batchSize: 64, verbose: 0 });
  }),
);
copies.forEach((copy) => copy.dispose());
await train(1);
await Promise.all(Array.from({ length: 4 }, () => model.predict(trainX.slice(0, 64), { batchSize: 64 })));
await predictMany(Math.max(predictions / 10, churnEvery), false);
await train(Math.max(epochs / 10, 1));
const baseline = await settledMemory();
console.log(`after warm-up (${elapsed()}): ${describeMemory(baseline)}`);

made = 0;
const predictStart = performance.now();
await predictMany(predictions);
const predictSeconds = (performance.now() - predictStart) / 1000;
const afterPredictions = await settledMemory();
console.log(
  `${predictions.toLocaleString('en-US')} predictions in ${predictSeconds.toFixed(0)} s (${(predictions / predictSeconds).toFixed(0)}/s): ${describeMemory(afterPredictions)}`,
);

const history = await train(epochs);
const end = await settledMemory();
const losses = history.history.loss;
console.log(
  `${epochs} epochs (loss ${losses[0].toFixed(4)} -> ${losses[losses.length - 1].toFixed(4)}): ${describeMemory(end)}`,
);
console.log(
  `  RSS after each epoch: ${epochMemory
    .slice(-epochs)
    .map((m) => (m.rss / 2 ** 20).toFixed(1))
    .join(', ')} MB`,
);

const growth = (end.rss - baseline.rss) / baseline.rss;
const verdict = growth < maxGrowth ? 'passed' : 'FAILED';
console.log(
  `soak ${verdict} in ${elapsed()}: RSS ${mb(baseline.rss)} after warm-up -> ${mb(end.rss)} at the end ` +
    `(${(growth * 100).toFixed(2)}%, limit ${maxGrowth * 100}%); checksum ${checksum.toFixed(3)}`,
);
process.exit(growth < maxGrowth && Number.isFinite(checksum) ? 0 : 1);
