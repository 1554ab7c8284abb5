// TensorFlow.js's side of the benchmark, run by bench/run.mjs in its own process with
// --backend cpu (pure JavaScript, one thread) or --backend wasm (@tensorflow/tfjs-backend-wasm).
// The model is the same Keras MNIST convnet; for inference it gets convkit's weights through
// setWeights (tfjs uses Keras's layouts and order, as convkit does).
import { createRequire } from 'node:module';
import { measureLatency, measureThroughput, settings } from '../lib/measure.mjs';
import {
  checkAgreement,
  IMAGE_SHAPE,
  inferenceInputs,
  notApplicable,
  peerVersion,
  readFixture,
  servePeerTask,
  THROUGHPUT_BATCH,
  TRAIN_BATCHES,
  trainingBatch,
} from '../lib/peer.mjs';

const require = createRequire(import.meta.url);

async function loadTf(backend, threads) {
  if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`--backend must be cpu or wasm, got ${backend}`);
  const tf = require('@tensorflow/tfjs');
  const wasm = backend === 'wasm' ? require('@tensorflow/tfjs-backend-wasm') : null;
  wasm?.setThreadsCount(threads);
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  const info = {
    version: peerVersion(backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs'),
    // tfjs-cpu is plain JavaScript on the main thread; tfjs-wasm turns threads off under Node
    // (WASM_HAS_MULTITHREAD_SUPPORT is false there), whatever setThreadsCount asked for.
    threads: wasm ? wasm.getThreadsCount() : 1,
  };
  return { tf, info };
}

function kerasMnist(tf) {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: IMAGE_SHAPE, filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

await servePeerTask({
  async train({ threads, quick, backend }) {
    const skip = (reason) => ({
      measures: Object.fromEntries(TRAIN_BATCHES.map((batch) => [`train.b${batch}`, notApplicable(reason)])),
    });
    if (quick && backend === 'cpu') return skip('skipped with --quick (a tfjs-cpu step takes tens of seconds)');
    const { tf, info } = await loadTf(backend, threads);
    const model = kerasMnist(tf);
    model.compile({ optimizer: tf.train.rmsprop(1e-3), loss: 'sparseCategoricalCrossentropy' });
    const measures = {};
    for (const batch of TRAIN_BATCHES) {
      const { images, labels } = trainingBatch(batch);
      const x = tf.tensor4d(images, [batch, ...IMAGE_SHAPE]);
      const y = tf.tensor1d(Float32Array.from(labels));
      try {
        measures[`train.b${batch}`] = await measureThroughput(
          () => model.trainOnBatch(x, y),
          batch,
          settings(quick).train,
        );
      } catch (error) {
        // tfjs-backend-wasm has no Conv2DBackpropFilter kernel: it cannot train a convnet.
        if (/not registered for backend/.test(error.message))
          return { ...info, ...skip(`cannot train: ${error.message}`) };
        throw error;
      }
      tf.dispose([x, y]);
    }
    return { ...info, method: 'model.trainOnBatch, RMSprop 1e-3, sparse categorical cross-entropy', measures };
  },

  async infer({ threads, quick, backend, fixture: fixturePath }) {
    const { tf, info } = await loadTf(backend, threads);
    const fixture = readFixture(fixturePath);
    const model = kerasMnist(tf);
    model.setWeights(fixture.weights.map((w) => tf.tensor(w.data, w.shape)));
    const predictSync = (x) => {
      const y = model.predict(x);
      const data = y.dataSync();
      y.dispose();
      return data;
    };
    const predictAsync = async (x) => {
      const y = model.predict(x);
      const data = await y.data();
      y.dispose();
      return data;
    };
    const check = tf.tensor(fixture.check.data, fixture.check.shape);
    const maxAbsDiff = checkAgreement(predictSync(check), fixture, `tfjs-${backend}`);
    const { one, many } = inferenceInputs();
    const x1 = tf.tensor4d(one, [1, ...IMAGE_SHAPE]);
    const xMany = tf.tensor4d(many, [THROUGHPUT_BATCH, ...IMAGE_SHAPE]);
    const { latency, throughput } = settings(quick);
    const measures = {
      'infer.b1.sync': await measureLatency(() => predictSync(x1), latency),
      'infer.b1.async': await measureLatency(() => predictAsync(x1), latency),
      'infer.throughput': await measureThroughput(() => predictAsync(xMany), THROUGHPUT_BATCH, throughput),
    };
    return {
      ...info,
      maxAbsDiff,
      api: { sync: 'model.predict(x).dataSync()', async: 'await model.predict(x).data()' },
      tensorsLeft: tf.memory().numTensors,
      measures,
    };
  },
});
