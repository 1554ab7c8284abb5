// Keras .h5 model files, built in the test with h5wasm following Keras's layout, load with the
// predictions of the same model in tfjs (built from the same Keras config, same weights).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import {
  convLayers,
  graphLayers,
  h5wasm,
  headLayers,
  keras2Functional,
  keras2Sequential,
  sampleInputs,
  separableLayers,
  tfjsReference,
  writeKerasH5,
  type LayerSpec,
  type Weight,
} from '../helpers/keras_files';
import { tfjsPredict } from '../helpers/tfjs_files';

const tolerance = { atol: 1e-5, rtol: 1e-5 };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-h5-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Keras .h5 model files', () => {
  it('reads a Keras 2 Sequential with every layer type, a gzip-compressed dataset and chunked layer names', async () => {
    const cases: [string, LayerSpec[], number[]][] = [
      ['conv', convLayers, [7, 6, 2]],
      ['head_average', headLayers('GlobalAveragePooling2D'), [5, 5, 3]],
      ['separable', separableLayers, [9, 8, 3]],
    ];
    for (const [name, layers, inputShape] of cases) {
      const config = keras2Sequential(name, inputShape, layers);
      const { model, weights } = await tfjsReference(config, name.length);
      const path = join(dir, `${name}.h5`);
      writeKerasH5(
        path,
        config,
        layers.map((l) => l.name),
        weights,
        { compressed: ['conv2d/kernel', 'dense/bias'], chunkLayerNames: name === 'conv' },
      );
      const loaded = await ck.loadModel(path);
      expect(loaded.layers.map((l) => l.name)).toEqual(layers.map((l) => l.name));
      const x = sampleInputs(inputShape, 2);
      expectClose(loaded.predictSync(x).data, tfjsPredict(model, x.data, [...x.shape]), tolerance, name);
    }
  });

  it("reads a Functional chain, with Keras 3's legacy weight names", async () => {
    const layers = headLayers('GlobalMaxPooling2D');
    const config = keras2Functional('functional', [6, 5, 2], layers);
    const { model, weights } = await tfjsReference(config, 9);
    const path = join(dir, 'functional.h5');
    writeKerasH5(path, config, ['input_1', ...layers.map((l) => l.name)], weights, { weightNames: 'keras3' });
    const x = sampleInputs([6, 5, 2], 3);
    expectClose(
      (await ck.loadModel(path)).predictSync(x).data,
      tfjsPredict(model, x.data, [...x.shape]),
      tolerance,
      'functional',
    );
  });

  it('reads a Functional graph (Add, Average, Maximum, Multiply, Concatenate) as a graph model', async () => {
    const config = keras2Functional('graph', [5, 5, 2], graphLayers);
    const { model, weights } = await tfjsReference(config, 13);
    const path = join(dir, 'graph.h5');
    writeKerasH5(path, config, ['input_1', ...graphLayers.map((l) => l.name)], weights);
    const loaded = await ck.loadModel(path);
    expect(loaded.connections.graph).toBe(true);
    const reads = (name: string) => {
      const i = loaded.layers.findIndex((l) => l.name === name);
      return loaded.connections.inbound[i].map((j) => (j < 0 ? 'input' : loaded.layers[j].name));
    };
    expect(reads('cat')).toEqual(['mul', 'input']);
    expect(reads('add')).toEqual(['bn', 'c_b']);
    const x = sampleInputs([5, 5, 2], 4);
    expectClose(loaded.predictSync(x).data, tfjsPredict(model, x.data, [...x.shape]), tolerance, 'graph');
    loaded.dispose();
  });

  it('works from the CommonJS and ES module builds (h5wasm is loaded by a real dynamic import)', async () => {
    const layers = headLayers('GlobalAveragePooling2D');
    const config = keras2Sequential('built', [5, 5, 3], layers);
    const { weights } = await tfjsReference(config, 4);
    const path = join(dir, 'built.h5');
    writeKerasH5(
      path,
      config,
      layers.map((l) => l.name),
      weights,
    );
    const x = sampleInputs([5, 5, 3], 5);
    const expected = Array.from((await ck.loadModel(path)).predictSync(x).data);
    const script = `m.loadModel(${JSON.stringify(path)}).then((model) => console.log(JSON.stringify(Array.from(model.predictSync(m.tensor(${JSON.stringify(Array.from(x.data))}, [3, 5, 5, 3])).data))))`;
    const root = join(__dirname, '..', '..');
    const cjs = execFileSync(process.execPath, ['-e', `const m = require('convkit'); ${script}`], {
      cwd: root,
      encoding: 'utf8',
    });
    const esm = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import * as m from 'convkit'; ${script}`],
      { cwd: root, encoding: 'utf8' },
    );
    expect(JSON.parse(cjs)).toEqual(expected);
    expect(JSON.parse(esm)).toEqual(expected);
  });

  describe('refuses what is not a complete Keras model', () => {
    const layers: LayerSpec[] = [
      { className: 'Flatten', name: 'flatten' },
      { className: 'Dense', name: 'dense', args: { units: 3 } },
    ];
    const config = keras2Sequential('small', [2, 2], layers);
    const dense = (shape: number[]): Weight[] => [
      { name: 'kernel', shape, data: new Float32Array(12) },
      { name: 'bias', shape: [3], data: new Float32Array(3) },
    ];
    const write = (name: string, build: (file: h5wasm.File) => void) => {
      const path = join(dir, name);
      const file = new h5wasm.File(path, 'w');
      build(file);
      file.close();
      return path;
    };

    it('an HDF5 file of other data, a weights-only file, a bad model_config', async () => {
      const other = write('other.h5', (f) => {
        f.create_dataset({ name: 'signal', data: new Float32Array(4), dtype: '<f' });
      });
      await expect(ck.loadModel(other)).rejects.toThrow(
        /other.h5: is an HDF5 file but not a Keras model \(it has no model_config attribute\)/,
      );
      const weightsOnly = write('weights.h5', (f) => {
        f.create_attribute('layer_names', ['dense'], null, 'S5');
      });
      await expect(ck.loadModel(weightsOnly)).rejects.toThrow(/holds weights only \(model.save_weights\)/);
      const badJson = write('bad.h5', (f) => {
        f.create_attribute('model_config', '{"class_name": ', null, 'S15');
      });
      await expect(ck.loadModel(badJson)).rejects.toThrow(/bad.h5: model_config is not valid JSON/);
      const conv1d = keras2Sequential(
        'c',
        [8, 2],
        [{ className: 'Conv1D', name: 'conv1d', args: { filters: 2, kernel_size: [3] } }],
      );
      writeKerasH5(join(dir, 'conv1d.h5'), conv1d, ['conv1d'], new Map());
      await expect(ck.loadModel(join(dir, 'conv1d.h5'))).rejects.toThrow(
        /model_config: layer 'conv1d' \(Conv1D\): this layer class is not supported/,
      );
    });

    it('missing weights, wrong shapes, float64 weights', async () => {
      const path = join(dir, 'small.h5');
      writeKerasH5(path, config, ['flatten', 'dense'], new Map([['dense', dense([4, 3])]]));
      await expect(ck.loadModel(path)).resolves.toBeInstanceOf(ck.Sequential);
      writeKerasH5(path, config, ['flatten', 'dense'], new Map());
      await expect(ck.loadModel(path)).rejects.toThrow(
        /model_weights\/dense has 0 weights \[\], convkit needs 2 \[kernel, bias\]/,
      );
      writeKerasH5(path, config, ['flatten', 'dense'], new Map([['dense', dense([3, 4])]]));
      await expect(ck.loadModel(path)).rejects.toThrow(
        /weight 'dense\/kernel' has shape \[3, 4\] in the file, the architecture needs \[4, 3\]/,
      );
      writeKerasH5(
        path,
        config,
        ['flatten', 'dense'],
        new Map([['dense', dense([4, 3]).map((w) => ({ ...w, name: w.name === 'bias' ? 'offset' : w.name }))]]),
      );
      await expect(ck.loadModel(path)).rejects.toThrow(
        /model_weights\/dense has no single weight named 'bias' \(it has dense\/kernel:0, dense\/offset:0\)/,
      );
      const float64 = write('float64.h5', (f) => {
        f.create_attribute('model_config', JSON.stringify(config), null, `S${JSON.stringify(config).length}`);
        const layer = f.create_group('model_weights').create_group('dense');
        layer.create_attribute('weight_names', ['dense/kernel:0', 'dense/bias:0'], null, 'S14');
        layer
          .create_group('dense')
          .create_dataset({ name: 'kernel:0', data: new Float64Array(12), shape: [4, 3], dtype: '<d' });
        (layer.get('dense') as h5wasm.Group).create_dataset({
          name: 'bias:0',
          data: new Float32Array(3),
          shape: [3],
          dtype: '<f',
        });
      });
      await expect(ck.loadModel(float64)).rejects.toThrow(
        /\/model_weights\/dense\/dense\/kernel:0 has dtype "<d": convkit reads float32 weights only/,
      );
    });

    it('a truncated file', async () => {
      const path = join(dir, 'small.h5');
      writeKerasH5(path, config, ['flatten', 'dense'], new Map([['dense', dense([4, 3])]]));
      const bytes = await readFile(path);
      await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await expect(ck.loadModel(path)).rejects.toThrow(/small.h5: cannot be read as HDF5: truncated file: eof = \d+/);
    });
  });
});
