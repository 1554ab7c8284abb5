// ck.visualize.featureMaps: a tile per channel of one layer's output for one image, checked
// against the output of the model truncated after that layer.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { blobImages } from '../helpers/data';
import { decodePng, enlarged, gridTiles, normalized } from '../helpers/png';

let dir: string;
let trained: ck.Sequential;
let image: ck.Tensor;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-maps-'));
  trained = ck.sequential({
    seed: 6,
    layers: [
      ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 5, kernelSize: 3, activation: 'relu', name: 'conv' }),
      ck.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      ck.layers.flatten({ name: 'flat' }),
      ck.layers.dense({ units: 4, activation: 'softmax', name: 'out' }),
    ],
  });
  trained.compile({ optimizer: ck.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  const { x, y } = blobImages(64, 4, 2);
  await trained.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, seed: 2 });
  image = x.slice(3, 4);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The output of `model` cut after its first `count` layers, for `x`, by a model of its own. */
async function truncatedOutput(model: ck.Sequential, count: number, x: ck.Tensor): Promise<ck.Tensor> {
  const kept = model.layers.slice(0, count);
  const specs = model.weightSpecs();
  const truncated = ck.sequential({ layers: kept });
  truncated.setWeights(model.getWeights().filter((_, i) => kept.some((layer) => layer.name === specs[i].layer)));
  return truncated.predict(x);
}

/** Channel c of an NHWC output for one image. */
function channel(output: ck.Tensor, c: number): number[] {
  const channels = output.shape[3];
  return Array.from({ length: output.size / channels }, (_, i) => output.data[i * channels + c]);
}

describe('visualize.featureMaps', () => {
  it('draws a tile per channel of the layer output, each normalized on its own', async () => {
    const path = join(dir, 'maps.png');
    const result = await ck.visualize.featureMaps(trained, image, 'conv', { path, scale: 5 });
    // 5 channels of 6x6: near-square is 3 x 2.
    expect(result).toMatchObject({ path, format: 'png', rows: 2, cols: 3, scale: 5 });
    expect(await readFile(path)).toEqual(result.data);
    const tiles = gridTiles(decodePng(result.data), 2, 3, 30, 30);
    const reference = await truncatedOutput(trained, 1, image);
    for (let c = 0; c < 5; c++) {
      expectClose(
        tiles[c],
        enlarged(normalized(channel(reference, c)), 6, 6, 1, 5),
        { atol: 1, rtol: 0 },
        `channel ${c}`,
      );
    }
    // The sixth cell is empty: only the separators' colour.
    expect(new Set(tiles[5]).size).toBeLessThanOrEqual(3);
    expect(new Set(tiles.slice(0, 5).map((t) => t.join())).size).toBe(5);
  });

  it('takes the image with or without its batch axis, and deeper layers', async () => {
    const withBatch = await ck.visualize.featureMaps(trained, image, 'pool', { scale: 4 });
    const without = await ck.visualize.featureMaps(trained, image.reshape([8, 8, 1]), 'pool', { scale: 4 });
    expect(without.data).toEqual(withBatch.data);
    const reference = await truncatedOutput(trained, 2, image);
    const tiles = gridTiles(decodePng(withBatch.data), 2, 3, 12, 12);
    for (let c = 0; c < 5; c++) {
      expectClose(
        tiles[c],
        enlarged(normalized(channel(reference, c)), 3, 3, 1, 4),
        { atol: 1, rtol: 0 },
        `channel ${c}`,
      );
    }
  });

  it('draws a channel that is constant (a dead ReLU) black', async () => {
    const model = ck.sequential({
      seed: 1,
      layers: [ck.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 1, activation: 'relu', name: 'c' })],
    });
    // Filter 0 passes the image through; filter 1 is negative everywhere, so relu makes it 0.
    model.setWeights([ck.tensor([[[[1, -1]]]]), ck.tensor([0, -0.5])]);
    const x = ck.tensor(
      Float32Array.from({ length: 16 }, (_, i) => i / 15),
      [1, 4, 4, 1],
    );
    const result = await ck.visualize.featureMaps(model, x, 'c', { scale: 2 });
    const [through, dead] = gridTiles(decodePng(result.data), 1, 2, 8, 8);
    expect(dead.every((v) => v === 0)).toBe(true);
    expect(Math.max(...through)).toBe(255);
  });

  it('rejects layers without feature maps, unknown layers and images of the wrong shape', async () => {
    await expect(ck.visualize.featureMaps(trained, image, 'flat')).rejects.toThrow(
      new RangeError(
        "featureMaps: layer 'flat' (Flatten) outputs [45] per image, not feature maps [height, width, channels] " +
          "(feature-map layers: 'conv', 'pool')",
      ),
    );
    await expect(ck.visualize.featureMaps(trained, image, 'nope')).rejects.toThrow(
      /no layer named 'nope' \(feature-map layers: 'conv', 'pool'\)/,
    );
    const two = blobImages(2, 2, 1).x;
    await expect(ck.visualize.featureMaps(trained, two, 'conv')).rejects.toThrow(
      new RangeError('featureMaps: input must be one image of shape [8, 8, 1] or [1, 8, 8, 1], got [2, 8, 8, 1]'),
    );
    await expect(ck.visualize.featureMaps(trained, ck.tensor(new Float32Array(49), [7, 7, 1]), 'conv')).rejects.toThrow(
      RangeError,
    );
    await expect(ck.visualize.featureMaps(trained, [1, 2] as unknown as ck.Tensor, 'conv')).rejects.toThrow(TypeError);
    await expect(ck.visualize.featureMaps(trained, image, 'conv', { path: join(dir, 'maps.svg') })).rejects.toThrow(
      /featureMaps: path must end in \.png/,
    );
  });
});
