// Data set loaders: the IDX file format and the Fashion-MNIST data set built on it.
export { loadIdx, readIdx } from './idx';
export type { IdxArray, IdxDataset, IdxDtype, IdxTypedArray, LoadIdxOptions } from './idx';
export { fashionMnist, fashionMnistClassNames } from './fashion_mnist';
export type { FashionMnist, FashionMnistOptions } from './fashion_mnist';
