import { finiteNumber, positiveInt } from '../errors';
import type { NativeLayerSpec } from '../native/network';
import type { Shape } from '../tensor';
import { Layer, shapeSize, type LayerArgs, type LayerConfig } from './base';

export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for x < 0 (default 0.3, as Keras). */
  alpha?: number;
}

export class LeakyReLU extends Layer {
  readonly alpha: number;
  constructor(args: LeakyReLUArgs = {}) {
    super(args);
    this.alpha = finiteNumber(args.alpha ?? 0.3, 'LeakyReLU alpha');
  }
  static readonly className = 'LeakyReLU';
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: 'activation', size: shapeSize(inputShape), channels: inputShape[inputShape.length - 1], activation: 'leakyRelu', alpha: this.alpha };
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface ELUArgs extends LayerArgs {
  /** Scale of the negative part (default 1.0). */
  alpha?: number;
}

export class ELU extends Layer {
  readonly alpha: number;
  constructor(args: ELUArgs = {}) {
    super(args);
    this.alpha = finiteNumber(args.alpha ?? 1.0, 'ELU alpha');
  }
  static readonly className = 'ELU';
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: 'activation', size: shapeSize(inputShape), channels: inputShape[inputShape.length - 1], activation: 'elu', alpha: this.alpha };
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface MaxoutArgs extends LayerArgs {
  /** Number of linear pieces each output takes the max over. */
  pieces: number;
}

/**
 * Max over groups of `pieces` consecutive channels of the last axis: after
 * `dense({ units: u * k })`, `maxout({ pieces: k })` is the maxout unit max(w1.x+b1, ..., wk.x+bk).
 */
export class Maxout extends Layer {
  readonly pieces: number;
  constructor(args: MaxoutArgs) {
    super(args);
    this.pieces = positiveInt(args.pieces, 'Maxout pieces');
  }
  static readonly className = 'Maxout';
  computeOutputShape(inputShape: Shape): Shape {
    const channels = inputShape[inputShape.length - 1];
    if (channels % this.pieces !== 0) this.fail(`the last axis (${channels}) must be a multiple of pieces (${this.pieces})`);
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
