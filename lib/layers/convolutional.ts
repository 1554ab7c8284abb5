import { activationOption, defaultAlpha, type ActivationName, type ActivationSpelling } from '../activations';
import { booleanOr, intPair, oneOf, positiveInt, requiredArgs } from '../errors';
import { initializerOption, type InitializerName } from '../initializers';
import type { NativeLayerSpec } from '../native/network';
import type { Shape } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig, type WeightSpec } from './base';
import { outputLength, type Padding } from './geometry';

export type { Padding } from './geometry';

/** The options every convolution shares (Keras's defaults). */
export interface ConvolutionArgs extends LayerArgs {
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
  /** Whether to add a bias, one per output channel (default true). */
  useBias?: boolean;
  /** Initializer of the bias (default 'zeros'). */
  biasInitializer?: InitializerName;
}

/**
 * What Conv2D, DepthwiseConv2D and SeparableConv2D share: the window over NHWC input, the bias
 * and the activation. Subclasses say how many channels come out and which kernels they hold.
 */
export abstract class Convolution extends Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly biasInitializer: InitializerName;

  protected constructor(args: ConvolutionArgs) {
    super(args);
    const className = this.className;
    this.kernelSize = intPair(args.kernelSize, `${className} kernelSize`);
    this.strides = intPair(args.strides ?? 1, `${className} strides`);
    this.padding = oneOf(args.padding ?? 'valid', `${className} padding`, ['valid', 'same'] as const);
    this.dilationRate = intPair(args.dilationRate ?? 1, `${className} dilationRate`);
    this.activation = activationOption(args.activation, `${className} activation`);
    this.useBias = booleanOr(args.useBias, `${className} useBias`, true);
    this.biasInitializer = initializerOption(args.biasInitializer, `${className} biasInitializer`, 'zeros');
  }

  /** Output channels for `inChannels` channels in. */
  protected abstract outputChannels(inChannels: number): number;

  computeOutputShape(inputShape: Shape): Shape {
    this.requireRank(inputShape, 3, '[height, width, channels]');
    const [h, w, c] = inputShape;
    const outH = outputLength(h, this.kernelSize[0], this.strides[0], this.dilationRate[0], this.padding);
    const outW = outputLength(w, this.kernelSize[1], this.strides[1], this.dilationRate[1], this.padding);
    if (outH < 1 || outW < 1) {
      this.fail(
        `kernel ${this.kernelSize.join('x')} (dilation ${this.dilationRate.join('x')}) does not fit input ${h}x${w} with 'valid' padding`,
      );
    }
    return [outH, outW, this.outputChannels(c)];
  }

  /** A weight of this layer, trainable as the layer is. */
  protected weight(name: string, shape: number[], initializer: InitializerName): WeightSpec {
    return { name, shape, initializer, trainable: this.trainable };
  }

  /** The bias weight [channels], when the layer has one. */
  protected biasSpecs(channels: number): WeightSpec[] {
    return this.useBias ? [this.weight('bias', [channels], this.biasInitializer)] : [];
  }

  /** The native spec's window, bias and activation fields. */
  protected windowSpec(inputShape: Shape) {
    return {
      inHeight: inputShape[0],
      inWidth: inputShape[1],
      inChannels: inputShape[2],
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
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      biasInitializer: this.biasInitializer,
    };
  }
}

/** Options of `ck.layers.conv2d`. */
export interface Conv2DArgs extends ConvolutionArgs {
  /** Number of kernels, i.e. output channels (a positive integer; required). */
  filters: number;
  /** Initializer of the kernel [kh, kw, inChannels, filters] (default 'glorotUniform'). */
  kernelInitializer?: InitializerName;
}

/**
 * 2-D convolution over NHWC input: `filters` kernels of `kernelSize`, each producing one feature
 * map. Kernel weights in Keras layout [kh, kw, inChannels, filters], then the bias [filters].
 */
export class Conv2D extends Convolution {
  readonly filters: number;
  readonly kernelInitializer: InitializerName;

  constructor(args: Conv2DArgs) {
    super(requiredArgs(args, 'Conv2D', '{ filters: 32, kernelSize: 3 }'));
    this.filters = positiveInt(args.filters, 'Conv2D filters');
    this.kernelInitializer = initializerOption(args.kernelInitializer, 'Conv2D kernelInitializer', 'glorotUniform');
  }

  static readonly className = 'Conv2D';

  protected outputChannels(): number {
    return this.filters;
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    return [
      this.weight('kernel', [...this.kernelSize, inputShape[2], this.filters], this.kernelInitializer),
      ...this.biasSpecs(this.filters),
    ];
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: 'conv2d', outChannels: this.filters, ...this.windowSpec(inputShape) };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), filters: this.filters, kernelInitializer: this.kernelInitializer };
  }
}

/** Options of `ck.layers.depthwiseConv2d`. */
export interface DepthwiseConv2DArgs extends ConvolutionArgs {
  /** Filters per input channel: output channels = input channels * depthMultiplier (default 1). */
  depthMultiplier?: number;
  /** Initializer of the depthwise kernel [kh, kw, inChannels, depthMultiplier] (default 'glorotUniform'). */
  depthwiseInitializer?: InitializerName;
}

/**
 * Depthwise 2-D convolution over NHWC input: each input channel convolved with its own
 * `depthMultiplier` kernels (output channel c * depthMultiplier + m), no mixing across channels.
 * Weights: depthwise_kernel [kh, kw, inChannels, depthMultiplier], then the bias.
 */
export class DepthwiseConv2D extends Convolution {
  readonly depthMultiplier: number;
  readonly depthwiseInitializer: InitializerName;

  constructor(args: DepthwiseConv2DArgs) {
    super(requiredArgs(args, 'DepthwiseConv2D', '{ kernelSize: 3 }'));
    const className = this.className;
    this.depthMultiplier = positiveInt(args.depthMultiplier ?? 1, `${className} depthMultiplier`);
    this.depthwiseInitializer = initializerOption(
      args.depthwiseInitializer,
      `${className} depthwiseInitializer`,
      'glorotUniform',
    );
  }

  static readonly className: string = 'DepthwiseConv2D';

  protected outputChannels(inChannels: number): number {
    return inChannels * this.depthMultiplier;
  }

  protected depthwiseKernelSpec(inputShape: Shape): WeightSpec {
    return this.weight(
      'depthwise_kernel',
      [...this.kernelSize, inputShape[2], this.depthMultiplier],
      this.depthwiseInitializer,
    );
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    return [this.depthwiseKernelSpec(inputShape), ...this.biasSpecs(inputShape[2] * this.depthMultiplier)];
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: 'depthwiseConv2d', depthMultiplier: this.depthMultiplier, ...this.windowSpec(inputShape) };
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: this.depthwiseInitializer,
    };
  }
}

/** Options of `ck.layers.separableConv2d`. */
export interface SeparableConv2DArgs extends DepthwiseConv2DArgs {
  /** Output channels of the pointwise 1x1 convolution (a positive integer; required). */
  filters: number;
  /** Initializer of the pointwise kernel [1, 1, inChannels * depthMultiplier, filters] (default 'glorotUniform'). */
  pointwiseInitializer?: InitializerName;
}

/**
 * Depthwise-separable 2-D convolution: a depthwise convolution (DepthwiseConv2D, without bias),
 * then a pointwise 1x1 convolution to `filters` channels with the bias and the activation.
 * Weights in Keras's order: depthwise_kernel [kh, kw, inChannels, depthMultiplier],
 * pointwise_kernel [1, 1, inChannels * depthMultiplier, filters], bias [filters].
 */
export class SeparableConv2D extends DepthwiseConv2D {
  readonly filters: number;
  readonly pointwiseInitializer: InitializerName;

  constructor(args: SeparableConv2DArgs) {
    super(requiredArgs(args, 'SeparableConv2D', '{ filters: 32, kernelSize: 3 }'));
    this.filters = positiveInt(args.filters, 'SeparableConv2D filters');
    this.pointwiseInitializer = initializerOption(
      args.pointwiseInitializer,
      'SeparableConv2D pointwiseInitializer',
      'glorotUniform',
    );
  }

  static override readonly className = 'SeparableConv2D';

  protected override outputChannels(): number {
    return this.filters;
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    return [
      this.depthwiseKernelSpec(inputShape),
      this.weight(
        'pointwise_kernel',
        [1, 1, inputShape[2] * this.depthMultiplier, this.filters],
        this.pointwiseInitializer,
      ),
      ...this.biasSpecs(this.filters),
    ];
  }

  override nativeSpec(inputShape: Shape): NativeLayerSpec {
    return {
      kind: 'separableConv2d',
      depthMultiplier: this.depthMultiplier,
      filters: this.filters,
      ...this.windowSpec(inputShape),
    };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), filters: this.filters, pointwiseInitializer: this.pointwiseInitializer };
  }
}
