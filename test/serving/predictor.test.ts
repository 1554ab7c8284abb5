import { describe, expect, it, vi } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';

const IMAGE = [8, 8, 1];
const IMAGE_SIZE = 64;
const CLASSES = 4;

function smallConvnet(seed = 1) {
  return ck.sequential({
    seed,
    layers: [
      ck.layers.conv2d({ inputShape: IMAGE, filters: 4, kernelSize: 3, activation: 'relu' }),
      ck.layers.maxPooling2d({ poolSize: 2 }),
      ck.layers.flatten(),
      ck.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
}

/** n images [n, 8, 8, 1] and the model's outputs for them from one ordinary batched predict. */
async function imagesAndReference(model: ck.Sequential, n: number, seed: number) {
  const x = ck.tensor(randomArray(rng(seed), n * IMAGE_SIZE, 0, 1), [n, ...IMAGE]);
  const reference = await model.predict(x, { batchSize: n });
  const row = (i: number) => reference.data.subarray(i * CLASSES, (i + 1) * CLASSES);
  return { x, image: (i: number) => x.data.slice(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), row };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createPredictor', () => {
  it('resolves each caller with its own row of model.predict, for every input form', async () => {
    const model = smallConvnet();
    const { x, image, row } = await imagesAndReference(model, 30, 1);
    const predictor = ck.createPredictor(model, { maxBatchSize: 8, maxDelayMs: 5 });
    const forms = [
      (i: number) => image(i),
      (i: number) => ck.tensor(image(i), IMAGE),
      (i: number) => x.slice(i, i + 1), // [1, 8, 8, 1], a view into x
    ];
    const outputs = await Promise.all(Array.from({ length: 30 }, (_, i) => predictor.predict(forms[i % 3](i))));
    outputs.forEach((output, i) => {
      expect(output.shape).toEqual([CLASSES]);
      expectClose(output.data, row(i), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`);
    });
    // Rows are copies: writing one caller's output changes no other's.
    outputs[0].data.fill(-1);
    expectClose(outputs[1].data, row(1), { atol: 1e-6, rtol: 1e-5 }, 'request 1 after writing request 0');
    await predictor.close();
  });

  it('gathers concurrent requests into full batches', async () => {
    const model = smallConvnet();
    const { image } = await imagesAndReference(model, 24, 2);
    // A long delay, so only full batches can leave before the end of the test.
    const predictor = ck.createPredictor(model, { maxBatchSize: 8, maxDelayMs: 10_000 });
    await Promise.all(Array.from({ length: 24 }, (_, i) => predictor.predict(image(i))));
    const stats = predictor.stats();
    expect(stats.batches).toBe(3);
    expect(stats.batchSizes[8]).toBe(3);
    expect(stats.batchSizes.reduce((sum, count) => sum + count, 0)).toBe(3);
    expect(stats).toMatchObject({
      requests: 24,
      completed: 24,
      failed: 0,
      queueDepth: 0,
      inFlightBatches: 0,
      inFlightRequests: 0,
    });
    await predictor.close();
  });

  it('by default sends a lone request at once and gathers the others while it computes', async () => {
    const model = smallConvnet();
    const { image, row } = await imagesAndReference(model, 20, 9);
    const predictor = ck.createPredictor(model);
    const pending = Array.from({ length: 20 }, (_, i) => predictor.predict(image(i)));
    expect(predictor.stats()).toMatchObject({ inFlightBatches: 1, inFlightRequests: 1, queueDepth: 19 });
    const outputs = await Promise.all(pending);
    outputs.forEach((output, i) => expectClose(output.data, row(i), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`));
    const sizes = predictor.stats().batchSizes;
    expect([sizes[1], sizes[19], predictor.stats().batches]).toEqual([1, 1, 2]);
    await predictor.close();
  });

  it('answers a big batch over several turns of the event loop, so timers and I/O are not held up', async () => {
    const model = smallConvnet();
    const { image, row } = await imagesAndReference(model, 24, 11);
    const predictor = ck.createPredictor(model, { maxBatchSize: 24, maxDelayMs: 10_000 });
    let turns = 0;
    let counting = true;
    const countTurns = () => {
      turns += 1;
      if (counting) setImmediate(countTurns);
    };
    const answeredAtTurn: number[] = [];
    const pending = Array.from({ length: 24 }, (_, i) =>
      predictor.predict(image(i)).then((output) => {
        answeredAtTurn[i] = turns;
        return output;
      }),
    );
    setImmediate(countTurns);
    const outputs = await Promise.all(pending);
    counting = false;
    outputs.forEach((output, i) => expectClose(output.data, row(i), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`));
    expect(predictor.stats().batchSizes[24]).toBe(1);
    expect(new Set(answeredAtTurn).size).toBe(3); // 8 callers per turn
    await predictor.close();
  });

  it('runs up to maxInFlight batches at once', async () => {
    const model = smallConvnet();
    const { image } = await imagesAndReference(model, 6, 10);
    const predictor = ck.createPredictor(model, { maxInFlight: 2 });
    const pending = Array.from({ length: 6 }, (_, i) => predictor.predict(image(i)));
    expect(predictor.stats()).toMatchObject({ inFlightBatches: 2, inFlightRequests: 2, queueDepth: 4 });
    await Promise.all(pending);
    expect(predictor.stats().batchSizes[1]).toBeGreaterThanOrEqual(2);
    await predictor.close();
  });

  it('sends a partial batch once its oldest request has waited maxDelayMs', async () => {
    const model = smallConvnet();
    const { image, row } = await imagesAndReference(model, 3, 3);
    const predictor = ck.createPredictor(model, { maxBatchSize: 64, maxDelayMs: 60 });
    const start = performance.now();
    const settledAt: number[] = [];
    const pending = [0, 1, 2].map((i) =>
      predictor.predict(image(i)).then((output) => {
        settledAt.push(performance.now() - start);
        return output;
      }),
    );
    await sleep(20);
    expect(predictor.stats()).toMatchObject({ queueDepth: 3, batches: 0 });
    const outputs = await Promise.all(pending);
    outputs.forEach((output, i) => expectClose(output.data, row(i), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`));
    expect(Math.min(...settledAt)).toBeGreaterThanOrEqual(55); // timers may fire up to a millisecond early
    expect(predictor.stats().batchSizes[3]).toBe(1);
    expect(predictor.stats().batches).toBe(1);
    await predictor.close();
  });

  it('rejects past maxQueue with a QUEUE_FULL PredictorError, and still serves the accepted requests', async () => {
    const model = smallConvnet();
    const { image, row } = await imagesAndReference(model, 7, 5);
    const predictor = ck.createPredictor(model, { maxBatchSize: 2, maxQueue: 4, maxInFlight: 1, maxDelayMs: 10_000 });
    // The first two fill a batch that leaves at once; the next four wait for the one slot.
    const accepted = [0, 1, 2, 3, 4, 5].map((i) => predictor.predict(image(i)));
    expect(predictor.stats()).toMatchObject({ queueDepth: 4, inFlightBatches: 1 });
    const refused = predictor.predict(image(6));
    await expect(refused).rejects.toThrow(ck.PredictorError);
    await expect(refused).rejects.toMatchObject({ code: 'QUEUE_FULL', message: expect.stringContaining('maxQueue 4') });
    // A malformed request is the caller's error even when the queue is full: RangeError, not QUEUE_FULL.
    await expect(predictor.predict(new Float32Array(IMAGE_SIZE).fill(NaN))).rejects.toThrow(RangeError);
    const outputs = await Promise.all(accepted);
    outputs.forEach((output, i) => expectClose(output.data, row(i), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`));
    expect(predictor.stats()).toMatchObject({
      requests: 6,
      completed: 6,
      batches: 3,
      rejected: { queueFull: 1, invalid: 1, closed: 0 },
    });
    await predictor.close();
  });

  it('rejects a bad input for its caller only; the rest of its batch is served', async () => {
    const model = smallConvnet();
    const { image, row } = await imagesAndReference(model, 4, 6);
    const predictor = ck.createPredictor(model, { maxBatchSize: 4, maxDelayMs: 10_000 });
    const withValue = (value: number) => {
      const bad = image(0);
      bad[17] = value;
      return bad;
    };
    const cases: [unknown, ErrorConstructor, RegExp][] = [
      [withValue(NaN), RangeError, /input\[17\] is NaN/],
      [withValue(-Infinity), RangeError, /input\[17\] is -Infinity/],
      [new Float32Array(IMAGE_SIZE - 1), RangeError, /must have 64 values \(shape \[8, 8, 1\]\), got 63/],
      [
        ck.tensor(new Float32Array(2 * IMAGE_SIZE), [2, 8, 8, 1]),
        RangeError,
        /shape \[8, 8, 1\] or \[1, 8, 8, 1\], got \[2, 8, 8, 1\]/,
      ],
      [ck.tensor(new Float32Array(IMAGE_SIZE), [8, 8]), RangeError, /got \[8, 8\]/],
      [
        Array.from(image(0)),
        TypeError,
        /must be a Tensor of shape \[8, 8, 1\] or a Float32Array of 64 values, got an Array/,
      ],
      ['0.5,0.5', TypeError, /got string/],
      [new Float64Array(IMAGE_SIZE), TypeError, /got Float64Array/],
      [null, TypeError, /got null/],
    ];
    const good = [0, 1, 2, 3].map((i) => predictor.predict(image(i)));
    const bad = cases.map(([input]) => predictor.predict(input as ck.PredictorInput));
    const outcomes = await Promise.allSettled(bad);
    outcomes.forEach((outcome, i) => {
      const [, type, message] = cases[i];
      expect(outcome.status, `case ${i}`).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason;
      expect(reason, `case ${i}`).toBeInstanceOf(type);
      expect(reason.message, `case ${i}`).toMatch(message);
    });
    const outputs = await Promise.all(good);
    outputs.forEach((output, i) => expectClose(output.data, row(i), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`));
    expect(predictor.stats()).toMatchObject({
      requests: 4,
      completed: 4,
      batches: 1,
      rejected: { invalid: cases.length },
    });
    expect(predictor.stats().batchSizes[4]).toBe(1);
    await predictor.close();
  });

  it('rejects every request of a failed batch with BATCH_FAILED and its cause, then carries on', async () => {
    const model = smallConvnet();
    const { image, row } = await imagesAndReference(model, 3, 7);
    const predictor = ck.createPredictor(model, { maxBatchSize: 2, maxDelayMs: 10_000, maxInFlight: 1 });
    const cause = new Error('out of memory, say');
    vi.spyOn(model, 'predict').mockRejectedValueOnce(cause);
    const outcomes = await Promise.allSettled([0, 1].map((i) => predictor.predict(image(i))));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({
        name: 'PredictorError',
        code: 'BATCH_FAILED',
        cause,
        message: expect.stringContaining('out of memory, say'),
      });
    }
    const [, output] = await Promise.all([predictor.predict(image(0)), predictor.predict(image(2))]);
    expectClose(output.data, row(2), { atol: 1e-6, rtol: 1e-5 }, 'after the failure');
    expect(predictor.stats()).toMatchObject({ requests: 4, failed: 2, completed: 2, batches: 2 });
    await predictor.close();
  });

  it('close() sends waiting requests without their delay, settles them all, then refuses new ones', async () => {
    const model = smallConvnet();
    const { image, row } = await imagesAndReference(model, 3, 8);
    const predictor = ck.createPredictor(model, { maxBatchSize: 16, maxDelayMs: 10_000 });
    const start = performance.now();
    const settled: string[] = [];
    const pending = [0, 1, 2].map((i) => predictor.predict(image(i)).finally(() => settled.push(`request ${i}`)));
    expect(predictor.closed).toBe(false);
    const closing = predictor.close();
    expect(predictor.closed).toBe(true);
    expect(predictor.close()).toBe(closing);
    await closing.then(() => settled.push('close'));
    expect(settled).toEqual(['request 0', 'request 1', 'request 2', 'close']);
    expect(performance.now() - start).toBeLessThan(5_000);
    const outputs = await Promise.all(pending);
    outputs.forEach((output, i) => expectClose(output.data, row(i), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`));
    await expect(predictor.predict(image(0))).rejects.toMatchObject({ name: 'PredictorError', code: 'CLOSED' });
    await expect(predictor.predict(new Float32Array(3))).rejects.toThrow(RangeError);
    expect(predictor.stats()).toMatchObject({ completed: 3, rejected: { closed: 1, invalid: 1 } });
  });

  it('close() on an idle predictor resolves at once', async () => {
    await expect(ck.createPredictor(smallConvnet()).close()).resolves.toBeUndefined();
  });

  it('checks its arguments and fills in documented defaults', () => {
    const model = smallConvnet();
    expect(ck.createPredictor(model).options).toEqual({
      maxBatchSize: 32,
      maxDelayMs: 0,
      maxQueue: 512,
      maxInFlight: 1,
    });
    expect(ck.createPredictor(model, { maxBatchSize: 4 }).stats().batchSizes).toEqual([0, 0, 0, 0, 0]);
    expect(() => ck.createPredictor({} as ck.Sequential)).toThrow(
      /model must be a convkit model \(ck.sequential, ck.model or ck.loadModel\), got an object/,
    );
    expect(() => ck.createPredictor(model, null as unknown as ck.PredictorOptions)).toThrow(TypeError);
    expect(() => ck.createPredictor(model, { maxBatchSize: 0 })).toThrow(
      /maxBatchSize must be a positive integer, got 0/,
    );
    expect(() => ck.createPredictor(model, { maxBatchSize: '8' as unknown as number })).toThrow(TypeError);
    expect(() => ck.createPredictor(model, { maxDelayMs: -1 })).toThrow(
      /maxDelayMs must be a finite number in \[0, 60000\], got -1/,
    );
    expect(() => ck.createPredictor(model, { maxDelayMs: NaN })).toThrow(RangeError);
    expect(() => ck.createPredictor(model, { maxInFlight: 1.5 })).toThrow(/maxInFlight/);
    expect(() => ck.createPredictor(model, { maxBatchSize: 8, maxQueue: 4 })).toThrow(
      /maxQueue \(4\) must be at least maxBatchSize \(8\)/,
    );
    const unbuildable = ck.sequential({ layers: [ck.layers.dense({ units: 2 })] });
    expect(() => ck.createPredictor(unbuildable)).toThrow(/not built/);
  });
});
