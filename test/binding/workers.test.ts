// The addon keeps no per-process state, so several worker_threads can load and use it at once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { addonCandidates } from '../../lib/native/addon';

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
  addon.gemm({ m: n, n, k: n }, a, identity, c);
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
