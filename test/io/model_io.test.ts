import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { blobImages } from '../helpers/data';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function everyLayerModel() {
  return ck.sequential({
    name: 'every_layer',
    seed: 3,
    layers: [
      ck.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 6,
        kernelSize: [3, 2],
        padding: 'same',
        activation: 'relu',
        name: 'c1',
      }),
      ck.layers.batchNormalization({ momentum: 0.9 }),
      ck.layers.leakyReLU({ alpha: 0.1 }),
      ck.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      ck.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, kernelInitializer: 'heNormal' }),
      ck.layers.elu(),
      ck.layers.averagePooling2d({ poolSize: 2, strides: 1 }),
      ck.layers.dropout({ rate: 0.2 }),
      ck.layers.reshape({ targetShape: [-1] }),
      ck.layers.dense({ units: 6 }),
      ck.layers.maxout({ pieces: 2 }),
      ck.layers.activation({ activation: 'softmax' }),
    ],
  });
}

describe('save and load', () => {
  it('round-trips architecture, weights and training config: bit-identical predictions', async () => {
    const { x, y } = blobImages(32, 3, 1);
    const model = everyLayerModel();
    model.compile({
      optimizer: ck.optimizers.adam({ learningRate: 0.003 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, seed: 1 });
    const path = join(dir, 'every');
    await model.save(path);
    expect((await readdir(path)).sort()).toEqual(['model.json', expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/)]);
    const loaded = await ck.loadModel(path);
    expect(loaded.summary(() => {})).toBe(model.summary(() => {}));
    expect((await loaded.predict(x)).data).toEqual((await model.predict(x)).data);
    expect(loaded.loss).toBe('sparseCategoricalCrossentropy');
    expect(loaded.optimizer?.getConfig()).toEqual(model.optimizer?.getConfig());
    const json = JSON.parse(await readFile(join(path, 'model.json'), 'utf8'));
    expect(json.format).toBe('convkit-layers-model');
    expect(json.weightsManifest[0].weights[0]).toEqual({ name: 'c1/kernel', shape: [3, 2, 1, 6], dtype: 'float32' });
  });

  it('overwrites a previous save in place and leaves no temporary files', async () => {
    const path = join(dir, 'twice');
    const model = ck.models.lenet5({ seed: 1 });
    await model.save(path);
    await ck.models.lenet5({ seed: 2 }).save(path);
    expect((await readdir(path)).sort()).toEqual(['model.json', expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/)]);
    const loaded = await ck.loadModel(path);
    expect(loaded.getWeights()[0].data).toEqual(ck.models.lenet5({ seed: 2 }).getWeights()[0].data);
  });

  describe('rejects damaged files with a clear error', () => {
    let path: string;
    let weightsPath: string;
    // Every save names its weights file anew.
    const restore = async () => {
      await ck.models.kerasMnist({ seed: 1 }).save(path);
      weightsPath = join(
        path,
        JSON.parse(await readFile(join(path, 'model.json'), 'utf8')).weightsManifest[0].paths[0],
      );
    };
    beforeAll(async () => {
      path = join(dir, 'damaged');
      await restore();
    });

    it('truncated weights', async () => {
      const bytes = await readFile(weightsPath);
      await writeFile(weightsPath, bytes.subarray(0, bytes.length - 4));
      await expect(ck.loadModel(path)).rejects.toThrow(
        /weights-[0-9a-f]+\.bin: has 373284 bytes, model.json expects 373288/,
      );
      await restore();
    });

    it('a flipped bit in the weights', async () => {
      const bytes = await readFile(weightsPath);
      bytes[1000] ^= 0x10;
      await writeFile(weightsPath, bytes);
      await expect(ck.loadModel(path)).rejects.toThrow(/does not match the checksum/);
      await restore();
    });

    it('tampered architecture, unknown layer, bad JSON, wrong version, missing files', async () => {
      const jsonPath = join(path, 'model.json');
      const original = await readFile(jsonPath, 'utf8');
      const edit = async (change: (json: any) => void) => {
        const json = JSON.parse(original);
        change(json);
        await writeFile(jsonPath, JSON.stringify(json));
      };
      await edit((j) => {
        j.modelTopology.config.layers[6].config.units = 65;
      });
      await expect(ck.loadModel(path)).rejects.toThrow(/must be float32 of shape \[576, 65\]/);
      await edit((j) => {
        j.modelTopology.config.layers[1].className = 'Attention';
      });
      await expect(ck.loadModel(path)).rejects.toThrow(/layer 1: unknown layer class 'Attention'/);
      await edit((j) => {
        j.formatVersion = 99;
      });
      await expect(ck.loadModel(path)).rejects.toThrow(/formatVersion 99 is not supported/);
      await edit((j) => {
        j.modelTopology.inputShape = [28, -28, 1];
      });
      await expect(ck.loadModel(path)).rejects.toThrow(/inputShape must be an array of positive integers/);
      await writeFile(jsonPath, original.slice(0, 100));
      await expect(ck.loadModel(path)).rejects.toThrow(/is not valid JSON/);
      await writeFile(jsonPath, original);
      await expect(ck.loadModel(join(dir, 'nowhere'))).rejects.toThrow(/model.json cannot be read/);
      await expect(ck.loadModel(7 as unknown as string)).rejects.toThrow(TypeError);
    });
  });
});
