// PyTorch's side of the benchmark, run by bench/run.mjs in its own process. The work is done by
// bench/peers/pytorch.py under a Python that can import torch: /usr/bin/python3 by default (Debian's
// python3-torch installs there), or $CONVKIT_BENCH_PYTHON. Its inputs are the Node peers' own
// (trainingBatch, the fixture, inferenceInputs), handed over as raw float32/int32 files, and it
// times with measure.mjs's method and settings, so its figures compare with theirs.
//   train                    one training step's throughput at each training batch size
//   infer --fixture FILE     checks the outputs against convkit's, then batch-1 latency and
//                            batch-256 throughput
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settings, SLOW_STEP_DEFAULTS } from '../lib/measure.mjs';
import {
  checkAgreement,
  exitReason,
  IMAGE_SHAPE,
  inferenceInputs,
  notApplicable,
  readFixture,
  servePeerTask,
  THROUGHPUT_BATCH,
  TRAIN_BATCHES,
  trainingBatch,
} from '../lib/peer.mjs';

const PYTHON = process.env.CONVKIT_BENCH_PYTHON || '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'pytorch.py');
const NO_TORCH_EXIT = 3; // pytorch.py's exit code when `import torch` fails
const NOT_INSTALLED = 'PyTorch not installed (apt-get install python3-torch)';
const DTYPES = new Map([
  [Float32Array, 'float32'],
  [Int32Array, 'int32'],
]);

/**
 * Runs `work(python)` with a scratch folder for pytorch.py's jobs: python.array(data, shape) writes
 * a typed array to a raw file and returns its description for a job, python.run(job) runs one job
 * and returns its result. The Python processes' CPU time goes into the result as childCpuSeconds.
 */
function withPython(work) {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-bench-pytorch-'));
  let files = 0;
  let childCpuSeconds = 0;
  const python = {
    array(data, shape) {
      const file = join(dir, `array-${files++}.bin`);
      writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return { file, shape, dtype: DTYPES.get(data.constructor) };
    },
    run(job) {
      const jobPath = join(dir, `${job.task}-job.json`);
      const resultPath = join(dir, `${job.task}-result.json`);
      writeFileSync(jobPath, JSON.stringify(job));
      const child = spawnSync(PYTHON, [SCRIPT, jobPath, resultPath], {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      });
      if (child.error?.code === 'ENOENT')
        throw new Error(`${NOT_INSTALLED}: no Python at ${PYTHON} (set CONVKIT_BENCH_PYTHON)`);
      if (child.error) throw child.error;
      if (child.status === NO_TORCH_EXIT) throw new Error(NOT_INSTALLED);
      if (child.status !== 0)
        throw new Error(`pytorch.py ${job.task} ${exitReason(child.status, child.signal, child.stderr)}`);
      const { cpuSeconds, ...result } = JSON.parse(readFileSync(resultPath, 'utf8'));
      childCpuSeconds += cpuSeconds;
      return result;
    },
  };
  try {
    return { ...work(python), childCpuSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await servePeerTask({
  async train({ threads, quick }) {
    return withPython((python) => {
      const batches = TRAIN_BATCHES.map((batch) => {
        const { images, labels } = trainingBatch(batch);
        return { batch, images: python.array(images, [batch, ...IMAGE_SHAPE]), labels: python.array(labels, [batch]) };
      });
      const {
        version,
        threads: used,
        measures,
      } = python.run({
        task: 'train',
        threads,
        throughput: { ...SLOW_STEP_DEFAULTS, ...settings(quick).train },
        batches,
      });
      return {
        version,
        threads: used,
        measures,
        method: 'zero_grad, CrossEntropyLoss on the logits, backward, step; RMSprop lr 1e-3, alpha 0.9, eps 1e-7',
      };
    });
  },

  async infer({ threads, quick, fixture: fixturePath }) {
    const fixture = readFixture(fixturePath);
    return withPython((python) => {
      const model = {
        threads,
        imageShape: IMAGE_SHAPE,
        weights: fixture.weights.map((w) => python.array(w.data, w.shape)),
      };
      const { outputs } = python.run({
        ...model,
        task: 'check',
        check: python.array(fixture.check.data, fixture.check.shape),
      });
      const maxAbsDiff = checkAgreement(Float32Array.from(outputs), fixture, 'pytorch');
      const { one, many } = inferenceInputs();
      const { latency, throughput } = settings(quick);
      const {
        version,
        threads: used,
        measures,
      } = python.run({
        ...model,
        task: 'infer',
        one: python.array(one, [1, ...IMAGE_SHAPE]),
        many: python.array(many, [THROUGHPUT_BATCH, ...IMAGE_SHAPE]),
        latency,
        throughput: { ...SLOW_STEP_DEFAULTS, ...throughput },
      });
      return {
        version,
        threads: used,
        maxAbsDiff,
        api: { sync: 'with torch.no_grad(): model(x)' },
        measures: {
          'infer.b1.sync': measures['infer.b1.sync'],
          'infer.b1.async': notApplicable('PyTorch has no asynchronous call: model(x) blocks its thread'),
          'infer.throughput': measures['infer.throughput'],
        },
      };
    });
  },
});
