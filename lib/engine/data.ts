// Turning the user's inputs and targets into what the native network reads, and gathering
// batches into staging buffers the library owns (the native side reads them off the JavaScript
// thread, so it must never see an array the user could change or detach meanwhile).
import type { LossName } from '../losses';
import type { NativeTargets } from '../native/network';
import { describe } from '../errors';
import { checkAttached, shapeSize, Tensor, type Shape } from '../tensor';

/**
 * Targets as the user may give them. With sparseCategoricalCrossentropy: integer class indices, one
 * per sample (per position for a [h, w, classes] output), as an Int32Array, Uint8Array, Uint16Array,
 * number[] or Tensor [n] (or [n, 1]). With the other losses: a Tensor [n, ...outputShape] (one-hot
 * for categoricalCrossentropy) or a Float32Array of as many values.
 */
export type TargetsInput = Tensor | Int32Array | Uint8Array | Uint16Array | Float32Array | number[];

/** Targets in the native form; width is the number of values (or labels) per sample. */
export type PreparedTargets =
  | { kind: 'indices'; data: Int32Array; width: number }
  | { kind: 'dense'; data: Float32Array; width: number };

/**
 * The output's last axis is the class axis, as in Keras: cross-entropies and accuracy run over it
 * at each position of the axes before it (one per pixel of a [h, w, classes] output).
 */
export function classAxis(outputShape: Shape): { classes: number; positions: Shape } {
  return { classes: outputShape[outputShape.length - 1], positions: outputShape.slice(0, -1) };
}

/** Checks x against the model's input shape; returns the number of samples. */
export function checkInputs(x: unknown, inputShape: Shape, what = 'x'): number {
  if (!(x instanceof Tensor)) {
    throw new TypeError(
      `${what} must be a Tensor (ck.tensor(data, [n, ...${JSON.stringify(inputShape)}])), got ${describe(x)}`,
    );
  }
  const sampleShape = x.shape.slice(1);
  if (x.rank !== inputShape.length + 1 || sampleShape.some((d, i) => d !== inputShape[i])) {
    throw new RangeError(`${what} must have shape [n, ${inputShape.join(', ')}], got [${x.shape.join(', ')}]`);
  }
  return x.shape[0];
}

/**
 * Validates targets against the loss, the sample count and the model's output shape, converting
 * to the native form. Class indices come one per position: [n] for a flat output, [n, h, w] (or
 * [n, h, w, 1]) for a [h, w, classes] one.
 */
export function prepareTargets(
  y: unknown,
  loss: LossName,
  samples: number,
  outputShape: Shape,
  what = 'y',
): PreparedTargets {
  if (ArrayBuffer.isView(y)) checkAttached(y, what);
  const outputSize = shapeSize(outputShape);
  if (loss === 'sparseCategoricalCrossentropy') {
    const { positions } = classAxis(outputShape);
    const indices = classIndices(y, positions, what);
    const perSample = shapeSize(positions);
    if (indices.length !== samples * perSample) {
      throw new RangeError(
        perSample === 1
          ? `${what} has ${indices.length} labels but x has ${samples} samples`
          : `${what} has ${indices.length} labels but x's ${samples} samples need ${samples * perSample}, ` +
              `one per position of the output: shape [${[samples, ...positions].join(', ')}]`,
      );
    }
    return { kind: 'indices', data: indices, width: perSample };
  }
  if (y instanceof Int32Array || y instanceof Uint8Array || y instanceof Uint16Array || Array.isArray(y)) {
    throw new TypeError(
      `${what}: ${loss} expects a Tensor of targets [n, ${outputShape.join(', ')}] (one-hot for classes); ` +
        `for class indices use the loss 'sparseCategoricalCrossentropy'`,
    );
  }
  const data = y instanceof Tensor ? y.data : y;
  if (!(data instanceof Float32Array)) throw new TypeError(`${what} must be a Tensor, got ${describe(y)}`);
  if (data.length !== samples * outputSize) {
    const shape = y instanceof Tensor ? `[${y.shape.join(', ')}]` : `${data.length} values`;
    throw new RangeError(
      `${what} must have shape [${[samples, ...outputShape].join(', ')}] to match x and the model output, got ${shape}`,
    );
  }
  return { kind: 'dense', data, width: outputSize };
}

/** Class indices, flat; a Tensor must be shaped [n, ...positions] or [n, ...positions, 1]. */
function classIndices(y: unknown, positions: Shape, what: string): Int32Array {
  if (y instanceof Int32Array) return y;
  if (y instanceof Uint8Array || y instanceof Uint16Array) return Int32Array.from(y);
  const values = y instanceof Tensor ? y.data : Array.isArray(y) ? y : null;
  const shape = ['n', ...positions].join(', ');
  if (values === null) {
    throw new TypeError(
      `${what} must be class indices (Int32Array, Uint8Array, number[] or a Tensor [${shape}]), got ${describe(y)}`,
    );
  }
  if (y instanceof Tensor && !isLabelShape(y.shape.slice(1), positions)) {
    throw new RangeError(
      `${what}: class indices must have shape [${shape}] or [${shape}, 1], got [${y.shape.join(', ')}] ` +
        `(one-hot targets go with the loss 'categoricalCrossentropy')`,
    );
  }
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw new RangeError(`${what}[${i}] must be an integer class index, got ${v}`);
    out[i] = v;
  }
  return out;
}

function isLabelShape(sampleShape: Shape, positions: Shape): boolean {
  const dims =
    sampleShape.length === positions.length + 1 && sampleShape[positions.length] === 1
      ? sampleShape.slice(0, -1)
      : sampleShape;
  return dims.length === positions.length && dims.every((d, i) => d === positions[i]);
}

/** Reusable staging buffers for batches of up to `capacity` samples. */
export class BatchStager {
  readonly x: Float32Array;
  /** Empty when staging inputs only (prediction). */
  readonly y: Int32Array | Float32Array;

  constructor(
    readonly inputSize: number,
    readonly targets: PreparedTargets | null,
    readonly capacity: number,
  ) {
    this.x = new Float32Array(capacity * inputSize);
    if (targets === null) this.y = new Int32Array(0);
    else
      this.y =
        targets.kind === 'dense'
          ? new Float32Array(capacity * targets.width)
          : new Int32Array(capacity * targets.width);
  }

  /** Whether `count` samples with targets laid out like `targets` fit these buffers. */
  fits(targets: PreparedTargets | null, count: number): boolean {
    if (count > this.capacity) return false;
    if (targets === null || this.targets === null) return targets === this.targets;
    return targets.kind === this.targets.kind && targets.width === this.targets.width;
  }

  /**
   * Copies samples order[start..end) of x and of the targets (by default those given to the
   * constructor; others must have the same layout, see fits) into the staging buffers. Throws a
   * TypeError when either array was detached since it was checked (transferred to a worker
   * during fit, say): a detached array reads as empty, and training on would learn garbage.
   */
  gather(x: Float32Array, order: Int32Array | null, start: number, end: number, targets = this.targets): void {
    checkAttached(x, 'x');
    if (targets) checkAttached(targets.data, 'y');
    const n = this.inputSize;
    const width = targets?.width ?? 0;
    for (let i = start; i < end; i++) {
      const sample = order ? order[i] : i;
      const row = i - start;
      this.x.set(x.subarray(sample * n, (sample + 1) * n), row * n);
      if (targets) {
        if (width === 1) {
          this.y[row] = targets.data[sample];
        } else {
          this.y.set(targets.data.subarray(sample * width, (sample + 1) * width), row * width);
        }
      }
    }
  }

  /** Views of the first `count` staged samples, for the native call. */
  views(count: number): { x: Float32Array; y: NativeTargets } {
    return { x: this.x.subarray(0, count * this.inputSize), y: this.y.subarray(0, count * (this.targets?.width ?? 0)) };
  }
}
