// Memory: tensors are plain typed arrays (V8 sees them), native networks report their buffers to
// V8, and dispose() on a tensor or a model releases memory without waiting for the garbage
// collector; using either afterwards is a clear error.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { createNetwork, type NativeLayerSpec } from '../../lib/native/network';
import { blobImages } from '../helpers/data';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** ArrayBuffer bytes alive after a full collection (V8 frees backing stores on a background thread: it is waited for). */
async function liveArrayBuffers(): Promise<number> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return process.memoryUsage().arrayBuffers;
}

/** Collects until `bytes` fewer ArrayBuffer bytes are alive than `before` (or 2 s pass); returns how many fewer. */
async function freedSince(before: number, bytes: number): Promise<number> {
  let freed = 0;
  for (const started = Date.now(); freed < bytes && Date.now() - started < 2000; )
    freed = before - (await liveArrayBuffers());
  return freed;
}

const megabytes64 = 16 * 2 ** 20; // float32 elements

describe('Tensor.dispose', () => {
  it('returns the memory of a tensor that spans its buffer even while the tensor is still referenced', async () => {
    const kept = ck.tensor(new Float32Array(megabytes64), [megabytes64]);
    const disposed = ck.tensor(new Float32Array(megabytes64), [megabytes64]);
    const before = await liveArrayBuffers();
    disposed.dispose();
    expect(await freedSince(before, megabytes64 * 4)).toBeGreaterThanOrEqual(megabytes64 * 4);
    // The control: a referenced tensor that was not disposed keeps its memory.
    expect(await liveArrayBuffers()).toBeGreaterThanOrEqual(megabytes64 * 4);
    expect(kept.data.length).toBe(megabytes64);
    expect(disposed.isDisposed).toBe(true);
    expect(kept.isDisposed).toBe(false);
  });

  it('makes later use a TypeError, and a second dispose a no-op', () => {
    const t = ck.tensor([1, 2, 3, 4], [2, 2]);
    t.dispose();
    t.dispose();
    expect(() => t.data).toThrow(new TypeError('the tensor was disposed (shape [2, 2]); its data is gone'));
    expect(() => t.toArray()).toThrow(TypeError);
    expect(() => t.slice(0, 1)).toThrow(TypeError);
    expect(t.shape).toEqual([2, 2]);
  });

  it('detaches what shares its buffer (reshape), but not the buffer of a tensor it is a slice of', () => {
    const whole = ck.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    const slice = whole.slice(1, 3);
    slice.dispose();
    expect(whole.data).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(() => slice.data).toThrow(/the tensor was disposed/);

    const reshaped = whole.reshape([6]);
    whole.dispose();
    expect(() => reshaped.data).toThrow(
      new TypeError(
        "tensor data's ArrayBuffer is detached (transferred, e.g. to a worker, or disposed): its data is gone",
      ),
    );
  });

  it('frees a prediction at once: an output tensor of predict spans its own buffer', async () => {
    const model = ck.sequential({ seed: 1, layers: [ck.layers.dense({ inputShape: [4], units: 2 ** 20 })] });
    const output = await model.predict(ck.tensor(new Float32Array(16), [4, 4]));
    const before = await liveArrayBuffers();
    output.dispose();
    expect(await freedSince(before, 4 * 2 ** 20 * 4)).toBeGreaterThanOrEqual(4 * 2 ** 20 * 4);
    model.dispose();
  });

  it('works on a tensor over shared memory (nothing to detach; the reference is dropped)', () => {
    const t = ck.tensor(new Float32Array(new SharedArrayBuffer(16)), [4]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
  });
});

describe('native memory is reported to V8', () => {
  const dense: NativeLayerSpec = {
    kind: 'dense',
    inFeatures: 1000,
    units: 1000,
    useBias: true,
    activation: 'linear',
    alpha: 0,
  };
  const parameterFloats = 1000 * 1000 + 1000;

  it('counts parameters and gradients, then optimizer state and workspaces as they appear, and nothing once disposed', async () => {
    const network = createNetwork([dense]);
    expect(network.externalMemory).toBe(parameterFloats * 4 * 2);

    network.compile({ loss: 'meanSquaredError', optimizer: { kind: 'adam' } });
    const x = new Float32Array(8 * 1000).fill(0.01);
    await network.trainStep(x, new Float32Array(8 * 1000), { batch: 8, learningRate: 0.001, seed: 1 });
    // Adam's two moments, and a training workspace for a batch of 8 (activations, gradients).
    const trained = network.externalMemory;
    expect(trained).toBeGreaterThanOrEqual(parameterFloats * 4 * 4 + 8 * 1000 * 4);
    expect(trained).toBeLessThan(parameterFloats * 4 * 4 + 2 ** 20);

    await network.predict(x, new Float32Array(8 * 1000), { batch: 8 });
    expect(network.externalMemory).toBeGreaterThanOrEqual(trained + 8 * 1000 * 4);

    network.dispose();
    expect(network.externalMemory).toBe(0);
    expect(() => network.predictSync(x, new Float32Array(8 * 1000), { batch: 8 })).toThrow(
      new RangeError('predictSync: the model was disposed (model.dispose()) and can no longer be used'),
    );
  });
});

describe('Sequential.dispose', () => {
  function smallModel() {
    return ck.sequential({
      seed: 2,
      layers: [
        ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
        ck.layers.flatten(),
        ck.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
  }
  const { x, y } = blobImages(16, 3, 4);

  it('lets a prediction already running finish with the right result, then refuses new work', async () => {
    const model = smallModel();
    const expected = model.predictSync(x);
    const running = model.predict(x, { batchSize: 4 });
    model.dispose();
    expect((await running).data).toEqual(expected.data);
    await expect(model.predict(x)).rejects.toThrow(
      new RangeError('the model was disposed (model.dispose()) and can no longer be used'),
    );
    expect(() => model.summary(() => {})).toThrow(/the model was disposed/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse' })).toThrow(/the model was disposed/);
    expect(() => model.add(ck.layers.flatten())).toThrow(/the model was disposed/);
    model.dispose();
  });

  it('ends a fit that a callback disposes with a clear error', async () => {
    const model = smallModel();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const fit = model.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      verbose: 0,
      callbacks: {
        onBatchEnd: (batch) => {
          if (batch === 1) model.dispose();
        },
      },
    });
    await expect(fit).rejects.toThrow(new RangeError('fit: the model was disposed during training'));
  });

  it('can be called on a model that was never built', () => {
    const model = ck.sequential({ layers: [ck.layers.flatten()] });
    model.dispose();
    expect(() => model.build([4])).toThrow(/the model was disposed/);
  });
});
