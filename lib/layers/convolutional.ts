import { activationOption, defaultAlpha, type ActivationName, type ActivationSpelling } from '../activations';
import { booleanOr, intPair, oneOf, positiveInt, requiredArgs } from '../errors';
import { initializerOption, type InitializerName } from '../initializers';
import type { NativeLayerSpec } from '../native/network';
import type { Shape } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig, type WeightSpec } from './base';
import { outputLength, type Padding } from './geometry';

export type { Padding } from './geometry';

/** Options of `ck.layers.conv2d`. */
export interface Conv2DArgs extends LayerArgs {
  /** Number of kernels, i.e. output channels (a positive integer; required). */
  filters: number;
  /** Kernel height and width in pixels: one number for a square kernel, or [height, width] (required). */
  kernelSize: number | [number, number];
  /** Step between windows in pixels, a number or [height, width] (default 1). */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same'; see Padding. */
  padding?: Padding;
  /** Spacing between kernel taps in pixels (atrous convolution), a number or [height, width] (default 1). */
  dilationRate?: number | [number, number];
  /**
   * Activation fused after the bias (default, or null: 'linear', none); softmax runs over the
   * channels at each pixel, leakyRelu has slope 0.3 and elu scale 1.0.
   */
  activation?: ActivationSpelling | null;
  /** Whether to add a bias [filters] (default true). */
  useBias?: boolean;
  /** Initializer of the kernel [kh, kw, inChannels, filters] (default 'glorotUniform'). */
  kernelInitializer?: InitializerName;
  /** Initializer of the bias (default 'zeros'). */
  biasInitializer?: InitializerName;
}

/**
 * 2-D convolution over NHWC input: `filters` kernels of `kernelSize`, each producing one feature
 * map. Kernel weights in Keras layout [kh, kw, inChannels, filters], then the bias [filters].
 */
export class Conv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;

  constructor(args: Conv2DArgs) {
    super(requiredArgs(args, 'Conv2D', '{ filters: 32, kernelSize: 3 }'));
    this.filters = positiveInt(args.filters, 'Conv2D filters');
    this.kernelSize = intPair(args.kernelSize, 'Conv2D kernelSize');
    this.strides = intPair(args.strides ?? 1, 'Conv2D strides');
    this.padding = oneOf(args.padding ?? 'valid', 'Conv2D padding', ['valid', 'same'] as const);
    this.dilationRate = intPair(args.dilationRate ?? 1, 'Conv2D dilationRate');
    this.activation = activationOption(args.activation, 'Conv2D activation');
    this.useBias = booleanOr(args.useBias, 'Conv2D useBias', true);
    this.kernelInitializer = initializerOption(args.kernelInitializer, 'Conv2D kernelInitializer', 'glorotUniform');
    this.biasInitializer = initializerOption(args.biasInitializer, 'Conv2D biasInitializer', 'zeros');
  }

  static readonly className = 'Conv2D';

  computeOutputShape(inputShape: Shape): Shape {
    this.requireRank(inputShape, 3, '[height, width, channels]');
    const [h, w] = inputShape;
    const outH = outputLength(h, this.kernelSize[0], this.strides[0], this.dilationRate[0], this.padding);
    const outW = outputLength(w, this.kernelSize[1], this.strides[1], this.dilationRate[1], this.padding);
    if (outH < 1 || outW < 1) {
      this.fail(
        `kernel ${this.kernelSize.join('x')} (dilation ${this.dilationRate.join('x')}) does not fit input ${h}x${w} with 'valid' padding`,
      );
    }
    return [outH, outW, this.filters];
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const specs: WeightSpec[] = [
      {
        name: 'kernel',
        shape: [...this.kernelSize, inputShape[2], this.filters],
        initializer: this.kernelInitializer,
        trainable: this.trainable,
      },
    ];
    if (this.useBias)
      specs.push({ name: 'bias', shape: [this.filters], initializer: this.biasInitializer, trainable: this.trainable });
    return specs;
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return {
      kind: 'conv2d',
      inHeight: inputShape[0],
      inWidth: inputShape[1],
      inChannels: inputShape[2],
      outChannels: this.filters,
      kernelHeight: this.kernelSize[0],
      kernelWidth: this.kernelSize[1],
      strideHeight: this.strides[0],
      strideWidth: this.strides[1],
      dilationHeight: this.dilationRate[0],
      dilationWidth: this.dilationRate[1],
      padding: this.padding,
      useBias: this.useBias,
      activation: this.activation,
      alpha: defaultAlpha(this.activation),
    };
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}
