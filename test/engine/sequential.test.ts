import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { blobImages, oneHot, smallConvnet } from '../helpers/data';
import { randomArray, rng } from '../helpers/random';

describe('ready-made architectures match Keras', () => {
  it('kerasMnist: shapes and 93,322 parameters', () => {
    const model = ck.models.kerasMnist({ seed: 1 });
    expect(model.countParams()).toBe(93322);
    expect(model.outputShape).toEqual([10]);
    const text = model.summary(() => {});
    expect(text).toContain('(None, 26, 26, 32)');
    expect(text).toContain('(None, 3, 3, 64)');
    expect(text).toContain('(None, 576)');
    expect(text).toContain('Total params: 93,322');
    expect(model.weightSpecs().map((w) => w.shape)).toEqual([
      [3, 3, 1, 32],
      [32],
      [3, 3, 32, 64],
      [64],
      [3, 3, 64, 64],
      [64],
      [576, 64],
      [64],
      [64, 10],
      [10],
    ]);
  });

  it('lenet5: shapes and 61,706 parameters', () => {
    const model = ck.models.lenet5({ seed: 1 });
    expect(model.countParams()).toBe(61706);
    expect(model.summary(() => {})).toContain('(None, 5, 5, 16)');
  });
});

describe('training', () => {
  it('fits a small separable problem to ~100% training accuracy', async () => {
    const { x, y } = blobImages(128, 4, 3);
    const model = smallConvnet();
    model.compile({
      optimizer: ck.optimizers.adam({ learningRate: 0.01 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0, seed: 7 });
    expect(history.history.loss[14]).toBeLessThan(history.history.loss[0] / 4);
    const result = await model.evaluate(x, y);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.98);
  });

  it('gives the same result for the same seeds (repeatable)', async () => {
    const { x, y } = blobImages(64, 4, 5);
    const run = async () => {
      const model = smallConvnet(11);
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const history = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, seed: 3 });
      return history.history.loss;
    };
    expect(await run()).toEqual(await run());
  });

  it('one SGD step changes each weight by -lr * its finite-difference gradient', async () => {
    const { x, y } = blobImages(6, 3, 9);
    const model = ck.sequential({
      seed: 4,
      layers: [
        ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, strides: 2, activation: 'tanh' }),
        ck.layers.averagePooling2d({ poolSize: 2 }),
        ck.layers.flatten(),
        ck.layers.dense({ units: 5, activation: 'elu' }),
        ck.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const lr = 0.5;
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: lr }), loss: 'sparseCategoricalCrossentropy' });
    const before = model.getWeights();
    const lossAt = async (weights: ck.Tensor[]) => {
      model.setWeights(weights);
      return (await model.evaluate(x, y, { batchSize: 6 })).loss;
    };
    await model.trainOnBatch(x, y);
    const after = model.getWeights();
    const random = rng(2);
    const eps = 1e-2;
    for (let w = 0; w < before.length; w++) {
      for (let trial = 0; trial < 6; trial++) {
        const i = Math.floor(random() * before[w].size);
        const plus = before.map((t) => new ck.Tensor(t.data.slice(), t.shape));
        const minus = before.map((t) => new ck.Tensor(t.data.slice(), t.shape));
        plus[w].data[i] += eps;
        minus[w].data[i] -= eps;
        const numeric = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * eps);
        const analytic = (before[w].data[i] - after[w].data[i]) / lr;
        expect(Math.abs(analytic - numeric), `weight ${w}[${i}]: ${analytic} vs ${numeric}`).toBeLessThan(
          2e-3 + 2e-2 * Math.abs(numeric),
        );
      }
    }
  });

  it('relu/leakyRelu fused into the GEMM give bit-identical predictions and training to separate layers', async () => {
    const { x, y } = blobImages(20, 3, 5);
    const fused = ck.sequential({
      seed: 6,
      layers: [
        ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 5, kernelSize: 3, padding: 'same', activation: 'relu' }),
        ck.layers.maxPooling2d({ poolSize: 2 }),
        ck.layers.flatten(),
        ck.layers.dense({ units: 6, activation: 'leakyRelu' }),
        ck.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const separate = ck.sequential({
      layers: [
        ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 5, kernelSize: 3, padding: 'same' }),
        ck.layers.activation({ activation: 'relu' }),
        ck.layers.maxPooling2d({ poolSize: 2 }),
        ck.layers.flatten(),
        ck.layers.dense({ units: 6 }),
        ck.layers.leakyReLU({ alpha: 0.3 }),
        ck.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const initial = fused.getWeights();
    separate.setWeights(initial);
    expect(fused.predictSync(x).data).toEqual(separate.predictSync(x).data);
    for (const model of [fused, separate]) {
      model.compile({
        optimizer: ck.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }),
        loss: 'sparseCategoricalCrossentropy',
      });
      for (let step = 0; step < 3; step++) await model.trainOnBatch(x, y);
    }
    const [after, reference] = [fused.getWeights(), separate.getWeights()];
    after.forEach((w, i) => expect(w.data, `weight ${i}`).toEqual(reference[i].data));
    expect(after[0].data).not.toEqual(initial[0].data); // the steps did train
    expect(fused.predictSync(x).data).toEqual(separate.predictSync(x).data);
  });

  it('trains with one-hot targets and categorical cross-entropy, with validation data', async () => {
    const { x, y } = blobImages(64, 4, 13);
    const model = smallConvnet(2);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, oneHot(y, 4), {
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      validationData: [x, oneHot(y, 4)],
    });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(history.epoch).toEqual([0, 1]);
  });

  it('holds out the last samples with validationSplit', async () => {
    const { x, y } = blobImages(40, 4, 17);
    const model = smallConvnet(3);
    model.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, validationSplit: 0.25 });
    expect(history.params.samples).toBe(30);
    expect(history.history.val_loss).toHaveLength(1);
  });

  it('fits from an async iterable of batches (data larger than memory)', async () => {
    const { x, y } = blobImages(32, 4, 19);
    const dataset = {
      async *[Symbol.asyncIterator]() {
        for (let start = 0; start < 32; start += 8)
          yield { x: x.slice(start, start + 8), y: y.subarray(start, start + 8) };
      },
    };
    const model = smallConvnet(5);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const batches: number[] = [];
    const history = await model.fit(dataset, {
      epochs: 2,
      verbose: 0,
      callbacks: {
        onBatchEnd: (b) => {
          batches.push(b);
        },
      },
    });
    expect(history.history.loss).toHaveLength(2);
    expect(batches).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('calls callbacks in order', async () => {
    const { x, y } = blobImages(16, 4, 23);
    const model = smallConvnet(6);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const events: string[] = [];
    await model.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      verbose: 0,
      callbacks: {
        onTrainBegin: () => {
          events.push('trainBegin');
        },
        onEpochBegin: (e) => {
          events.push(`epochBegin ${e}`);
        },
        onBatchEnd: (b, logs) => {
          events.push(`batchEnd ${b} ${Number.isFinite(logs.loss)}`);
        },
        onEpochEnd: async (e) => {
          await new Promise((r) => setTimeout(r, 1));
          events.push(`epochEnd ${e}`);
        },
        onTrainEnd: () => {
          events.push('trainEnd');
        },
      },
    });
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 0',
      'batchEnd 0 true',
      'batchEnd 1 true',
      'epochEnd 0',
      'epochBegin 1',
      'batchEnd 0 true',
      'batchEnd 1 true',
      'epochEnd 1',
      'trainEnd',
    ]);
  });

  it('early stopping stops and restores the best weights', async () => {
    const { x, y } = blobImages(32, 4, 29);
    const model = smallConvnet(7);
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0 }), loss: 'sparseCategoricalCrossentropy' });
    const stopper = ck.callbacks.earlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true });
    const history = await model.fit(x, y, {
      epochs: 20,
      batchSize: 32,
      verbose: 0,
      shuffle: false,
      callbacks: [stopper],
    });
    // With a zero learning rate the loss never improves after epoch 0: stop after patience + 1 more.
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(stopper.stoppedEpoch).toBe(2);
  });

  it('keeps the event loop responsive during fit (p99 delay < 50 ms)', async () => {
    const { x, y } = blobImages(512, 4, 31);
    const model = ck.sequential({
      seed: 1,
      layers: [
        ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }),
        ck.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }),
        ck.layers.flatten(),
        ck.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 5);
    const started = Date.now();
    await model.fit(x, y, { epochs: 3, batchSize: 64, verbose: 0 });
    const elapsed = Date.now() - started;
    clearInterval(timer);
    histogram.disable();
    expect(histogram.percentile(99) / 1e6).toBeLessThan(50);
    // The timer kept firing while training ran (not starved until the end).
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
  });
});

describe('inference', () => {
  it('predict matches predictSync and is safe to call concurrently', async () => {
    const model = smallConvnet(8);
    const random = rng(1);
    const x = new ck.Tensor(randomArray(random, 50 * 64, 0, 1), [50, 8, 8, 1]);
    const expected = model.predictSync(x);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => model.predict(x, { batchSize: 7 + i })));
    for (const result of results) expect(result.data).toEqual(expected.data);
    expect(expected.shape).toEqual([50, 4]);
    // softmax rows sum to 1
    for (let i = 0; i < 50; i++)
      expect(expected.data.subarray(i * 4, i * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('evaluates a batch larger than one inference slice like the per-sample mean', async () => {
    const { x, y } = blobImages(300, 4, 12);
    const model = smallConvnet(10);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const probabilities = model.predictSync(x).data;
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < 300; i++) {
      const row = Array.from(probabilities.subarray(i * 4, i * 4 + 4));
      loss -= Math.log(row[y[i]]) / 300;
      correct += row.indexOf(Math.max(...row)) === y[i] ? 1 : 0;
    }
    const result = await model.evaluate(x, y, { batchSize: 300 });
    expect(result.loss).toBeCloseTo(loss, 5);
    expect(result.accuracy).toBe(correct / 300);
    for (const i of [0, 150, 299]) {
      const alone = model.predictSync(new ck.Tensor(x.data.slice(i * 64, i * 64 + 64), [1, 8, 8, 1]));
      expect(alone.data).toEqual(probabilities.subarray(i * 4, i * 4 + 4));
    }
  });

  it('predicts and evaluates with the same bits for 1, 2 and 3 threads', async () => {
    const { x, y } = blobImages(300, 4, 12);
    const model = smallConvnet(10);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const initial = ck.backendInfo().threads;
    try {
      const runs = [];
      for (const threads of [1, 2, 3]) {
        ck.setNumThreads(threads);
        runs.push({ predicted: model.predictSync(x).data, evaluated: await model.evaluate(x, y, { batchSize: 300 }) });
      }
      for (const run of runs.slice(1)) {
        expect(run.predicted).toEqual(runs[0].predicted);
        expect(run.evaluated).toEqual(runs[0].evaluated);
      }
    } finally {
      ck.setNumThreads(initial);
    }
  });

  it('runs a few images inline and larger requests on workers, with the same results', async () => {
    const model = ck.models.kerasMnist({ seed: 3 });
    const random = rng(4);
    const x = new ck.Tensor(randomArray(random, 12 * 784, 0, 1), [12, 28, 28, 1]);
    const all = model.predictSync(x);
    // 12 images are 67 MFLOP (worker threads, in batches of 5); 2 images are 11 MFLOP (inline).
    const [onWorkers, inline] = await Promise.all([
      model.predict(x, { batchSize: 5 }),
      model.predict(new ck.Tensor(x.data.slice(0, 2 * 784), [2, 28, 28, 1])),
    ]);
    expect(onWorkers.data).toEqual(all.data);
    expect(inline.data).toEqual(all.data.subarray(0, 20));
    const two = new ck.Tensor(x.data.slice(0, 2 * 784), [2, 28, 28, 1]);
    expect((await model.predict(two, { inline: false })).data).toEqual(inline.data);
    expect((await model.predict(x, { inline: true })).data).toEqual(all.data);
    await expect(model.predict(two, { inline: 'yes' as never })).rejects.toThrow(
      new TypeError('predict inline must be a boolean, got string yes'),
    );
  });

  it('follows every change of the weights (setWeights, trainOnBatch, fit) between predictions', async () => {
    // Inference keeps each layer's weights packed across calls; a stale packing would predict
    // with old weights. A model that never predicted before has nothing kept, so it is the reference.
    const { x, y } = blobImages(24, 4, 5);
    const model = smallConvnet(11);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const freshPrediction = (weights: ck.Tensor[]) => {
      const fresh = smallConvnet(12);
      fresh.setWeights(weights);
      return fresh.predictSync(x).data;
    };
    const initial = model.predictSync(x).data;
    const other = smallConvnet(13).getWeights();
    model.setWeights(other);
    const afterSet = model.predictSync(x).data;
    expect(afterSet).not.toEqual(initial);
    expect(afterSet).toEqual(freshPrediction(other));
    await model.trainOnBatch(x, y);
    expect((await model.predict(x)).data).toEqual(freshPrediction(model.getWeights()));
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(model.predictSync(x).data).toEqual(freshPrediction(model.getWeights()));
  });

  it('predicts while a fit is running', async () => {
    const { x, y } = blobImages(64, 4, 37);
    const model = smallConvnet(9);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const fitting = model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    const predictions = await Promise.all([model.predict(x), model.predict(x)]);
    await fitting;
    for (const p of predictions) expect(p.data.every(Number.isFinite)).toBe(true);
  });
});

describe('bad input gets a clear error', () => {
  const { x, y } = blobImages(8, 4, 41);

  it('rejects fit before compile, and a second fit at once', async () => {
    const model = smallConvnet();
    await expect(model.fit(x, y)).rejects.toThrow(/must be compiled first/);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const first = model.fit(x, y, { epochs: 2, verbose: 0 });
    await expect(model.fit(x, y, { verbose: 0 })).rejects.toThrow(/already training/);
    await first;
  });

  it('rejects wrong shapes and label count mismatches', async () => {
    const model = smallConvnet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(model.fit(new ck.Tensor(new Float32Array(8 * 49), [8, 7, 7, 1]), y)).rejects.toThrow(
      /x must have shape \[n, 8, 8, 1\], got \[8, 7, 7, 1\]/,
    );
    await expect(model.fit(x, y.subarray(0, 5))).rejects.toThrow(/y has 5 labels but x has 8 samples/);
    await expect(model.predict(x.data as unknown as ck.Tensor)).rejects.toThrow(TypeError);
    expect(() => model.predictSync(new ck.Tensor(new Float32Array(64), [1, 64]))).toThrow(RangeError);
  });

  it('rejects labels out of range and NaN inputs with the sample that has them', async () => {
    const model = smallConvnet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(
      model.fit(x, Int32Array.from([0, 1, 2, 3, 0, 1, 9, 3]), { shuffle: false, verbose: 0, batchSize: 8 }),
    ).rejects.toThrow(/label 9 in sample 6 of the batch is outside \[0, 4\)/);
    const bad = x.data.slice();
    bad[3 * 64 + 5] = Number.NaN;
    await expect(
      model.fit(new ck.Tensor(bad, x.shape), y, { shuffle: false, verbose: 0, batchSize: 8 }),
    ).rejects.toThrow(/non-finite value \(NaN or Infinity\) in sample 3/);
  });

  it('rejects unknown layer, loss and optimizer names, and mismatched loss/label forms', () => {
    expect(() => ck.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'swishy' as 'relu' })).toThrow(
      /activation must be one of/,
    );
    expect(() => ck.layers.dense({ units: 0 })).toThrow(/units must be a positive integer, got 0/);
    const model = smallConvnet();
    expect(() => model.compile({ optimizer: 'adagrad', loss: 'sparseCategoricalCrossentropy' })).toThrow(
      /optimizer must be one of/,
    );
    expect(() => model.compile({ optimizer: 'adam', loss: 'hinge' })).toThrow(/loss must be one of/);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    return expect(model.fit(x, y)).rejects.toThrow(/use the loss 'sparseCategoricalCrossentropy'/);
  });

  it('rejects a layer whose window does not fit', () => {
    const model = ck.sequential({ layers: [ck.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 5 })] });
    expect(() => model.outputShape).toThrow(/Conv2D 'conv2d.*': kernel 5x5 .* does not fit input 4x4/);
  });

  it('rejects setWeights with the wrong count, shapes or NaN', () => {
    const model = smallConvnet();
    const weights = model.getWeights();
    expect(() => model.setWeights(weights.slice(1))).toThrow(/has 4 weights, got 3/);
    expect(() => model.setWeights([weights[1], weights[0], weights[2], weights[3]])).toThrow(
      /must have shape \[3, 3, 1, 4\]/,
    );
    const poisoned = weights.map((w) => new ck.Tensor(w.data.slice(), w.shape));
    poisoned[2].data[0] = Number.NaN;
    expect(() => model.setWeights(poisoned)).toThrow(/contains NaN or Infinity/);
  });
});
