// A linear stack of layers, Keras's Sequential: the Model (model.ts) whose layers each read the one
// before, grown with add(), and saved and exported by lib/io.
import { describe as describeValue, integer } from '../errors';
import { Layer } from '../layers/base';
import { freshSeed } from '../random';
import { Model } from './model';

export type { CompileArgs, Dataset, EvaluateResult, FitArgs, History } from './model';
export { formats } from './model';

/** Options of `ck.sequential`. */
export interface SequentialArgs {
  /** The layers, first to last, as if given to add() one by one (default: none yet). */
  layers?: Layer[];
  /** The model's name, shown by summary() and saved with it (default 'sequential'). */
  name?: string;
  /**
   * An integer that seeds the weight initializers, so the same seed gives the same initial weights
   * (default: a random seed).
   */
  seed?: number;
}

/**
 * A linear stack of layers (Keras's Sequential), made with `ck.sequential` or `ck.loadModel`: a
 * Model whose layers each read the one before, grown with add().
 */
export class Sequential extends Model {
  constructor(args: SequentialArgs = {}) {
    if (args === null || typeof args !== 'object')
      throw new TypeError(`sequential() takes an object, got ${describeValue(args)}`);
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      throw new TypeError(`sequential name must be a non-empty string, got ${describeValue(args.name)}`);
    }
    super(
      args.name ?? 'sequential',
      [],
      args.seed === undefined ? freshSeed() : integer(args.seed, 'sequential seed'),
      null,
    );
    if (args.layers !== undefined) {
      if (!Array.isArray(args.layers))
        throw new TypeError(`layers must be an array of layers, got ${describeValue(args.layers)}`);
      for (const layer of args.layers) this.add(layer);
    }
  }

  /**
   * Appends a layer. A model that was built starts over with freshly initialized weights.
   * @throws {TypeError} when `layer` is not a layer.
   * @throws {RangeError} when its name is taken, or it has an inputShape but is not the first layer.
   */
  add(layer: Layer): void {
    this.core.requireLive();
    if (!(layer instanceof Layer))
      throw new TypeError(`add() takes a layer (e.g. ck.layers.dense(...)), got ${describeValue(layer)}`);
    if (this.layers.some((l) => l.name === layer.name))
      throw new RangeError(`a layer named '${layer.name}' is already in the model`);
    if (this.layers.length > 0 && layer.inputShape) {
      throw new RangeError(`inputShape is only allowed on the first layer ('${layer.name}' has one)`);
    }
    this.layers.push(layer);
    // Built lazily on first use; a layer added to a built model starts over with fresh weights.
    this.core.releaseNetwork();
  }

  /** Architecture and training configuration, as saved in model.json. */
  override toJSON(): Record<string, unknown> {
    return {
      className: 'Sequential',
      config: {
        name: this.name,
        layers: this.layers.map((layer) => ({ className: layer.className, config: layer.getConfig() })),
      },
    };
  }
}

/**
 * Creates a Sequential model from a list of layers. The first layer's `inputShape` lets the model
 * build itself; without one, call `model.build(inputShape)`.
 * @throws {TypeError | RangeError} for arguments that are not layers, duplicate layer names, or
 *   an inputShape on a layer other than the first.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.sequential({
 *   name: 'small_convnet',
 *   seed: 42,
 *   layers: [
 *     ck.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu' }),
 *     ck.layers.maxPooling2d({ poolSize: 2 }),
 *     ck.layers.flatten(),
 *     ck.layers.dense({ units: 10, activation: 'softmax' }),
 *   ],
 * });
 * model.compile({ optimizer: ck.optimizers.adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
 * model.summary();
 * ```
 */
export function sequential(args?: SequentialArgs): Sequential {
  return new Sequential(args);
}
