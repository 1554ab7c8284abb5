// The convkit commands that use the library: train, evaluate, predict, export and visualize.
//   convkit train [--model kerasMnist|lenet5] [--epochs 5] [--batch-size 64] [--optimizer rmsprop]
//                 [--lr 0.001] [--data DIR] [--out DIR] [--seed N] [--verbose 0|1|2]
//   convkit evaluate --model-dir DIR [--data DIR]
//   convkit predict --model-dir DIR [--data DIR] [--count N]
//   convkit export --model-dir DIR --onnx FILE
//   convkit visualize filters|maps|history [--model-dir DIR] [--layer NAME] [--image N] [--out FILE]
// (build-native is in build_native.ts: it must run where the addon cannot load.)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setNumThreads } from '../backend';
import { fashionMnist } from '../datasets';
import type { Sequential, History } from '../engine/sequential';
import { loadModel, writeFileAtomic } from '../io/model_io';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../io/onnx';
import * as models from '../models';
import { finiteNumber, oneOf } from '../errors';
import { getOptimizer, optimizerNames, type OptimizerName } from '../optimizers';
import * as optimizers from '../optimizers';
import type { Tensor } from '../tensor';
import { version } from '../version';
import * as visualize from '../visualize';

const usage = `convkit ${version}: convolutional neural networks for Node.js

Usage:
  convkit train [options]      train a model (default: kerasMnist on the bundled Fashion-MNIST)
  convkit evaluate [options]   test loss and accuracy of a saved model
  convkit predict [options]    class predictions of a saved model for the first test images
  convkit export [options]     write a saved model as an ONNX file (--onnx FILE) for ONNX Runtime
  convkit visualize filters    PNG grid of a saved model's conv2d kernels (--layer)
  convkit visualize maps       PNG grid of a layer's feature maps for test image --image
  convkit visualize history    the training curves train saved (--history), as SVG or PNG
  convkit build-native         compile the addon from source for this machine (where no prebuilt
                               one fits; needs Python 3, make and a C++17 compiler)

Options:
  --model NAME        train: kerasMnist (default), lenet5, or bnConvnet (batch norm, dropout,
                      Adam with cosine decay, 12 epochs of batch 128 unless flags say otherwise);
                      export: the saved model's directory (as --model-dir)
  --epochs N          train: epochs (default 5)
  --batch-size N      batch size (default 64)
  --optimizer NAME    train: ${optimizerNames.join(', ')} (default rmsprop)
  --lr X              train: learning rate (default: the optimizer's Keras default)
  --data DIR          a folder with the four IDX files (train-/t10k- images and labels);
                      default: the bundled Fashion-MNIST
  --out PATH          train: the folder for the trained model and its history.json (default
                      ./convkit-model); visualize: the picture, .png (or .svg for history),
                      default filters.png, feature-maps.png or history.svg
  --model-dir DIR     evaluate/predict/export/visualize: a saved model (default ./convkit-model)
  --onnx FILE         export: the ONNX file to write (opset 13; input and output NHWC, batch first)
  --seed N            seed for weights, shuffling and dropout
  --count N           predict: how many test images (default 10)
  --threads N         threads the kernels use (default: CONVKIT_NUM_THREADS, else all CPUs)
  --layer NAME        visualize filters/maps: the layer to draw (required)
  --image N           visualize maps: which test image (default 0)
  --channel N         visualize filters: only this input channel of each filter
  --scale N           visualize filters/maps: pixels per value (default: fits the grid)
  --history FILE      visualize history: a history.json (default ./convkit-model/history.json)
  --verbose 0|1|2     0 silent, 1 progress bar, 2 one line per epoch (default 1)
  -h, --help          this help`;

type Split = { x: Tensor; y: Int32Array };

/** Fashion-MNIST by default, or any folder with the four IDX files of the (Fashion-)MNIST layout. */
async function loadData(dir: string | undefined): Promise<{ train: Split; test: Split; classNames?: string[] }> {
  const data = await fashionMnist(dir === undefined ? {} : { dataDir: dir });
  // Another data set in the same layout (MNIST, say) has other class names: show indices.
  return dir === undefined ? data : { train: data.train, test: data.test };
}

function integer(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    const expected = min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new RangeError(`--${name} must be ${expected}, got '${value}'`);
  }
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      optimizer: { type: 'string' },
      lr: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      'model-dir': { type: 'string' },
      seed: { type: 'string' },
      count: { type: 'string' },
      verbose: { type: 'string' },
      threads: { type: 'string' },
      onnx: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      layer: { type: 'string' },
      image: { type: 'string' },
      channel: { type: 'string' },
      scale: { type: 'string' },
      history: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    console.log(usage);
    return command === undefined && !values.help ? 1 : 0;
  }
  if (values.threads !== undefined) setNumThreads(integer(values.threads, 'threads', 1, 1));
  const batchSize = integer(values['batch-size'], 'batch-size', 64, 1);
  const verbose = integer(values.verbose, 'verbose', 1) as 0 | 1 | 2;

  if (command === 'train') {
    const presets: Record<string, (args: models.PresetArgs) => Sequential> = {
      kerasMnist: models.kerasMnist,
      lenet5: models.lenet5,
      bnConvnet: models.bnConvnet,
    };
    const name = values.model ?? 'kerasMnist';
    if (!Object.hasOwn(presets, name))
      throw new RangeError(`--model must be one of ${Object.keys(presets).join(', ')}, got '${name}'`);
    // Every flag is checked before the data loads, so a typo fails at once.
    const seed = values.seed === undefined ? undefined : integer(values.seed, 'seed', 0);
    const epochsFlag = values.epochs === undefined ? undefined : integer(values.epochs, 'epochs', 1, 1);
    const batchSizeFlag = values['batch-size'] === undefined ? undefined : batchSize;
    const optimizerName: OptimizerName = oneOf(values.optimizer ?? 'rmsprop', '--optimizer', optimizerNames);
    const learningRate = values.lr === undefined ? undefined : finiteNumber(Number(values.lr), '--lr', 0);
    const data = await loadData(values.data);
    // bnConvnet comes with its own recipe (Adam, cosine decay) unless the optimizer is chosen.
    const recipe =
      name === 'bnConvnet' && values.optimizer === undefined && learningRate === undefined
        ? models.bnConvnetRecipe(data.train.x.shape[0], { epochs: epochsFlag, batchSize: batchSizeFlag })
        : null;
    const epochs = recipe?.epochs ?? epochsFlag ?? 5;
    const optimizer =
      recipe?.optimizer ??
      (learningRate === undefined
        ? getOptimizer(optimizerName)
        : // biome-ignore lint/performance/noDynamicNamespaceImportAccess: a CLI lookup by name, once per run
          optimizers[optimizerName]({ learningRate }));
    const model = presets[name]({ seed });
    model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    if (verbose > 0) model.summary();
    const started = Date.now();
    const history = await model.fit(data.train.x, data.train.y, {
      epochs,
      batchSize: recipe?.batchSize ?? batchSize,
      verbose,
      seed,
    });
    const seconds = (Date.now() - started) / 1000;
    const result = await model.evaluate(data.test.x, data.test.y, { batchSize: 256 });
    const out = values.out ?? 'convkit-model';
    await model.save(out);
    // For `convkit visualize history`.
    await writeFileAtomic(join(out, 'history.json'), `${JSON.stringify(history, null, 2)}\n`);
    console.log(
      `trained ${name} for ${epochs} epochs in ${seconds.toFixed(1)} s (${((data.train.x.shape[0] * epochs) / seconds).toFixed(0)} images/s)`,
    );
    console.log(`test loss: ${result.loss.toFixed(4)}`);
    console.log(`test accuracy: ${((result.accuracy ?? 0) * 100).toFixed(2)}%`);
    console.log(`model saved to ${out}`);
    return 0;
  }

  if (command === 'evaluate' || command === 'predict') {
    const model = await loadModel(values['model-dir'] ?? 'convkit-model');
    const data = await loadData(values.data);
    if (command === 'evaluate') {
      if (!model.loss)
        model.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const result = await model.evaluate(data.test.x, data.test.y, { batchSize: Math.max(batchSize, 256) });
      console.log(`test loss: ${result.loss.toFixed(4)}`);
      if (result.accuracy !== undefined) console.log(`test accuracy: ${(result.accuracy * 100).toFixed(2)}%`);
      return 0;
    }
    const count = Math.min(integer(values.count, 'count', 10), data.test.x.shape[0]);
    const probabilities = await model.predict(data.test.x.slice(0, count), { batchSize });
    const classes = probabilities.shape[1];
    for (let i = 0; i < count; i++) {
      const row = probabilities.data.subarray(i * classes, (i + 1) * classes);
      const best = row.indexOf(Math.max(...row));
      const label = (index: number) => data.classNames?.[index] ?? String(index);
      console.log(`${i}: predicted ${label(best)} (${(row[best] * 100).toFixed(1)}%), actual ${label(data.test.y[i])}`);
    }
    return 0;
  }
  if (command === 'export') {
    if (values.onnx === undefined) throw new RangeError('export needs --onnx FILE, the ONNX file to write');
    if (values.model !== undefined)
      throw new RangeError('export takes the saved model as --model-dir DIR (--model names a preset for train)');
    const model = await loadModel(values['model-dir'] ?? 'convkit-model');
    await exportOnnx(model, values.onnx);
    const shape = (dims: readonly number[]) => `[batch, ${dims.join(', ')}]`;
    console.log(
      `wrote ${values.onnx}: ONNX opset 13, input '${ONNX_INPUT_NAME}' ${shape(model.inputShape)} (convkit's layout, NHWC for images), output '${ONNX_OUTPUT_NAME}' ${shape(model.outputShape)}`,
    );
    return 0;
  }
  if (command === 'visualize') return visualizeCommand(positionals[1], values);
  throw new RangeError(
    `unknown command '${command}' (train, evaluate, predict, export, visualize, build-native; --help for usage)`,
  );
}

type Flags = Partial<
  Record<'model' | 'model-dir' | 'layer' | 'image' | 'channel' | 'scale' | 'history' | 'out' | 'data', string>
>;

async function visualizeCommand(kind: string | undefined, values: Flags): Promise<number> {
  const kinds = ['filters', 'maps', 'history'];
  if (kind === undefined || !kinds.includes(kind)) {
    throw new RangeError(
      `visualize needs what to draw: ${kinds.join(', ')}; got ${kind === undefined ? 'nothing' : `'${kind}'`}`,
    );
  }
  if (values.model !== undefined)
    throw new RangeError('visualize takes the saved model as --model-dir DIR (--model names a preset for train)');
  if (kind === 'history') {
    const file = values.history ?? join('convkit-model', 'history.json');
    let history: unknown;
    try {
      history = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      const reason = error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
      throw new Error(`--history ${file} ${reason} (${(error as Error).message})`);
    }
    const picture = await visualize.history(history as History, { path: values.out ?? 'history.svg' });
    console.log(`wrote ${picture.path} (${picture.width}x${picture.height})`);
    return 0;
  }
  // The numbers are checked before the model and the data load, so a typo fails at once.
  const scale = values.scale === undefined ? undefined : integer(values.scale, 'scale', 1, 1);
  const channel = values.channel === undefined ? undefined : integer(values.channel, 'channel', 0);
  const imageIndex = integer(values.image, 'image', 0);
  const model = await loadModel(values['model-dir'] ?? 'convkit-model');
  const layer = values.layer;
  if (layer === undefined)
    throw new RangeError(`--layer NAME is required (layers: ${model.layers.map((l) => l.name).join(', ')})`);
  let picture: visualize.GridPicture;
  if (kind === 'filters') {
    picture = await visualize.filters(model, layer, { path: values.out ?? 'filters.png', channel, scale });
  } else {
    const { test } = await loadData(values.data);
    const count = test.x.shape[0];
    if (imageIndex >= count) throw new RangeError(`--image must be below the ${count} test images, got ${imageIndex}`);
    picture = await visualize.featureMaps(model, test.x.slice(imageIndex, imageIndex + 1), layer, {
      path: values.out ?? 'feature-maps.png',
      scale,
    });
  }
  console.log(
    `wrote ${picture.path} (${picture.rows}x${picture.cols} tiles, ${picture.width}x${picture.height} pixels)`,
  );
  return 0;
}
