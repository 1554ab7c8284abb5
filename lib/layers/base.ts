// The layer contract, after tfjs-layers: a layer validates its arguments in the constructor,
// knows its output shape and its weights for a given input shape, describes itself to the native
// network, and serializes to a Keras-style { className, config }.
import type { InitializerName } from '../initializers';
import type { NativeLayerSpec } from '../native/network';
import { booleanOr, describe, shapeOption } from '../errors';
import type { Shape } from '../tensor';
import { SymbolicTensor } from './symbolic';

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
   * batchNormalization runs in inference mode in training too (its moving statistics, kept as
   * they are), as in Keras: what fine-tuning a pretrained model needs.
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
  return className
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
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
  private isTrainable: boolean;

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
    this.isTrainable = booleanOr(args.trainable, `${this.className} trainable`, true);
  }

  /**
   * Whether the optimizer updates the layer's weights (LayerArgs.trainable, default true). Set it
   * to false to freeze a loaded model's layers for transfer learning; as in Keras, a change takes
   * effect at the model's next compile().
   */
  get trainable(): boolean {
    return this.isTrainable;
  }

  set trainable(value: boolean) {
    if (typeof value !== 'boolean')
      throw new TypeError(`${this.className} trainable must be a boolean, got ${describe(value)}`);
    this.isTrainable = value;
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

  /** Whether the layer merges two or more inputs (add, concatenate, ...) rather than taking one. */
  get mergesInputs(): boolean {
    return false;
  }

  /** Output shape for its inputs' shapes, in order (one, except for the merges). */
  outputShapeFor(inputShapes: Shape[]): Shape {
    this.requireInputCount(inputShapes.length);
    return this.computeOutputShape(inputShapes[0]);
  }

  /** The native network's description of this layer for its inputs' shapes. */
  nativeSpecFor(inputShapes: Shape[]): NativeLayerSpec {
    return this.nativeSpec(inputShapes[0]);
  }

  private appliedOutput: SymbolicTensor | null = null;

  /**
   * Applies the layer to symbolic tensors (from `ck.input` or another layer's apply), for a graph
   * model built with `ck.model`: one tensor, or an array of two or more for a merge. Checks the
   * shapes now (RangeError naming the layer). A layer is applied once: sharing one layer's
   * weights between two places of a graph is not supported.
   * @example
   * ```ts
   * const x = ck.input({ shape: [28, 28, 1] });
   * const h = ck.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }).apply(x);
   * ```
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    list.forEach((input, i) => {
      if (!(input instanceof SymbolicTensor)) {
        throw new TypeError(
          `${this.className} '${this.name}'.apply takes symbolic tensors (ck.input(...) or another layer's apply), ` +
            `got ${describe(input)}${Array.isArray(inputs) ? ` at [${i}]` : ''}`,
        );
      }
    });
    if (this.appliedOutput) {
      this.fail('was applied already; a layer is applied once (sharing a layer between two places is not supported)');
    }
    const shape = this.outputShapeFor(list.map((input) => input.shape));
    this.appliedOutput = new SymbolicTensor(Object.freeze([...shape]), this, list, this.name);
    return this.appliedOutput;
  }

  /** Whether apply() gave the layer an output. */
  get applied(): boolean {
    return this.appliedOutput !== null;
  }

  /** The symbolic tensor apply() returned; a RangeError when the layer was not applied. */
  get output(): SymbolicTensor {
    if (!this.appliedOutput) this.fail('has no output: it was not applied to a symbolic tensor (layer.apply)');
    return this.appliedOutput;
  }

  /** Throws a RangeError unless the layer takes `count` inputs. */
  protected requireInputCount(count: number): void {
    if (this.mergesInputs && count < 2) this.fail(`merges two or more inputs, got ${count}`);
    if (!this.mergesInputs && count !== 1) this.fail(`takes one input, got ${count}`);
  }

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
