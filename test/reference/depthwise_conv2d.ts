// A plain float64 reference for the depthwise convolution (Keras's DepthwiseConv2D), written
// directly from its definition: each input channel c convolved with its own M filters, giving
// output channel c * M + m.
import { axisGeometry, type ConvCase } from './conv2d';

export interface DepthwiseCase extends Omit<ConvCase, 'outChannels'> {
  depthMultiplier: number;
}

/** out[n,oy,ox,c*M+m] = bias[c*M+m] + sum_{ky,kx} in[n,iy,ix,c] * w[ky,kx,c,m], w in Keras's layout [kh,kw,C,M]. */
export function referenceDepthwiseConv2d(
  c: DepthwiseCase,
  input: ArrayLike<number>,
  kernel: ArrayLike<number>,
  bias: ArrayLike<number> | null,
): { output: Float64Array; outHeight: number; outWidth: number } {
  const rows = axisGeometry(c.inHeight, c.kernelHeight, c.strideHeight, c.dilationHeight, c.padding);
  const cols = axisGeometry(c.inWidth, c.kernelWidth, c.strideWidth, c.dilationWidth, c.padding);
  const M = c.depthMultiplier;
  const outC = c.inChannels * M;
  const output = new Float64Array(c.batch * rows.out * cols.out * outC);
  for (let n = 0; n < c.batch; n++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        for (let ch = 0; ch < c.inChannels; ch++) {
          for (let m = 0; m < M; m++) {
            let sum = bias === null ? 0 : bias[ch * M + m];
            for (let ky = 0; ky < c.kernelHeight; ky++) {
              const iy = oy * c.strideHeight - rows.padBefore + ky * c.dilationHeight;
              if (iy < 0 || iy >= c.inHeight) continue;
              for (let kx = 0; kx < c.kernelWidth; kx++) {
                const ix = ox * c.strideWidth - cols.padBefore + kx * c.dilationWidth;
                if (ix < 0 || ix >= c.inWidth) continue;
                sum +=
                  input[((n * c.inHeight + iy) * c.inWidth + ix) * c.inChannels + ch] *
                  kernel[((ky * c.kernelWidth + kx) * c.inChannels + ch) * M + m];
              }
            }
            output[((n * rows.out + oy) * cols.out + ox) * outC + ch * M + m] = sum;
          }
        }
      }
    }
  }
  return { output, outHeight: rows.out, outWidth: cols.out };
}
