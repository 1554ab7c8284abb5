// Plain, obviously-correct float64 references for max and average pooling, written independently
// of the native code: every window tap is visited and the ones in the padding are skipped.

export type PoolPadding = 'valid' | 'same' | [number, number, number, number];

export interface PoolCase {
  batch: number; inHeight: number; inWidth: number; channels: number;
  poolHeight: number; poolWidth: number;
  /** Default to the pool size, as in Keras. */
  strideHeight?: number; strideWidth?: number;
  /** Defaults to 'valid'. */
  padding?: PoolPadding;
}

export interface PoolAxis { out: number; padBefore: number; padAfter: number }

/**
 * Output size and padding of one axis by TensorFlow's definitions; padAfter is the padding the
 * last window actually reaches (never negative).
 */
export function poolAxis(size: number, pool: number, stride: number,
  padding: 'valid' | 'same' | [number, number]): PoolAxis {
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

export function referencePool2d(c: PoolCase, mode: 'max' | 'avg', input: ArrayLike<number>):
  { output: Float64Array; outHeight: number; outWidth: number } {
  const { rows, cols } = poolAxes(c);
  const strideHeight = c.strideHeight ?? c.poolHeight;
  const strideWidth = c.strideWidth ?? c.poolWidth;
  const output = new Float64Array(c.batch * rows.out * cols.out * c.channels);
  for (let n = 0; n < c.batch; n++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        for (let ch = 0; ch < c.channels; ch++) {
          let max = -Infinity;
          let sum = 0;
          let count = 0;
          for (let ky = 0; ky < c.poolHeight; ky++) {
            const iy = oy * strideHeight - rows.padBefore + ky;
            if (iy < 0 || iy >= c.inHeight) continue;
            for (let kx = 0; kx < c.poolWidth; kx++) {
              const ix = ox * strideWidth - cols.padBefore + kx;
              if (ix < 0 || ix >= c.inWidth) continue;
              const v = input[((n * c.inHeight + iy) * c.inWidth + ix) * c.channels + ch];
              max = Math.max(max, v);
              sum += v;
              count++;
            }
          }
          output[((n * rows.out + oy) * cols.out + ox) * c.channels + ch] = mode === 'max' ? max : sum / count;
        }
      }
    }
  }
  return { output, outHeight: rows.out, outWidth: cols.out };
}

export interface GlobalPoolCase { batch: number; height: number; width: number; channels: number }

/** [batch, height, width, channels] -> [batch, channels]. */
export function referenceGlobalPool2d(c: GlobalPoolCase, mode: 'max' | 'avg',
  input: ArrayLike<number>): Float64Array {
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
