// What every convkit model is: Keras's Model, the surface shared by `ck.sequential` (Sequential,
// a chain of layers) and `ck.model` (a graph of layers applied to symbolic tensors): compile, fit,
// evaluate, predict, weights, summary, save. The layers describe the network; a native Network
// executes it, one N-API crossing per batch, on worker threads. This class is the container
// (layers, build, weights, compile settings, summary) and the public face: the training loop is
// in training.ts, inference in inference.ts, the network and the gates on concurrent calls they
// share in core.ts, and saving reaches lib/io through formats.ts.
import type { TrainingModel } from '../callbacks';
import { describe as describeValue, oneOf } from '../errors';
import { shapeSize, Tensor, type Shape } from '../tensor';
import type { Layer } from '../layers/base';
import { SymbolicTensor } from '../layers/symbolic';
import { getLoss, type LossName } from '../losses';
import { getOptimizer, type Optimizer } from '../optimizers';
import { ModelCore, type Built } from './core';
import type { TargetsInput } from './data';
import { FormatRegistry, type SaveOptions } from './formats';
import { activations, predict, predictSync } from './inference';
import { formatSummary } from './summary';
import { evaluate, fit, trainOnBatch, type Dataset, type EvaluateResult, type FitArgs, type History } from './training';

export type { Dataset, EvaluateResult, FitArgs, History } from './training';

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

/** How save() and exportOnnx() reach lib/io's writers (see formats.ts); io registers them as it loads. */
export const formats = new FormatRegistry<Model>();

/**
 * A model: layers and how they connect, compiled, trained and run as one native network. Made
 * with `ck.sequential` (a chain), `ck.model` (a graph of symbolic tensors) or `ck.loadModel`.
 * Training, evaluation and batched prediction run on worker threads, off the event loop.
 */
export class Model implements TrainingModel {
  /** The model's name. */
  readonly name: string;
  /** The layers in topological order (a layer comes after every layer it reads). */
  readonly layers: Layer[];
  /** Set by a callback to end fit after the current batch. */
  stopTraining = false;
  protected readonly core: ModelCore;

  /**
   * `inbound[i]`: the layers layers[i] reads, by index (-1: the model's input), or null for a
   * chain (each layer reads the one before), which Sequential grows with add().
   */
  protected constructor(
    name: string,
    layers: Layer[],
    seed: number,
    inbound: number[][] | null,
    protected readonly inputName = 'input',
  ) {
    this.name = name;
    this.layers = layers;
    this.core = new ModelCore(this.layers, seed, inbound);
  }

  private symbolicInput: SymbolicTensor | null = null;

  /**
   * The model's input as a symbolic tensor, in an array (Keras's `model.inputs`): with an inner
   * layer's `output`, what a new model is made from for transfer learning —
   * `ck.model({ inputs: base.inputs, outputs: head.apply(base.getLayer('stage3_block3_out').output) })`.
   * That model starts from the base's current weights for the layers it shares. The first use on
   * a Sequential or a loaded model applies its layers (layer.apply) to give them outputs.
   */
  get inputs(): SymbolicTensor[] {
    return [this.symbolicGraph()];
  }

  /** The model's output as a symbolic tensor, in an array (Keras's `model.outputs`). */
  get outputs(): SymbolicTensor[] {
    this.symbolicGraph();
    return [this.layers[this.layers.length - 1].output];
  }

  /** Uses `input` as the model's symbolic input (ck.model passes the tensor it was made from). */
  protected adoptSymbolicInput(input: SymbolicTensor): void {
    this.symbolicInput = input;
  }

  /** The symbolic input, applying the layers that have no output yet to what they read. */
  private symbolicGraph(): SymbolicTensor {
    if (this.layers.length === 0) throw new RangeError(`model '${this.name}' has no layers`);
    this.symbolicInput ??= new SymbolicTensor(Object.freeze([...this.inputShape]), null, [], this.inputName);
    const input = this.symbolicInput;
    const { inbound } = this.connections;
    this.layers.forEach((layer, i) => {
      if (!layer.applied) layer.apply(inbound[i].map((j) => (j < 0 ? input : this.layers[j].output)));
    });
    return input;
  }

  /** Creates the native network and initializes the weights for a per-sample input shape. */
  build(inputShape: Shape): void {
    this.core.build(inputShape);
  }

  /** Shape of one input sample (no batch axis); builds the model first if needed (RangeError if it cannot). */
  get inputShape(): Shape {
    return this.core.requireBuilt().inputShape;
  }

  /** Shape of one output sample (no batch axis); builds the model first if needed. */
  get outputShape(): Shape {
    return this.core.requireBuilt().outputShape;
  }

  /** The optimizer compile() set, or null before compile. */
  get optimizer(): Optimizer | null {
    return this.core.compiled?.optimizer ?? null;
  }

  /** The loss compile() set (canonical camelCase name), or null before compile. */
  get loss(): LossName | null {
    return this.core.compiled?.loss ?? null;
  }

  /**
   * Sets the loss, optimizer and metrics (and starts the optimizer afresh). Throws a RangeError
   * while fit, trainOnBatch or evaluate runs on this model, callbacks included: they use the loss
   * they started with. Predictions may run meanwhile.
   * @throws {TypeError | RangeError} for an unknown optimizer, loss or metric.
   */
  compile(args: CompileArgs): void {
    this.core.requireLive();
    if (this.core.fitting)
      throw new RangeError('compile: the model is training (fit or trainOnBatch); await it before compiling');
    if (this.core.evaluating > 0)
      throw new RangeError('compile: the model is being evaluated; await evaluate() before compiling');
    if (args === null || typeof args !== 'object')
      throw new TypeError(`compile() takes { optimizer, loss, metrics }, got ${describeValue(args)}`);
    const loss = getLoss(args.loss);
    const optimizer = getOptimizer(args.optimizer);
    const metrics = args.metrics ?? [];
    if (!Array.isArray(metrics))
      throw new TypeError(`metrics must be an array of names, got ${describeValue(metrics)}`);
    metrics.forEach((metric, i) => oneOf(metric, `metrics[${i}]`, ['accuracy', 'acc', 'loss']));
    this.core.compile({ loss, optimizer, metrics: metrics.map((m) => (m === 'acc' ? 'accuracy' : m)) });
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
    return fit(this.core, this, x, y, args);
  }

  /**
   * One training step on one batch (x [b, ...inputShape], y its targets); resolves with its loss.
   * Uses no callbacks, validation or shuffling; refused while fit runs.
   */
  async trainOnBatch(x: Tensor, y: TargetsInput): Promise<number> {
    return trainOnBatch(this.core, x, y);
  }

  /**
   * Loss (and accuracy when compiled with it) over a data set, in inference mode (no dropout, batch
   * normalization with its moving statistics), on worker threads.
   * @param x Inputs [n, ...inputShape].
   * @param y Targets for x, as for fit.
   * @param args batchSize: samples per native call (default 32).
   */
  async evaluate(x: Tensor, y: TargetsInput, args?: { batchSize?: number }): Promise<EvaluateResult> {
    return evaluate(this.core, x, y, args);
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
    return predict(this.core, x, args);
  }

  /**
   * What the layers output for x, in inference mode, computed on worker threads in batches of
   * batchSize (default 32): a Map from layer name to a Tensor [n, ...that layer's output shape],
   * in the model's layer order. A conv2d or dense layer's output is taken after its activation.
   * `layers` picks layers by name (default: all of them); the last layer's entry equals predict(x).
   */
  async activations(x: Tensor, args?: { layers?: string[]; batchSize?: number }): Promise<Map<string, Tensor>> {
    return activations(this.core, x, args);
  }

  /**
   * predict() on the calling thread, in one batch: for code already running inside a worker thread
   * (on the main thread it blocks the event loop while it computes).
   * @returns The outputs, a Tensor [n, ...outputShape].
   */
  predictSync(x: Tensor): Tensor {
    return predictSync(this.core, x);
  }

  /**
   * Copies of the weights, in Keras's order and layouts (kernel, bias per layer; gamma, beta,
   * moving mean, moving variance). Works while predictions run; throws a RangeError ("busy")
   * while a training step computes: readWeights() waits for it instead.
   */
  getWeights(): Tensor[] {
    const built = this.core.requireBuilt();
    return this.weightTensors(built, built.network.getWeights());
  }

  /** getWeights() off the event loop: waits for a running training step instead of throwing. */
  async readWeights(): Promise<Tensor[]> {
    const built = this.core.requireBuilt();
    this.core.enter();
    try {
      return this.weightTensors(built, await built.network.readWeights());
    } finally {
      this.core.leave();
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
    const built = this.core.requireBuilt();
    const specs = built.layers.flatMap(({ layer, weights: w }) => w.map((spec) => ({ layer: layer.name, ...spec })));
    if (!Array.isArray(weights))
      throw new TypeError(`setWeights takes an array of Tensors, got ${describeValue(weights)}`);
    if (weights.length !== specs.length)
      throw new RangeError(`setWeights: the model has ${specs.length} weights, got ${weights.length}`);
    weights.forEach((w, i) => {
      const { layer, name, shape } = specs[i];
      if (!(w instanceof Tensor))
        throw new TypeError(`setWeights: weights[${i}] (${layer}/${name}) must be a Tensor, got ${describeValue(w)}`);
      if (w.shape.length !== shape.length || w.shape.some((d, j) => d !== shape[j])) {
        throw new RangeError(
          `setWeights: weights[${i}] (${layer}/${name}) must have shape [${shape.join(', ')}], got [${w.shape.join(', ')}]`,
        );
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
    this.core.dispose();
  }

  /** Weight names and shapes in getWeights() order, with the layer each belongs to. */
  weightSpecs(): { layer: string; name: string; shape: number[]; trainable: boolean }[] {
    return this.core
      .requireBuilt()
      .layers.flatMap(({ layer, weights }) =>
        weights.map((w) => ({ layer: layer.name, name: w.name, shape: w.shape, trainable: w.trainable })),
      );
  }

  /** The number of weight values (trainable or not), as summary() reports. */
  countParams(): number {
    return this.weightSpecs().reduce((sum, w) => sum + shapeSize(w.shape), 0);
  }

  /**
   * The layer of that name, with its symbolic `output` (applied now if it had none) for transfer
   * learning; a RangeError listing the names when there is none.
   */
  getLayer(name: string): Layer {
    const layer = this.core.getLayer(name);
    // Its `output` is what transfer learning builds on (Keras: model.get_layer(name).output).
    if (!layer.applied) this.symbolicGraph();
    return layer;
  }

  /**
   * A Keras-style table of layers, output shapes and parameter counts; printed and returned.
   * @param print Where each line goes (default console.log); pass `() => {}` to only get the text.
   */
  summary(print: (line: string) => void = console.log): string {
    const built = this.core.requireBuilt();
    const graph = this.core.inbound !== null;
    const text = formatSummary(
      this.name,
      built.layers.map(({ layer, outputShape, weights, inputs }) => ({
        name: layer.name,
        className: layer.className,
        outputShape,
        connectedTo: graph ? inputs.map((i) => (i < 0 ? this.inputName : built.layers[i].layer.name)) : undefined,
        params: weights.reduce((sum, w) => sum + shapeSize(w.shape), 0),
        trainableParams: weights.filter((w) => w.trainable).reduce((sum, w) => sum + shapeSize(w.shape), 0),
      })),
    );
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

  /** Architecture as saved in model.json: Keras's Sequential or Functional config, convkit's layer configs. */
  toJSON(): Record<string, unknown> {
    throw new RangeError(`model '${this.name}' has no serializable architecture`);
  }

  /**
   * How the layers connect: the input's name and, per layer in `layers` order, the indices of the
   * layers it reads (-1: the model's input). A Sequential reads as a chain.
   */
  get connections(): { inputName: string; inbound: number[][]; graph: boolean } {
    const inbound = this.core.inbound ?? this.layers.map((_, i) => [i - 1]);
    return { inputName: this.inputName, inbound: inbound.map((i) => [...i]), graph: this.core.inbound !== null };
  }

  /** Loss, metrics and optimizer config as saved in model.json, or null before compile. */
  trainingConfig(): Record<string, unknown> | null {
    const compiled = this.core.compiled;
    if (!compiled) return null;
    return { loss: compiled.loss, metrics: compiled.metrics, optimizer: compiled.optimizer.getConfig() };
  }
}
