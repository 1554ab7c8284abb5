// The addon keeps no per-process state, so several worker_threads can load and use it at once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { addonCandidates } from '../../lib/native/addon';
import { createNetwork, type NativeLayerSpec } from '../../lib/native/network';
import { randomArray, rng } from '../helpers/random';

const addonPath = addonCandidates(join(__dirname, '..', '..')).find((path) => existsSync(path));

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.addonPath);
const n = 64;
const a = new Float32Array(n * n).map((_, i) => ((i * 7 + workerData.id) % 13) - 6);
const identity = new Float32Array(n * n);
for (let i = 0; i < n; i++) identity[i * n + i] = 1;
let ok = true;
for (let round = 0; round < 50; round++) {
  const c = new Float32Array(n * n);
  addon.kernels.gemm({ m: n, n, k: n }, a, identity, c);
  ok = ok && c.every((v, i) => v === a[i]);
}
parentPort.postMessage(ok);
`;

function runWorker(id: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { addonPath, id } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

describe('worker_threads', () => {
  it('loads the addon in four workers at once and computes correctly in each', async () => {
    expect(addonPath, 'a built addon').toBeDefined();
    const results = await Promise.all([0, 1, 2, 3].map(runWorker));
    expect(results).toEqual([true, true, true, true]);
  });

  it('loads it again in a worker started after others have exited', async () => {
    expect(await runWorker(9)).toBe(true);
  });
});

// Each worker builds its own native Network (per-instance state only), trains it and predicts.
const layers: NativeLayerSpec[] = [
  { kind: 'dense', inFeatures: 12, units: 16, useBias: true, activation: 'tanh', alpha: 0 },
  { kind: 'dropout', size: 16, rate: 0.25 },
  { kind: 'dense', inFeatures: 16, units: 3, useBias: true, activation: 'softmax', alpha: 0 },
];

const networkWorkerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { Network } = require(workerData.addonPath);
async function main() {
  const network = new Network(workerData.layers);
  network.setWeights(workerData.weights);
  network.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: { kind: 'adam' } });
  const losses = [];
  for (let step = 0; step < 20; step++) {
    losses.push((await network.trainStep(workerData.x.slice(), workerData.y.slice(), { batch: 8, learningRate: 0.01, seed: step })).loss);
  }
  const output = new Float32Array(8 * 3);
  network.predictSync(workerData.x, output, { batch: 8 });
  return { losses, weights: network.getWeights(), output };
}
main().then((result) => parentPort.postMessage(result), (error) => parentPort.postMessage({ error: error.stack }));
`;

interface Trained {
  losses: number[];
  weights: Float32Array[];
  output: Float32Array;
  error?: string;
}

/** The worker's computation, on this thread. */
async function trainHere(weights: Float32Array[], x: Float32Array, y: Int32Array): Promise<Trained> {
  const network = createNetwork(layers);
  network.setWeights(weights);
  network.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: { kind: 'adam' } });
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    losses.push((await network.trainStep(x.slice(), y.slice(), { batch: 8, learningRate: 0.01, seed: step })).loss);
  }
  const output = new Float32Array(8 * 3);
  network.predictSync(x, output, { batch: 8 });
  return { losses, weights: network.getWeights(), output };
}

describe('worker_threads training native networks', () => {
  it('four workers each train and predict with their own Network at once, exactly as this thread does', async () => {
    const inputs = [0, 1, 2, 3].map((id) => {
      const random = rng(100 + id);
      const weights = [
        randomArray(random, 12 * 16, -0.5, 0.5),
        randomArray(random, 16),
        randomArray(random, 16 * 3, -0.5, 0.5),
        randomArray(random, 3),
      ];
      return { weights, x: randomArray(random, 8 * 12), y: Int32Array.from({ length: 8 }, (_, i) => (i + id) % 3) };
    });
    const results = await Promise.all(
      inputs.map(
        (input) =>
          new Promise<Trained>((resolve, reject) => {
            const worker = new Worker(networkWorkerSource, { eval: true, workerData: { addonPath, layers, ...input } });
            worker.once('message', (result: Trained) =>
              result.error ? reject(new Error(result.error)) : resolve(result),
            );
            worker.once('error', reject);
          }),
      ),
    );
    for (const [id, input] of inputs.entries()) {
      const here = await trainHere(input.weights, input.x, input.y);
      expect(results[id].losses, `worker ${id}`).toEqual(here.losses);
      expect(results[id].weights, `worker ${id}`).toEqual(here.weights);
      expect(results[id].output, `worker ${id}`).toEqual(here.output);
      expect(here.losses[19]).toBeLessThan(here.losses[0]);
    }
  });
});
