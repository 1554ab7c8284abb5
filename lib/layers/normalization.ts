import { finiteNumber } from '../errors';
import type { NativeLayerSpec } from '../native/network';
import { shapeSize, type Shape } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig, type WeightSpec } from './base';

/** Options of `ck.layers.batchNormalization`. */
export interface BatchNormalizationArgs extends LayerArgs {
  /**
   * Weight of the old value when updating the moving statistics, in [0, 1]: moving = moving *
   * momentum + batch * (1 - momentum), with the batch's biased variance (default 0.99, as Keras).
   */
  momentum?: number;
  /** Added to the variance before its square root, in [1e-12, 1] (default 1e-3, as Keras). */
  epsilon?: number;
}

/**
 * Normalizes each channel (the last axis) with the batch's statistics in training and the moving
 * statistics at inference. Weights: gamma, beta, moving mean, moving variance (Keras's order).
 */
export class BatchNormalization extends Layer {
  readonly momentum: number;
  readonly epsilon: number;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args);
    this.momentum = finiteNumber(args.momentum ?? 0.99, 'BatchNormalization momentum', 0, 1);
    this.epsilon = finiteNumber(args.epsilon ?? 1e-3, 'BatchNormalization epsilon', 1e-12, 1);
  }

  static readonly className = 'BatchNormalization';

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override weightSpecs(inputShape: Shape): WeightSpec[] {
    const channels = [inputShape[inputShape.length - 1]];
    return [
      { name: 'gamma', shape: channels, initializer: 'ones', trainable: this.trainable },
      { name: 'beta', shape: channels, initializer: 'zeros', trainable: this.trainable },
      { name: 'moving_mean', shape: channels, initializer: 'zeros', trainable: false },
      { name: 'moving_variance', shape: channels, initializer: 'ones', trainable: false },
    ];
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return {
      kind: 'batchNormalization',
      size: shapeSize(inputShape),
      channels: inputShape[inputShape.length - 1],
      epsilon: this.epsilon,
      momentum: this.momentum,
    };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
