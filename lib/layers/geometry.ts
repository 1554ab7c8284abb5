// The window geometry of one spatial axis, by TensorFlow's rules: output length and 'same'
// padding. The one TypeScript copy of what native/kernels/geometry.cc computes for the kernels;
// test/layers/geometry.test.ts checks that the two agree.

/**
 * How windows meet the border, by TensorFlow's rules. 'valid': no padding, windows only where they
 * fit (out = floor((in - extent) / stride) + 1, extent = (kernel - 1) * dilation + 1). 'same':
 * out = ceil(in / stride), with the padding split evenly and any odd pixel at the bottom/right.
 */
export type Padding = 'valid' | 'same';

/** The input span one window covers: its kernel taps and the gaps dilation puts between them. */
export function windowExtent(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/** Output length of one axis. */
export function outputLength(size: number, kernel: number, stride: number, dilation: number, padding: Padding): number {
  return padding === 'same'
    ? Math.ceil(size / stride)
    : Math.floor((size - windowExtent(kernel, dilation)) / stride) + 1;
}

/** 'same' padding of one axis, [before, after]: the odd cell goes after. */
export function samePadding(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const total = Math.max(
    (outputLength(size, kernel, stride, dilation, 'same') - 1) * stride + windowExtent(kernel, dilation) - size,
    0,
  );
  const before = Math.floor(total / 2);
  return [before, total - before];
}
