// Keras 3 .keras archives (and their unzipped directories), built in the test following Keras's
// saving_lib layout, load with the predictions of the same model in tfjs (or, for what tfjs lacks,
// of the model built directly in convkit with the same weights).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import {
  convkitInputShapes,
  convkitWeights,
  convLayers,
  graphLayers,
  headLayers,
  keras2Functional,
  kerasFiles,
  keras2Sequential,
  keras3Functional,
  keras3Sequential,
  sampleInputs,
  tfjsReference,
  writeKerasArchive,
  type LayerSpec,
} from '../helpers/keras_files';
import { type tf, tfjsPredict } from '../helpers/tfjs_files';

const tolerance = { atol: 1e-5, rtol: 1e-5 };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-keras-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Per-sample input shape of each layer, from the tfjs reference. */
function shapesOf(model: tf.LayersModel, layers: LayerSpec[]): number[][] {
  return layers.map((l) => (model.getLayer(l.name).input as tf.SymbolicTensor).shape.slice(1) as number[]);
}

async function expectSameAsTfjs(path: string, model: tf.LayersModel, inputShape: number[]) {
  const x = sampleInputs(inputShape, 6);
  expectClose(
    (await ck.loadModel(path)).predictSync(x).data,
    tfjsPredict(model, x.data, [...x.shape]),
    tolerance,
    path,
  );
}

describe('Keras 3 .keras archives', () => {
  it('reads a Sequential with every layer type, layer names recorded in the weights and a compressed dataset', async () => {
    const cases: [string, LayerSpec[], number[]][] = [
      ['conv', convLayers, [7, 6, 2]],
      ['head', headLayers('GlobalMaxPooling2D'), [5, 5, 3]],
    ];
    for (const [name, layers, inputShape] of cases) {
      const { model, weights } = await tfjsReference(keras2Sequential(name, inputShape, layers), name.length + 20);
      const path = join(dir, `${name}.keras`);
      await writeKerasArchive(path, keras3Sequential(name, shapesOf(model, layers), layers), layers, weights, {
        recordNames: true,
        compressed: ['conv2d/kernel', 'dense/kernel'],
      });
      await expectSameAsTfjs(path, model, inputShape);
    }
  });

  it('reads a Functional chain, the layout of Keras 2.13 and an unzipped directory', async () => {
    const layers = headLayers('GlobalAveragePooling2D');
    const { model, weights } = await tfjsReference(keras2Sequential('head', [4, 6, 2], layers), 31);
    const shapes = shapesOf(model, layers);
    const functional = join(dir, 'functional.keras');
    await writeKerasArchive(functional, keras3Functional('functional', shapes, layers), layers, weights);
    await expectSameAsTfjs(functional, model, [4, 6, 2]);

    const old = join(dir, 'keras213.keras');
    await writeKerasArchive(old, keras3Sequential('head', shapes, layers), layers, weights, {
      root: '_layer_checkpoint_dependencies',
    });
    await expectSameAsTfjs(old, model, [4, 6, 2]);

    const unzipped = join(dir, 'unzipped');
    await mkdir(unzipped);
    for (const [name, bytes] of Object.entries(
      await kerasFiles(keras3Sequential('head', shapes, layers), layers, weights, { recordNames: true }),
    )) {
      await writeFile(join(unzipped, name), bytes);
    }
    await expectSameAsTfjs(unzipped, model, [4, 6, 2]);
  });

  it('reads a Functional graph whose layers are listed out of topological order (weights numbered in file order)', async () => {
    const { model, weights } = await tfjsReference(keras2Functional('graph', [5, 5, 2], graphLayers), 17);
    // Keras 3 names the input 'input_layer'.
    const layers = graphLayers.map((l) => ({
      ...l,
      inbound: l.inbound?.map((s) => (s === 'input_1' ? 'input_layer' : s)),
    }));
    const path = join(dir, 'graph.keras');
    await writeKerasArchive(path, keras3Functional('graph', [[5, 5, 2]], layers), layers, weights, {
      recordNames: true,
    });
    const loaded = await ck.loadModel(path);
    expect(loaded.connections.graph).toBe(true);
    // Topological order puts c_a (read first by the output's ancestors) before c_b, the file's first layer.
    expect(loaded.layers.map((l) => l.name).indexOf('c_a')).toBeLessThan(
      loaded.layers.map((l) => l.name).indexOf('c_b'),
    );
    loaded.dispose();
    await expectSameAsTfjs(path, model, [5, 5, 2]);
    // Without the names recorded on the vars groups, only the file-order numbering finds them.
    const unnamed = join(dir, 'graph-unnamed.keras');
    await writeKerasArchive(unnamed, keras3Functional('graph', [[5, 5, 2]], layers), layers, weights);
    await expectSameAsTfjs(unnamed, model, [5, 5, 2]);
  });

  it("follows Keras 3's semantics: LeakyReLU's negative_slope, the leaky_relu activation's slope 0.2, ELU's alpha", async () => {
    const layers: LayerSpec[] = [
      { className: 'Conv2D', name: 'conv2d', args: { filters: 3, kernel_size: [2, 2] } },
      { className: 'Activation', name: 'activation', args: { activation: 'leaky_relu' } },
      { className: 'LeakyReLU', name: 'leaky_re_lu', args: { alpha: 0.05 } },
      { className: 'Conv2D', name: 'conv2d_1', args: { filters: 2, kernel_size: [2, 2] } },
      { className: 'ELU', name: 'elu', args: { alpha: 0.6 } },
      { className: 'Flatten', name: 'flatten' },
      { className: 'Dense', name: 'dense', args: { units: 3 } },
    ];
    // The same model written in convkit by hand from Keras's documented defaults (tfjs has no ELU alpha).
    const reference = ck.sequential({
      seed: 8,
      layers: [
        ck.layers.conv2d({
          inputShape: [5, 5, 2],
          filters: 3,
          kernelSize: 2,
          biasInitializer: 'randomNormal',
          name: 'conv2d',
        }),
        ck.layers.activation({ activation: 'leakyRelu', alpha: 0.2, name: 'activation' }),
        ck.layers.leakyReLU({ alpha: 0.05, name: 'leaky_re_lu' }),
        ck.layers.conv2d({ filters: 2, kernelSize: 2, biasInitializer: 'randomNormal', name: 'conv2d_1' }),
        ck.layers.elu({ alpha: 0.6, name: 'elu' }),
        ck.layers.flatten({ name: 'flatten' }),
        ck.layers.dense({ units: 3, name: 'dense' }),
      ],
    });
    const path = join(dir, 'semantics.keras');
    await writeKerasArchive(
      path,
      keras3Sequential('semantics', convkitInputShapes(reference), layers),
      layers,
      convkitWeights(reference),
    );
    const x = sampleInputs([5, 5, 2], 2);
    expectClose((await ck.loadModel(path)).predictSync(x).data, reference.predictSync(x).data, tolerance, 'semantics');
  });

  describe('refuses archives it cannot load exactly', () => {
    const layers: LayerSpec[] = [
      { className: 'Flatten', name: 'flatten' },
      { className: 'Dense', name: 'dense', args: { units: 3 } },
      { className: 'Dense', name: 'dense_1', args: { units: 2 } },
    ];
    const model = ck.sequential({
      seed: 1,
      layers: [
        ck.layers.flatten({ inputShape: [2, 2], name: 'flatten' }),
        ck.layers.dense({ units: 3, name: 'dense' }),
        ck.layers.dense({ units: 2, name: 'dense_1' }),
      ],
    });
    const config = () => keras3Sequential('small', convkitInputShapes(model), layers);
    const weights = () => convkitWeights(model);
    const smallPath = () => join(dir, 'small.keras');

    it('loads the intact archive', async () => {
      await writeKerasArchive(smallPath(), config(), layers, weights(), { recordNames: true });
      expect((await ck.loadModel(smallPath())).getWeights().map((w) => w.data)).toEqual(
        model.getWeights().map((w) => w.data),
      );
    });

    it('missing files, npz weights, a damaged zip, bad config.json', async () => {
      await writeKerasArchive(smallPath(), config(), layers, weights(), { files: { 'config.json': null } });
      await expect(ck.loadModel(smallPath())).rejects.toThrow(
        /small.keras: has no config.json: not a Keras .keras archive \(it holds metadata.json, model.weights.h5\)/,
      );
      await writeKerasArchive(smallPath(), config(), layers, weights(), {
        files: { 'model.weights.h5': null, 'model.weights.npz': new Uint8Array(8) },
      });
      await expect(ck.loadModel(smallPath())).rejects.toThrow(
        /has no model.weights.h5 \(model.weights.npz is not supported: save with Keras's default h5 weights\)/,
      );
      await writeFile(smallPath(), zipSync({ 'config.json': new Uint8Array(4) }).subarray(0, 30));
      await expect(ck.loadModel(smallPath())).rejects.toThrow(/small.keras: is not a readable zip archive/);
      await writeKerasArchive(smallPath(), config(), layers, weights(), {
        files: { 'config.json': Buffer.from('{"module": "keras",') },
      });
      await expect(ck.loadModel(smallPath())).rejects.toThrow(/small.keras: config.json is not valid JSON/);
      await expect(ck.loadModel(join(dir, 'nowhere.keras'))).rejects.toThrow(/nowhere.keras cannot be read \(ENOENT/);
    });

    it('missing, extra and misplaced weights, wrong shapes', async () => {
      const without = weights();
      without.delete('dense_1');
      await writeKerasArchive(smallPath(), config(), layers, without);
      await expect(ck.loadModel(smallPath())).rejects.toThrow(
        /model.weights.h5 has no weights for layer 'dense_1' \(expected at layers\/dense_1\/vars\)/,
      );
      const extra = weights();
      extra.get('dense')!.push({ name: 'scale', shape: [3], data: new Float32Array(3) });
      await writeKerasArchive(smallPath(), config(), layers, extra);
      await expect(ck.loadModel(smallPath())).rejects.toThrow(
        /layers\/dense\/vars has 3 weights, layer 'dense' needs 2 \[kernel, bias\]/,
      );
      // Weights written for the layers in another order than config.json's: the recorded names disagree.
      await writeKerasArchive(smallPath(), config(), [layers[0], layers[2], layers[1]], weights(), {
        recordNames: true,
      });
      await expect(ck.loadModel(smallPath())).rejects.toThrow(
        /layers\/dense\/vars holds the weights of layer 'dense_1', expected 'dense'/,
      );
      // The same without recorded names: the shapes catch it.
      await writeKerasArchive(smallPath(), config(), [layers[0], layers[2], layers[1]], weights());
      await expect(ck.loadModel(smallPath())).rejects.toThrow(
        /weight 'dense\/kernel' has shape \[3, 2\] in the file, the architecture needs \[4, 3\]/,
      );
    });

    it('attributes Keras 3 adds that convkit does not implement', async () => {
      const cases: [(layer: Record<string, unknown>) => void, RegExp][] = [
        [
          (c) => {
            c.lora_rank = 4;
          },
          /layer 'dense' \(Dense\): lora_rank 4 is not supported: convkit does not implement it/,
        ],
        [
          (c) => {
            c.dtype = {
              module: 'keras',
              class_name: 'DTypePolicy',
              config: { name: 'mixed_float16' },
              registered_name: null,
            };
          },
          /layer 'dense' \(Dense\): dtype "mixed_float16" is not supported \(convkit computes in float32/,
        ],
        [
          (c) => {
            c.quantization_config = { mode: 'int8' };
          },
          /layer 'dense' \(Dense\): quantization_config .* is not supported/,
        ],
      ];
      for (const [change, message] of cases) {
        const edited = config() as { config: { layers: { config: Record<string, unknown> }[] } };
        change(edited.config.layers[2].config);
        await writeKerasArchive(smallPath(), edited, layers, weights());
        await expect(ck.loadModel(smallPath()), String(message)).rejects.toThrow(message);
      }
    });
  });
});

describe("Keras 3's activations of MobileNetV3 and EfficientNet", () => {
  it('reads hard_sigmoid (relu6(x + 3) / 6), hard_swish, silu, ReLU(max_value=6) and a per-channel PReLU', async () => {
    const layers: LayerSpec[] = [
      { className: 'Conv2D', name: 'conv2d', args: { filters: 3, kernel_size: [2, 2], activation: 'hard_swish' } },
      { className: 'PReLU', name: 'p_re_lu', args: { shared_axes: [1, 2] } },
      { className: 'ReLU', name: 're_lu', args: { max_value: 6 } },
      { className: 'Activation', name: 'activation', args: { activation: 'hard_sigmoid' } },
      { className: 'Flatten', name: 'flatten' },
      { className: 'Dense', name: 'dense', args: { units: 3, activation: 'silu' } },
    ];
    const reference = ck.sequential({
      seed: 9,
      layers: [
        ck.layers.conv2d({
          inputShape: [5, 5, 2],
          filters: 3,
          kernelSize: 2,
          activation: 'hardSwish',
          biasInitializer: 'randomNormal',
          name: 'conv2d',
        }),
        ck.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: 'randomNormal', name: 'p_re_lu' }),
        ck.layers.reLU({ maxValue: 6, name: 're_lu' }),
        ck.layers.activation({ activation: 'hardSigmoid', name: 'activation' }),
        ck.layers.flatten({ name: 'flatten' }),
        ck.layers.dense({ units: 3, activation: 'swish', biasInitializer: 'randomNormal', name: 'dense' }),
      ],
    });
    const path = join(dir, 'mobile.keras');
    await writeKerasArchive(
      path,
      keras3Sequential('mobile', convkitInputShapes(reference), layers),
      layers,
      convkitWeights(reference),
    );
    const x = sampleInputs([5, 5, 2], 3);
    const loaded = await ck.loadModel(path);
    expect(loaded.layers.map((l) => l.className)).toEqual(reference.layers.map((l) => l.className));
    expectClose(loaded.predictSync(x).data, reference.predictSync(x).data, tolerance, 'mobile');
  });
});
