// Transfer learning (Keras's recipe): a new model from a trained model's input and an inner layer's
// output, the base layers frozen, a new head trained. The new model starts from the base's
// weights; frozen layers, batch norm's statistics included, do not move.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { blobImages } from '../helpers/data';

const dir = mkdtempSync(join(tmpdir(), 'convkit-transfer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function trainedBase() {
  const base = ck.models.resnet({ depth: 8, inputShape: [8, 8, 1], classes: 4, seed: 11 });
  base.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const data = blobImages(128, 4, 12);
  await base.fit(data.x, data.y, { epochs: 2, batchSize: 32, verbose: 0 });
  return base;
}

/** A new 3-class head on `features`, the base layers frozen; the model made, compiled and fitted. */
async function fineTune(base: ck.Model, features: ck.SymbolicTensor) {
  const pooled = ck.layers.globalAveragePooling2d({ name: 'new_pool' }).apply(features);
  const head = ck.layers.dense({ name: 'new_head', units: 3, activation: 'softmax' }).apply(pooled);
  const tuned = ck.model({ inputs: base.inputs, outputs: head, seed: 2 });
  const shared = tuned.layers.filter((l) => !l.name.startsWith('new_'));
  for (const layer of shared) layer.trainable = false;
  tuned.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return { tuned, shared };
}

function weightsByLayer(model: ck.Model): Map<string, Float32Array[]> {
  const byLayer = new Map<string, Float32Array[]>();
  const weights = model.getWeights();
  model.weightSpecs().forEach((spec, i) => {
    byLayer.set(spec.layer, [...(byLayer.get(spec.layer) ?? []), weights[i].data]);
  });
  return byLayer;
}

describe('transfer learning', () => {
  it.each(['built with ck.model', 'loaded from a save'])(
    'a base %s: the new model starts from its weights, and frozen layers stay put while the head trains',
    async (origin) => {
      let base: ck.Model = await trainedBase();
      if (origin === 'loaded from a save') {
        await base.save(join(dir, 'base'));
        base.dispose();
        base = await ck.loadModel(join(dir, 'base'));
      }
      const baseWeights = weightsByLayer(base);
      const { tuned, shared } = await fineTune(base, base.getLayer('stage2_block1_out').output);
      expect(shared.map((l) => l.name)).toContain('stage2_block1_1_conv');
      expect(shared.some((l) => l.name.startsWith('stage3'))).toBe(false);
      const start = weightsByLayer(tuned);
      for (const layer of shared) {
        const expected = baseWeights.get(layer.name) ?? [];
        (start.get(layer.name) ?? []).forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(expected[i])));
      }
      const data = blobImages(96, 3, 13);
      await tuned.fit(data.x, data.y, { epochs: 2, batchSize: 32, verbose: 0 });
      const end = weightsByLayer(tuned);
      for (const layer of shared) {
        // Kernels, gamma/beta and the moving statistics of the frozen batch norms alike.
        (end.get(layer.name) ?? []).forEach((w, i) =>
          expect(Array.from(w)).toEqual(Array.from(start.get(layer.name)![i])),
        );
      }
      expect(Array.from(end.get('new_head')![0])).not.toEqual(Array.from(start.get('new_head')![0]));
      // The base itself is untouched by the new model's training.
      const after = weightsByLayer(base);
      for (const [name, weights] of baseWeights) {
        weights.forEach((w, i) => expect(Array.from(after.get(name)![i])).toEqual(Array.from(w)));
      }
      tuned.dispose();
      base.dispose();
    },
  );

  it('a Sequential has symbolic inputs and outputs too', () => {
    const model = ck.sequential({
      layers: [ck.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), ck.layers.flatten()],
    });
    expect(model.inputs[0].shape).toEqual([6, 6, 1]);
    expect(model.outputs[0].shape).toEqual([32]);
    expect(model.outputs[0]).toBe(model.layers[1].output);
    model.dispose();
  });
});
