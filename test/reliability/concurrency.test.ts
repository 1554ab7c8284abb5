// Concurrency: many models predicting at once from many async contexts (while another trains)
// give exactly the results of the same calls made one at a time; and worker_threads, each
// loading convkit (the built package) and its addon, train and predict exactly as the main thread.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { blobImages, smallConvnet } from '../helpers/data';
import { rng } from '../helpers/random';

interface Task {
  model: number;
  start: number;
  end: number;
  /** 'sync' runs predictSync; a number is predict's batchSize. */
  api: 'sync' | number;
}

/** The rows [start, end) predicted in the chunks predict(…, { batchSize }) makes, one call each. */
function sequentialReference(model: ck.Sequential, x: ck.Tensor, task: Task): Float32Array {
  const step = task.api === 'sync' ? task.end - task.start : task.api;
  const parts: Float32Array[] = [];
  for (let start = task.start; start < task.end; start += step)
    parts.push(model.predictSync(x.slice(start, Math.min(start + step, task.end))).data);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, part) => {
    out.set(part, offset);
    return offset + part.length;
  }, 0);
  return out;
}

describe('concurrent predictions', () => {
  it('10 models, 300 calls from as many async contexts, while an 11th model trains: each result equals the sequential one', async () => {
    const models = Array.from({ length: 10 }, (_, i) => smallConvnet(i + 1, 5));
    const { x, y } = blobImages(48, 5, 9);
    const random = rng(17);
    const tasks: Task[] = Array.from({ length: 300 }, (_, i) => {
      const size = [1, 1, 1, 2, 3, 8, 17][Math.floor(random() * 7)];
      const start = Math.floor(random() * (48 - size + 1));
      const api = random() < 0.3 ? 'sync' : [1, 4, 32][Math.floor(random() * 3)];
      return { model: i % 10, start, end: start + size, api };
    });
    const expected = tasks.map((task) => sequentialReference(models[task.model], x, task));

    const trainee = smallConvnet(99, 5);
    trainee.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const training = trainee.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, seed: 1 });
    const results = await Promise.all(
      tasks.map(async (task) => {
        // Interleave the calls' starts with each other and with the training steps.
        for (let i = Math.floor(random() * 3); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
        const rows = x.slice(task.start, task.end);
        const [output, whileTraining] = await Promise.all([
          task.api === 'sync'
            ? models[task.model].predictSync(rows)
            : models[task.model].predict(rows, { batchSize: task.api }),
          trainee.predict(rows),
        ]);
        expect(whileTraining.data.every(Number.isFinite)).toBe(true);
        return output.data;
      }),
    );
    results.forEach((result, i) => expect(result, `task ${i}: ${JSON.stringify(tasks[i])}`).toEqual(expected[i]));
    const history = await training;
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
  });
});

// The workers run the built package (dist/), as a user's worker would; npm test builds it first.
const entry = join(__dirname, '..', '..', 'dist', 'cjs', 'index.js');

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const ck = require(workerData.entry);
async function main() {
  const model = ck.sequential({
    seed: workerData.seed,
    layers: [
      ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      ck.layers.maxPooling2d({ poolSize: 2 }),
      ck.layers.flatten(),
      ck.layers.dense({ units: 5, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
  const x = ck.tensor(workerData.x, [workerData.x.length / 64, 8, 8, 1]);
  const history = await model.fit(x, workerData.y, { epochs: 2, batchSize: 8, verbose: 0, seed: 5 });
  const predicted = await model.predict(x, { batchSize: 4 });
  return { loss: history.history.loss, weights: model.getWeights().map((w) => w.data), predicted: predicted.data, sync: model.predictSync(x).data };
}
main().then((result) => parentPort.postMessage(result), (error) => parentPort.postMessage({ error: error.stack }));
`;

type WorkerResult = {
  loss: number[];
  weights: Float32Array[];
  predicted: Float32Array;
  sync: Float32Array;
  error?: string;
};

function runWorker(seed: number, x: Float32Array, y: Int32Array): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { entry, seed, x, y } });
    worker.once('message', (result: WorkerResult) =>
      result.error ? reject(new Error(result.error)) : resolve(result),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

describe('worker_threads running convkit', () => {
  it('four workers train and predict at once, each exactly as the main thread does with the same seeds', async () => {
    expect(existsSync(entry), `${entry} is missing: run npm run build:ts`).toBe(true);
    const { x, y } = blobImages(32, 5, 21);
    const seeds = [3, 4, 5, 6];
    const results = await Promise.all(seeds.map((seed) => runWorker(seed, x.data, y)));
    for (const [i, seed] of seeds.entries()) {
      const model = smallConvnet(seed, 5);
      model.compile({
        optimizer: ck.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }),
        loss: 'sparseCategoricalCrossentropy',
      });
      const history = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, seed: 5 });
      expect(results[i].loss, `worker ${i} loss`).toEqual(history.history.loss);
      expect(results[i].weights, `worker ${i} weights`).toEqual(model.getWeights().map((w) => w.data));
      expect(results[i].predicted, `worker ${i} predict`).toEqual((await model.predict(x, { batchSize: 4 })).data);
      expect(results[i].sync, `worker ${i} predictSync`).toEqual(model.predictSync(x).data);
    }
    // Different seeds, different models: the comparison is not between copies of one result.
    expect(results[0].weights[0]).not.toEqual(results[1].weights[0]);
  });
});
