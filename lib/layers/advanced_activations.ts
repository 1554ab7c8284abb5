import { activationLayerSpec } from '../activations';
import { describe, finiteNumber, positiveInt, requiredArgs } from '../errors';
import { initializerOption, type InitializerName } from '../initializers';
import type { NativeLayerSpec } from '../native/network';
import { shapeSize, type Shape } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig, type WeightSpec } from './base';

/** An elementwise activation layer with one parameter, alpha. */
abstract class AlphaActivation extends Layer {
  readonly alpha: number;

  constructor(args: { alpha?: number } & LayerArgs, defaultAlpha: number) {
    super(args);
    this.alpha = finiteNumber(args.alpha ?? defaultAlpha, `${this.className} alpha`);
  }

  protected abstract get activation(): 'leakyRelu' | 'elu';

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return activationLayerSpec(inputShape, this.activation, this.alpha);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

/** Options of `ck.layers.leakyReLU`. */
export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for x < 0, any finite number (default 0.3, as Keras; Keras 3 calls it negative_slope). */
  alpha?: number;
}

/** x for x >= 0, alpha * x below. */
export class LeakyReLU extends AlphaActivation {
  static readonly className = 'LeakyReLU';
  constructor(args: LeakyReLUArgs = {}) {
    super(args, 0.3);
  }
  protected get activation() {
    return 'leakyRelu' as const;
  }
}

/** Options of `ck.layers.elu`. */
export interface ELUArgs extends LayerArgs {
  /** Scale of the negative part, any finite number (default 1.0, as Keras). */
  alpha?: number;
}

/** x for x > 0, alpha * (exp(x) - 1) below. */
export class ELU extends AlphaActivation {
  static readonly className = 'ELU';
  constructor(args: ELUArgs = {}) {
    super(args, 1.0);
  }
  protected get activation() {
    return 'elu' as const;
  }
}

/** Options of `ck.layers.maxout` (no core Keras counterpart). */
export interface MaxoutArgs extends LayerArgs {
  /**
   * Number of linear pieces each output takes the max over: a positive integer that divides the
   * input's last axis (required).
   */
  pieces: number;
}

/**
 * Max over groups of `pieces` consecutive channels of the last axis: after
 * `dense({ units: u * k })`, `maxout({ pieces: k })` is the maxout unit max(w1.x+b1, ..., wk.x+bk).
 */
export class Maxout extends Layer {
  readonly pieces: number;
  constructor(args: MaxoutArgs) {
    super(requiredArgs(args, 'Maxout', '{ pieces: 2 }'));
    this.pieces = positiveInt(args.pieces, 'Maxout pieces');
  }
  static readonly className = 'Maxout';
  computeOutputShape(inputShape: Shape): Shape {
    const channels = inputShape[inputShape.length - 1];
    if (channels % this.pieces !== 0)
      this.fail(`the last axis (${channels}) must be a multiple of pieces (${this.pieces})`);
    return [...inputShape.slice(0, -1), channels / this.pieces];
  }
  nativeSpec(inputShape: Shape): NativeLayerSpec {
    const channels = inputShape[inputShape.length - 1];
    return { kind: 'maxout', size: shapeSize(inputShape), units: channels / this.pieces, pieces: this.pieces };
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), pieces: this.pieces };
  }
}

/** Options of `ck.layers.reLU`: Keras's ReLU layer, in the forms the kernels compute. */
export interface ReLUArgs extends LayerArgs {
  /** Where the output saturates: undefined (none: relu) or 6 (relu6). */
  maxValue?: number;
  /** Slope below the threshold: only 0 (the default). leakyReLU computes other slopes. */
  negativeSlope?: number;
  /** Where the output starts to rise: only 0 (the default). */
  threshold?: number;
}

/** max(x, 0), or min(max(x, 0), 6) with maxValue 6 (MobileNet's ReLU6). */
export class ReLU extends Layer {
  static readonly className = 'ReLU';
  /** 6, or undefined for no upper bound. */
  readonly maxValue: number | undefined;

  constructor(args: ReLUArgs = {}) {
    super(args);
    const maxValue = args.maxValue ?? undefined;
    if (maxValue !== undefined) finiteNumber(maxValue, 'ReLU maxValue');
    const negativeSlope = finiteNumber(args.negativeSlope ?? 0, 'ReLU negativeSlope');
    const threshold = finiteNumber(args.threshold ?? 0, 'ReLU threshold');
    if ((maxValue !== undefined && maxValue !== 6) || negativeSlope !== 0 || threshold !== 0) {
      throw new RangeError(
        `ReLU supports maxValue undefined (relu) or 6 (relu6) with negativeSlope 0 and threshold 0; got maxValue ${maxValue}, negativeSlope ${negativeSlope}, threshold ${threshold} (leakyReLU computes other slopes)`,
      );
    }
    this.maxValue = maxValue;
  }

  /** The activation the layer computes. */
  get activation(): 'relu' | 'relu6' {
    return this.maxValue === undefined ? 'relu' : 'relu6';
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return activationLayerSpec(inputShape, this.activation, 0);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), maxValue: this.maxValue ?? null, negativeSlope: 0, threshold: 0 };
  }
}

/** Options of `ck.layers.prelu`. */
export interface PReLUArgs extends LayerArgs {
  /** Initializer of alpha (default 'zeros', as Keras: the layer starts as relu). */
  alphaInitializer?: InitializerName;
  /**
   * Axes (of the input, the batch being axis 0) along which one alpha is shared: every axis but
   * the last ([1, 2] for [h, w, c] images), for one alpha per channel; or undefined/null for one
   * alpha per value, which convkit supports for flat [features] inputs.
   */
  sharedAxes?: number[] | null;
}

/**
 * Keras's PReLU: x for x > 0, alpha * x below, with alpha learned. Its weight `alpha` has Keras's
 * shape: the input's, with 1 on the shared axes ([1, 1, c] for images with sharedAxes [1, 2]).
 */
export class PReLU extends Layer {
  static readonly className = 'PReLU';
  readonly alphaInitializer: InitializerName;
  readonly sharedAxes: number[] | null;

  constructor(args: PReLUArgs = {}) {
    super(args);
    this.alphaInitializer = initializerOption(args.alphaInitializer, 'PReLU alphaInitializer', 'zeros');
    const shared = args.sharedAxes ?? null;
    if (shared !== null && !Array.isArray(shared)) {
      throw new TypeError(`PReLU sharedAxes must be an array of axes or null, got ${describe(shared)}`);
    }
    this.sharedAxes = shared && shared.map((axis, i) => positiveInt(axis, `PReLU sharedAxes[${i}]`));
  }

  computeOutputShape(inputShape: Shape): Shape {
    const shared = [...(this.sharedAxes ?? [])].sort((a, b) => a - b).join(', ');
    const perChannel = inputShape
      .slice(0, -1)
      .map((_, i) => i + 1)
      .join(', ');
    const flat = inputShape.length === 1;
    if (flat ? shared !== '' : shared !== perChannel) {
      const supported = flat
        ? 'sharedAxes null (one alpha per value) for a flat input'
        : `one alpha per channel (sharedAxes [${perChannel}])`;
      this.fail(
        `sharedAxes [${shared}] is not supported for an input of shape [${inputShape.join(', ')}]: convkit supports ${supported}`,
      );
    }
    return inputShape;
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const shape = inputShape.map((size, i) => (i === inputShape.length - 1 ? size : 1));
    return [{ name: 'alpha', shape, initializer: this.alphaInitializer, trainable: this.trainable }];
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: 'prelu', size: shapeSize(inputShape), channels: inputShape[inputShape.length - 1] };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), alphaInitializer: this.alphaInitializer, sharedAxes: this.sharedAxes };
  }
}
