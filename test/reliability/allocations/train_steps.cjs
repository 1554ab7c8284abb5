// Child of allocations.test.ts: `node train_steps.cjs steps threads` runs that many kerasMnist
// training steps at batch 16 on that many threads, through the built package (dist/cjs).
'use strict';
const ck = require('../../../dist/cjs/index.js');

const steps = Number(process.argv[2]);
ck.setNumThreads(Number(process.argv[3]));
const model = ck.models.kerasMnist({ seed: 1 });
model.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy' });
const batch = 16;
const x = ck.tensor(
  new Float32Array(batch * 784).map((_, i) => ((i * 7919) % 255) / 255),
  [batch, 28, 28, 1],
);
const y = new Int32Array(batch).map((_, i) => i % 10);
(async () => {
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
})();
