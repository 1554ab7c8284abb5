// onnxruntime-node's side of the benchmark (inference only), run by bench/run.mjs in its own
// process. The model is kerasMnist with the fixture's weights (convkit's), written to ONNX by
// convkit's own exporter (ck.toOnnx, from the built dist/).
import { createRequire } from 'node:module';
import { measureLatency, measureThroughput, settings } from '../lib/measure.mjs';
import {
  checkAgreement,
  IMAGE_SHAPE,
  inferenceInputs,
  loadConvkit,
  notApplicable,
  peerVersion,
  readFixture,
  servePeerTask,
  THROUGHPUT_BATCH,
  TRAIN_BATCHES,
} from '../lib/peer.mjs';

const require = createRequire(import.meta.url);

await servePeerTask({
  async train() {
    const reason = 'cannot train: onnxruntime-node is an inference runtime';
    return { measures: Object.fromEntries(TRAIN_BATCHES.map((batch) => [`train.b${batch}`, notApplicable(reason)])) };
  },

  async infer({ threads, quick, fixture: fixturePath }) {
    const ort = require('onnxruntime-node');
    const ck = loadConvkit();
    const fixture = readFixture(fixturePath);
    const model = ck.models.kerasMnist();
    model.setWeights(fixture.weights.map((w) => ck.tensor(w.data, w.shape)));
    const sessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    const session = await ort.InferenceSession.create(ck.toOnnx(model), sessionOptions);
    const [inputName] = session.inputNames;
    const [outputName] = session.outputNames;
    const input = (data, n) => ({ [inputName]: new ort.Tensor('float32', data, [n, ...IMAGE_SHAPE]) });
    const checkOutputs = await session.run(input(fixture.check.data, fixture.check.shape[0]));
    const maxAbsDiff = checkAgreement(checkOutputs[outputName].data, fixture, 'onnxruntime-node');
    const { one, many } = inferenceInputs();
    const x1 = input(one, 1);
    const xMany = input(many, THROUGHPUT_BATCH);
    const { latency, throughput } = settings(quick);
    return {
      version: peerVersion('onnxruntime-node'),
      model: `kerasMnist exported by convkit ${ck.version} (ck.toOnnx)`,
      threads,
      sessionOptions,
      maxAbsDiff,
      api: { async: `await session.run({ ${inputName} })` },
      measures: {
        // run() returns a Promise (it computes on the main thread in a setImmediate callback).
        'infer.b1.sync': notApplicable('onnxruntime-node has no synchronous run()'),
        'infer.b1.async': await measureLatency(() => session.run(x1), latency),
        'infer.throughput': await measureThroughput(() => session.run(xMany), THROUGHPUT_BATCH, throughput),
      },
    };
  },
});
