// Plain, obviously-correct float64 references for max and average pooling, written independently
// of the native code: every window tap is visited and the ones in the padding are skipped.

export type PoolPadding = 'valid' | 'same' | [number, number, number, number];

export interface PoolCase {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  poolHeight: number;
  poolWidth: number;
  /** Default to the pool size, as in Keras. */
  strideHeight?: number;
  strideWidth?: number;
  /** Defaults to 'valid'. */
  padding?: PoolPadding;
}

export interface PoolAxis {
  out: number;
  padBefore: number;
  padAfter: number;
}

/**
 * Output size and padding of one axis by TensorFlow's definitions; padAfter is the padding the
 * last window actually reaches (never negative).
 */
export function poolAxis(
  size: number,
  pool: number,
  stride: number,
  padding: 'valid' | 'same' | [number, number],
): PoolAxis {
  let out: number;
  let padBefore: number;
  if (padding === 'same') {
    out = Math.ceil(size / stride);
    padBefore = Math.floor(Math.max((out - 1) * stride + pool - size, 0) / 2);
  } else {
    const [before, after] = padding === 'valid' ? [0, 0] : padding;
    out = Math.floor((size + before + after - pool) / stride) + 1;
    padBefore = before;
  }
  return { out, padBefore, padAfter: Math.max((out - 1) * stride + pool - size - padBefore, 0) };
}

export function poolAxes(c: PoolCase): { rows: PoolAxis; cols: PoolAxis } {
  const p = c.padding ?? 'valid';
  return {
    rows: poolAxis(c.inHeight, c.poolHeight, c.strideHeight ?? c.poolHeight, typeof p === 'string' ? p : [p[0], p[1]]),
    cols: poolAxis(c.inWidth, c.poolWidth, c.strideWidth ?? c.poolWidth, typeof p === 'string' ? p : [p[2], p[3]]),
  };
}

/**
 * Calls visit(inputIndex) for every tap of output pixel (n, oy, ox)'s window, channel ch, that lies
 * inside the input, in row-major order.
 */
function forEachWindowTap(
  c: PoolCase,
  axes: { rows: PoolAxis; cols: PoolAxis },
  n: number,
  oy: number,
  ox: number,
  ch: number,
  visit: (inputIndex: number) => void,
): void {
  const strideHeight = c.strideHeight ?? c.poolHeight;
  const strideWidth = c.strideWidth ?? c.poolWidth;
  for (let ky = 0; ky < c.poolHeight; ky++) {
    const iy = oy * strideHeight - axes.rows.padBefore + ky;
    if (iy < 0 || iy >= c.inHeight) continue;
    for (let kx = 0; kx < c.poolWidth; kx++) {
      const ix = ox * strideWidth - axes.cols.padBefore + kx;
      if (ix < 0 || ix >= c.inWidth) continue;
      visit(((n * c.inHeight + iy) * c.inWidth + ix) * c.channels + ch);
    }
  }
}

export function referencePool2d(
  c: PoolCase,
  mode: 'max' | 'avg',
  input: ArrayLike<number>,
): { output: Float64Array; outHeight: number; outWidth: number } {
  const axes = poolAxes(c);
  const { rows, cols } = axes;
  const output = new Float64Array(c.batch * rows.out * cols.out * c.channels);
  for (let n = 0; n < c.batch; n++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        for (let ch = 0; ch < c.channels; ch++) {
          let max = -Infinity;
          let sum = 0;
          let count = 0;
          forEachWindowTap(c, axes, n, oy, ox, ch, (at) => {
            max = Math.max(max, input[at]);
            sum += input[at];
            count++;
          });
          output[((n * rows.out + oy) * cols.out + ox) * c.channels + ch] = mode === 'max' ? max : sum / count;
        }
      }
    }
  }
  return { output, outHeight: rows.out, outWidth: cols.out };
}

/**
 * Max pooling's backward: each output gradient goes to the first pixel (row-major, within the part
 * of the window inside the input) that holds the window's max, times `slopeAtNonPositive` when that
 * max is not positive (the derivative of a relu-like activation fused before the pooling, read from
 * its output), and gradients of overlapping windows add up. Also returns each window's winner: that
 * pixel's index within the window's inside part.
 */
export function referenceMaxPool2dBackward(
  c: PoolCase,
  input: ArrayLike<number>,
  gradOutput: ArrayLike<number>,
  slopeAtNonPositive = 1,
): { gradInput: Float64Array; winners: Int32Array; positiveMax: Uint8Array } {
  const axes = poolAxes(c);
  const { rows, cols } = axes;
  const gradInput = new Float64Array(c.batch * c.inHeight * c.inWidth * c.channels);
  const outputs = c.batch * rows.out * cols.out * c.channels;
  const winners = new Int32Array(outputs);
  const positiveMax = new Uint8Array(outputs);
  for (let n = 0; n < c.batch; n++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        for (let ch = 0; ch < c.channels; ch++) {
          let best = -Infinity;
          let bestAt = -1;
          let bestIndex = 0;
          let index = 0;
          forEachWindowTap(c, axes, n, oy, ox, ch, (at) => {
            if (bestAt < 0 || input[at] > best) {
              best = input[at];
              bestAt = at;
              bestIndex = index;
            }
            index++;
          });
          const out = ((n * rows.out + oy) * cols.out + ox) * c.channels + ch;
          winners[out] = bestIndex;
          positiveMax[out] = best > 0 ? 1 : 0;
          gradInput[bestAt] += gradOutput[out] * (best > 0 ? 1 : slopeAtNonPositive);
        }
      }
    }
  }
  return { gradInput, winners, positiveMax };
}

export interface GlobalPoolCase {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

/** [batch, height, width, channels] -> [batch, channels]. */
export function referenceGlobalPool2d(c: GlobalPoolCase, mode: 'max' | 'avg', input: ArrayLike<number>): Float64Array {
  const output = new Float64Array(c.batch * c.channels);
  for (let n = 0; n < c.batch; n++) {
    for (let ch = 0; ch < c.channels; ch++) {
      let max = -Infinity;
      let sum = 0;
      for (let p = 0; p < c.height * c.width; p++) {
        const v = input[(n * c.height * c.width + p) * c.channels + ch];
        max = Math.max(max, v);
        sum += v;
      }
      output[n * c.channels + ch] = mode === 'max' ? max : sum / (c.height * c.width);
    }
  }
  return output;
}
