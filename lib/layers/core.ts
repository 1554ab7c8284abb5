import {
  activationLayerSpec,
  activationName,
  activationOption,
  defaultAlpha,
  type ActivationName,
  type ActivationSpelling,
} from '../activations';
import { booleanOr, describe, finiteNumber, positiveInt, requiredArgs } from '../errors';
import { initializerOption, type InitializerName } from '../initializers';
import type { NativeLayerSpec } from '../native/network';
import { shapeSize, type Shape } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig, type WeightSpec } from './base';

/** Options of `ck.layers.dense`. */
export interface DenseArgs extends LayerArgs {
  /** Number of outputs per sample (a positive integer; required). */
  units: number;
  /**
   * Activation fused after the bias (default, or null: 'linear', none); leakyRelu has slope 0.3
   * and elu scale 1.0.
   */
  activation?: ActivationSpelling | null;
  /** Whether to add a bias [units] (default true). */
  useBias?: boolean;
  /** Initializer of the kernel [inFeatures, units] (default 'glorotUniform'). */
  kernelInitializer?: InitializerName;
  /** Initializer of the bias (default 'zeros'). */
  biasInitializer?: InitializerName;
}

/**
 * Fully connected: output = activation(input . kernel + bias), kernel [in, units]. Takes a flat
 * [features] input per sample (put a flatten layer before it); weights: kernel, then bias.
 */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;

  constructor(args: DenseArgs) {
    super(requiredArgs(args, 'Dense', '{ units: 10 }'));
    this.units = positiveInt(args.units, 'Dense units');
    this.activation = activationOption(args.activation, 'Dense activation');
    this.useBias = booleanOr(args.useBias, 'Dense useBias', true);
    this.kernelInitializer = initializerOption(args.kernelInitializer, 'Dense kernelInitializer', 'glorotUniform');
    this.biasInitializer = initializerOption(args.biasInitializer, 'Dense biasInitializer', 'zeros');
  }

  static readonly className = 'Dense';

  computeOutputShape(inputShape: Shape): Shape {
    // Like Keras, a dense layer acts on the last axis; convkit flattens explicitly, so it wants rank 1.
    this.requireRank(inputShape, 1, 'flat [features] (add a flatten layer before it)');
    return [this.units];
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const specs: WeightSpec[] = [
      {
        name: 'kernel',
        shape: [inputShape[0], this.units],
        initializer: this.kernelInitializer,
        trainable: this.trainable,
      },
    ];
    if (this.useBias)
      specs.push({ name: 'bias', shape: [this.units], initializer: this.biasInitializer, trainable: this.trainable });
    return specs;
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return {
      kind: 'dense',
      inFeatures: inputShape[0],
      units: this.units,
      useBias: this.useBias,
      activation: this.activation,
      alpha: defaultAlpha(this.activation),
    };
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}

/** [h, w, c] -> [h*w*c] in NHWC order (free: no data moves). */
export class Flatten extends Layer {
  static readonly className = 'Flatten';
  computeOutputShape(inputShape: Shape): Shape {
    return [shapeSize(inputShape)];
  }
  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: 'reshape', size: shapeSize(inputShape) };
  }
}

/** Options of `ck.layers.reshape`. */
export interface ReshapeArgs extends LayerArgs {
  /** Target shape of one sample, without the batch axis; one entry may be -1 (inferred). Required. */
  targetShape: number[];
}

/** Gives each sample another shape of the same size, keeping the row-major order of its values. */
export class Reshape extends Layer {
  readonly targetShape: number[];

  constructor(args: ReshapeArgs) {
    super(requiredArgs(args, 'Reshape', '{ targetShape: [-1] }'));
    if (!Array.isArray(args.targetShape)) {
      throw new TypeError(`Reshape targetShape must be a non-empty array, got ${describe(args.targetShape)}`);
    }
    if (args.targetShape.length === 0)
      throw new RangeError('Reshape targetShape must have at least one dimension, got []');
    if (args.targetShape.filter((d) => d === -1).length > 1)
      throw new RangeError('Reshape targetShape may contain at most one -1');
    this.targetShape = args.targetShape.map((d, i) => (d === -1 ? -1 : positiveInt(d, `Reshape targetShape[${i}]`)));
  }

  static readonly className = 'Reshape';

  computeOutputShape(inputShape: Shape): Shape {
    const size = shapeSize(inputShape);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const shape = this.targetShape.map((d) => (d === -1 ? size / known : d));
    if (!shape.every(Number.isInteger) || shapeSize(shape) !== size) {
      this.fail(`cannot reshape [${inputShape.join(', ')}] (${size} values) to [${this.targetShape.join(', ')}]`);
    }
    return shape;
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: 'reshape', size: shapeSize(inputShape) };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}

/** Options of `ck.layers.dropout`. */
export interface DropoutArgs extends LayerArgs {
  /**
   * Fraction of inputs zeroed during training, in [0, 1) (required); the others are scaled by
   * 1 / (1 - rate). Which ones follows fit's `seed`.
   */
  rate: number;
}

/** Inverted dropout: active only in training, the identity at inference. */
export class Dropout extends Layer {
  readonly rate: number;

  constructor(args: DropoutArgs) {
    super(requiredArgs(args, 'Dropout', '{ rate: 0.5 }'));
    this.rate = finiteNumber(args.rate, 'Dropout rate', 0, 0.999999);
  }

  static readonly className = 'Dropout';
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: 'dropout', size: shapeSize(inputShape), rate: this.rate };
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate };
  }
}

/** Options of `ck.layers.activation`. */
export interface ActivationArgs extends LayerArgs {
  /** The function to apply (required; null is not accepted here, unlike conv2d's and dense's option). */
  activation: ActivationSpelling;
  /** Slope of leakyRelu / scale of elu (defaults 0.3 / 1.0). */
  alpha?: number;
}

/** Applies an activation function; softmax runs over the last axis. */
export class Activation extends Layer {
  readonly activation: ActivationName;
  readonly alpha: number;

  constructor(args: ActivationArgs) {
    super(requiredArgs(args, 'Activation', "{ activation: 'relu' }"));
    // Required here (unlike conv2d's and dense's optional fused activation).
    this.activation = activationName(args.activation, 'Activation activation');
    this.alpha =
      args.alpha === undefined ? defaultAlpha(this.activation) : finiteNumber(args.alpha, 'Activation alpha');
  }

  static readonly className = 'Activation';
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return activationLayerSpec(inputShape, this.activation, this.alpha);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), activation: this.activation, alpha: this.alpha };
  }
}
