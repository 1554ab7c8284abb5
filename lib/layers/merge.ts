// Keras's merge layers: they take two or more inputs (layer.apply([a, b])) and have no weights.
// Add, Average, Maximum and Multiply work elementwise on inputs of one shape (Multiply also takes
// a per-channel gate, [1, 1, C] or [C], broadcast over the positions of [H, W, C]: squeeze-excite);
// Concatenate joins inputs along the channel (last) axis.
import { integer } from '../errors';
import type { NativeLayerSpec } from '../native/network';
import { shapeSize, type Shape } from '../tensor';
import { Layer, type LayerArgs, type LayerConfig } from './base';

const sameShape = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);
const shapeText = (shape: Shape) => `[${shape.join(', ')}]`;

/** A layer of two or more inputs. */
export abstract class Merge extends Layer {
  override get mergesInputs(): boolean {
    return true;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.outputShapeFor([inputShape]);
  }

  nativeSpec(inputShape: Shape): NativeLayerSpec {
    return this.nativeSpecFor([inputShape]);
  }
}

/** Inputs of one shape, merged elementwise into that shape. */
abstract class ElementwiseMerge extends Merge {
  protected abstract readonly kind: 'add' | 'average' | 'maximum';

  override outputShapeFor(inputShapes: Shape[]): Shape {
    this.requireInputCount(inputShapes.length);
    inputShapes.forEach((shape, i) => {
      if (!sameShape(shape, inputShapes[0])) {
        this.fail(`takes inputs of one shape, got ${shapeText(inputShapes[0])} and ${shapeText(shape)} (input ${i})`);
      }
    });
    return [...inputShapes[0]];
  }

  override nativeSpecFor(inputShapes: Shape[]): NativeLayerSpec {
    return { kind: this.kind, size: shapeSize(this.outputShapeFor(inputShapes)) };
  }
}

/** The sum of its inputs (Keras's Add): a residual connection. */
export class Add extends ElementwiseMerge {
  static readonly className = 'Add';
  protected readonly kind = 'add';
}

/** The mean of its inputs (Keras's Average). */
export class Average extends ElementwiseMerge {
  static readonly className = 'Average';
  protected readonly kind = 'average';
}

/** The elementwise maximum of its inputs (Keras's Maximum). */
export class Maximum extends ElementwiseMerge {
  static readonly className = 'Maximum';
  protected readonly kind = 'maximum';
}

/**
 * The elementwise product of its inputs (Keras's Multiply). An input of shape [1, 1, C] (or [C])
 * beside inputs of shape [H, W, C] is a gate broadcast over the positions: squeeze-excite.
 */
export class Multiply extends Merge {
  static readonly className = 'Multiply';

  /** The full output shape, and which inputs are per-channel gates. */
  private layout(inputShapes: Shape[]): { shape: Shape; broadcast: (0 | 1)[] } {
    this.requireInputCount(inputShapes.length);
    const shape = inputShapes.reduce((a, b) => (shapeSize(b) > shapeSize(a) ? b : a));
    const channels = shape[shape.length - 1];
    const broadcast = inputShapes.map((input, i): 0 | 1 => {
      if (sameShape(input, shape)) return 0;
      const gate = input[input.length - 1] === channels && input.slice(0, -1).every((d) => d === 1);
      if (!gate) {
        this.fail(
          `takes inputs of one shape, or per-channel gates [1, 1, ${channels}] beside them; ` +
            `got ${shapeText(input)} (input ${i}) beside ${shapeText(shape)}`,
        );
      }
      return 1;
    });
    return { shape: [...shape], broadcast };
  }

  override outputShapeFor(inputShapes: Shape[]): Shape {
    return this.layout(inputShapes).shape;
  }

  override nativeSpecFor(inputShapes: Shape[]): NativeLayerSpec {
    const { shape, broadcast } = this.layout(inputShapes);
    const channels = shape[shape.length - 1];
    return { kind: 'multiply', positions: shapeSize(shape) / channels, channels, broadcast };
  }
}

/** Options of `ck.layers.concatenate`. */
export interface ConcatenateArgs extends LayerArgs {
  /** The axis to join along: only the last (-1, the default) is supported. */
  axis?: number;
}

/** Joins its inputs along the channel axis (Keras's Concatenate): [H, W, C1] + [H, W, C2] -> [H, W, C1 + C2]. */
export class Concatenate extends Merge {
  static readonly className = 'Concatenate';
  readonly axis: number;

  constructor(args: ConcatenateArgs = {}) {
    super(args);
    this.axis = args.axis === undefined ? -1 : integer(args.axis, 'Concatenate axis');
    if (this.axis !== -1)
      throw new RangeError(`Concatenate axis: only -1 (the channel axis) is supported, got ${this.axis}`);
  }

  override outputShapeFor(inputShapes: Shape[]): Shape {
    this.requireInputCount(inputShapes.length);
    const first = inputShapes[0];
    inputShapes.forEach((shape, i) => {
      if (!sameShape(shape.slice(0, -1), first.slice(0, -1))) {
        this.fail(
          `joins inputs along the last axis, so the others must agree; got ${shapeText(first)} and ${shapeText(shape)} (input ${i})`,
        );
      }
    });
    return [...first.slice(0, -1), inputShapes.reduce((sum, shape) => sum + shape[shape.length - 1], 0)];
  }

  override nativeSpecFor(inputShapes: Shape[]): NativeLayerSpec {
    const shape = this.outputShapeFor(inputShapes);
    return {
      kind: 'concatenate',
      positions: shapeSize(shape) / shape[shape.length - 1],
      channels: inputShapes.map((s) => s[s.length - 1]),
    };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}
