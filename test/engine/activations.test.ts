// model.activations: every layer's output for a batch, from the native network's inference pass.
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { createNetwork } from '../../lib/native/network';
import { expectClose } from '../helpers/assert';
import { blobImages } from '../helpers/data';
import { randomArray, rng } from '../helpers/random';
import { referenceConv2d } from '../reference/conv2d';

function model(seed = 2) {
  return ck.sequential({
    seed,
    layers: [
      ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' }),
      ck.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      ck.layers.flatten({ name: 'flat' }),
      ck.layers.dropout({ rate: 0.5, name: 'drop' }),
      ck.layers.dense({ units: 5, activation: 'tanh', name: 'hidden' }),
      ck.layers.dense({ units: 4, activation: 'softmax', name: 'out' }),
    ],
  });
}

describe('model.activations', () => {
  it('returns every layer, in order, with its output shape; the last equals predict', async () => {
    const net = model();
    const { x } = blobImages(5, 4, 1);
    // Batches of 2 over 5 samples: every batch's layers must land at the right rows.
    const outputs = await net.activations(x, { batchSize: 2 });
    expect([...outputs.keys()]).toEqual(['conv', 'pool', 'flat', 'drop', 'hidden', 'out']);
    expect([...outputs.values()].map((t) => t.shape)).toEqual([
      [5, 6, 6, 3],
      [5, 3, 3, 3],
      [5, 27],
      [5, 27],
      [5, 5],
      [5, 4],
    ]);
    expect(outputs.get('out')!.data).toEqual((await net.predict(x)).data);
    // Flatten and inference-mode dropout pass their input through unchanged.
    expect(outputs.get('flat')!.data).toEqual(outputs.get('pool')!.data);
    expect(outputs.get('drop')!.data).toEqual(outputs.get('pool')!.data);
  });

  it('gives conv2d output after its activation, as a direct convolution computes it', async () => {
    const net = model(5);
    const random = rng(3);
    const x = new ck.Tensor(randomArray(random, 2 * 64, -1, 1), [2, 8, 8, 1]);
    const [kernel] = net.getWeights();
    // A bias that moves some outputs below zero, so the relu has something to do.
    net.setWeights([kernel, new ck.Tensor(Float32Array.from([-0.2, 0.1, 0]), [3]), ...net.getWeights().slice(2)]);
    const conv = (await net.activations(x, { layers: ['conv'] })).get('conv')!;
    const reference = referenceConv2d(
      {
        batch: 2,
        inHeight: 8,
        inWidth: 8,
        inChannels: 1,
        outChannels: 3,
        kernelHeight: 3,
        kernelWidth: 3,
        strideHeight: 1,
        strideWidth: 1,
        dilationHeight: 1,
        dilationWidth: 1,
        padding: 'valid',
      },
      x.data,
      kernel.data,
      [-0.2, 0.1, 0],
    ).output.map((v) => Math.max(0, v));
    expect(reference.some((v) => v === 0) && reference.some((v) => v > 0)).toBe(true);
    expectClose(conv.data, reference, { atol: 1e-5, rtol: 1e-5 }, 'conv');
  });

  it('matches the outputs of the model truncated after each layer', async () => {
    const net = model(7);
    const { x } = blobImages(4, 4, 2);
    const outputs = await net.activations(x);
    const weights = net.getWeights();
    const specs = net.weightSpecs();
    for (let end = 1; end <= net.layers.length; end++) {
      const kept = net.layers.slice(0, end);
      const truncated = ck.sequential({ layers: kept });
      truncated.setWeights(weights.filter((_, i) => kept.some((layer) => layer.name === specs[i].layer)));
      const name = kept[end - 1].name;
      expectClose(outputs.get(name)!.data, (await truncated.predict(x)).data, { atol: 1e-6, rtol: 1e-6 }, name);
    }
  });

  it('returns the chosen layers in model order, each once', async () => {
    const net = model();
    const { x } = blobImages(3, 4, 4);
    const all = await net.activations(x);
    const some = await net.activations(x, { layers: ['hidden', 'conv', 'hidden'] });
    expect([...some.keys()]).toEqual(['conv', 'hidden']);
    expect(some.get('conv')!.data).toEqual(all.get('conv')!.data);
    expect(some.get('hidden')!.data).toEqual(all.get('hidden')!.data);
  });

  it('rejects unknown layers, bad options and inputs of the wrong shape', async () => {
    const net = model();
    const { x } = blobImages(2, 4, 4);
    await expect(net.activations(x, { layers: ['nope'] })).rejects.toThrow(
      new RangeError("no layer named 'nope' (layers: conv, pool, flat, drop, hidden, out)"),
    );
    await expect(net.activations(x, { layers: [] })).rejects.toThrow(RangeError);
    await expect(net.activations(x, { layers: 'conv' as unknown as string[] })).rejects.toThrow(TypeError);
    await expect(net.activations(x, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
    await expect(net.activations(new ck.Tensor(new Float32Array(49), [1, 7, 7, 1]))).rejects.toThrow(
      /x must have shape \[n, 8, 8, 1\], got \[1, 7, 7, 1\]/,
    );
  });

  it('the native call checks layer indices and the output size', () => {
    const network = createNetwork([
      { kind: 'reshape', size: 4 },
      { kind: 'dense', inFeatures: 4, units: 2, useBias: true, activation: 'relu', alpha: 0 },
    ]);
    const x = new Float32Array(4);
    expect(() => network.activations(x, new Float32Array(6), { batch: 1, layers: [1, 0] })).toThrow(
      new RangeError('activations: layers[1] must be a layer index in [0, 2), above the one before it; got 0'),
    );
    expect(() => network.activations(x, new Float32Array(6), { batch: 1, layers: [2] })).toThrow(RangeError);
    expect(() => network.activations(x, new Float32Array(6), { batch: 1, layers: [] })).toThrow(RangeError);
    expect(() => network.activations(x, new Float32Array(5), { batch: 1, layers: [0, 1] })).toThrow(
      /output must have 6 elements \(batch\*sum of the layers' output sizes\), got 5/,
    );
  });
});
