// Fashion-MNIST (Zalando, MIT licence): 60000 training and 10000 test images of clothing, 28x28
// grey, 10 classes. The repository carries the four IDX files in data/fashion-mnist/; the npm
// package does not (see package.json "files"), so installed copies need `dataDir`.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../package_root';
import { describe } from '../errors';
import { type IdxDataset, loadIdx } from './idx';

/** Class names by label index, as published with the data set. */
export const fashionMnistClassNames: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Options of `ck.datasets.fashionMnist`. */
export interface FashionMnistOptions {
  /**
   * A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
   * t10k-labels-idx1-ubyte, each gzipped (.gz) or not. Defaults to the data/fashion-mnist folder of
   * a convkit repository checkout.
   */
  dataDir?: string;
}

/** What `ck.datasets.fashionMnist` resolves with. */
export interface FashionMnist {
  /** 60000 images: x [60000, 28, 28, 1] in [0, 1], y class indices 0..9. */
  train: IdxDataset;
  /** 10000 images: x [10000, 28, 28, 1] in [0, 1], y class indices 0..9. */
  test: IdxDataset;
  /** classNames[label] names a class. */
  classNames: string[];
}

const fileNames = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** Loads the Fashion-MNIST training and test sets, with pixels scaled to [0, 1]. */
export async function fashionMnist(options: FashionMnistOptions = {}): Promise<FashionMnist> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`fashionMnist: options must be an object, got ${describe(options)}`);
  }
  const { dataDir } = options;
  if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) {
    throw new TypeError(`fashionMnist: options.dataDir must be a non-empty string, got ${describe(dataDir)}`);
  }
  const dir = dataDir ?? defaultDataDir();
  if (!(await isDirectory(dir))) throw missingData(dir, dataDir === undefined);

  const paths = await Promise.all(Object.values(fileNames).map((name) => findFile(dir, name)));
  const missing = Object.values(fileNames).filter((_, i) => paths[i] === undefined);
  if (missing.length > 0) {
    throw new Error(`fashionMnist: ${dir} lacks ${missing.map((name) => `${name}(.gz)`).join(', ')}`);
  }
  const [trainImages, trainLabels, testImages, testLabels] = paths as string[];
  const [train, test] = await Promise.all([loadIdx(trainImages, trainLabels), loadIdx(testImages, testLabels)]);
  checkLabels(train, trainLabels);
  checkLabels(test, testLabels);
  return { train, test, classNames: [...fashionMnistClassNames] };
}

function defaultDataDir(): string {
  try {
    return join(packageRoot(), 'data', 'fashion-mnist');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `fashionMnist: cannot locate the default data folder (${reason}); pass { dataDir } naming a folder with the 4 IDX files`,
      { cause: error },
    );
  }
}

function missingData(dir: string, isDefault: boolean): Error {
  const files = Object.values(fileNames)
    .map((name) => `${name}(.gz)`)
    .join(', ');
  return new Error(
    [
      `fashionMnist: no data folder at ${dir}${isDefault ? ' (the default: data/fashion-mnist in the convkit package)' : ''}.`,
      'The npm package does not ship the data set: clone the convkit repository, which has it in',
      `data/fashion-mnist/, or pass { dataDir } naming a folder with the 4 IDX files (${files}).`,
    ].join('\n'),
  );
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The gzipped file if present, else the plain one, else undefined. */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) {
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not there: try the next name
    }
  }
  return undefined;
}

function checkLabels(set: IdxDataset, path: string): void {
  const index = set.y.findIndex((label) => label >= fashionMnistClassNames.length);
  if (index >= 0) {
    throw new RangeError(
      `${path}: label ${index} is ${set.y[index]}, but Fashion-MNIST has ${fashionMnistClassNames.length} classes (0 to ${fashionMnistClassNames.length - 1})`,
    );
  }
}
