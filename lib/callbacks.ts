// Training callbacks, after Keras: hooks called by fit, plus early stopping, checkpoints and
// learning-rate reduction on plateaus. Hooks may be async; fit awaits them.
import { booleanOr, describe, finiteNumber, oneOf, optionsObject, positiveInt } from './errors';
import type { Optimizer } from './optimizers';
import type { Tensor } from './tensor';

/** Metrics reported to callbacks: loss, accuracy, val_loss, val_accuracy, lr, ... */
export type Logs = Record<string, number>;

/** What callbacks may do to the model being trained. */
export interface TrainingModel {
  /** Set to true to end fit after the current batch. */
  stopTraining: boolean;
  /** The compiled optimizer; its learningRate may be changed between steps. */
  readonly optimizer: Optimizer | null;
  /** Copies of the weights (Sequential.getWeights). */
  getWeights(): Tensor[];
  /** Replaces the weights (Sequential.setWeights). */
  setWeights(weights: Tensor[]): void;
  /** Saves the model in convkit's format (Sequential.save). */
  save(path: string): Promise<void>;
}

/**
 * Hooks fit calls, all optional; epochs and batches are 0-based, and fit awaits a hook that returns
 * a Promise before going on. Any object with these methods will do, as in tfjs.
 */
export interface Callback {
  /** Called at the start of each fit, before onTrainBegin, with the model being trained. */
  setModel?(model: TrainingModel): void;
  /** Before the first epoch (logs are empty). */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** After the last epoch or once training was stopped, not when fit rejects (logs are empty). */
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /** Before each epoch (logs are empty). */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** After each epoch, with the epoch's loss (accuracy, val_loss, val_accuracy) as in History. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Before each step, with { batch, size } (samples in the batch). */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** After each step, with { batch, size } and the epoch's running mean loss (and accuracy). */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/** 'min': lower is better; 'max': higher is better; 'auto' (default): 'max' for names with "acc", else 'min'. */
type Mode = 'auto' | 'min' | 'max';

/** Tracks the best value of a monitored metric, in the direction its name implies. */
class Monitor {
  readonly maximize: boolean;
  best: number;

  constructor(
    readonly name: string,
    mode: Mode,
    readonly minDelta: number,
  ) {
    if (typeof name !== 'string')
      throw new TypeError(`monitor must be a metric name such as 'val_loss', got ${describe(name)}`);
    this.maximize = mode === 'max' || (mode === 'auto' && /acc/.test(name));
    this.best = this.maximize ? -Infinity : Infinity;
  }

  /** The metric's value in logs; a RangeError naming the available ones when it is missing. */
  read(logs: Logs): number {
    const value = logs[this.name];
    if (value === undefined) {
      throw new RangeError(
        `monitored metric '${this.name}' is not in the logs (available: ${Object.keys(logs).join(', ')}); ` +
          `val_* metrics need validationData or validationSplit`,
      );
    }
    return value;
  }

  improves(value: number): boolean {
    return this.maximize ? value > this.best + this.minDelta : value < this.best - this.minDelta;
  }
}

/** Options of `ck.callbacks.earlyStopping`. */
export interface EarlyStoppingArgs {
  /** The metric to watch, a key of the epoch logs (default 'val_loss'). */
  monitor?: string;
  /** Smallest change that counts as an improvement, >= 0 (default 0). */
  minDelta?: number;
  /**
   * Epochs without improvement to tolerate, >= 0 (default 0): training stops at the (patience + 1)th
   * such epoch in a row (Keras and tfjs stop at the patience-th).
   */
  patience?: number;
  /** Whether lower or higher is better (default 'auto'). */
  mode?: Mode;
  /**
   * Put back the weights of the best epoch when training stops early (default false); nothing is
   * put back when training runs to its last epoch.
   */
  restoreBestWeights?: boolean;
}

/** Stops training when the monitored metric has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  private model: TrainingModel | null = null;
  private readonly monitor: Monitor;
  private readonly patience: number;
  private readonly restoreBestWeights: boolean;
  private wait = 0;
  private bestWeights: Tensor[] | null = null;
  /** The epoch training stopped at, or -1. */
  stoppedEpoch = -1;

  constructor(options?: EarlyStoppingArgs) {
    const args = optionsObject(options, 'earlyStopping');
    this.monitor = new Monitor(
      args.monitor ?? 'val_loss',
      oneOf(args.mode ?? 'auto', 'mode', ['auto', 'min', 'max'] as const),
      finiteNumber(args.minDelta ?? 0, 'minDelta', 0),
    );
    this.patience = args.patience === undefined ? 0 : finiteNumber(args.patience, 'patience', 0);
    this.restoreBestWeights = booleanOr(args.restoreBestWeights, 'restoreBestWeights', false);
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.monitor.best = this.monitor.maximize ? -Infinity : Infinity;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const value = this.monitor.read(logs);
    if (this.monitor.improves(value)) {
      this.monitor.best = value;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeights();
      return;
    }
    this.wait += 1;
    if (this.wait > this.patience) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) this.model!.setWeights(this.bestWeights);
    }
  }
}

/** Options of `ck.callbacks.modelCheckpoint`. */
export interface ModelCheckpointArgs {
  /** Directory to save into (required); `{epoch}` is replaced by the 1-based epoch number. */
  filepath: string;
  /** The metric saveBestOnly watches (default 'val_loss'). */
  monitor?: string;
  /** Save only when the monitored metric improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
  /** Whether lower or higher is better (default 'auto'). */
  mode?: Mode;
}

/**
 * Saves the model (atomically) after each epoch, or only when the monitored metric improves; never
 * after an epoch whose loss is NaN or infinite.
 */
export class ModelCheckpoint implements Callback {
  private model: TrainingModel | null = null;
  private readonly monitor: Monitor;
  private readonly filepath: string;
  private readonly saveBestOnly: boolean;

  constructor(args: ModelCheckpointArgs) {
    if (typeof args?.filepath !== 'string' || args.filepath.length === 0) {
      throw new TypeError(`modelCheckpoint filepath must be a non-empty string, got ${describe(args?.filepath)}`);
    }
    this.filepath = args.filepath;
    this.saveBestOnly = booleanOr(args.saveBestOnly, 'saveBestOnly', false);
    this.monitor = new Monitor(
      args.monitor ?? 'val_loss',
      oneOf(args.mode ?? 'auto', 'mode', ['auto', 'min', 'max'] as const),
      0,
    );
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    // A diverged model (NaN or infinite loss) would replace a good checkpoint with weights
    // loadModel rejects.
    if (logs.loss !== undefined && !Number.isFinite(logs.loss)) return;
    if (this.saveBestOnly) {
      const value = this.monitor.read(logs);
      if (!this.monitor.improves(value)) return;
      this.monitor.best = value;
    }
    await this.model!.save(this.filepath.replace('{epoch}', String(epoch + 1)));
  }
}

/** Options of `ck.callbacks.reduceLROnPlateau`. */
export interface ReduceLROnPlateauArgs {
  /** The metric to watch (default 'val_loss'). */
  monitor?: string;
  /** Multiplier of the learning rate on a plateau, in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing, >= 0 (default 10). */
  patience?: number;
  /** Smallest change that counts as an improvement, >= 0 (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again, >= 0 (default 0). */
  cooldown?: number;
  /** The learning rate is never reduced below this, >= 0 (default 0; Keras's min_lr). */
  minLr?: number;
  /** Whether lower or higher is better (default 'auto'). */
  mode?: Mode;
}

/** Multiplies the learning rate by `factor` when the monitored metric stalls for `patience` epochs. */
export class ReduceLROnPlateau implements Callback {
  private model: TrainingModel | null = null;
  private readonly monitor: Monitor;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(options?: ReduceLROnPlateauArgs) {
    const args = optionsObject(options, 'reduceLROnPlateau');
    this.monitor = new Monitor(
      args.monitor ?? 'val_loss',
      oneOf(args.mode ?? 'auto', 'mode', ['auto', 'min', 'max'] as const),
      finiteNumber(args.minDelta ?? 1e-4, 'minDelta', 0),
    );
    this.factor = finiteNumber(args.factor ?? 0.1, 'factor', 0, 0.999999);
    this.patience = args.patience === undefined ? 10 : finiteNumber(args.patience, 'patience', 0);
    this.cooldown = args.cooldown === undefined ? 0 : finiteNumber(args.cooldown, 'cooldown', 0);
    this.minLr = finiteNumber(args.minLr ?? 0, 'minLr', 0);
  }

  setModel(model: TrainingModel): void {
    if (model.optimizer && typeof model.optimizer.learningRate !== 'number') {
      throw new RangeError('reduceLROnPlateau needs a constant learning rate, but the optimizer follows a schedule');
    }
    this.model = model;
  }

  /** Starts afresh on each fit, as Keras does: no best value, wait or cooldown carried over. */
  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownLeft = 0;
    this.monitor.best = this.monitor.maximize ? -Infinity : Infinity;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const value = this.monitor.read(logs);
    if (this.cooldownLeft > 0) this.cooldownLeft -= 1;
    if (this.monitor.improves(value)) {
      this.monitor.best = value;
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait += 1;
    const optimizer = this.model!.optimizer!;
    const current = optimizer.learningRate as number;
    if (this.wait >= this.patience && current > this.minLr) {
      optimizer.learningRate = Math.max(current * this.factor, this.minLr);
      this.cooldownLeft = this.cooldown;
      this.wait = 0;
    }
  }
}

/**
 * Stops training at the first batch whose loss is NaN or infinite, without an error (Keras's
 * TerminateOnNaN); without it, fit rejects at that batch. Either way the weights are those after
 * the diverged step: restore them from a checkpoint (modelCheckpoint skips such epochs).
 */
export class TerminateOnNaN implements Callback {
  private model: TrainingModel | null = null;
  private epoch = 0;
  /** Where training stopped ({ epoch, batch }, 0-based), or null. */
  stoppedAt: { epoch: number; batch: number } | null = null;

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.stoppedAt = null;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    if (Number.isFinite(logs.loss)) return;
    this.stoppedAt = { epoch: this.epoch, batch };
    this.model!.stopTraining = true;
  }
}

/**
 * Stops fit when the monitored metric (default val_loss) has not improved for more than `patience`
 * epochs in a row.
 * @throws {TypeError | RangeError} for invalid options.
 */
export const earlyStopping = (args?: EarlyStoppingArgs) => new EarlyStopping(args);
/**
 * Saves the model to `filepath` after every epoch, or only on improvement with saveBestOnly.
 * @throws {TypeError} when filepath is not a non-empty string.
 */
export const modelCheckpoint = (args: ModelCheckpointArgs) => new ModelCheckpoint(args);
/**
 * Multiplies the learning rate by `factor` when the monitored metric stalls; the optimizer must
 * have a constant learning rate (a RangeError when fit starts otherwise).
 */
export const reduceLROnPlateau = (args?: ReduceLROnPlateauArgs) => new ReduceLROnPlateau(args);
/** Stops fit quietly at the first batch whose loss is NaN or infinite (see TerminateOnNaN). */
export const terminateOnNaN = () => new TerminateOnNaN();

const hookNames = [
  'onTrainBegin',
  'onTrainEnd',
  'onEpochBegin',
  'onEpochEnd',
  'onBatchBegin',
  'onBatchEnd',
  'setModel',
] as const;

/** fit's `callbacks` option as a new list, each checked to be an object whose hooks are functions. */
export function callbackList(value: unknown): Callback[] {
  if (value === undefined) return [];
  const list: unknown[] = Array.isArray(value) ? [...value] : [value];
  list.forEach((callback, i) => {
    if (callback === null || typeof callback !== 'object') {
      throw new TypeError(`callbacks[${i}] must be an object with hooks such as onEpochEnd, got ${describe(callback)}`);
    }
    for (const hook of hookNames) {
      const fn = (callback as Record<string, unknown>)[hook];
      if (fn !== undefined && typeof fn !== 'function')
        throw new TypeError(`callbacks[${i}].${hook} must be a function, got ${describe(fn)}`);
    }
  });
  return list as Callback[];
}

/** Calls one hook on every callback in order, awaiting each. */
export async function callHook<K extends Exclude<keyof Callback, 'setModel'>>(
  callbacks: Callback[],
  hook: K,
  ...args: Parameters<NonNullable<Callback[K]>>
): Promise<void> {
  for (const callback of callbacks) {
    const fn = callback[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
    if (fn) await fn.apply(callback, args);
  }
}

/** Per-epoch lines, or a progress bar on a TTY (verbose 1). */
export class ProgressLogger implements Callback {
  private epochs = 0;
  private steps = 0;
  private started = 0;
  private lastDraw = 0;

  constructor(
    private readonly verbose: number,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    positiveInt(verbose, 'verbose');
  }

  configure(epochs: number, steps: number): void {
    this.epochs = epochs;
    this.steps = steps;
  }

  onEpochBegin(epoch: number): void {
    this.started = Date.now();
    if (this.verbose === 1 && this.out.isTTY) this.out.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }

  onBatchEnd(batch: number, logs: Logs): void {
    if (this.verbose !== 1 || !this.out.isTTY) return;
    const now = Date.now();
    // Redraw at most ~10 times a second: a terminal write per batch would cost more than a step.
    if (now - this.lastDraw < 100 && batch + 1 < this.steps) return;
    this.lastDraw = now;
    const width = 30;
    const done = this.steps > 0 ? Math.min(width, Math.round(((batch + 1) / this.steps) * width)) : 0;
    const bar = '='.repeat(Math.max(done - 1, 0)) + (done > 0 ? '>' : '') + '.'.repeat(width - done);
    this.out.write(`\r${batch + 1}/${this.steps} [${bar}] ${formatLogs(logs)}\x1b[K`);
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    if (this.verbose === 1 && this.out.isTTY) {
      this.out.write(`\r${this.steps}/${this.steps} ${seconds}s ${formatLogs(logs)}\x1b[K\n`);
    } else {
      this.out.write(`Epoch ${epoch + 1}/${this.epochs} - ${seconds}s - ${formatLogs(logs)}\n`);
    }
  }
}

function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([key]) => key !== 'batch' && key !== 'size')
    .map(
      ([key, value]) => `${key}: ${Math.abs(value) >= 1e-3 || value === 0 ? value.toFixed(4) : value.toExponential(3)}`,
    )
    .join(' - ');
}
