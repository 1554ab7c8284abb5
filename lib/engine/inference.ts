// A model's inference: predict (inline for small requests, otherwise batched on worker threads),
// predictSync on the calling thread, and activations (every chosen layer's output). Sequential's
// methods call these with its ModelCore (core.ts), which builds the network and gates the calls.
import { booleanOr, describe as describeValue, optionsObject, positiveInt } from '../errors';
import { shapeSize, Tensor } from '../tensor';
import type { Built, ModelCore } from './core';
import { BatchStager, checkInputs } from './data';

/**
 * predict() runs inference up to this many flops inline (20 MFLOP: about 0.2 ms on one AVX2 core,
 * e.g. 3 images of the Keras MNIST convnet), where a worker thread's round trip would cost more.
 */
const INLINE_PREDICT_FLOPS = 20e6;

/** Sequential.predict: see its documentation. */
export async function predict(
  core: ModelCore,
  x: Tensor,
  args?: { batchSize?: number; inline?: boolean },
): Promise<Tensor> {
  const built = core.requireBuilt();
  const n = checkInputs(x, built.inputShape);
  const options = optionsObject(args, 'predict');
  const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize');
  const inline =
    options.inline === undefined
      ? // Not while training: the inline call would find the step's lock taken and throw 'busy'.
        !core.fitting && n * built.network.forwardFlopsPerSample <= INLINE_PREDICT_FLOPS
      : booleanOr(options.inline, 'predict inline', false);
  if (inline) return predictSync(core, x);
  const outputSize = shapeSize(built.outputShape);
  const output = new Float32Array(n * outputSize);
  await inBatches(core, built, x, batchSize, async (staged, start, count) => {
    await built.network.predict(staged, output.subarray(start * outputSize, (start + count) * outputSize), {
      batch: count,
    });
  });
  return new Tensor(output, [n, ...built.outputShape]);
}

/** Sequential.activations. */
export async function activations(
  core: ModelCore,
  x: Tensor,
  args?: { layers?: string[]; batchSize?: number },
): Promise<Map<string, Tensor>> {
  const built = core.requireBuilt();
  const n = checkInputs(x, built.inputShape);
  const options = optionsObject(args, 'activations');
  const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize');
  const names = options.layers ?? core.layers.map((layer) => layer.name);
  if (!Array.isArray(names))
    throw new TypeError(`activations: layers must be an array of layer names, got ${describeValue(names)}`);
  if (names.length === 0) throw new RangeError('activations: layers must name at least one layer');
  const indices = [...new Set(names.map((name) => core.layers.indexOf(core.getLayer(name))))].sort((a, b) => a - b);
  const chosen = indices.map((i) => built.layers[i]);
  const sizes = chosen.map(({ outputShape }) => shapeSize(outputShape));
  const perSample = sizes.reduce((sum, size) => sum + size, 0);
  const outputs = sizes.map((size) => new Float32Array(n * size));
  // The native call writes the batch's layers one after another; each is then moved to its place.
  const staging = new Float32Array(Math.min(batchSize, n) * perSample);
  await inBatches(core, built, x, batchSize, async (staged, start, count) => {
    await built.network.activations(staged, staging.subarray(0, count * perSample), { batch: count, layers: indices });
    let offset = 0;
    sizes.forEach((size, j) => {
      outputs[j].set(staging.subarray(offset, offset + count * size), start * size);
      offset += count * size;
    });
  });
  return new Map(chosen.map(({ layer, outputShape }, j) => [layer.name, new Tensor(outputs[j], [n, ...outputShape])]));
}

/** Stages x (already checked) batch by batch and hands each to `run`, one at a time. */
async function inBatches(
  core: ModelCore,
  built: Built,
  x: Tensor,
  batchSize: number,
  run: (staged: Float32Array, start: number, count: number) => Promise<void>,
): Promise<void> {
  const n = x.shape[0];
  const stager = new BatchStager(shapeSize(built.inputShape), null, Math.max(1, Math.min(batchSize, n)));
  core.enter();
  try {
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      stager.gather(x.data, null, start, start + count);
      await run(stager.views(count).x, start, count);
    }
  } finally {
    core.leave();
  }
}

/** Sequential.predictSync. */
export function predictSync(core: ModelCore, x: Tensor): Tensor {
  const built = core.requireBuilt();
  const n = checkInputs(x, built.inputShape);
  const output = new Float32Array(n * shapeSize(built.outputShape));
  if (n > 0) built.network.predictSync(x.data, output, { batch: n });
  return new Tensor(output, [n, ...built.outputShape]);
}
