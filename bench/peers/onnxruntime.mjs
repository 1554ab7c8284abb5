// onnxruntime-node's side of the benchmark (inference only), run by bench/run.mjs in its own
// process. The model is built from the fixture's weights (convkit's), see lib/onnx_model.mjs.
import { createRequire } from 'node:module';
import { measureLatency, measureThroughput, settings } from '../lib/measure.mjs';
import { kerasMnistToOnnx } from '../lib/onnx_model.mjs';
import {
  checkAgreement, IMAGE_SHAPE, inferenceInputs, notApplicable, peerVersion, readFixture, servePeerTask, THROUGHPUT_BATCH,
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
    const { onnx } = require('onnx-proto');
    const fixture = readFixture(fixturePath);
    const sessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
    const session = await ort.InferenceSession.create(kerasMnistToOnnx(onnx, fixture.weights), sessionOptions);
    const input = (data, n) => ({ x: new ort.Tensor('float32', data, [n, ...IMAGE_SHAPE]) });
    const checkOutputs = await session.run(input(fixture.check.data, fixture.check.shape[0]));
    const maxAbsDiff = checkAgreement(checkOutputs.y.data, fixture, 'onnxruntime-node');
    const { one, many } = inferenceInputs();
    const x1 = input(one, 1);
    const xMany = input(many, THROUGHPUT_BATCH);
    const { latency, throughput } = settings(quick);
    return {
      version: peerVersion('onnxruntime-node'),
      protobuf: `onnx-proto ${peerVersion('onnx-proto')}`,
      threads,
      sessionOptions,
      maxAbsDiff,
      api: { async: 'await session.run({ x })' },
      measures: {
        // run() returns a Promise (it computes on the main thread in a setImmediate callback).
        'infer.b1.sync': notApplicable('onnxruntime-node has no synchronous run()'),
        'infer.b1.async': await measureLatency(() => session.run(x1), latency),
        'infer.throughput': await measureThroughput(() => session.run(xMany), THROUGHPUT_BATCH, throughput),
      },
    };
  },
});
