// Plain, obviously-correct float64 references for gemm, conv2d and dense, written independently of
// the native code (direct loops, no im2col).

export function referenceGemm(
  m: number, n: number, k: number, a: ArrayLike<number>, b: ArrayLike<number>,
  transA: boolean, transB: boolean, alpha: number, beta: number, c: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        sum += av * bv;
      }
      out[i * n + j] = alpha * sum + (beta === 0 ? 0 : beta * c[i * n + j]);
    }
  }
  return out;
}

export interface ConvCase {
  batch: number; inHeight: number; inWidth: number; inChannels: number; outChannels: number;
  kernelHeight: number; kernelWidth: number; strideHeight: number; strideWidth: number;
  dilationHeight: number; dilationWidth: number; padding: 'valid' | 'same';
}

/** Output size and leading pad of one axis, by TensorFlow's definition of 'valid' and 'same'. */
export function axisGeometry(size: number, kernel: number, stride: number, dilation: number,
  padding: 'valid' | 'same'): { out: number; padBefore: number } {
  const extent = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.floor((size - extent) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + extent - size, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/** Direct convolution: out[n,oy,ox,co] = bias[co] + sum_{ky,kx,ci} in[n,iy,ix,ci] * w[ky,kx,ci,co]. */
export function referenceConv2d(c: ConvCase, input: ArrayLike<number>, kernel: ArrayLike<number>,
  bias: ArrayLike<number> | null): { output: Float64Array; outHeight: number; outWidth: number } {
  const rows = axisGeometry(c.inHeight, c.kernelHeight, c.strideHeight, c.dilationHeight, c.padding);
  const cols = axisGeometry(c.inWidth, c.kernelWidth, c.strideWidth, c.dilationWidth, c.padding);
  const output = new Float64Array(c.batch * rows.out * cols.out * c.outChannels);
  for (let n = 0; n < c.batch; n++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        for (let co = 0; co < c.outChannels; co++) {
          let sum = bias ? bias[co] : 0;
          for (let ky = 0; ky < c.kernelHeight; ky++) {
            const iy = oy * c.strideHeight - rows.padBefore + ky * c.dilationHeight;
            if (iy < 0 || iy >= c.inHeight) continue;
            for (let kx = 0; kx < c.kernelWidth; kx++) {
              const ix = ox * c.strideWidth - cols.padBefore + kx * c.dilationWidth;
              if (ix < 0 || ix >= c.inWidth) continue;
              for (let ci = 0; ci < c.inChannels; ci++) {
                sum += input[((n * c.inHeight + iy) * c.inWidth + ix) * c.inChannels + ci] *
                  kernel[((ky * c.kernelWidth + kx) * c.inChannels + ci) * c.outChannels + co];
              }
            }
          }
          output[((n * rows.out + oy) * cols.out + ox) * c.outChannels + co] = sum;
        }
      }
    }
  }
  return { output, outHeight: rows.out, outWidth: cols.out };
}

export function referenceDense(batch: number, inFeatures: number, units: number,
  input: ArrayLike<number>, kernel: ArrayLike<number>, bias: ArrayLike<number> | null): Float64Array {
  const out = new Float64Array(batch * units);
  for (let b = 0; b < batch; b++) {
    for (let u = 0; u < units; u++) {
      let sum = bias ? bias[u] : 0;
      for (let i = 0; i < inFeatures; i++) sum += input[b * inFeatures + i] * kernel[i * units + u];
      out[b * units + u] = sum;
    }
  }
  return out;
}
