// The convkit command, run as users run it: `node dist/cjs/cli.js ...` from the repository root
// (needs `npm run build:ts`). Data: a tiny stand-in for Fashion-MNIST in the same four IDX files.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../lib';
import { cliPath as cli, runCli } from './helpers/cli';
import { rng } from './helpers/random';

const run = (args: string[]) => runCli(args);

/** Each command exits 1 with nothing on stdout and a stderr matching its message. */
async function expectFailures(cases: [string[], RegExp][]): Promise<void> {
  const results = await Promise.all(cases.map(([args]) => run(args)));
  results.forEach((result, i) => {
    const [args, message] = cases[i];
    expect(result.code, args.join(' ')).toBe(1);
    expect(result.stderr, args.join(' ')).toMatch(message);
    expect(result.stdout, args.join(' ')).toBe('');
  });
}

/** A uint8 IDX file: magic 0x0000080<rank>, big-endian dimensions, then the bytes. */
function idx(shape: number[], values: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt32BE(0x0800 + shape.length, 0);
  shape.forEach((dim, axis) => header.writeUInt32BE(dim, 4 + 4 * axis));
  return Buffer.concat([header, Buffer.from(values)]);
}

let dir: string;
let data: string;
const trainCount = 64;
const testCount = 32;
const testLabels = Uint8Array.from({ length: testCount }, (_, i) => (i * 7) % 10);

beforeAll(async () => {
  expect(existsSync(cli), `${cli} is missing: run npm run build:ts`).toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'convkit-cli-'));
  data = join(dir, 'data');
  await mkdir(data);
  const random = rng(1);
  const images = (count: number) => Uint8Array.from({ length: count * 28 * 28 }, () => Math.floor(random() * 256));
  const files: Record<string, Buffer> = {
    'train-images-idx3-ubyte.gz': idx([trainCount, 28, 28], images(trainCount)),
    'train-labels-idx1-ubyte.gz': idx(
      [trainCount],
      Uint8Array.from({ length: trainCount }, (_, i) => i % 10),
    ),
    't10k-images-idx3-ubyte.gz': idx([testCount, 28, 28], images(testCount)),
    't10k-labels-idx1-ubyte.gz': idx([testCount], testLabels),
  };
  await Promise.all(Object.entries(files).map(([name, bytes]) => writeFile(join(data, name), gzipSync(bytes))));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('convkit command', () => {
  it('--help prints the usage and exits 0; no command prints it and exits 1', async () => {
    const [help, short, none] = await Promise.all([run(['--help']), run(['-h']), run([])]);
    for (const result of [help, short]) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^convkit \d+\.\d+\.\d+: convolutional neural networks for Node.js/);
      expect(result.stdout).toContain('Usage:');
      expect(result.stdout).toContain('convkit train [options]');
      expect(result.stdout).toContain('--batch-size N');
      expect(result.stderr).toBe('');
    }
    expect(none.code).toBe(1);
    expect(none.stdout + none.stderr).toContain('Usage:');
  }, 10_000);

  it('exits 1 with a clear message on stderr for an unknown command or bad flags', async () => {
    const cases: [string[], RegExp][] = [
      [['build-native', '--jobs', '4'], /^convkit: build-native takes no arguments, got '--jobs 4'\n$/],
      [
        ['frobnicate'],
        /^convkit: unknown command 'frobnicate' \(train, evaluate, predict, export, visualize, build-native; --help for usage\)\n$/,
      ],
      [['train', '--epochs=-1', '--data', 'unused'], /^convkit: --epochs must be an integer >= 1, got '-1'\n$/],
      [['train', '--epochs', '-1'], /^convkit: Option '--epochs' argument is ambiguous/],
      [['train', '--epochs', '2.5'], /^convkit: --epochs must be an integer >= 1, got '2.5'\n$/],
      [['train', '--batch-size', 'many'], /^convkit: --batch-size must be an integer >= 1, got 'many'\n$/],
      [['train', '--model', 'nope'], /^convkit: --model must be one of kerasMnist, lenet5, bnConvnet, got 'nope'\n$/],
      [
        ['train', '--optimizer', 'nope'],
        /^convkit: --optimizer must be one of sgd, rmsprop, adam, adamw; got 'nope'\n$/,
      ],
      [['train', '--lr', 'fast'], /^convkit: --lr must be a finite number in \[0, Infinity\], got NaN\n$/],
      [['train', '--threads', '0'], /^convkit: --threads must be an integer >= 1, got '0'\n$/],
      [['train', '--bogus'], /^convkit: Unknown option '--bogus'/],
      [
        ['train', '--data', join(tmpdir(), 'convkit-no-such-dir')],
        /^convkit: fashionMnist: no data folder at .*convkit-no-such-dir/,
      ],
      [
        ['evaluate', '--model-dir', join(tmpdir(), 'convkit-no-such-model')],
        /^convkit: loadModel: .*convkit-no-such-model.model\.json cannot be read/,
      ],
    ];
    await expectFailures(cases);
  }, 10_000);

  it('train on an IDX folder, then evaluate and predict with the saved model', async () => {
    const out = join(dir, 'model');
    const train = await run([
      'train',
      '--data',
      data,
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--verbose',
      '2',
      '--seed',
      '3',
      '--out',
      out,
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    // The summary, one epoch line, then the results.
    expect(train.stdout).toContain('Model: "keras_mnist"');
    expect(train.stdout).toContain('Total params: 93,322');
    expect(train.stdout.match(/^Epoch 1\/1 - \d+\.\ds - loss: \d+\.\d{4} - accuracy: \d\.\d{4}$/gm)).toHaveLength(1);
    expect(train.stdout).toMatch(/^trained kerasMnist for 1 epochs in \d+\.\d s \(\d+ images\/s\)$/m);
    const testLoss = /^test loss: (\d+\.\d{4})$/m.exec(train.stdout)?.[1];
    const testAccuracy = /^test accuracy: (\d+\.\d{2})%$/m.exec(train.stdout)?.[1];
    expect(testLoss).toBeDefined();
    // 32 test images: the accuracy is a multiple of 1/32.
    expect((Number(testAccuracy) / 100) * 32).toBeCloseTo(Math.round((Number(testAccuracy) / 100) * 32), 1);
    expect(train.stdout).toContain(`model saved to ${out}`);
    expect((await readdir(out)).sort()).toEqual([
      'history.json',
      'model.json',
      expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/),
    ]);
    // The History fit returned, for `convkit visualize history`: one epoch, its loss and accuracy.
    const history = JSON.parse(await readFile(join(out, 'history.json'), 'utf8')) as ck.History;
    expect(history.epoch).toEqual([0]);
    expect(Object.keys(history.history)).toEqual(['loss', 'accuracy']);

    const model = await ck.loadModel(out);
    expect(model.loss).toBe('sparseCategoricalCrossentropy');
    expect(model.optimizer?.kind).toBe('rmsprop');

    const [evaluate, predict] = await Promise.all([
      run(['evaluate', '--model-dir', out, '--data', data]),
      run(['predict', '--model-dir', out, '--data', data, '--count', '3']),
    ]);
    expect(evaluate.stderr).toBe('');
    expect(evaluate.code).toBe(0);
    // The same model on the same test set: the numbers train printed.
    expect(evaluate.stdout).toBe(`test loss: ${testLoss}\ntest accuracy: ${testAccuracy}%\n`);

    expect(predict.stderr).toBe('');
    expect(predict.code).toBe(0);
    const lines = predict.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    // Class indices (not Fashion-MNIST names) for a data folder given with --data; the predicted
    // class is the argmax of the saved model's output for that test image.
    const images = ck.tensor(new Float32Array(3 * 784), [3, 28, 28, 1]);
    const { test } = await ck.datasets.fashionMnist({ dataDir: data });
    images.data.set(test.x.data.subarray(0, 3 * 784));
    const probabilities = model.predictSync(images);
    lines.forEach((line, i) => {
      const row = Array.from(probabilities.data.subarray(i * 10, i * 10 + 10));
      const best = row.indexOf(Math.max(...row));
      expect(line).toBe(`${i}: predicted ${best} (${(row[best] * 100).toFixed(1)}%), actual ${testLabels[i]}`);
    });
  }, 10_000);
});

describe('convkit visualize', () => {
  let model: ck.Sequential;
  let modelDir: string;

  beforeAll(async () => {
    modelDir = join(dir, 'visualize-model');
    model = ck.models.kerasMnist({ seed: 5 });
    model.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const { train } = await ck.datasets.fashionMnist({ dataDir: data });
    const history = await model.fit(train.x, train.y, {
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      seed: 1,
      validationSplit: 0.25,
    });
    await model.save(modelDir);
    await writeFile(join(modelDir, 'history.json'), JSON.stringify(history));
  });

  it('filters, maps and history write the pictures the API draws', async () => {
    const out = (name: string) => join(dir, name);
    const [filters, maps, history] = await Promise.all([
      run([
        'visualize',
        'filters',
        '--model-dir',
        modelDir,
        '--layer',
        'conv2d_1',
        '--channel',
        '2',
        '--out',
        out('filters.png'),
      ]),
      run([
        'visualize',
        'maps',
        '--model-dir',
        modelDir,
        '--layer',
        'conv2d',
        '--image',
        '5',
        '--data',
        data,
        '--scale',
        '3',
        '--out',
        out('maps.png'),
      ]),
      run(['visualize', 'history', '--history', join(modelDir, 'history.json'), '--out', out('history.svg')]),
    ]);
    for (const result of [filters, maps, history]) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    // conv2d_1 has 64 filters (8 rows of 8 tiles); conv2d 32 maps of 26x26 (4 rows of 8).
    expect(filters.stdout).toBe(`wrote ${out('filters.png')} (8x8 tiles, 282x282 pixels)\n`);
    expect(maps.stdout).toBe(`wrote ${out('maps.png')} (4x8 tiles, 633x317 pixels)\n`);
    expect(history.stdout).toBe(`wrote ${out('history.svg')} (840x300)\n`);

    const { test } = await ck.datasets.fashionMnist({ dataDir: data });
    const expectedMaps = await ck.visualize.featureMaps(model, test.x.slice(5, 6), 'conv2d', { scale: 3 });
    expect(await readFile(out('maps.png'))).toEqual(expectedMaps.data);
    const expectedFilters = await ck.visualize.filters(model, 'conv2d_1', { channel: 2 });
    expect(await readFile(out('filters.png'))).toEqual(expectedFilters.data);
    const svg = await readFile(out('history.svg'), 'utf8');
    expect(svg.match(/<polyline /g)).toHaveLength(4);
  }, 20_000);

  it('exits 1 with a clear message for a missing kind, layer or file and bad flags', async () => {
    const cases: [string[], RegExp][] = [
      [['visualize'], /^convkit: visualize needs what to draw: filters, maps, history; got nothing\n$/],
      [['visualize', 'filters', '--model', modelDir], /^convkit: visualize takes the saved model as --model-dir DIR/],
      [
        ['visualize', 'filters', '--model-dir', modelDir],
        /^convkit: --layer NAME is required \(layers: conv2d, max_pooling2d, conv2d_1, /,
      ],
      [
        ['visualize', 'filters', '--model-dir', modelDir, '--layer', 'dense'],
        /^convkit: filters: layer 'dense' \(Dense\) is not a conv2d layer \(conv2d layers: 'conv2d', 'conv2d_1', 'conv2d_2'\)\n$/,
      ],
      [
        ['visualize', 'maps', '--model-dir', modelDir, '--layer', 'conv2d', '--data', data, '--image', '32'],
        /^convkit: --image must be below the 32 test images, got 32\n$/,
      ],
      [
        ['visualize', 'history', '--history', join(dir, 'no-such.json')],
        /^convkit: --history .*no-such\.json cannot be read/,
      ],
      [
        ['visualize', 'history', '--history', join(modelDir, 'history.json'), '--out', join(dir, 'h.gif')],
        /^convkit: history: path must end in \.svg or \.png/,
      ],
    ];
    await expectFailures(cases);
  }, 20_000);
});
