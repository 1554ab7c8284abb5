// The layer contract, after tfjs-layers: a layer validates its arguments in the constructor,
// knows its output shape and its weights for a given input shape, describes itself to the native
// network, and serializes to a Keras-style { className, config }.
import type { InitializerName } from '../initializers';
import type { NativeLayerSpec } from '../native/network';
import { booleanOr, describe, shapeOption } from '../errors';
import { type Shape } from '../tensor';

/**
 * Arguments every layer accepts. Option names throughout are Keras's in camelCase, as in
 * tfjs-layers (`input_shape` -> `inputShape`); other differences are noted where they occur.
 */
export interface LayerArgs {
  /**
   * Unique within a model. Default: the snake-cased class name, numbered from the second layer of
   * that class in the process on (`conv2d`, `conv2d_1`, ...).
   */
  name?: string;
  /**
   * Shape of one sample, without the batch axis ([height, width, channels] for images, NHWC);
   * allowed only on the first layer of a model, where it lets the model build itself.
   */
  inputShape?: number[];
  /**
   * Default true; false freezes the layer's weights (the optimizer skips them). A frozen
   * batchNormalization still normalizes with the batch's statistics and updates its moving ones in
   * training.
   */
  trainable?: boolean;
}

/** A weight a layer owns, in Keras's order and layout. */
export interface WeightSpec {
  /** Keras's weight name: 'kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'. */
  name: string;
  /** Its shape, in Keras's layout (a conv kernel is [kh, kw, inChannels, filters]). */
  shape: number[];
  /** How it is initialized when the model builds. */
  initializer: InitializerName;
  /** Whether the optimizer updates it (false for a frozen layer and for moving statistics). */
  trainable: boolean;
}

/** A layer's serializable configuration, as `getConfig()` returns it (Keras's layer `config`). */
export type LayerConfig = Record<string, unknown>;

const nameCounters = new Map<string, number>();

/** Keras's snake case: default layer names and Keras 3 weight paths (MaxPooling2D -> max_pooling2d, LeakyReLU -> leaky_re_lu). */
export function snakeCase(className: string): string {
  return className.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Base class of every layer. Layers are made with the `ck.layers.*` factories and given to
 * `ck.sequential`; a layer validates its arguments when made (TypeError or RangeError naming the
 * field) and its input shape when the model builds.
 */
export abstract class Layer {
  /** The layer's name (LayerArgs.name, or the generated one). */
  readonly name: string;
  /** LayerArgs.inputShape, when given. */
  readonly inputShape?: Shape;
  /** LayerArgs.trainable (default true). */
  readonly trainable: boolean;

  constructor(args: LayerArgs = {}) {
    if (args === null || typeof args !== 'object') {
      throw new TypeError(`${this.className} arguments must be an object, got ${describe(args)}`);
    }
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name.length === 0)) {
      throw new TypeError(`${this.className} name must be a non-empty string, got ${describe(args.name)}`);
    }
    this.name = args.name ?? Layer.uniqueName(this.className);
    if (args.inputShape !== undefined) {
      this.inputShape = Object.freeze(shapeOption(args.inputShape, `${this.className} inputShape`));
    }
    this.trainable = booleanOr(args.trainable, `${this.className} trainable`, true);
  }

  private static uniqueName(className: string): string {
    const base = snakeCase(className);
    const count = (nameCounters.get(base) ?? 0) + 1;
    nameCounters.set(base, count);
    return count === 1 ? base : `${base}_${count - 1}`;
  }

  /** The Keras class name: the key for serialization (each subclass's static className). */
  get className(): string {
    return (this.constructor as unknown as { className: string }).className;
  }

  /** Output shape of one sample; throws a RangeError naming the layer when input does not fit. */
  abstract computeOutputShape(inputShape: Shape): Shape;

  /** The layer's weights for an input shape, in Keras's order. */
  weightSpecs(_inputShape: Shape): WeightSpec[] {
    return [];
  }

  /** The native network's description of this layer. */
  abstract nativeSpec(inputShape: Shape): NativeLayerSpec;

  /** Keras-style config: everything needed to rebuild the layer (weights aside). */
  getConfig(): LayerConfig {
    const config: LayerConfig = { name: this.name, trainable: this.trainable };
    if (this.inputShape) config.inputShape = [...this.inputShape];
    return config;
  }

  /** Throws a RangeError that names this layer. */
  protected fail(message: string): never {
    throw new RangeError(`${this.className} '${this.name}': ${message}`);
  }

  protected requireRank(inputShape: Shape, rank: number, what: string): void {
    if (inputShape.length !== rank) {
      this.fail(`expects ${what} input of rank ${rank} per sample, got shape [${inputShape.join(', ')}]`);
    }
  }
}
