// Optimizers with Keras's update rules and defaults; the updates run natively inside each training
// step. A learning rate may be a number or a schedule evaluated at every step.
import { booleanOr, finiteNumber, oneOf, optionsObject, requiredArgs } from './errors';
import type { NativeOptimizerSpec } from './native/network';

/** A learning rate as a function of the 0-based training step (Keras's LearningRateSchedule). */
export interface LearningRateSchedule {
  /** Which schedule this is. */
  readonly kind: 'stepDecay' | 'exponentialDecay' | 'cosineDecay';
  /** The learning rate at a 0-based training step (counted across fits since compile). */
  at(step: number): number;
  /** The schedule's settings, as saved with the model. */
  getConfig(): Record<string, unknown>;
}

/** A constant learning rate, or a schedule made by stepDecay, exponentialDecay or cosineDecay. */
export type LearningRate = number | LearningRateSchedule;

interface OptimizerBaseArgs {
  /** A number in [0, 1e6] or a LearningRateSchedule (default: the optimizer's Keras default). */
  learningRate?: LearningRate;
  /** Clip each weight array's gradient to this L2 norm (Keras's clipnorm); default 0, no clipping. */
  clipNorm?: number;
  /** Clip all gradients together to this global L2 norm (Keras's global_clipnorm); default 0, no clipping. */
  globalClipNorm?: number;
}

/** Options of `ck.optimizers.sgd`. */
export interface SgdArgs extends OptimizerBaseArgs {
  /** Velocity decay in [0, 1]: v = momentum * v - lr * g (default 0, plain SGD). */
  momentum?: number;
  /** Use Nesterov momentum (default false). */
  nesterov?: boolean;
}

/** Options of `ck.optimizers.rmsprop` (not centered, no momentum). */
export interface RmspropArgs extends OptimizerBaseArgs {
  /** Decay of the moving mean of squared gradients, in [0, 1] (default 0.9). */
  rho?: number;
  /** Added inside the square root for stability, in [0, 1] (default 1e-7). */
  epsilon?: number;
}

/** Options of `ck.optimizers.adam`. */
export interface AdamArgs extends OptimizerBaseArgs {
  /** Decay of the first-moment estimate, in [0, 1) (default 0.9; Keras's beta_1). */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1) (default 0.999; Keras's beta_2). */
  beta2?: number;
  /** Added to the root of the second moment for stability, in [0, 1] (default 1e-7). */
  epsilon?: number;
}

/** Options of `ck.optimizers.adamw`. */
export interface AdamwArgs extends AdamArgs {
  /** Decoupled weight decay per step: p -= lr * weightDecay * p, >= 0 (default 0.004). */
  weightDecay?: number;
}

/** The optimizers compile() accepts by name, with Keras's defaults. */
export type OptimizerName = 'sgd' | 'rmsprop' | 'adam' | 'adamw';
/** The names compile() accepts as `optimizer`. */
export const optimizerNames: readonly OptimizerName[] = ['sgd', 'rmsprop', 'adam', 'adamw'];

/**
 * An optimizer's kind and settings, made by `ck.optimizers.sgd`, `rmsprop`, `adam` or `adamw` and
 * given to `model.compile`. Its updates run natively inside each training step.
 */
export class Optimizer {
  /** The learning rate, or the schedule it follows. Callbacks may change it between steps. */
  learningRate: LearningRate;

  constructor(
    /** 'sgd', 'rmsprop', 'adam' or 'adamw'. */
    readonly kind: OptimizerName,
    learningRate: LearningRate,
    /** The other settings, defaults filled in (momentum, rho, beta1, epsilon, clipNorm, ...). */
    readonly options: Omit<NativeOptimizerSpec, 'kind'>,
  ) {
    this.learningRate = learningRate;
  }

  /** The learning rate at a 0-based step. */
  learningRateAt(step: number): number {
    return typeof this.learningRate === 'number' ? this.learningRate : this.learningRate.at(step);
  }

  /** The settings the native training step reads. */
  nativeSpec(): NativeOptimizerSpec {
    return { kind: this.kind, ...this.options };
  }

  /** The kind, learning rate (or schedule config) and options, as saved with the model. */
  getConfig(): Record<string, unknown> {
    const learningRate = typeof this.learningRate === 'number' ? this.learningRate : this.learningRate.getConfig();
    return { kind: this.kind, learningRate, ...this.options };
  }
}

function learningRateOption(value: unknown, fallback: number): LearningRate {
  if (value === undefined) return fallback;
  if (typeof value === 'object' && value !== null && typeof (value as LearningRateSchedule).at === 'function') {
    return value as LearningRateSchedule;
  }
  return finiteNumber(value, 'learningRate', 0, 1e6);
}

function clipOptions(args: OptimizerBaseArgs): Pick<NativeOptimizerSpec, 'clipNorm' | 'globalClipNorm'> {
  return {
    clipNorm: args.clipNorm === undefined ? 0 : finiteNumber(args.clipNorm, 'clipNorm', 0),
    globalClipNorm: args.globalClipNorm === undefined ? 0 : finiteNumber(args.globalClipNorm, 'globalClipNorm', 0),
  };
}

/** Keras SGD: learning rate 0.01, optional momentum and Nesterov momentum. */
export function sgd(options?: SgdArgs): Optimizer {
  const args = optionsObject(options, 'sgd');
  return new Optimizer('sgd', learningRateOption(args.learningRate, 0.01), {
    momentum: finiteNumber(args.momentum ?? 0, 'momentum', 0, 1),
    nesterov: booleanOr(args.nesterov, 'nesterov', false),
    ...clipOptions(args),
  });
}

/** Keras RMSprop: learning rate 1e-3, rho 0.9, epsilon 1e-7. */
export function rmsprop(options?: RmspropArgs): Optimizer {
  const args = optionsObject(options, 'rmsprop');
  return new Optimizer('rmsprop', learningRateOption(args.learningRate, 1e-3), {
    rho: finiteNumber(args.rho ?? 0.9, 'rho', 0, 1),
    epsilon: finiteNumber(args.epsilon ?? 1e-7, 'epsilon', 0, 1),
    ...clipOptions(args),
  });
}

/** Keras Adam: learning rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7. */
export function adam(options?: AdamArgs): Optimizer {
  const args = optionsObject(options, 'adam');
  return new Optimizer('adam', learningRateOption(args.learningRate, 1e-3), adamOptions(args));
}

/** Keras AdamW: Adam with decoupled weight decay (default 0.004). */
export function adamw(options?: AdamwArgs): Optimizer {
  const args = optionsObject(options, 'adamw');
  return new Optimizer('adamw', learningRateOption(args.learningRate, 1e-3), {
    ...adamOptions(args),
    weightDecay: finiteNumber(args.weightDecay ?? 0.004, 'weightDecay', 0),
  });
}

function adamOptions(args: AdamArgs): Omit<NativeOptimizerSpec, 'kind'> {
  return {
    beta1: finiteNumber(args.beta1 ?? 0.9, 'beta1', 0, 0.999999),
    beta2: finiteNumber(args.beta2 ?? 0.999, 'beta2', 0, 0.999999999),
    epsilon: finiteNumber(args.epsilon ?? 1e-7, 'epsilon', 0, 1),
    ...clipOptions(args),
  };
}

const factories: Record<OptimizerName, (options?: never) => Optimizer> = { sgd, rmsprop, adam, adamw };

/** An optimizer from its name (Keras defaults) or an Optimizer instance. */
export function getOptimizer(value: unknown): Optimizer {
  if (value instanceof Optimizer) return value;
  return factories[oneOf(value, 'optimizer', optimizerNames)]();
}

/** Rebuilds an optimizer from Optimizer.getConfig() (schedules included). */
export function optimizerFromConfig(config: Record<string, unknown>): Optimizer {
  const kind = oneOf(config.kind, 'optimizer.kind', optimizerNames);
  const { kind: _kind, learningRate, ...rest } = config;
  const rate =
    typeof learningRate === 'object' && learningRate !== null
      ? scheduleFromConfig(learningRate as Record<string, unknown>)
      : learningRate;
  return factories[kind]({ ...rest, learningRate: rate } as never);
}

// ---- learning-rate schedules ----------------------------------------------------------------

/**
 * A learning rate that steps down: initialLearningRate * factor^floor(step / stepSize). All three
 * options are required; initialLearningRate and factor >= 0, stepSize >= 1 (in steps).
 */
export function stepDecay(args: {
  initialLearningRate: number;
  factor: number;
  stepSize: number;
}): LearningRateSchedule {
  requiredArgs(args, 'stepDecay', '{ initialLearningRate: 0.01, factor: 0.5, stepSize: 1000 }');
  const initial = finiteNumber(args.initialLearningRate, 'initialLearningRate', 0);
  const factor = finiteNumber(args.factor, 'factor', 0);
  const stepSize = finiteNumber(args.stepSize, 'stepSize', 1);
  return {
    kind: 'stepDecay',
    at: (step) => initial * factor ** Math.floor(step / stepSize),
    getConfig: () => ({ kind: 'stepDecay', initialLearningRate: initial, factor, stepSize }),
  };
}

/**
 * Keras ExponentialDecay: initial * decayRate^(step / decaySteps), floored exponent when staircase
 * (default false). initialLearningRate, decaySteps (>= 1) and decayRate are required.
 */
export function exponentialDecay(args: {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}): LearningRateSchedule {
  requiredArgs(args, 'exponentialDecay', '{ initialLearningRate: 0.01, decaySteps: 1000, decayRate: 0.9 }');
  const initial = finiteNumber(args.initialLearningRate, 'initialLearningRate', 0);
  const decaySteps = finiteNumber(args.decaySteps, 'decaySteps', 1);
  const decayRate = finiteNumber(args.decayRate, 'decayRate', 0);
  const staircase = booleanOr(args.staircase, 'staircase', false);
  return {
    kind: 'exponentialDecay',
    at: (step) => initial * decayRate ** (staircase ? Math.floor(step / decaySteps) : step / decaySteps),
    getConfig: () => ({ kind: 'exponentialDecay', initialLearningRate: initial, decaySteps, decayRate, staircase }),
  };
}

/**
 * Keras CosineDecay: from initialLearningRate down to initialLearningRate * alpha along a half
 * cosine over decaySteps (>= 1) steps, then flat. alpha is in [0, 1] (default 0).
 */
export function cosineDecay(args: {
  initialLearningRate: number;
  decaySteps: number;
  alpha?: number;
}): LearningRateSchedule {
  requiredArgs(args, 'cosineDecay', '{ initialLearningRate: 0.01, decaySteps: 1000 }');
  const initial = finiteNumber(args.initialLearningRate, 'initialLearningRate', 0);
  const decaySteps = finiteNumber(args.decaySteps, 'decaySteps', 1);
  const alpha = finiteNumber(args.alpha ?? 0, 'alpha', 0, 1);
  return {
    kind: 'cosineDecay',
    at: (step) => {
      const progress = Math.min(step, decaySteps) / decaySteps;
      return initial * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * progress)) + alpha);
    },
    getConfig: () => ({ kind: 'cosineDecay', initialLearningRate: initial, decaySteps, alpha }),
  };
}

function scheduleFromConfig(config: Record<string, unknown>): LearningRateSchedule {
  switch (config.kind) {
    case 'stepDecay':
      return stepDecay(config as never);
    case 'exponentialDecay':
      return exponentialDecay(config as never);
    case 'cosineDecay':
      return cosineDecay(config as never);
    default:
      throw new RangeError(`unknown learning-rate schedule '${String(config.kind)}'`);
  }
}
