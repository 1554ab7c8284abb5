import { intPair, oneOf } from '../errors';
import type { NativeLayerSpec } from '../native/network';
import type { Shape } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig } from './base';
import { outputLength, type Padding } from './geometry';

/** Options of `ck.layers.maxPooling2d` and `ck.layers.averagePooling2d`. */
export interface Pooling2DArgs extends LayerArgs {
  /** Window height and width in pixels, a number or [height, width] (default 2). */
  poolSize?: number | [number, number];
  /** Step between windows in pixels, a number or [height, width]; defaults to poolSize, as in Keras. */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same' (padded cells never win a max and are not counted in a mean). */
  padding?: Padding;
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(args: Pooling2DArgs = {}) {
    super(args);
    this.poolSize = intPair(args.poolSize ?? 2, `${this.className} poolSize`);
    this.strides = intPair(args.strides ?? this.poolSize, `${this.className} strides`);
    this.padding = oneOf(args.padding ?? 'valid', `${this.className} padding`, ['valid', 'same'] as const);
  }

  protected abstract get kind(): 'maxPooling2d' | 'averagePooling2d';

  computeOutputShape(inputShape: Shape): Shape {
    this.requireRank(inputShape, 3, '[height, width, channels]');
    const [h, w, c] = inputShape;
    const outH = outputLength(h, this.poolSize[0], this.strides[0], 1, this.padding);
    const outW = outputLength(w, this.poolSize[1], this.strides[1], 1, this.padding);
    if (outH < 1 || outW < 1)
      this.fail(`pool ${this.poolSize.join('x')} does not fit input ${h}x${w} with 'valid' padding`);
    return [outH, outW, c];
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return {
      kind: this.kind,
      inHeight: inputShape[0],
      inWidth: inputShape[1],
      channels: inputShape[2],
      poolHeight: this.poolSize[0],
      poolWidth: this.poolSize[1],
      strideHeight: this.strides[0],
      strideWidth: this.strides[1],
      padding: this.padding,
    };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/** Max over each window of each channel: [h, w, c] -> [outH, outW, c]. */
export class MaxPooling2D extends Pooling2D {
  static readonly className = 'MaxPooling2D';
  protected get kind() {
    return 'maxPooling2d' as const;
  }
}

/** Mean over each window of each channel; with 'same' padding the padded cells are not counted. */
export class AveragePooling2D extends Pooling2D {
  static readonly className = 'AveragePooling2D';
  protected get kind() {
    return 'averagePooling2d' as const;
  }
}

abstract class GlobalPooling2D extends Layer {
  protected abstract get kind(): 'globalAveragePooling2d' | 'globalMaxPooling2d';

  computeOutputShape(inputShape: Shape): Shape {
    this.requireRank(inputShape, 3, '[height, width, channels]');
    return [inputShape[2]];
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return { kind: this.kind, height: inputShape[0], width: inputShape[1], channels: inputShape[2] };
  }
}

/** [h, w, c] -> [c]: the mean of each feature map. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  static readonly className = 'GlobalAveragePooling2D';
  protected get kind() {
    return 'globalAveragePooling2d' as const;
  }
}

/** [h, w, c] -> [c]: the max of each feature map. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  static readonly className = 'GlobalMaxPooling2D';
  protected get kind() {
    return 'globalMaxPooling2d' as const;
  }
}
