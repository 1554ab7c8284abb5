import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ck from '../lib';
import { ProgressLogger, type TrainingModel } from '../lib/callbacks';
import type { LearningRate } from '../lib/optimizers';
import { blobImages } from './helpers/data';
import { arm, disarm, injectedError, steps } from './helpers/fs_faults';

vi.mock('node:fs/promises', async (original) => (await import('./helpers/fs_faults')).faultyFs(await original()));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-callbacks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(disarm);

/** A stand-in for the model a callback acts on: records saves, holds an SGD optimizer. */
function fakeModel(learningRate: LearningRate = 0.1) {
  const saved: string[] = [];
  const model: TrainingModel & { saved: string[] } = {
    stopTraining: false,
    optimizer: ck.optimizers.sgd({ learningRate }),
    getWeights: () => [],
    setWeights: () => {},
    save: async (path: string) => {
      saved.push(path);
    },
    saved,
  };
  return model;
}

/** The learning rate after each epoch whose logs are given. */
function learningRates(callback: ck.Callback, model: TrainingModel, values: number[], key = 'loss'): number[] {
  callback.setModel?.(model);
  void callback.onTrainBegin?.({});
  return values.map((value, epoch) => {
    void callback.onEpochEnd?.(epoch, { [key]: value });
    return model.optimizer!.learningRate as number;
  });
}

/**
 * A model whose loss cannot change: no bias and all-zero inputs give a zero output whatever the
 * kernel, so every gradient is zero and the MSE against ones stays exactly 1.
 */
function flatLossModel() {
  const model = ck.sequential({ seed: 1, layers: [ck.layers.dense({ inputShape: [4], units: 2, useBias: false })] });
  const x = ck.tensor(new Float32Array(8 * 4), [8, 4]);
  const y = ck.tensor(new Float32Array(8 * 2).fill(1), [8, 2]);
  return { model, x, y };
}

describe('reduceLROnPlateau', () => {
  it('multiplies the learning rate by factor after patience epochs without improvement', () => {
    const callback = ck.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 2, factor: 0.5 });
    expect(learningRates(callback, fakeModel(0.1), [1, 1, 1, 1, 1, 1])).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it('an improvement resets the wait; one smaller than minDelta does not count', () => {
    const callback = ck.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 2, factor: 0.5 });
    expect(learningRates(callback, fakeModel(0.1), [1, 1, 0.5, 0.5, 0.5])).toEqual([0.1, 0.1, 0.1, 0.1, 0.05]);
    // Default minDelta 1e-4: 1 -> 0.99995 is no improvement.
    const strict = ck.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5 });
    expect(learningRates(strict, fakeModel(0.1), [1, 0.99995])).toEqual([0.1, 0.05]);
    const loose = ck.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5, minDelta: 0 });
    expect(learningRates(loose, fakeModel(0.1), [1, 0.99995])).toEqual([0.1, 0.1]);
  });

  it('does not go below minLr', () => {
    const callback = ck.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.1, minLr: 0.005 });
    const rates = learningRates(callback, fakeModel(0.1), [1, 1, 1, 1]);
    expect(rates[1]).toBeCloseTo(0.01, 12);
    expect(rates.slice(2)).toEqual([0.005, 0.005]);
  });

  it('waits out the cooldown after a reduction (Keras counting)', () => {
    const callback = ck.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5, cooldown: 2 });
    // Without cooldown: 1, 0.5, 0.25, 0.125, ...; with it, the epoch after each reduction is skipped.
    expect(learningRates(callback, fakeModel(1), [1, 1, 1, 1, 1, 1])).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  });

  it('maximizes accuracy metrics in auto mode, or as told by mode', () => {
    const rising = [0.5, 0.6, 0.7, 0.8];
    const auto = ck.callbacks.reduceLROnPlateau({ monitor: 'val_accuracy', patience: 1, factor: 0.5 });
    expect(learningRates(auto, fakeModel(0.1), rising, 'val_accuracy')).toEqual([0.1, 0.1, 0.1, 0.1]);
    const asLoss = ck.callbacks.reduceLROnPlateau({ monitor: 'val_accuracy', patience: 1, factor: 0.5, mode: 'min' });
    expect(learningRates(asLoss, fakeModel(0.1), rising, 'val_accuracy')).toEqual([0.1, 0.05, 0.025, 0.0125]);
  });

  it('starts afresh on each fit (Keras resets on train begin)', () => {
    const callback = ck.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 2, factor: 0.5 });
    const model = fakeModel(0.1);
    expect(learningRates(callback, model, [1, 1])).toEqual([0.1, 0.1]);
    // A new fit whose first loss is worse than the previous fit's best: still a first, improving epoch.
    expect(learningRates(callback, model, [2, 2])).toEqual([0.1, 0.1]);
  });

  it('validates its arguments', () => {
    expect(() => ck.callbacks.reduceLROnPlateau({ factor: 1 })).toThrow(
      /factor must be a finite number in \[0, 0.999999\], got 1/,
    );
    expect(() => ck.callbacks.reduceLROnPlateau({ patience: -1 })).toThrow(/patience must be a finite number/);
    expect(() => ck.callbacks.reduceLROnPlateau({ mode: 'up' as 'max' })).toThrow(
      /mode must be one of auto, min, max; got 'up'/,
    );
    expect(() => ck.callbacks.reduceLROnPlateau({ minLr: -1 })).toThrow(/minLr must be a finite number/);
  });

  it('refuses an optimizer that follows a schedule', async () => {
    const schedule = ck.optimizers.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(() => ck.callbacks.reduceLROnPlateau().setModel(fakeModel(schedule))).toThrow(
      /reduceLROnPlateau needs a constant learning rate, but the optimizer follows a schedule/,
    );
    const { model, x, y } = flatLossModel();
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: schedule }), loss: 'meanSquaredError' });
    await expect(
      model.fit(x, y, { verbose: 0, callbacks: [ck.callbacks.reduceLROnPlateau({ monitor: 'loss' })] }),
    ).rejects.toThrow(/needs a constant learning rate/);
  });

  it("lowers the optimizer's learning rate during fit, and fit steps with the lowered rate", async () => {
    const { model, x, y } = flatLossModel();
    const optimizer = ck.optimizers.sgd({ learningRate: 0.1 });
    model.compile({ optimizer, loss: 'meanSquaredError' });
    const stepRates: number[] = [];
    const history = await model.fit(x, y, {
      epochs: 4,
      batchSize: 8,
      verbose: 0,
      shuffle: false,
      callbacks: [
        ck.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5 }),
        {
          onBatchBegin: () => {
            stepRates.push(optimizer.learningRate as number);
          },
        },
      ],
    });
    expect(history.history.loss).toEqual([1, 1, 1, 1]);
    expect(stepRates).toEqual([0.1, 0.1, 0.05, 0.025]);
    expect(optimizer.learningRate).toBe(0.0125);
  });
});

describe('modelCheckpoint', () => {
  it('needs a filepath', () => {
    expect(() => ck.callbacks.modelCheckpoint({ filepath: '' })).toThrow(
      /modelCheckpoint filepath must be a non-empty string/,
    );
    expect(() => ck.callbacks.modelCheckpoint(undefined as unknown as ck.callbacks.ModelCheckpointArgs)).toThrow(
      TypeError,
    );
  });

  it('saves a loadable model after every epoch, {epoch} counting from 1', async () => {
    const { x, y } = blobImages(16, 2, 1);
    const model = ck.sequential({
      seed: 2,
      layers: [ck.layers.flatten({ inputShape: [8, 8, 1] }), ck.layers.dense({ units: 2, activation: 'softmax' })],
    });
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
    const weightsAtEpochEnd: ck.Tensor[][] = [];
    await model.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      verbose: 0,
      callbacks: [
        ck.callbacks.modelCheckpoint({ filepath: join(dir, 'every', 'epoch-{epoch}') }),
        {
          onEpochEnd: () => {
            weightsAtEpochEnd.push(model.getWeights());
          },
        },
      ],
    });
    expect((await readdir(join(dir, 'every'))).sort()).toEqual(['epoch-1', 'epoch-2']);
    for (const epoch of [1, 2]) {
      const loaded = await ck.loadModel(join(dir, 'every', `epoch-${epoch}`));
      const weights = loaded.getWeights();
      weights.forEach((w, i) =>
        expect(w.data, `epoch ${epoch} weight ${i}`).toEqual(weightsAtEpochEnd[epoch - 1][i].data),
      );
      expect(loaded.loss).toBe('sparseCategoricalCrossentropy');
    }
    expect(weightsAtEpochEnd[0][0].data).not.toEqual(weightsAtEpochEnd[1][0].data);
    expect((await ck.loadModel(join(dir, 'every', 'epoch-2'))).predictSync(x).data).toEqual(model.predictSync(x).data);
  });

  it('with saveBestOnly saves only when the monitored metric improves', async () => {
    const checkpoint = ck.callbacks.modelCheckpoint({ filepath: 'p{epoch}', monitor: 'val_loss', saveBestOnly: true });
    const model = fakeModel();
    checkpoint.setModel(model);
    const losses = [1, 2, 0.5, 0.5, 0.4];
    for (const [epoch, value] of losses.entries()) await checkpoint.onEpochEnd(epoch, { loss: 9, val_loss: value });
    expect(model.saved).toEqual(['p1', 'p3', 'p5']);

    const accuracy = ck.callbacks.modelCheckpoint({
      filepath: 'a{epoch}',
      monitor: 'val_accuracy',
      saveBestOnly: true,
    });
    const other = fakeModel();
    accuracy.setModel(other);
    for (const [epoch, value] of [0.5, 0.4, 0.7, 0.7].entries())
      await accuracy.onEpochEnd(epoch, { val_accuracy: value });
    expect(other.saved).toEqual(['a1', 'a3']);
  });

  it('with saveBestOnly during fit: a flat loss saves the first epoch only', async () => {
    const { model, x, y } = flatLossModel();
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    await model.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      verbose: 0,
      callbacks: [
        ck.callbacks.modelCheckpoint({ filepath: join(dir, 'best', 'e{epoch}'), monitor: 'loss', saveBestOnly: true }),
      ],
    });
    expect(await readdir(join(dir, 'best'))).toEqual(['e1']);
    expect((await ck.loadModel(join(dir, 'best', 'e1'))).getWeights()[0].data).toEqual(model.getWeights()[0].data);
  });

  it('a save that fails at any step leaves the last good checkpoint loadable, and fit rejects with the error', async () => {
    const { x, y } = blobImages(16, 2, 1);
    const path = join(dir, 'failing');
    const model = ck.sequential({
      seed: 2,
      layers: [ck.layers.flatten({ inputShape: [8, 8, 1] }), ck.layers.dense({ units: 2, activation: 'softmax' })],
    });
    model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
    // The steps of an epoch's save over the previous epoch's, from one that succeeds.
    await model.save(path);
    arm();
    await model.save(path);
    disarm();
    const saveSteps = [...steps];
    const commit = saveSteps.indexOf('rename model.json.tmp');
    for (const [index, step] of saveSteps.entries()) {
      const error = injectedError(step);
      let firstEpoch: ck.Tensor[] = [];
      let secondEpoch: ck.Tensor[] = [];
      const fit = model.fit(x, y, {
        epochs: 2,
        batchSize: 8,
        verbose: 0,
        callbacks: [
          {
            // Runs before the checkpoint's onEpochEnd: the second epoch's save fails at `step`.
            onEpochEnd: (epoch: number) => {
              if (epoch === 0) firstEpoch = model.getWeights();
              else {
                secondEpoch = model.getWeights();
                arm({ failAt: index, error });
              }
            },
          },
          ck.callbacks.modelCheckpoint({ filepath: path }),
        ],
      });
      await expect(fit, step).rejects.toBe(error);
      disarm();
      const loaded = (await ck.loadModel(path)).getWeights();
      (index <= commit ? firstEpoch : secondEpoch).forEach((w, i) =>
        expect(loaded[i].data, `${step}: weight ${i}`).toEqual(w.data),
      );
    }
  });

  it('with saveBestOnly and a metric missing from the logs: a clear error', async () => {
    const { model, x, y } = flatLossModel();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(
      model.fit(x, y, {
        verbose: 0,
        callbacks: [ck.callbacks.modelCheckpoint({ filepath: join(dir, 'never'), saveBestOnly: true })],
      }),
    ).rejects.toThrow(/monitored metric 'val_loss' is not in the logs \(available: loss\)/);
  });
});

describe('earlyStopping', () => {
  it('a monitored metric missing from the logs is a clear error naming what is there', async () => {
    const { x, y } = blobImages(8, 2, 3);
    const model = ck.sequential({
      seed: 1,
      layers: [ck.layers.flatten({ inputShape: [8, 8, 1] }), ck.layers.dense({ units: 2, activation: 'softmax' })],
    });
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const error = (await model
      .fit(x, y, { epochs: 2, verbose: 0, callbacks: [ck.callbacks.earlyStopping()] })
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(
      "monitored metric 'val_loss' is not in the logs (available: loss, accuracy); " +
        'val_* metrics need validationData or validationSplit',
    );
    // The model is not left in the training state.
    await expect(model.trainOnBatch(x, y)).resolves.toBeTypeOf('number');
  });

  it('counts patience, minDelta and mode', () => {
    const run = (args: ck.callbacks.EarlyStoppingArgs, values: number[], key = 'val_loss') => {
      const callback = ck.callbacks.earlyStopping(args);
      const model = fakeModel();
      callback.setModel(model);
      callback.onTrainBegin();
      for (const [epoch, value] of values.entries()) {
        callback.onEpochEnd(epoch, { [key]: value });
        if (model.stopTraining) return callback.stoppedEpoch;
      }
      return -1;
    };
    expect(run({ patience: 0 }, [1, 0.9, 0.95, 0.5])).toBe(2);
    expect(run({ patience: 2 }, [1, 0.9, 0.95, 0.95, 0.5])).toBe(-1);
    expect(run({ patience: 2 }, [1, 0.9, 0.95, 0.95, 0.95])).toBe(4);
    expect(run({ patience: 1, minDelta: 0.2 }, [1, 0.85, 0.9])).toBe(2);
    expect(run({ patience: 1 }, [1, 0.85, 0.9])).toBe(-1);
    expect(run({ patience: 0, monitor: 'val_accuracy' }, [0.5, 0.6, 0.55], 'val_accuracy')).toBe(2);
    expect(run({ patience: 0, monitor: 'val_accuracy', mode: 'min' }, [0.5, 0.6], 'val_accuracy')).toBe(1);
  });
});

describe('ProgressLogger', () => {
  /** A write stream stand-in that records what is written. */
  function fakeStream(isTTY: boolean) {
    const chunks: string[] = [];
    const stream = {
      isTTY,
      write: (chunk: string) => {
        chunks.push(chunk);
        return true;
      },
    };
    return { stream: stream as unknown as NodeJS.WriteStream, chunks };
  }

  it('off a terminal prints one line per epoch with the metrics, nothing per batch', () => {
    for (const verbose of [1, 2]) {
      const { stream, chunks } = fakeStream(false);
      const logger = new ProgressLogger(verbose, stream);
      logger.configure(3, 4);
      for (let epoch = 0; epoch < 3; epoch++) {
        logger.onEpochBegin(epoch);
        for (let batch = 0; batch < 4; batch++) logger.onBatchEnd(batch, { batch, size: 8, loss: 1 / (batch + 1) });
        logger.onEpochEnd(epoch, { loss: 0.5 / (epoch + 1), accuracy: 0.25 * epoch, val_loss: 0.00012 });
      }
      expect(chunks).toHaveLength(3);
      expect(chunks[0]).toMatch(/^Epoch 1\/3 - \d+\.\ds - loss: 0\.5000 - accuracy: 0\.0000 - val_loss: 1\.200e-4\n$/);
      expect(chunks[1]).toMatch(/^Epoch 2\/3 - \d+\.\ds - loss: 0\.2500 - accuracy: 0\.2500 - val_loss: 1\.200e-4\n$/);
      expect(chunks[2]).toMatch(/^Epoch 3\/3 - \d+\.\ds - loss: 0\.1667 - accuracy: 0\.5000 - val_loss/);
    }
  });

  it('on a terminal with verbose 1 draws a progress bar and ends each epoch with a summary line', () => {
    const { stream, chunks } = fakeStream(true);
    const logger = new ProgressLogger(1, stream);
    logger.configure(2, 4);
    logger.onEpochBegin(0);
    logger.onBatchEnd(3, { batch: 3, size: 8, loss: 0.75 });
    logger.onEpochEnd(0, { loss: 0.75 });
    expect(chunks[0]).toBe('Epoch 1/2\n');
    expect(chunks[1]).toBe(`\r4/4 [${'='.repeat(29)}>] loss: 0.7500\x1b[K`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the progress bar's ANSI erase-line code
    expect(chunks[2]).toMatch(/^\r4\/4 \d+\.\ds loss: 0\.7500\x1b\[K\n$/);
    // verbose 2 prints epoch lines even on a terminal.
    const two = fakeStream(true);
    const lines = new ProgressLogger(2, two.stream);
    lines.configure(2, 4);
    lines.onEpochBegin(0);
    lines.onBatchEnd(3, { loss: 1 });
    lines.onEpochEnd(0, { loss: 1 });
    expect(two.chunks).toHaveLength(1);
    expect(two.chunks[0]).toMatch(/^Epoch 1\/2 - \d+\.\ds - loss: 1\.0000\n$/);
  });

  it('rejects verbose 0 (silence is no logger)', () => {
    expect(() => new ProgressLogger(0)).toThrow(/verbose must be a positive integer, got 0/);
  });

  it('fit with verbose 2 prints one line per epoch with the loss', async () => {
    const { model, x, y } = flatLossModel();
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 2 });
    } finally {
      spy.mockRestore();
    }
    const lines = written.filter((w) => w.startsWith('Epoch '));
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) =>
      expect(line).toMatch(new RegExp(`^Epoch ${i + 1}/3 - \\d+\\.\\ds - loss: 1\\.0000\\n$`)),
    );
  });
});
