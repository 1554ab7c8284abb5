// Validation shared by every binding (native/binding/args.cc), exercised through real kernels.
import { describe, expect, it } from 'vitest';
import { conv2dKernels } from '../helpers/kernels/conv2d';
import { denseKernels } from '../helpers/kernels/dense';
import { gemmKernels } from '../helpers/kernels/gemm';
import { underSanitizer } from '../helpers/sanitizer';

const dense = { batch: 1, inFeatures: 2, units: 2 };

describe('argument validation at the N-API boundary', () => {
  it('rejects a missing or non-object params argument', () => {
    const call = denseKernels.denseForward as unknown as (...args: unknown[]) => void;
    expect(() => call()).toThrow(new TypeError('denseForward: params must be an object, got undefined'));
    expect(() => call([1, 2, 3])).toThrow(/params must be an object, got an Array/);
    expect(() => call(new Float32Array(2))).toThrow(/params must be an object, got Float32Array/);
  });

  it('rejects missing arrays and plain JS arrays', () => {
    const call = denseKernels.denseForward as unknown as (...args: unknown[]) => void;
    expect(() => call(dense)).toThrow(new TypeError('denseForward: input must be a Float32Array, got undefined'));
    expect(() => call(dense, [1, 2], new Float32Array(4), null, new Float32Array(2))).toThrow(
      /input must be a Float32Array, got an Array/,
    );
  });

  it('rejects a detached buffer instead of touching freed memory', () => {
    const input = new Float32Array(2);
    structuredClone(input.buffer, { transfer: [input.buffer] });
    expect(input.buffer.byteLength).toBe(0);
    expect(() => denseKernels.denseForward(dense, input, new Float32Array(4), null, new Float32Array(2))).toThrow(
      /input must have 2 elements \(batch\*inFeatures\), got 0 \(empty or detached buffer\)/,
    );
  });

  it('reads subarray views at their offset (zero-copy)', () => {
    const backing = new Float32Array(10);
    backing.set([1, 2], 3);
    const kernel = Float32Array.of(1, 0, 0, 1);
    const output = new Float32Array(2);
    denseKernels.denseForward(dense, backing.subarray(3, 5), kernel, null, output);
    expect(Array.from(output)).toEqual([1, 2]);
    const target = new Float32Array(6);
    denseKernels.denseForward(dense, Float32Array.of(3, 4), kernel, null, target.subarray(2, 4));
    expect(Array.from(target)).toEqual([0, 0, 3, 4, 0, 0]);
  });

  it('rejects non-finite and out-of-range integers', () => {
    expect(() =>
      denseKernels.denseForward(
        { ...dense, batch: Number.POSITIVE_INFINITY },
        new Float32Array(2),
        new Float32Array(4),
        null,
        new Float32Array(2),
      ),
    ).toThrow(/batch must be an integer, got Infinity/);
    expect(() =>
      denseKernels.denseForward(
        { ...dense, batch: -3 },
        new Float32Array(2),
        new Float32Array(4),
        null,
        new Float32Array(2),
      ),
    ).toThrow(RangeError);
    expect(() =>
      denseKernels.denseForward(
        { ...dense, batch: 2 ** 45 },
        new Float32Array(2),
        new Float32Array(4),
        null,
        new Float32Array(2),
      ),
    ).toThrow(RangeError);
  });

  it('allows reading the same array twice (only written arrays must be distinct)', () => {
    const x = Float32Array.of(1, 2, 3, 4);
    const c = new Float32Array(4);
    gemmKernels.gemm({ m: 2, n: 2, k: 2 }, x, x, c);
    expect(Array.from(c)).toEqual([7, 10, 15, 22]);
  });
});

describe('exceptions below the binding', () => {
  // Not under a sanitizer: its operator new aborts on an allocation it cannot make, by design.
  it.skipIf(underSanitizer)(
    'an allocation the machine cannot make is a RangeError, not an abort (std::bad_alloc escaped as std::terminate)',
    () => {
      // 1000x1000 outputs of a 1001x1001 kernel: im2col would need 10^12 floats (4 TB).
      const side = 1000;
      const kernel = 1001;
      const params = {
        batch: 1,
        inHeight: side,
        inWidth: side,
        inChannels: 1,
        outChannels: 1,
        kernelHeight: kernel,
        kernelWidth: kernel,
        padding: 'same' as const,
      };
      expect(() =>
        conv2dKernels.conv2dForward(
          params,
          new Float32Array(side * side),
          new Float32Array(kernel * kernel),
          null,
          new Float32Array(side * side),
        ),
      ).toThrow(new RangeError('conv2dForward: not enough memory for this call; use smaller arrays'));
    },
  );
});
