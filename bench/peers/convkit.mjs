// convkit's side of the benchmark, run by bench/run.mjs in its own process:
//   fixture --fixture FILE   writes the shared weights, check images and convkit's outputs
//   train                    trainOnBatch throughput at each training batch size
//   infer --fixture FILE     batch-1 latency (predictSync and predict) and batch-256 throughput
//   predictor --seconds S --connections LIST   (for bench/serve.mjs) images/s of closed-loop
//                            callers of ck.createPredictor, with its defaults and with maxBatchSize 1
// Loads the built library (dist/cjs/index.js), so it measures what `npm run build` produced.
import { measureLatency, measureThroughput, seededUniform, settings } from '../lib/measure.mjs';
import {
  checkAgreement,
  IMAGE_SHAPE,
  inferenceInputs,
  loadConvkit,
  readFixture,
  servePeerTask,
  THROUGHPUT_BATCH,
  TRAIN_BATCHES,
  trainingBatch,
  writeFixture,
} from '../lib/peer.mjs';

const FIXTURE_SEED = 20261123;
const CHECK_IMAGES = 32;

function load(threads) {
  const ck = loadConvkit();
  ck.setNumThreads(threads);
  return ck;
}

function describe(ck) {
  const { isa, availableIsas, threads } = ck.backendInfo();
  return { version: ck.version, isa, availableIsas, threads };
}

await servePeerTask({
  async fixture({ threads, fixture }) {
    const ck = load(threads);
    const model = ck.models.kerasMnist({ seed: FIXTURE_SEED });
    // The initializers leave the biases at zero; random ones make the agreement check see a bias
    // that a peer drops or misplaces.
    const weights = model.getWeights().map((w, i) =>
      w.shape.length === 1
        ? ck.tensor(
            seededUniform(w.size, FIXTURE_SEED + i).map((v) => 0.2 * v - 0.1),
            w.shape,
          )
        : w,
    );
    model.setWeights(weights);
    const check = { shape: [CHECK_IMAGES, ...IMAGE_SHAPE], data: seededUniform(CHECK_IMAGES * 28 * 28, 99) };
    const expected = model.predictSync(ck.tensor(check.data, check.shape));
    writeFixture(fixture, {
      seed: FIXTURE_SEED,
      weights: weights.map((w) => ({ shape: w.shape, data: w.data })),
      check,
      expected: { shape: expected.shape, data: expected.data },
    });
    return { ...describe(ck), parameters: model.countParams() };
  },

  async train({ threads, quick }) {
    const ck = load(threads);
    const model = ck.models.kerasMnist({ seed: 1 });
    model.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy' });
    const measures = {};
    const memory = {};
    for (const batch of TRAIN_BATCHES) {
      const { images, labels } = trainingBatch(batch);
      const x = ck.tensor(images, [batch, ...IMAGE_SHAPE]);
      measures[`train.b${batch}`] = await measureThroughput(
        () => model.trainOnBatch(x, labels),
        batch,
        settings(quick).train,
      );
      // After the warm-up and timed runs, steady-state steps should touch no fresh memory: page
      // faults per step near zero mean no buffer is allocated (and freed back) per step.
      const before = process.resourceUsage().minorPageFault;
      const steps = 20;
      for (let step = 0; step < steps; step++) await model.trainOnBatch(x, labels);
      memory[`b${batch}`] = {
        minorPageFaultsPerStep: (process.resourceUsage().minorPageFault - before) / steps,
        peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      };
    }
    return {
      ...describe(ck),
      method: 'model.trainOnBatch, RMSprop 1e-3, sparse categorical cross-entropy',
      measures,
      memory,
    };
  },

  // The predictor without HTTP: each of `connections` callers awaits predict(image) in a loop.
  async predictor({ threads, seconds, connections }) {
    const ck = load(threads);
    const model = ck.models.kerasMnist({ seed: 1 });
    const image = seededUniform(28 * 28, 7);
    const closedLoop = async (predictor, callers, ms) => {
      let answered = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (performance.now() - start < ms) {
            await predictor.predict(image);
            answered += 1;
          }
        }),
      );
      return answered / ((performance.now() - start) / 1000);
    };
    const points = [];
    for (const callers of connections.split(',').map(Number)) {
      for (const [mode, options] of [
        ['batched', {}],
        ['single', { maxBatchSize: 1 }],
      ]) {
        const predictor = ck.createPredictor(model, options);
        await closedLoop(predictor, callers, 500); // warm-up
        const before = predictor.stats();
        const imagesPerSecond = await closedLoop(predictor, callers, 1000 * Number(seconds));
        const after = predictor.stats();
        await predictor.close();
        points.push({
          mode,
          connections: callers,
          imagesPerSecond,
          meanBatchSize: (after.requests - before.requests) / (after.batches - before.batches),
        });
      }
    }
    return { ...describe(ck), points };
  },

  async infer({ threads, quick, fixture: fixturePath }) {
    const ck = load(threads);
    const fixture = readFixture(fixturePath);
    const model = ck.models.kerasMnist();
    model.setWeights(fixture.weights.map((w) => ck.tensor(w.data, w.shape)));
    const maxAbsDiff = checkAgreement(
      model.predictSync(ck.tensor(fixture.check.data, fixture.check.shape)).data,
      fixture,
      'convkit',
    );
    const { one, many } = inferenceInputs();
    const x1 = ck.tensor(one, [1, ...IMAGE_SHAPE]);
    const xMany = ck.tensor(many, [THROUGHPUT_BATCH, ...IMAGE_SHAPE]);
    const { latency, throughput } = settings(quick);
    return {
      ...describe(ck),
      maxAbsDiff,
      api: {
        sync: 'model.predictSync(x)',
        async: 'await model.predict(x)',
        throughput: `await model.predict(x, { batchSize: ${THROUGHPUT_BATCH} })`,
      },
      measures: {
        'infer.b1.sync': await measureLatency(() => model.predictSync(x1), latency),
        'infer.b1.async': await measureLatency(() => model.predict(x1), latency),
        'infer.throughput': await measureThroughput(
          () => model.predict(xMany, { batchSize: THROUGHPUT_BATCH }),
          THROUGHPUT_BATCH,
          throughput,
        ),
      },
    };
  },
});
