// A linear stack of layers, Keras's Sequential: compile, fit, evaluate, predict, weights, summary,
// save. The layers describe the network; a native Network executes it, one N-API crossing per
// batch, on worker threads.
import { callbackList, callHook, ProgressLogger, type Callback, type Logs, type TrainingModel } from '../callbacks';
import { booleanOr, integer, oneOf, optionsObject, positiveInt, shapeOption } from '../errors';
import { describe as describeValue, shapeSize, Tensor, type Shape } from '../tensor';
import { initialize } from '../initializers';
import { Layer, type WeightSpec } from '../layers/base';
import { getLoss, type LossName } from '../losses';
import { createNetwork, type BatchResult, type NativeNetwork } from '../native/network';
import { getOptimizer, type Optimizer } from '../optimizers';
import { freshSeed, Random } from '../random';
import { BatchStager, checkInputs, classAxis, prepareTargets, type PreparedTargets, type TargetsInput } from './data';
import { FormatRegistry, type SaveOptions } from './formats';
import { formatSummary } from './summary';

/** Options of `ck.sequential`. */
export interface SequentialArgs {
  /** The layers, first to last, as if given to add() one by one (default: none yet). */
  layers?: Layer[];
  /** The model's name, shown by summary() and saved with it (default 'sequential'). */
  name?: string;
  /**
   * An integer that seeds the weight initializers, so the same seed gives the same initial weights
   * (default: a random seed).
   */
  seed?: number;
}

/** Options of `model.compile`. */
export interface CompileArgs {
  /**
   * 'sgd', 'rmsprop', 'adam' or 'adamw' with Keras's defaults, or an optimizer made by
   * `ck.optimizers.*` (required).
   */
  optimizer: string | Optimizer;
  /**
   * A LossName, or its Keras snake_case spelling ('sparse_categorical_crossentropy', 'mse', ...)
   * (required).
   */
  loss: LossName | string;
  /** ['accuracy'] (or Keras's 'acc') adds accuracy to the logs; loss is always reported (default []). */
  metrics?: string[];
}

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

/** Per layer: its input and output shapes and weight specs. */
type LayerPlan = { layer: Layer; inputShape: Shape; outputShape: Shape; weights: WeightSpec[] }[];

interface Built {
  inputShape: Shape;
  outputShape: Shape;
  layers: LayerPlan;
  network: NativeNetwork;
}

/**
 * Every layer's shapes and weights for a per-sample input shape, checked but not allocated (so
 * loadModel can compare a file's claims with the architecture before building anything).
 */
export function planLayers(layers: Layer[], inputShape: unknown): { layers: LayerPlan; outputShape: Shape } {
  let shape: Shape = shapeOption(inputShape, 'build inputShape');
  if (layers.length === 0) throw new RangeError('the model has no layers');
  shapeSize(shape, 'build inputShape');
  const plan: LayerPlan = [];
  for (const layer of layers) {
    const outputShape = layer.computeOutputShape(shape);
    const weights = layer.weightSpecs(shape);
    // Sizes past 2^53 would lose precision before the native side could check them.
    const owner = `${layer.className} '${layer.name}'`;
    shapeSize(outputShape, `${owner} output shape`);
    for (const weight of weights) shapeSize(weight.shape, `${owner} ${weight.name} shape`);
    plan.push({ layer, inputShape: shape, outputShape, weights });
    shape = outputShape;
  }
  return { layers: plan, outputShape: shape };
}

function isDataset(value: unknown): value is Dataset {
  return value !== null && typeof value === 'object' && !(value instanceof Tensor) && !ArrayBuffer.isView(value) &&
    (Symbol.asyncIterator in value || Symbol.iterator in value);
}

/**
 * predict() runs inference up to this many flops inline (20 MFLOP: about 0.2 ms on one AVX2 core,
 * e.g. 3 images of the Keras MNIST convnet), where a worker thread's round trip would cost more.
 */
const INLINE_PREDICT_FLOPS = 20e6;

/** How save() and exportOnnx() reach lib/io's writers (see formats.ts); io registers them as it loads. */
export const formats = new FormatRegistry<Sequential>();

/**
 * A linear stack of layers (Keras's Sequential), made with `ck.sequential` or `ck.loadModel`.
 * Training, evaluation and batched prediction run on worker threads, off the event loop.
 */
export class Sequential implements TrainingModel {
  /** The model's name (SequentialArgs.name). */
  readonly name: string;
  /** The layers in order; change them with add(), not by editing this array. */
  readonly layers: Layer[] = [];
  /** Set by a callback to end fit after the current batch. */
  stopTraining = false;
  private built: Built | null = null;
  private seed: number;
  private compiled: { loss: LossName; optimizer: Optimizer; metrics: string[] } | null = null;
  private step = 0;
  /** A fit or trainOnBatch is under way (they run one at a time). */
  private fitting = false;
  /** evaluate calls under way. */
  private evaluating = 0;
  /** trainOnBatch's copy of the batch, reused across calls (only one training step runs at a time). */
  private onBatchStager: BatchStager | null = null;
  private disposed = false;
  /** fit, evaluate, predict and trainOnBatch calls under way: networks they use are freed after them. */
  private running = 0;
  private retired: NativeNetwork[] = [];

  constructor(args: SequentialArgs = {}) {
    if (args === null || typeof args !== 'object') throw new TypeError(`sequential() takes an object, got ${describeValue(args)}`);
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      throw new TypeError(`sequential name must be a non-empty string, got ${describeValue(args.name)}`);
    }
    this.name = args.name ?? 'sequential';
    this.seed = args.seed === undefined ? freshSeed() : integer(args.seed, 'sequential seed');
    if (args.layers !== undefined) {
      if (!Array.isArray(args.layers)) throw new TypeError(`layers must be an array of layers, got ${describeValue(args.layers)}`);
      for (const layer of args.layers) this.add(layer);
    }
  }

  /**
   * Appends a layer. A model that was built starts over with freshly initialized weights.
   * @throws {TypeError} when `layer` is not a layer.
   * @throws {RangeError} when its name is taken, or it has an inputShape but is not the first layer.
   */
  add(layer: Layer): void {
    this.requireLive();
    if (!(layer instanceof Layer)) throw new TypeError(`add() takes a layer (e.g. ck.layers.dense(...)), got ${describeValue(layer)}`);
    if (this.layers.some((l) => l.name === layer.name)) throw new RangeError(`a layer named '${layer.name}' is already in the model`);
    if (this.layers.length > 0 && layer.inputShape) {
      throw new RangeError(`inputShape is only allowed on the first layer ('${layer.name}' has one)`);
    }
    this.layers.push(layer);
    // Built lazily on first use; a layer added to a built model starts over with fresh weights.
    this.releaseNetwork();
  }

  /** Creates the native network and initializes the weights for a per-sample input shape. */
  build(inputShape: Shape): void {
    this.requireLive();
    const { layers, outputShape } = planLayers(this.layers, inputShape);
    this.releaseNetwork();
    const network = createNetwork(layers.map(({ layer, inputShape: s }) => ({ ...layer.nativeSpec(s), trainable: layer.trainable })));
    this.built = { inputShape: layers[0].inputShape, outputShape, layers, network };
    const random = new Random(this.seed);
    network.setWeights(layers.flatMap(({ weights }) => weights.map((w) => initialize(w.initializer, w.shape, random.seed()))));
    if (this.compiled) this.compileNetwork(this.built);
  }

  /** Lets go of the native network (on rebuild or dispose), freeing it now rather than at garbage collection. */
  private releaseNetwork(): void {
    if (this.built) this.retired.push(this.built.network);
    this.built = null;
    this.freeRetired();
  }

  /** Frees the networks let go of, once no call under way can still be using them. */
  private freeRetired(): void {
    if (this.running > 0) return;
    for (const network of this.retired) network.dispose();
    this.retired = [];
  }

  /** Ends a call counted in `running`. */
  private leave(): void {
    this.running -= 1;
    this.freeRetired();
  }

  private requireLive(): void {
    if (this.disposed) throw new RangeError(`the model was disposed (model.dispose()) and can no longer be used`);
  }

  private requireBuilt(): Built {
    this.requireLive();
    if (this.built) return this.built;
    const first = this.layers[0];
    if (first?.inputShape) {
      this.build(first.inputShape);
      return this.built!;
    }
    throw new RangeError('the model is not built: give the first layer an inputShape, or call build(inputShape)');
  }

  /** Shape of one input sample (no batch axis); builds the model first if needed (RangeError if it cannot). */
  get inputShape(): Shape {
    return this.requireBuilt().inputShape;
  }

  /** Shape of one output sample (no batch axis); builds the model first if needed. */
  get outputShape(): Shape {
    return this.requireBuilt().outputShape;
  }

  /** The optimizer compile() set, or null before compile. */
  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  /** The loss compile() set (canonical camelCase name), or null before compile. */
  get loss(): LossName | null {
    return this.compiled?.loss ?? null;
  }

  /**
   * Sets the loss, optimizer and metrics (and starts the optimizer afresh). Throws a RangeError
   * while fit, trainOnBatch or evaluate runs on this model, callbacks included: they use the loss
   * they started with. Predictions may run meanwhile.
   * @throws {TypeError | RangeError} for an unknown optimizer, loss or metric.
   */
  compile(args: CompileArgs): void {
    this.requireLive();
    if (this.fitting) throw new RangeError('compile: the model is training (fit or trainOnBatch); await it before compiling');
    if (this.evaluating > 0) throw new RangeError('compile: the model is being evaluated; await evaluate() before compiling');
    if (args === null || typeof args !== 'object') throw new TypeError(`compile() takes { optimizer, loss, metrics }, got ${describeValue(args)}`);
    const loss = getLoss(args.loss);
    const optimizer = getOptimizer(args.optimizer);
    const metrics = args.metrics ?? [];
    if (!Array.isArray(metrics)) throw new TypeError(`metrics must be an array of names, got ${describeValue(metrics)}`);
    metrics.forEach((metric, i) => oneOf(metric, `metrics[${i}]`, ['accuracy', 'acc', 'loss']));
    this.compiled = { loss, optimizer, metrics: metrics.map((m) => (m === 'acc' ? 'accuracy' : m)) };
    this.step = 0;
    if (this.built) this.compileNetwork(this.built);
  }

  private compileNetwork({ network, outputShape }: Built): void {
    const { loss, optimizer } = this.compiled!;
    network.compile({ loss, classes: classAxis(outputShape).classes, optimizer: optimizer.nativeSpec() });
  }

  private requireCompiled(what: string) {
    if (!this.compiled) throw new RangeError(`${what}: the model must be compiled first (model.compile({ optimizer, loss }))`);
    return this.compiled;
  }

  private reportsAccuracy(): boolean {
    return this.compiled?.metrics.includes('accuracy') ?? false;
  }

  private batchLogs(sum: { loss: number; samples: number; correct: number; counted: number }, prefix = ''): Logs {
    const logs: Logs = { [`${prefix}loss`]: sum.loss / sum.samples };
    if (this.reportsAccuracy() && sum.counted > 0) logs[`${prefix}accuracy`] = sum.correct / sum.counted;
    return logs;
  }

  /**
   * Trains the model on worker threads; resolves with the per-epoch history once done. Everything
   * is checked before the first step. Needs compile() first; one fit (or trainOnBatch) at a time.
   * @param x Inputs [n, ...inputShape], or a Dataset of { x, y } batches (then the second argument
   *   is FitArgs, and the dataset is iterated afresh each epoch).
   * @param y Targets for x (see TargetsInput): class indices for sparseCategoricalCrossentropy,
   *   otherwise a Tensor [n, ...outputShape].
   * @param args Epochs, batch size, validation, callbacks, ... (see FitArgs).
   * @throws {TypeError | RangeError} for bad inputs, targets or options (before training starts);
   *   a RangeError when the loss becomes NaN or infinite (unless a callback stops training).
   * @example
   * ```ts
   * import * as ck from 'convkit';
   * const model = ck.sequential({
   *   layers: [
   *     ck.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }),
   *     ck.layers.dense({ units: 3, activation: 'softmax' }),
   *   ],
   * });
   * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
   * const x = ck.tensor(Float32Array.from({ length: 64 * 8 }, () => Math.random()), [64, 8]);
   * const y = Int32Array.from({ length: 64 }, (_, i) => i % 3); // class indices
   * const history = await model.fit(x, y, {
   *   epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 0,
   *   callbacks: [ck.callbacks.earlyStopping({ monitor: 'val_loss', patience: 2 })],
   * });
   * console.log(history.history.loss, history.history.val_accuracy);
   * ```
   */
  async fit(x: Tensor | Dataset, y?: TargetsInput | FitArgs, args?: FitArgs): Promise<History> {
    const dataset = isDataset(x);
    const options = optionsObject(dataset ? (y as FitArgs | undefined) : args, 'fit');
    const compiled = this.requireCompiled('fit');
    if (this.fitting) throw new RangeError('fit: this model is already training; await the running fit first');
    const built = this.requireBuilt();
    const epochs = positiveInt(options.epochs ?? 1, 'epochs');
    const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize');
    const initialEpoch = integer(options.initialEpoch ?? 0, 'initialEpoch', 0, epochs - 1);
    const verbose = options.verbose ?? 1;
    if (typeof verbose !== 'number') throw new TypeError(`verbose must be 0, 1 or 2, got ${describeValue(verbose)}`);
    if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new RangeError(`verbose must be 0, 1 or 2, got ${verbose}`);
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
      if (!(split >= 0 && split < 1)) throw new RangeError(`validationSplit must be a finite number in [0, 1), got ${split}`);
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
    for (const callback of callbacks) callback.setModel?.(this);

    const history: History = { epoch: [], history: {}, params: { epochs, batchSize, samples: dataset ? null : samples, steps } };
    this.fitting = true;
    this.stopTraining = false;
    this.running += 1;
    try {
      await callHook(callbacks, 'onTrainBegin', {});
      const stager = trainY ? new BatchStager(shapeSize(built.inputShape), trainY, Math.min(batchSize, samples)) : null;
      const order = new Int32Array(samples).map((_, i) => i);
      for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
        await callHook(callbacks, 'onEpochBegin', epoch, {});
        const sum = { loss: 0, samples: 0, correct: 0, counted: 0 };
        const runStep = async (batch: number, count: number, xs: Float32Array, ys: Int32Array | Float32Array) => {
          if (this.disposed) throw new RangeError('fit: the model was disposed during training');
          await callHook(callbacks, 'onBatchBegin', batch, { batch, size: count });
          const result = await built.network.trainStep(xs, ys, {
            batch: count, learningRate: compiled.optimizer.learningRateAt(this.step), seed: random.seed(),
          });
          this.step += 1;
          accumulate(sum, result, count);
          await callHook(callbacks, 'onBatchEnd', batch, { batch, size: count, ...this.batchLogs(sum) });
          // Training on from a NaN or infinite loss only spreads NaN through the weights; a
          // callback (terminateOnNaN) may have chosen to stop quietly instead.
          if (!Number.isFinite(result.loss) && !this.stopTraining) {
            throw new RangeError(`fit: the loss is ${result.loss} at epoch ${epoch + 1}, batch ${batch + 1}: training diverged ` +
              '(lower the learning rate, clip gradients with clipNorm, or check the data); the weights are no longer finite. ' +
              'ck.callbacks.terminateOnNaN() stops training at such a batch without an error.');
          }
        };
        if (stager && trainX) {
          if (shuffle) random.shuffle(order);
          for (let start = 0, batch = 0; start < samples && !this.stopTraining; start += batchSize, batch++) {
            const count = Math.min(batchSize, samples - start);
            stager.gather(trainX, order, start, start + count);
            const views = stager.views(count);
            await runStep(batch, count, views.x, views.y);
          }
        } else {
          let batch = 0;
          for await (const item of x as Dataset) {
            const staged = this.stageDatasetBatch(item, batch);
            await runStep(batch, staged.count, staged.x, staged.y);
            batch += 1;
            if (this.stopTraining) break;
          }
          if (batch === 0) {
            throw new RangeError(`fit: the dataset yielded no batches in epoch ${epoch + 1} (a generator can be consumed only once; ` +
              'pass an object whose [Symbol.asyncIterator]() starts over each epoch)');
          }
        }
        const logs = this.batchLogs(sum);
        if (validation) Object.assign(logs, this.prefixed(await this.evaluatePrepared(built, validation.x, validation.y, batchSize), 'val_'));
        history.epoch.push(epoch);
        for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
        await callHook(callbacks, 'onEpochEnd', epoch, logs);
      }
      await callHook(callbacks, 'onTrainEnd', {});
    } finally {
      this.fitting = false;
      this.leave();
    }
    return history;
  }

  private stageDatasetBatch(item: unknown, batch: number) {
    const compiled = this.compiled!;
    const built = this.built!;
    if (item === null || typeof item !== 'object' || !('x' in item) || !('y' in item)) {
      throw new TypeError(`fit: dataset batch ${batch} must be an object { x, y }, got ${describeValue(item)}`);
    }
    const { x, y } = item as { x: Tensor; y: TargetsInput };
    const count = checkInputs(x, built.inputShape, `dataset batch ${batch} x`);
    const targets = prepareTargets(y, compiled.loss, count, built.outputShape, `dataset batch ${batch} y`);
    // Copies, so the native step never reads an array the dataset's producer may reuse meanwhile.
    return { count, x: x.data.slice(), y: targets.data.slice() };
  }

  private prefixed(result: EvaluateResult, prefix: string): Logs {
    const logs: Logs = { [`${prefix}loss`]: result.loss };
    if (result.accuracy !== undefined) logs[`${prefix}accuracy`] = result.accuracy;
    return logs;
  }

  /**
   * One training step on one batch (x [b, ...inputShape], y its targets); resolves with its loss.
   * Uses no callbacks, validation or shuffling; refused while fit runs.
   */
  async trainOnBatch(x: Tensor, y: TargetsInput): Promise<number> {
    const compiled = this.requireCompiled('trainOnBatch');
    if (this.fitting) throw new RangeError('trainOnBatch: this model is already training; await the running fit first');
    const built = this.requireBuilt();
    const count = requireSamples(checkInputs(x, built.inputShape), 'trainOnBatch');
    const targets = prepareTargets(y, compiled.loss, count, built.outputShape);
    // The native step runs on a worker thread, so it reads a copy the caller cannot change meanwhile;
    // the staging buffers are kept, so repeated calls do not allocate.
    let stager = this.onBatchStager;
    if (stager === null || !stager.fits(targets, count)) {
      stager = new BatchStager(shapeSize(built.inputShape), targets, count);
      this.onBatchStager = stager;
    }
    stager.gather(x.data, null, 0, count, targets);
    const staged = stager.views(count);
    this.fitting = true;
    this.running += 1;
    try {
      const result = await built.network.trainStep(staged.x, staged.y, {
        batch: count, learningRate: compiled.optimizer.learningRateAt(this.step), seed: freshSeed(),
      });
      this.step += 1;
      return result.loss;
    } finally {
      this.fitting = false;
      this.leave();
    }
  }

  /**
   * Loss (and accuracy when compiled with it) over a data set, in inference mode (no dropout, batch
   * normalization with its moving statistics), on worker threads.
   * @param x Inputs [n, ...inputShape].
   * @param y Targets for x, as for fit.
   * @param args batchSize: samples per native call (default 32).
   */
  async evaluate(x: Tensor, y: TargetsInput, args?: { batchSize?: number }): Promise<EvaluateResult> {
    const compiled = this.requireCompiled('evaluate');
    const built = this.requireBuilt();
    const batchSize = positiveInt(optionsObject(args, 'evaluate').batchSize ?? 32, 'batchSize');
    const n = requireSamples(checkInputs(x, built.inputShape), 'evaluate');
    const targets = prepareTargets(y, compiled.loss, n, built.outputShape);
    this.running += 1;
    this.evaluating += 1;
    try {
      return await this.evaluatePrepared(built, x, targets, batchSize);
    } finally {
      this.evaluating -= 1;
      this.leave();
    }
  }

  private async evaluatePrepared(built: Built, x: Tensor, targets: PreparedTargets, batchSize: number): Promise<EvaluateResult> {
    const n = x.shape[0];
    const stager = new BatchStager(shapeSize(built.inputShape), targets, Math.max(1, Math.min(batchSize, n)));
    const sum = { loss: 0, samples: 0, correct: 0, counted: 0 };
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      stager.gather(x.data, null, start, start + count);
      const views = stager.views(count);
      accumulate(sum, await built.network.evaluateBatch(views.x, views.y, { batch: count }), count);
    }
    const result: EvaluateResult = { loss: sum.loss / Math.max(sum.samples, 1) };
    if (sum.counted > 0 && this.reportsAccuracy()) result.accuracy = sum.correct / sum.counted;
    return result;
  }

  /**
   * Outputs for x, computed on worker threads in batches of batchSize (default 32). A request of
   * only a few images' work (under 20 MFLOP) runs on the calling thread instead, which is faster
   * than the round trip to a worker and blocks for a fraction of a millisecond; `inline: false`
   * always uses a worker (as a batcher does, to gather requests while one batch computes), and
   * `inline: true` always the calling thread.
   * @param x Inputs [n, ...inputShape].
   * @returns The outputs, a Tensor [n, ...outputShape].
   * @throws {TypeError | RangeError} when x is not a Tensor of that shape.
   */
  async predict(x: Tensor, args?: { batchSize?: number; inline?: boolean }): Promise<Tensor> {
    const built = this.requireBuilt();
    const n = checkInputs(x, built.inputShape);
    const options = optionsObject(args, 'predict');
    const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize');
    const inline = options.inline === undefined
      // Not while training: the inline call would find the step's lock taken and throw 'busy'.
      ? !this.fitting && n * built.network.forwardFlopsPerSample <= INLINE_PREDICT_FLOPS
      : booleanOr(options.inline, 'predict inline', false);
    if (inline) return this.predictSync(x);
    const outputSize = shapeSize(built.outputShape);
    const output = new Float32Array(n * outputSize);
    await this.inBatches(x, batchSize, async (staged, start, count) => {
      await built.network.predict(staged, output.subarray(start * outputSize, (start + count) * outputSize), { batch: count });
    });
    return new Tensor(output, [n, ...built.outputShape]);
  }

  /**
   * What the layers output for x, in inference mode, computed on worker threads in batches of
   * batchSize (default 32): a Map from layer name to a Tensor [n, ...that layer's output shape],
   * in the model's layer order. A conv2d or dense layer's output is taken after its activation.
   * `layers` picks layers by name (default: all of them); the last layer's entry equals predict(x).
   */
  async activations(x: Tensor, args?: { layers?: string[]; batchSize?: number }): Promise<Map<string, Tensor>> {
    const built = this.requireBuilt();
    const n = checkInputs(x, built.inputShape);
    const options = optionsObject(args, 'activations');
    const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize');
    const names = options.layers ?? this.layers.map((layer) => layer.name);
    if (!Array.isArray(names)) throw new TypeError(`activations: layers must be an array of layer names, got ${describeValue(names)}`);
    if (names.length === 0) throw new RangeError('activations: layers must name at least one layer');
    const indices = [...new Set(names.map((name) => this.layers.indexOf(this.getLayer(name))))].sort((a, b) => a - b);
    const chosen = indices.map((i) => built.layers[i]);
    const sizes = chosen.map(({ outputShape }) => shapeSize(outputShape));
    const perSample = sizes.reduce((sum, size) => sum + size, 0);
    const outputs = sizes.map((size) => new Float32Array(n * size));
    // The native call writes the batch's layers one after another; each is then moved to its place.
    const staging = new Float32Array(Math.min(batchSize, n) * perSample);
    await this.inBatches(x, batchSize, async (staged, start, count) => {
      await built.network.activations(staged, staging.subarray(0, count * perSample), { batch: count, layers: indices });
      let offset = 0;
      sizes.forEach((size, j) => {
        outputs[j].set(staging.subarray(offset, offset + count * size), start * size);
        offset += count * size;
      });
    });
    return new Map(chosen.map(({ layer, outputShape }, j) => [layer.name, new Tensor(outputs[j], [n, ...outputShape])]));
  }

  /** Stages x (already checked) batch by batch and hands each to `run`, one at a time. */
  private async inBatches(x: Tensor, batchSize: number,
    run: (staged: Float32Array, start: number, count: number) => Promise<void>): Promise<void> {
    const n = x.shape[0];
    const stager = new BatchStager(shapeSize(this.built!.inputShape), null, Math.max(1, Math.min(batchSize, n)));
    this.running += 1;
    try {
      for (let start = 0; start < n; start += batchSize) {
        const count = Math.min(batchSize, n - start);
        stager.gather(x.data, null, start, start + count);
        await run(stager.views(count).x, start, count);
      }
    } finally {
      this.leave();
    }
  }

  /**
   * predict() on the calling thread, in one batch: for code already running inside a worker thread
   * (on the main thread it blocks the event loop while it computes).
   * @returns The outputs, a Tensor [n, ...outputShape].
   */
  predictSync(x: Tensor): Tensor {
    const built = this.requireBuilt();
    const n = checkInputs(x, built.inputShape);
    const output = new Float32Array(n * shapeSize(built.outputShape));
    if (n > 0) built.network.predictSync(x.data, output, { batch: n });
    return new Tensor(output, [n, ...built.outputShape]);
  }

  /**
   * Copies of the weights, in Keras's order and layouts (kernel, bias per layer; gamma, beta,
   * moving mean, moving variance). Works while predictions run; throws a RangeError ("busy")
   * while a training step computes: readWeights() waits for it instead.
   */
  getWeights(): Tensor[] {
    const built = this.requireBuilt();
    return this.weightTensors(built, built.network.getWeights());
  }

  /** getWeights() off the event loop: waits for a running training step instead of throwing. */
  async readWeights(): Promise<Tensor[]> {
    const built = this.requireBuilt();
    this.running += 1;
    try {
      return this.weightTensors(built, await built.network.readWeights());
    } finally {
      this.leave();
    }
  }

  private weightTensors(built: Built, arrays: Float32Array[]): Tensor[] {
    const specs = built.layers.flatMap(({ weights }) => weights);
    return arrays.map((data, i) => new Tensor(data, specs[i].shape));
  }

  /**
   * Replaces the weights; calls that start afterwards use them. Throws a RangeError ("busy")
   * while a training step or a batch of inference computes on this model.
   */
  setWeights(weights: Tensor[]): void {
    const built = this.requireBuilt();
    const specs = built.layers.flatMap(({ layer, weights: w }) => w.map((spec) => ({ layer: layer.name, ...spec })));
    if (!Array.isArray(weights)) throw new TypeError(`setWeights takes an array of Tensors, got ${describeValue(weights)}`);
    if (weights.length !== specs.length) throw new RangeError(`setWeights: the model has ${specs.length} weights, got ${weights.length}`);
    weights.forEach((w, i) => {
      const { layer, name, shape } = specs[i];
      if (!(w instanceof Tensor)) throw new TypeError(`setWeights: weights[${i}] (${layer}/${name}) must be a Tensor, got ${describeValue(w)}`);
      if (w.shape.length !== shape.length || w.shape.some((d, j) => d !== shape[j])) {
        throw new RangeError(`setWeights: weights[${i}] (${layer}/${name}) must have shape [${shape.join(', ')}], got [${w.shape.join(', ')}]`);
      }
    });
    built.network.setWeights(weights.map((w) => w.data));
  }

  /**
   * Frees the native network (weights, optimizer state, workspaces) now rather than when the model
   * is garbage collected. Predictions and evaluations already running finish first (the network
   * is freed when the last ends); a running fit stops before its next batch with a RangeError;
   * any later use of the model throws a RangeError. Calling it twice is fine.
   */
  dispose(): void {
    this.disposed = true;
    this.releaseNetwork();
  }

  /** Weight names and shapes in getWeights() order, with the layer each belongs to. */
  weightSpecs(): { layer: string; name: string; shape: number[]; trainable: boolean }[] {
    return this.requireBuilt().layers.flatMap(({ layer, weights }) =>
      weights.map((w) => ({ layer: layer.name, name: w.name, shape: w.shape, trainable: w.trainable })));
  }

  /** The number of weight values (trainable or not), as summary() reports. */
  countParams(): number {
    return this.weightSpecs().reduce((sum, w) => sum + shapeSize(w.shape), 0);
  }

  /** The layer of that name; a RangeError listing the names when there is none. */
  getLayer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) throw new RangeError(`no layer named '${name}' (layers: ${this.layers.map((l) => l.name).join(', ')})`);
    return layer;
  }

  /**
   * A Keras-style table of layers, output shapes and parameter counts; printed and returned.
   * @param print Where each line goes (default console.log); pass `() => {}` to only get the text.
   */
  summary(print: (line: string) => void = console.log): string {
    const built = this.requireBuilt();
    const text = formatSummary(this.name, built.layers.map(({ layer, outputShape, weights }) => ({
      name: layer.name, className: layer.className, outputShape,
      params: weights.reduce((sum, w) => sum + shapeSize(w.shape), 0),
      trainableParams: weights.filter((w) => w.trainable).reduce((sum, w) => sum + shapeSize(w.shape), 0),
    })));
    print(text);
    return text;
  }

  /**
   * Saves to a directory, atomically: convkit's format (model.json + weights-<hex>.bin), or with
   * `{ format: 'tfjs' }` TensorFlow.js's layers format, which `tf.loadLayersModel` reads.
   * `ck.loadModel(path)` reads either back.
   * @param path The directory (created if missing).
   * @throws {TypeError} for an empty path or options that are not an object.
   */
  async save(path: string, options?: SaveOptions): Promise<void> {
    await formats.get('save')(this, path, options);
  }

  /**
   * Writes the model as an ONNX file (opset 13) for ONNX Runtime and other ONNX tools, atomically.
   * Its input and output are NHWC, batch first, as convkit's; see `ck.toOnnx`.
   */
  async exportOnnx(path: string): Promise<void> {
    await formats.get('onnx')(this, path);
  }

  /** Architecture and training configuration, as saved in model.json. */
  toJSON(): Record<string, unknown> {
    return {
      className: 'Sequential',
      config: {
        name: this.name,
        layers: this.layers.map((layer) => ({ className: layer.className, config: layer.getConfig() })),
      },
    };
  }

  /** Loss, metrics and optimizer config as saved in model.json, or null before compile. */
  trainingConfig(): Record<string, unknown> | null {
    if (!this.compiled) return null;
    return { loss: this.compiled.loss, metrics: this.compiled.metrics, optimizer: this.compiled.optimizer.getConfig() };
  }
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

function accumulate(sum: { loss: number; samples: number; correct: number; counted: number }, result: BatchResult, count: number): void {
  sum.loss += result.loss * count;
  sum.samples += count;
  sum.correct += result.correct;
  sum.counted += result.counted;
}

/**
 * Creates a Sequential model from a list of layers. The first layer's `inputShape` lets the model
 * build itself; without one, call `model.build(inputShape)`.
 * @throws {TypeError | RangeError} for arguments that are not layers, duplicate layer names, or
 *   an inputShape on a layer other than the first.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.sequential({
 *   name: 'small_convnet',
 *   seed: 42,
 *   layers: [
 *     ck.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu' }),
 *     ck.layers.maxPooling2d({ poolSize: 2 }),
 *     ck.layers.flatten(),
 *     ck.layers.dense({ units: 10, activation: 'softmax' }),
 *   ],
 * });
 * model.compile({ optimizer: ck.optimizers.adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
 * model.summary();
 * ```
 */
export function sequential(args?: SequentialArgs): Sequential {
  return new Sequential(args);
}
