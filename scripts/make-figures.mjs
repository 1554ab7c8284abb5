// Regenerates the README's pictures under docs/: trains kerasMnist on the bundled Fashion-MNIST
// (2 epochs, 10% held out for validation, fixed seeds), then draws its first layer's filters, the
// feature maps that layer makes of a test image, and the training curves.
//   npm run build && node scripts/make-figures.mjs
// About two minutes on a 2-core machine; the pictures depend only on the seeds and the data.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ck from '../dist/esm/index.mjs';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
// Test image 0 is an ankle boot: its outline makes the feature maps easy to read.
const imageIndex = 0;

const { train, test, classNames } = await ck.datasets.fashionMnist();
const model = ck.models.kerasMnist({ seed: 1 });
model.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const started = Date.now();
const history = await model.fit(train.x, train.y, {
  epochs: 2,
  batchSize: 64,
  validationSplit: 0.1,
  seed: 1,
  verbose: 2,
});
const { accuracy } = await model.evaluate(test.x, test.y, { batchSize: 256 });
console.log(
  `trained in ${((Date.now() - started) / 1000).toFixed(0)} s, test accuracy ${(accuracy * 100).toFixed(2)}%`,
);

await mkdir(docs, { recursive: true });
const pictures = [
  await ck.visualize.filters(model, 'conv2d', { path: join(docs, 'filters.png'), scale: 14 }),
  await ck.visualize.featureMaps(model, test.x.slice(imageIndex, imageIndex + 1), 'conv2d', {
    path: join(docs, 'feature-maps.png'),
    scale: 3,
  }),
  await ck.visualize.history(history, { path: join(docs, 'history.svg') }),
];
console.log(`feature maps of test image ${imageIndex} (${classNames[test.y[imageIndex]]})`);
for (const picture of pictures) console.log(`wrote ${picture.path} (${picture.width}x${picture.height})`);
