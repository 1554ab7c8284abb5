// The training loop of a model: fit (epochs of shuffled batches, a Dataset read as it comes,
// validation, callbacks), trainOnBatch and evaluate, with the checks that come before the first
// step. Sequential's methods call these with its ModelCore (core.ts), the state they share.
import { callbackList, callHook, ProgressLogger, type Callback, type Logs, type TrainingModel } from '../callbacks';
import { booleanOr, describe as describeValue, integer, optionsObject, positiveInt } from '../errors';
import type { BatchResult } from '../native/network';
import { freshSeed, Random } from '../random';
import { shapeSize, Tensor } from '../tensor';
import type { Built, Compiled, ModelCore } from './core';
import { BatchStager, checkInputs, prepareTargets, type PreparedTargets, type TargetsInput } from './data';

/** Options of `model.fit`. */
export interface FitArgs {
  /** Epochs to train until, a positive integer (default 1). */
  epochs?: number;
  /** Samples per training step, and per step of the validation pass (default 32). */
  batchSize?: number;
  /** Reshuffle the training samples before each epoch (default true); a Dataset is read as it comes. */
  shuffle?: boolean;
  /**
   * Fraction of the samples, in [0, 1), taken from the end before shuffling and held out for
   * validation (default 0). Ignored when x is a Dataset.
   */
  validationSplit?: number;
  /** [x, y] evaluated after each epoch as val_loss (val_accuracy); takes precedence over validationSplit. */
  validationData?: [Tensor, TargetsInput];
  /** Callbacks (`ck.callbacks.*` or any object with the hooks of Callback), called in order. */
  callbacks?: Callback | Callback[];
  /** 0 silent, 1 (default) progress bar on a TTY (epoch lines otherwise), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** An integer that seeds shuffling and dropout, so a run is repeatable (default: a random seed). */
  seed?: number;
  /** The 0-based epoch to start at, in [0, epochs), e.g. to resume a run (default 0). */
  initialEpoch?: number;
}

/** Batches of a dataset: each { x: Tensor [b, ...inputShape], y: targets for b samples }. */
export type Dataset = AsyncIterable<{ x: Tensor; y: TargetsInput }> | Iterable<{ x: Tensor; y: TargetsInput }>;

/** What `model.fit` resolves with, as Keras's History. */
export interface History {
  /** The 0-based index of each epoch run (from initialEpoch on). */
  epoch: number[];
  /**
   * Per metric, its value at the end of each epoch: loss (mean over the epoch's samples), and as
   * compiled and given, accuracy, val_loss and val_accuracy.
   */
  history: Record<string, number[]>;
  /** The run's settings; samples and steps (per epoch) are null when training on a Dataset. */
  params: { epochs: number; batchSize: number; samples: number | null; steps: number | null };
}

/** What `model.evaluate` resolves with. */
export interface EvaluateResult {
  /** The loss, averaged over the samples. */
  loss: number;
  /** The fraction of correct predictions (over positions too), when compiled with metrics ['accuracy']. */
  accuracy?: number;
}

function isDataset(value: unknown): value is Dataset {
  return (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Tensor) &&
    !ArrayBuffer.isView(value) &&
    (Symbol.asyncIterator in value || Symbol.iterator in value)
  );
}

/** Sequential.fit: see its documentation. */
export async function fit(
  core: ModelCore,
  model: TrainingModel,
  x: Tensor | Dataset,
  y?: TargetsInput | FitArgs,
  args?: FitArgs,
): Promise<History> {
  const dataset = isDataset(x);
  const options = optionsObject(dataset ? (y as FitArgs | undefined) : args, 'fit');
  const compiled = core.requireCompiled('fit');
  if (core.fitting) throw new RangeError('fit: this model is already training; await the running fit first');
  const built = core.requireBuilt();
  const epochs = positiveInt(options.epochs ?? 1, 'epochs');
  const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize');
  const initialEpoch = integer(options.initialEpoch ?? 0, 'initialEpoch', 0, epochs - 1);
  const verbose = options.verbose ?? 1;
  if (typeof verbose !== 'number') throw new TypeError(`verbose must be 0, 1 or 2, got ${describeValue(verbose)}`);
  if (verbose !== 0 && verbose !== 1 && verbose !== 2)
    throw new RangeError(`verbose must be 0, 1 or 2, got ${verbose}`);
  const shuffle = booleanOr(options.shuffle, 'shuffle', true);
  const random = new Random(options.seed === undefined ? freshSeed() : integer(options.seed, 'fit seed'));
  const callbacks = callbackList(options.callbacks);

  // Validate everything before the first step so a mistake costs no training time.
  let trainX: Float32Array | null = null;
  let trainY: PreparedTargets | null = null;
  let samples = 0;
  let validation: { x: Tensor; y: PreparedTargets } | null = null;
  if (!dataset) {
    const n = requireSamples(checkInputs(x, built.inputShape), 'fit');
    const targets = prepareTargets(y, compiled.loss, n, built.outputShape);
    const split = options.validationSplit ?? 0;
    if (typeof split !== 'number') throw new TypeError(`validationSplit must be a number, got ${describeValue(split)}`);
    if (!(split >= 0 && split < 1))
      throw new RangeError(`validationSplit must be a finite number in [0, 1), got ${split}`);
    samples = split > 0 ? Math.floor(n * (1 - split)) : n;
    if (samples < 1) throw new RangeError(`validationSplit ${split} leaves no training samples out of ${n}`);
    const inputSize = shapeSize(built.inputShape);
    trainX = (x as Tensor).data.subarray(0, samples * inputSize);
    trainY = sliceTargets(targets, 0, samples);
    if (split > 0) {
      const valX = new Tensor((x as Tensor).data.subarray(samples * inputSize), [n - samples, ...built.inputShape]);
      validation = { x: valX, y: sliceTargets(targets, samples, n) };
    }
  }
  if (options.validationData !== undefined) {
    if (!Array.isArray(options.validationData) || options.validationData.length !== 2) {
      throw new TypeError(`validationData must be a pair [x, y], got ${describeValue(options.validationData)}`);
    }
    const [valX, valY] = options.validationData;
    const n = requireSamples(checkInputs(valX, built.inputShape, 'validationData x'), 'fit validationData');
    validation = { x: valX, y: prepareTargets(valY, compiled.loss, n, built.outputShape, 'validationData y') };
  }

  const steps = dataset ? null : Math.ceil(samples / batchSize);
  if (verbose > 0) {
    const logger = new ProgressLogger(verbose);
    logger.configure(epochs, steps ?? 0);
    callbacks.push(logger);
  }
  for (const callback of callbacks) callback.setModel?.(model);

  const history: History = {
    epoch: [],
    history: {},
    params: { epochs, batchSize, samples: dataset ? null : samples, steps },
  };
  core.fitting = true;
  model.stopTraining = false;
  core.enter();
  try {
    await callHook(callbacks, 'onTrainBegin', {});
    const stager = trainY ? new BatchStager(shapeSize(built.inputShape), trainY, Math.min(batchSize, samples)) : null;
    const order = new Int32Array(samples).map((_, i) => i);
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      await callHook(callbacks, 'onEpochBegin', epoch, {});
      const sum: Totals = { loss: 0, samples: 0, correct: 0, counted: 0 };
      const runStep = async (batch: number, count: number, xs: Float32Array, ys: Int32Array | Float32Array) => {
        if (core.disposed) throw new RangeError('fit: the model was disposed during training');
        await callHook(callbacks, 'onBatchBegin', batch, { batch, size: count });
        const result = await built.network.trainStep(xs, ys, {
          batch: count,
          learningRate: compiled.optimizer.learningRateAt(core.step),
          seed: random.seed(),
        });
        core.step += 1;
        accumulate(sum, result, count);
        await callHook(callbacks, 'onBatchEnd', batch, { batch, size: count, ...batchLogs(core, sum) });
        // Training on from a NaN or infinite loss only spreads NaN through the weights; a
        // callback (terminateOnNaN) may have chosen to stop quietly instead.
        if (!Number.isFinite(result.loss) && !model.stopTraining) {
          throw new RangeError(
            `fit: the loss is ${result.loss} at epoch ${epoch + 1}, batch ${batch + 1}: training diverged ` +
              '(lower the learning rate, clip gradients with clipNorm, or check the data); the weights are no longer finite. ' +
              'ck.callbacks.terminateOnNaN() stops training at such a batch without an error.',
          );
        }
      };
      if (stager && trainX) {
        if (shuffle) random.shuffle(order);
        for (let start = 0, batch = 0; start < samples && !model.stopTraining; start += batchSize, batch++) {
          const count = Math.min(batchSize, samples - start);
          stager.gather(trainX, order, start, start + count);
          const views = stager.views(count);
          await runStep(batch, count, views.x, views.y);
        }
      } else {
        let batch = 0;
        for await (const item of x as Dataset) {
          const staged = stageDatasetBatch(compiled, built, item, batch);
          await runStep(batch, staged.count, staged.x, staged.y);
          batch += 1;
          if (model.stopTraining) break;
        }
        if (batch === 0) {
          throw new RangeError(
            `fit: the dataset yielded no batches in epoch ${epoch + 1} (a generator can be consumed only once; ` +
              'pass an object whose [Symbol.asyncIterator]() starts over each epoch)',
          );
        }
      }
      const logs = batchLogs(core, sum);
      if (validation)
        Object.assign(
          logs,
          prefixed(await evaluatePrepared(core, built, validation.x, validation.y, batchSize), 'val_'),
        );
      history.epoch.push(epoch);
      // biome-ignore lint/suspicious/noAssignInExpressions: the usual get-or-create idiom
      for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
      await callHook(callbacks, 'onEpochEnd', epoch, logs);
    }
    await callHook(callbacks, 'onTrainEnd', {});
  } finally {
    core.fitting = false;
    core.leave();
  }
  return history;
}

function stageDatasetBatch(compiled: Compiled, built: Built, item: unknown, batch: number) {
  if (item === null || typeof item !== 'object' || !('x' in item) || !('y' in item)) {
    throw new TypeError(`fit: dataset batch ${batch} must be an object { x, y }, got ${describeValue(item)}`);
  }
  const { x, y } = item as { x: Tensor; y: TargetsInput };
  const count = checkInputs(x, built.inputShape, `dataset batch ${batch} x`);
  const targets = prepareTargets(y, compiled.loss, count, built.outputShape, `dataset batch ${batch} y`);
  // Copies, so the native step never reads an array the dataset's producer may reuse meanwhile.
  return { count, x: x.data.slice(), y: targets.data.slice() };
}

function prefixed(result: EvaluateResult, prefix: string): Logs {
  const logs: Logs = { [`${prefix}loss`]: result.loss };
  if (result.accuracy !== undefined) logs[`${prefix}accuracy`] = result.accuracy;
  return logs;
}

/** Sequential.trainOnBatch. */
export async function trainOnBatch(core: ModelCore, x: Tensor, y: TargetsInput): Promise<number> {
  const compiled = core.requireCompiled('trainOnBatch');
  if (core.fitting) throw new RangeError('trainOnBatch: this model is already training; await the running fit first');
  const built = core.requireBuilt();
  const count = requireSamples(checkInputs(x, built.inputShape), 'trainOnBatch');
  const targets = prepareTargets(y, compiled.loss, count, built.outputShape);
  // The native step runs on a worker thread, so it reads a copy the caller cannot change meanwhile;
  // the staging buffers are kept, so repeated calls do not allocate.
  let stager = core.onBatchStager;
  if (stager === null || !stager.fits(targets, count)) {
    stager = new BatchStager(shapeSize(built.inputShape), targets, count);
    core.onBatchStager = stager;
  }
  stager.gather(x.data, null, 0, count, targets);
  const staged = stager.views(count);
  core.fitting = true;
  core.enter();
  try {
    const result = await built.network.trainStep(staged.x, staged.y, {
      batch: count,
      learningRate: compiled.optimizer.learningRateAt(core.step),
      seed: freshSeed(),
    });
    core.step += 1;
    return result.loss;
  } finally {
    core.fitting = false;
    core.leave();
  }
}

/** Sequential.evaluate. */
export async function evaluate(
  core: ModelCore,
  x: Tensor,
  y: TargetsInput,
  args?: { batchSize?: number },
): Promise<EvaluateResult> {
  const compiled = core.requireCompiled('evaluate');
  const built = core.requireBuilt();
  const batchSize = positiveInt(optionsObject(args, 'evaluate').batchSize ?? 32, 'batchSize');
  const n = requireSamples(checkInputs(x, built.inputShape), 'evaluate');
  const targets = prepareTargets(y, compiled.loss, n, built.outputShape);
  core.enter();
  core.evaluating += 1;
  try {
    return await evaluatePrepared(core, built, x, targets, batchSize);
  } finally {
    core.evaluating -= 1;
    core.leave();
  }
}

async function evaluatePrepared(
  core: ModelCore,
  built: Built,
  x: Tensor,
  targets: PreparedTargets,
  batchSize: number,
): Promise<EvaluateResult> {
  const n = x.shape[0];
  const stager = new BatchStager(shapeSize(built.inputShape), targets, Math.max(1, Math.min(batchSize, n)));
  const sum: Totals = { loss: 0, samples: 0, correct: 0, counted: 0 };
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    stager.gather(x.data, null, start, start + count);
    const views = stager.views(count);
    accumulate(sum, await built.network.evaluateBatch(views.x, views.y, { batch: count }), count);
  }
  const result: EvaluateResult = { loss: sum.loss / Math.max(sum.samples, 1) };
  if (sum.counted > 0 && core.reportsAccuracy()) result.accuracy = sum.correct / sum.counted;
  return result;
}

/** An epoch's (or evaluation's) running totals: loss summed over samples, correct predictions of counted. */
interface Totals {
  loss: number;
  samples: number;
  correct: number;
  counted: number;
}

function batchLogs(core: ModelCore, sum: Totals): Logs {
  const logs: Logs = { loss: sum.loss / sum.samples };
  if (core.reportsAccuracy() && sum.counted > 0) logs.accuracy = sum.correct / sum.counted;
  return logs;
}

/** `samples`, or a RangeError when there are none: no loss or step is defined on zero samples. */
function requireSamples(samples: number, caller: string): number {
  if (samples === 0) throw new RangeError(`${caller}: x has no samples (its first dimension is 0)`);
  return samples;
}

function sliceTargets(targets: PreparedTargets, start: number, end: number): PreparedTargets {
  const w = targets.width;
  return targets.kind === 'indices'
    ? { kind: 'indices', data: targets.data.subarray(start * w, end * w), width: w }
    : { kind: 'dense', data: targets.data.subarray(start * w, end * w), width: w };
}

function accumulate(sum: Totals, result: BatchResult, count: number): void {
  sum.loss += result.loss * count;
  sum.samples += count;
  sum.correct += result.correct;
  sum.counted += result.counted;
}
