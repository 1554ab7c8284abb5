// ck.visualize.filters: the PNG grid of a conv2d layer's kernels, checked pixel by pixel against
// the layer's weights.
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

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-filters-'));
  trained = ck.sequential({
    seed: 3,
    layers: [
      ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 6, kernelSize: 3, activation: 'relu', name: 'first' }),
      ck.layers.conv2d({ filters: 4, kernelSize: [3, 2], activation: 'relu', name: 'second' }),
      ck.layers.flatten({ name: 'flat' }),
      ck.layers.dense({ units: 4, activation: 'softmax', name: 'out' }),
    ],
  });
  trained.compile({ optimizer: ck.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
  const { x, y } = blobImages(64, 4, 1);
  await trained.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, seed: 1 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The kernel [kh, kw, in, out] of a layer, as values of filter f and input channel c. */
function kernelOf(model: ck.Sequential, layer: string) {
  const index = model.weightSpecs().findIndex((w) => w.layer === layer && w.name === 'kernel');
  const kernel = model.getWeights()[index];
  const [kh, kw, inChannels, filters] = kernel.shape;
  const values = (f: number, channels: number[]) => {
    const out: number[] = [];
    for (let p = 0; p < kh * kw; p++)
      for (const c of channels) out.push(kernel.data[(p * inChannels + c) * filters + f]);
    return out;
  };
  return { kh, kw, inChannels, filters, values };
}

describe('visualize.filters', () => {
  it('first layer, one input channel: a grey tile per filter, normalized on its own, near-square', async () => {
    const path = join(dir, 'first.png');
    const result = await ck.visualize.filters(trained, 'first', { path, scale: 4 });
    expect(result).toMatchObject({
      path,
      format: 'png',
      rows: 2,
      cols: 3,
      scale: 4,
      width: 3 * 12 + 4,
      height: 2 * 12 + 3,
    });
    expect(await readFile(path)).toEqual(result.data);
    const image = decodePng(result.data);
    expect([image.width, image.height]).toEqual([result.width, result.height]);
    const tiles = gridTiles(image, 2, 3, 12, 12);
    const { values } = kernelOf(trained, 'first');
    tiles.forEach((tile, f) =>
      expectClose(tile, enlarged(normalized(values(f, [0])), 3, 3, 1, 4), { atol: 1, rtol: 0 }, `filter ${f}`),
    );
    // Trained filters differ from each other.
    expect(new Set(tiles.map((t) => t.join())).size).toBe(6);
  });

  it('deeper layer: a row per filter, a tile per input channel; or one chosen channel', async () => {
    const { kh, kw, inChannels, filters, values } = kernelOf(trained, 'second');
    expect([kh, kw, inChannels, filters]).toEqual([3, 2, 6, 4]);
    const all = await ck.visualize.filters(trained, 'second', { scale: 3 });
    expect(all).toMatchObject({ rows: 4, cols: 6 });
    expect('path' in all).toBe(false);
    const tiles = gridTiles(decodePng(all.data), 4, 6, 2 * 3, 3 * 3);
    tiles.forEach((tile, i) => {
      const [f, c] = [Math.floor(i / 6), i % 6];
      expectClose(
        tile,
        enlarged(normalized(values(f, [c])), 3, 2, 1, 3),
        { atol: 1, rtol: 0 },
        `filter ${f} channel ${c}`,
      );
    });
    expect(new Set(tiles.map((t) => t.join())).size).toBe(24);

    const one = await ck.visualize.filters(trained, 'second', { channel: 5, scale: 3 });
    expect(one).toMatchObject({ rows: 2, cols: 2 });
    gridTiles(decodePng(one.data), 2, 2, 6, 9).forEach((tile, f) =>
      expectClose(tile, enlarged(normalized(values(f, [5])), 3, 2, 1, 3), { atol: 1, rtol: 0 }, `filter ${f}`),
    );
  });

  it('first layer on RGB images: a colour tile per filter, its three channels stretched together', async () => {
    const model = ck.sequential({
      seed: 4,
      layers: [ck.layers.conv2d({ inputShape: [6, 6, 3], filters: 5, kernelSize: 2, name: 'rgb' })],
    });
    const result = await ck.visualize.filters(model, 'rgb', { scale: 2 });
    expect(result).toMatchObject({ rows: 2, cols: 3 });
    const tiles = gridTiles(decodePng(result.data), 2, 3, 4, 4);
    const { values } = kernelOf(model, 'rgb');
    for (let f = 0; f < 5; f++) {
      expectClose(
        tiles[f],
        enlarged(normalized(values(f, [0, 1, 2])), 2, 2, 3, 2),
        { atol: 1, rtol: 0 },
        `filter ${f}`,
      );
    }
  });

  it('lays 70 filters out near-square within 2048 pixels, with a readable default scale', async () => {
    const model = ck.sequential({
      seed: 5,
      layers: [ck.layers.conv2d({ inputShape: [9, 9, 1], filters: 70, kernelSize: 3, name: 'wide' })],
    });
    const result = await ck.visualize.filters(model, 'wide');
    expect(result).toMatchObject({ rows: 7, cols: 10 });
    expect(result.scale).toBeGreaterThanOrEqual(8);
    const image = decodePng(result.data);
    expect(Math.max(image.width, image.height)).toBeLessThanOrEqual(2048);
    expect(gridTiles(image, 7, 10, 3 * result.scale, 3 * result.scale)).toHaveLength(70);
  });

  it('rejects what it cannot draw with the error class and the choices', async () => {
    await expect(ck.visualize.filters(trained, 'nope')).rejects.toThrow(
      new RangeError("filters: no layer named 'nope' (conv2d layers: 'first', 'second')"),
    );
    await expect(ck.visualize.filters(trained, 'out')).rejects.toThrow(
      new RangeError("filters: layer 'out' (Dense) is not a conv2d layer (conv2d layers: 'first', 'second')"),
    );
    await expect(ck.visualize.filters(trained, 'first', { path: join(dir, 'x.jpg') })).rejects.toThrow(RangeError);
    await expect(ck.visualize.filters(trained, 'second', { channel: 6 })).rejects.toThrow(RangeError);
    await expect(ck.visualize.filters(trained, 'second', { channel: 1.5 })).rejects.toThrow(
      /channel must be an integer/,
    );
    await expect(ck.visualize.filters(trained, 'first', { scale: 0 })).rejects.toThrow(RangeError);
    await expect(ck.visualize.filters(trained, 'first', { scale: 5000 })).rejects.toThrow(/choose a smaller scale/);
    await expect(ck.visualize.filters({} as ck.Sequential, 'first')).rejects.toThrow(TypeError);
    await expect(ck.visualize.filters(trained, 3 as unknown as string)).rejects.toThrow(TypeError);
  });
});
