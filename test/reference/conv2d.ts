// Plain, obviously-correct float64 references for conv2d (forward and both adjoints), written
// independently of the native code (direct loops, no im2col).

export interface ConvCase {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padding: 'valid' | 'same';
}

/** Output size and leading pad of one axis, by TensorFlow's definition of 'valid' and 'same'. */
export function axisGeometry(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'valid' | 'same',
): { out: number; padBefore: number } {
  const extent = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.floor((size - extent) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + extent - size, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/** The convolution's output rows and columns, with their leading pads. */
function convAxes(c: ConvCase): { rows: { out: number; padBefore: number }; cols: { out: number; padBefore: number } } {
  return {
    rows: axisGeometry(c.inHeight, c.kernelHeight, c.strideHeight, c.dilationHeight, c.padding),
    cols: axisGeometry(c.inWidth, c.kernelWidth, c.strideWidth, c.dilationWidth, c.padding),
  };
}

/** Output pixels of the convolution over the whole batch. */
export function convOutputPixels(c: ConvCase): number {
  const { rows, cols } = convAxes(c);
  return c.batch * rows.out * cols.out;
}

/**
 * Calls visit(inputPixel, tap, outputPixel) for every kernel tap of every output pixel that lands
 * inside the input, output pixels in order and each one's taps in order. Pixels count (n, y, x)
 * positions and tap = ky * kernelWidth + kx: the forward pass and both its adjoints are sums over
 * these triples.
 */
function forEachTap(c: ConvCase, visit: (inputPixel: number, tap: number, outputPixel: number) => void): void {
  const { rows, cols } = convAxes(c);
  for (let n = 0; n < c.batch; n++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        const outputPixel = (n * rows.out + oy) * cols.out + ox;
        for (let ky = 0; ky < c.kernelHeight; ky++) {
          const iy = oy * c.strideHeight - rows.padBefore + ky * c.dilationHeight;
          if (iy < 0 || iy >= c.inHeight) continue;
          for (let kx = 0; kx < c.kernelWidth; kx++) {
            const ix = ox * c.strideWidth - cols.padBefore + kx * c.dilationWidth;
            if (ix < 0 || ix >= c.inWidth) continue;
            visit((n * c.inHeight + iy) * c.inWidth + ix, ky * c.kernelWidth + kx, outputPixel);
          }
        }
      }
    }
  }
}

/** Direct convolution: out[n,oy,ox,co] = bias[co] + sum_{ky,kx,ci} in[n,iy,ix,ci] * w[ky,kx,ci,co]. */
export function referenceConv2d(
  c: ConvCase,
  input: ArrayLike<number>,
  kernel: ArrayLike<number>,
  bias: ArrayLike<number> | null,
): { output: Float64Array; outHeight: number; outWidth: number } {
  const { inChannels, outChannels } = c;
  const { rows, cols } = convAxes(c);
  const output = new Float64Array(c.batch * rows.out * cols.out * outChannels);
  if (bias)
    output.forEach((_, i) => {
      output[i] = bias[i % outChannels];
    });
  forEachTap(c, (inputPixel, tap, outputPixel) => {
    for (let co = 0; co < outChannels; co++) {
      let sum = output[outputPixel * outChannels + co];
      for (let ci = 0; ci < inChannels; ci++) {
        sum += input[inputPixel * inChannels + ci] * kernel[(tap * inChannels + ci) * outChannels + co];
      }
      output[outputPixel * outChannels + co] = sum;
    }
  });
  return { output, outHeight: rows.out, outWidth: cols.out };
}

/** d loss / d input of the convolution, given d loss / d output: in[n,iy,ix,ci] gets sum_co gradOut * w. */
export function referenceConv2dBackwardInput(
  c: ConvCase,
  gradOutput: ArrayLike<number>,
  kernel: ArrayLike<number>,
): Float64Array {
  const { inChannels, outChannels } = c;
  const gradInput = new Float64Array(c.batch * c.inHeight * c.inWidth * inChannels);
  forEachTap(c, (inputPixel, tap, outputPixel) => {
    for (let ci = 0; ci < inChannels; ci++) {
      let sum = 0;
      for (let co = 0; co < outChannels; co++) {
        sum += gradOutput[outputPixel * outChannels + co] * kernel[(tap * inChannels + ci) * outChannels + co];
      }
      gradInput[inputPixel * inChannels + ci] += sum;
    }
  });
  return gradInput;
}

/** d loss / d kernel and d loss / d bias of the convolution, given d loss / d output. */
export function referenceConv2dBackwardParams(
  c: ConvCase,
  input: ArrayLike<number>,
  gradOutput: ArrayLike<number>,
): { gradKernel: Float64Array; gradBias: Float64Array } {
  const { inChannels, outChannels } = c;
  const gradKernel = new Float64Array(c.kernelHeight * c.kernelWidth * inChannels * outChannels);
  forEachTap(c, (inputPixel, tap, outputPixel) => {
    for (let ci = 0; ci < inChannels; ci++) {
      const x = input[inputPixel * inChannels + ci];
      for (let co = 0; co < outChannels; co++) {
        gradKernel[(tap * inChannels + ci) * outChannels + co] += x * gradOutput[outputPixel * outChannels + co];
      }
    }
  });
  const gradBias = new Float64Array(outChannels);
  for (let i = 0; i < convOutputPixels(c) * outChannels; i++) gradBias[i % outChannels] += gradOutput[i];
  return { gradKernel, gradBias };
}
