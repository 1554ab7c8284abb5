// Training safety: a loss that turns NaN or infinite (here forced by a learning rate of 1e6)
// stops fit at that batch, with a RangeError or, with ck.callbacks.terminateOnNaN(), quietly; the
// checkpoints saved before are intact and load to the weights they were saved with.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { randomArray, rng } from '../helpers/random';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-nan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const random = rng(8);
const x = ck.tensor(randomArray(random, 64 * 4), [64, 4]);
const y = ck.tensor(randomArray(random, 64), [64, 1]);

function regressor(learningRate: number) {
  const model = ck.sequential({
    seed: 3,
    layers: [ck.layers.dense({ inputShape: [4], units: 16, activation: 'relu' }), ck.layers.dense({ units: 1 })],
  });
  model.compile({ optimizer: ck.optimizers.sgd({ learningRate }), loss: 'meanSquaredError' });
  return model;
}

/** Counts the batches fit starts, and remembers the last batch's logs. */
function batchCounter() {
  return {
    begun: 0,
    lastLoss: 0,
    onBatchBegin() {
      this.begun += 1;
    },
    onBatchEnd(_batch: number, logs: ck.Logs) {
      this.lastLoss = logs.loss;
    },
  };
}

describe('a NaN or infinite loss during fit', () => {
  it('rejects with a RangeError at that batch, and no step runs after it', async () => {
    const model = regressor(1e6);
    const counter = batchCounter();
    const error = await model
      .fit(x, y, { epochs: 5, batchSize: 8, shuffle: false, verbose: 0, callbacks: counter })
      .then(
        () => expect.fail('fit resolved'),
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(RangeError);
    const match =
      /^fit: the loss is (NaN|Infinity) at epoch (\d+), batch (\d+): training diverged \(lower the learning rate/.exec(
        error.message,
      );
    expect(match, error.message).not.toBeNull();
    const [, , epoch, batch] = match!.map(Number);
    expect(Number.isFinite(counter.lastLoss)).toBe(false);
    expect(counter.begun).toBe((epoch - 1) * 8 + batch);
    expect(error.message).toContain('ck.callbacks.terminateOnNaN()');
  });

  it('with terminateOnNaN, stops at that batch without an error and says where', async () => {
    const model = regressor(1e6);
    const counter = batchCounter();
    const terminate = ck.callbacks.terminateOnNaN();
    const history = await model.fit(x, y, {
      epochs: 5,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      callbacks: [terminate, counter],
    });
    expect(terminate.stoppedAt).not.toBeNull();
    const { epoch, batch } = terminate.stoppedAt!;
    expect(counter.begun).toBe(epoch * 8 + batch + 1);
    expect(history.epoch).toEqual(Array.from({ length: epoch + 1 }, (_, i) => i));
    expect(Number.isFinite(history.history.loss[epoch])).toBe(false);
    expect(history.history.loss.slice(0, epoch).every(Number.isFinite)).toBe(true);
  });

  it('leaves a well-behaved fit alone', async () => {
    const terminate = ck.callbacks.terminateOnNaN();
    const history = await regressor(0.01).fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: terminate });
    expect(terminate.stoppedAt).toBeNull();
    expect(history.epoch).toEqual([0, 1, 2]);
  });

  for (const quietly of [false, true]) {
    it(`keeps the checkpoints saved before it intact and loadable (${quietly ? 'terminateOnNaN' : 'RangeError'})`, async () => {
      const base = join(dir, quietly ? 'quiet' : 'loud');
      const model = regressor(0.01);
      const saved: Float32Array[][] = [];
      const callbacks: ck.Callback[] = [
        ck.callbacks.modelCheckpoint({ filepath: join(base, 'epoch-{epoch}') }),
        ck.callbacks.modelCheckpoint({ filepath: join(base, 'latest') }),
        {
          onEpochBegin: (epoch) => {
            // Epoch 3 diverges.
            if (epoch === 2) model.optimizer!.learningRate = 1e6;
          },
          onEpochEnd: () => {
            saved.push(model.getWeights().map((w) => w.data));
          },
        },
      ];
      if (quietly) callbacks.push(ck.callbacks.terminateOnNaN());
      const fit = model.fit(x, y, { epochs: 4, batchSize: 8, shuffle: false, verbose: 0, callbacks });
      if (quietly) await fit;
      else await expect(fit).rejects.toThrow(RangeError);

      expect(existsSync(join(base, 'epoch-3'))).toBe(false);
      for (const [path, epoch] of [
        ['epoch-1', 0],
        ['epoch-2', 1],
        ['latest', 1],
      ] as const) {
        const loaded = await ck.loadModel(join(base, path));
        expect(
          loaded.getWeights().map((w) => w.data),
          path,
        ).toEqual(saved[epoch]);
        expect(loaded.predictSync(x).data.every(Number.isFinite), path).toBe(true);
      }
      // The model itself diverged: its weights are no longer finite.
      expect(model.getWeights().some((w) => !w.data.every(Number.isFinite))).toBe(true);
    });
  }
});
