import { finiteNumber, positiveInt, requiredArgs } from '../errors';
import type { NativeLayerSpec } from '../native/network';
import { shapeSize, type Shape } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig } from './base';

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
    return {
      kind: 'activation',
      size: shapeSize(inputShape),
      channels: inputShape[inputShape.length - 1],
      activation: this.activation,
      alpha: this.alpha,
    };
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
