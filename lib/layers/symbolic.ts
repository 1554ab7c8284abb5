// Symbolic tensors: what `ck.input` returns and `layer.apply` takes and returns, so a model is
// described as a graph of layers before any data flows (tfjs-layers' SymbolicTensor, Keras's
// KerasTensor). Only shapes travel; `ck.model({ inputs, outputs })` then walks the graph.
import { describe, shapeOption } from '../errors';
import { shapeSize, type Shape } from '../tensor';
import type { Layer } from './base';

/** A placeholder for a layer's output (or the model's input) of one sample: a shape, no data. */
export class SymbolicTensor {
  /**
   * @param shape One sample's shape (no batch axis).
   * @param layer The layer that outputs it, or null for a model input.
   * @param inputs What that layer read (none for a model input).
   * @param name The layer's name, or the input's.
   */
  constructor(
    readonly shape: Shape,
    readonly layer: Layer | null,
    readonly inputs: readonly SymbolicTensor[],
    readonly name: string,
  ) {}

  toString(): string {
    return `SymbolicTensor '${this.name}' [${this.shape.join(', ')}]`;
  }
}

/** Options of `ck.input`. */
export interface InputArgs {
  /** One sample's shape, without the batch axis ([height, width, channels] for images, NHWC). */
  shape: number[];
  /** Shown in summary()'s "Connected to" column (default 'input'). */
  name?: string;
}

/**
 * A model input: the start of a graph of layers (Keras's `Input`, tfjs's `tf.input`).
 * @throws {TypeError | RangeError} for a shape that is not a list of positive integers.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const x = ck.input({ shape: [32, 32, 3] });
 * const y = ck.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
 * const shortcut = ck.layers.conv2d({ filters: 16, kernelSize: 1 }).apply(x);
 * const merged = ck.layers.add().apply([y, shortcut]);
 * const out = ck.layers.dense({ units: 10, activation: 'softmax' }).apply(
 *   ck.layers.globalAveragePooling2d().apply(merged));
 * const model = ck.model({ inputs: x, outputs: out });
 * ```
 */
export function input(args: InputArgs): SymbolicTensor {
  if (args === null || typeof args !== 'object') throw new TypeError(`input() takes { shape }, got ${describe(args)}`);
  const shape = shapeOption(args.shape, 'input shape');
  shapeSize(shape, 'input shape');
  if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
    throw new TypeError(`input name must be a non-empty string, got ${describe(args.name)}`);
  }
  return new SymbolicTensor(Object.freeze([...shape]), null, [], args.name ?? 'input');
}
