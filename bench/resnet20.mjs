// ResNet-20 (ck.models.resnet, He et al. 2016's CIFAR network) trained on the bundled
// Fashion-MNIST: node bench/resnet20.mjs [--epochs N] [--batch-size N] [--threads N]
// Adam with cosine decay (bnConvnetRecipe's schedule); prints each epoch's wall time, training
// throughput and test accuracy, and the GFLOP/s of the training step (3x the forward's GEMM work).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const ck = require('../dist/cjs/index.js');
const { planLayers } = require('../dist/cjs/engine/core.js');
const { createNetwork } = require('../dist/cjs/native/network.js');

/** The native network's own count of a model's forward GEMM work per image. */
function forwardFlops(model) {
  const { layers } = planLayers(
    model.layers,
    model.inputShape,
    model.connections.graph ? model.connections.inbound : null,
  );
  const network = createNetwork(
    layers.map(({ layer, inputs, inputShapes }) => ({ ...layer.nativeSpecFor(inputShapes), inputs })),
  );
  const flops = network.forwardFlopsPerSample;
  network.dispose();
  return flops;
}
const { values } = parseArgs({
  options: { epochs: { type: 'string' }, 'batch-size': { type: 'string' }, threads: { type: 'string' } },
});
const epochs = Number(values.epochs ?? 10);
const batchSize = Number(values['batch-size'] ?? 128);
if (values.threads) ck.setNumThreads(Number(values.threads));

const { train, test } = await ck.datasets.fashionMnist();
const model = ck.models.resnet({ depth: 20, inputShape: [28, 28, 1], classes: 10, seed: 1 });
const recipe = ck.models.bnConvnetRecipe(train.x.shape[0], { epochs, batchSize });
model.compile({ optimizer: recipe.optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const info = ck.backendInfo();
console.log(
  `ResNet-20 on Fashion-MNIST: ${model.countParams()} parameters, ${info.isa}, ${info.threads} threads, batch ${batchSize}`,
);
const flopsPerImage = 3 * forwardFlops(model);
let started = performance.now();
const seconds = [];
await model.fit(train.x, train.y, {
  epochs,
  batchSize,
  verbose: 0,
  callbacks: [
    {
      async onEpochEnd(epoch, logs) {
        const elapsed = (performance.now() - started) / 1000;
        seconds.push(elapsed);
        const { accuracy } = await model.evaluate(test.x, test.y, { batchSize: 256 });
        const rate = train.x.shape[0] / elapsed;
        const gflops = ` ${((rate * flopsPerImage) / 1e9).toFixed(1)} GFLOP/s`;
        console.log(
          `epoch ${epoch + 1}: ${elapsed.toFixed(1)} s, ${rate.toFixed(0)} img/s${gflops}, loss ${logs.loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)} %`,
        );
        started = performance.now();
      },
    },
  ],
});
const sorted = [...seconds].sort((a, b) => a - b);
console.log(
  `median epoch ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} s; total training ${seconds.reduce((a, b) => a + b, 0).toFixed(0)} s`,
);
