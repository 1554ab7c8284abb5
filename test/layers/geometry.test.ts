// The TypeScript window geometry (layer output shapes, ONNX padding) against TensorFlow's values
// and against the native one the kernels run with (native/kernels/geometry.cc), over a sweep.
import { describe, expect, it } from 'vitest';
import { outputLength, samePadding, type Padding } from '../../lib/layers/geometry';
import { conv2dKernels as k } from '../helpers/kernels/conv2d';

describe('window geometry', () => {
  it('follows TensorFlow', () => {
    expect(outputLength(11, 4, 3, 1, 'valid')).toBe(3);
    expect(outputLength(11, 4, 3, 1, 'same')).toBe(4);
    expect(outputLength(11, 3, 1, 5, 'valid')).toBe(1);
    // tf.nn.conv2d with 'SAME': 224 input, 7x7 stride 2 -> 112, padding 2 before and 3 after.
    expect(samePadding(224, 7, 2, 1)).toEqual([2, 3]);
    expect(samePadding(5, 2, 1, 1)).toEqual([0, 1]);
    expect(samePadding(6, 1, 2, 1)).toEqual([0, 0]);
  });

  it('agrees with the native geometry the kernels use, for every size, kernel, stride, dilation and padding', () => {
    let cases = 0;
    for (const padding of ['valid', 'same'] as Padding[]) {
      for (let size = 1; size <= 13; size += 1) {
        for (let kernel = 1; kernel <= 5; kernel += 1) {
          for (let stride = 1; stride <= 3; stride += 1) {
            for (let dilation = 1; dilation <= 3; dilation += 1) {
              if (padding === 'valid' && (kernel - 1) * dilation + 1 > size) continue;
              const native = k.conv2dGeometry({
                batch: 1,
                inHeight: size,
                inWidth: 1,
                inChannels: 1,
                outChannels: 1,
                kernelHeight: kernel,
                kernelWidth: 1,
                strideHeight: stride,
                dilationHeight: dilation,
                padding,
              });
              const [before, after] = padding === 'same' ? samePadding(size, kernel, stride, dilation) : [0, 0];
              expect(
                { out: native.outHeight, before: native.padTop, after: native.padBottom },
                `${padding} ${size} ${kernel} ${stride} ${dilation}`,
              ).toEqual({ out: outputLength(size, kernel, stride, dilation, padding), before, after });
              cases += 1;
            }
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(600);
  });
});
