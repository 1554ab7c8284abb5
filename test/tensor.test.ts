import { describe, expect, it } from 'vitest';
import * as ck from '../lib';
import { shapeSize } from '../lib/tensor';

describe('Tensor constructor', () => {
  it('wraps the Float32Array without copying and freezes a copy of the shape', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const shape = [2, 3];
    const t = new ck.Tensor(data, shape);
    expect(t.data).toBe(data);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
    expect(t.dtype).toBe('float32');
    shape[0] = 99;
    expect(t.shape).toEqual([2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
  });

  it('rejects data that is not a Float32Array', () => {
    expect(() => new ck.Tensor([1, 2] as unknown as Float32Array, [2])).toThrow(TypeError);
    expect(() => new ck.Tensor([1, 2] as unknown as Float32Array, [2])).toThrow(
      /tensor data must be a Float32Array, got an Array/,
    );
    expect(() => new ck.Tensor(new Float64Array(2) as unknown as Float32Array, [2])).toThrow(/got Float64Array/);
  });

  it('rejects a shape that is not an array', () => {
    expect(() => new ck.Tensor(new Float32Array(2), 2 as unknown as number[])).toThrow(TypeError);
    expect(() => new ck.Tensor(new Float32Array(2), 2 as unknown as number[])).toThrow(
      /tensor shape must be an array of integers, got number 2/,
    );
  });

  it('rejects negative, fractional and non-numeric dimensions, naming the axis', () => {
    expect(() => new ck.Tensor(new Float32Array(2), [2, -1])).toThrow(RangeError);
    expect(() => new ck.Tensor(new Float32Array(2), [2, -1])).toThrow(
      /shape\[1\] must be a non-negative integer, got -1 \(shape \[2, -1\]\)/,
    );
    expect(() => new ck.Tensor(new Float32Array(3), [1.5, 2])).toThrow(
      /shape\[0\] must be a non-negative integer, got 1.5/,
    );
    expect(() => new ck.Tensor(new Float32Array(3), [Number.NaN])).toThrow(
      /shape\[0\] must be a non-negative integer, got NaN/,
    );
  });

  it('rejects a shape whose size differs from the data length', () => {
    expect(() => new ck.Tensor(new Float32Array(5), [2, 3])).toThrow(RangeError);
    expect(() => new ck.Tensor(new Float32Array(5), [2, 3])).toThrow(
      /tensor shape \[2, 3\] needs 6 elements, but data has 5/,
    );
  });

  it('accepts zero-sized dimensions and the scalar shape []', () => {
    expect(new ck.Tensor(new Float32Array(0), [0, 4]).size).toBe(0);
    const scalar = new ck.Tensor(new Float32Array([7]), []);
    expect(scalar.rank).toBe(0);
    expect(scalar.toArray()).toBe(7);
  });

  it('shapeSize rejects a product that is not a safe integer', () => {
    expect(shapeSize([3, 4, 5])).toBe(60);
    expect(() => shapeSize([2 ** 30, 2 ** 30, 2 ** 30])).toThrow(/has too many elements/);
  });
});

describe('tensor()', () => {
  it('uses a Float32Array without copying, flat by default', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const flat = ck.tensor(data);
    expect(flat.data).toBe(data);
    expect(flat.shape).toEqual([4]);
    const square = ck.tensor(data, [2, 2]);
    expect(square.data).toBe(data);
    expect(square.shape).toEqual([2, 2]);
  });

  it('infers the shape of nested arrays, row-major', () => {
    const t = ck.tensor([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [
        [7, 8],
        [9, 10],
        [11, 12],
      ],
    ]);
    expect(t.shape).toEqual([2, 3, 2]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ck.tensor([1.5, -2]).shape).toEqual([2]);
    expect(ck.tensor([]).shape).toEqual([0]);
    expect(ck.tensor([[], []]).shape).toEqual([2, 0]);
  });

  it('rounds plain numbers to float32 and copies them', () => {
    const values = [0.1, 1e40];
    const t = ck.tensor(values);
    expect(t.data[0]).toBe(Math.fround(0.1));
    expect(t.data[1]).toBe(Infinity);
    values[0] = 5;
    expect(t.data[0]).toBe(Math.fround(0.1));
  });

  it('takes a flat array or another typed array with an explicit shape (copied)', () => {
    const source = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = ck.tensor(source, [3, 2]);
    expect(t.shape).toEqual([3, 2]);
    expect(t.data).toBeInstanceOf(Float32Array);
    source[0] = 100;
    expect(t.data[0]).toBe(1);
    expect(ck.tensor([1, 2, 3, 4, 5, 6], [2, 3]).toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(() => ck.tensor([1, 2, 3], [2, 2])).toThrow(/tensor shape \[2, 2\] needs 4 elements, but data has 3/);
  });

  it('takes a nested array with an explicit shape of the same size', () => {
    expect(
      ck
        .tensor(
          [
            [1, 2],
            [3, 4],
          ],
          [4],
        )
        .toArray(),
    ).toEqual([1, 2, 3, 4]);
    expect(() =>
      ck.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        [3],
      ),
    ).toThrow(/needs 3 elements, but data has 4/);
  });

  it('rejects ragged nested arrays, even when the element count happens to fit', () => {
    // 6 values, and the first-element path suggests [3, 2]: the count alone does not catch it.
    expect(() => ck.tensor([[1, 2], [3], [4, 5, 6]])).toThrow(RangeError);
    expect(() => ck.tensor([[1, 2], [3], [4, 5, 6]])).toThrow(
      /ragged: data\[1\] has 1 elements, expected an array of 2/,
    );
    expect(() =>
      ck.tensor([
        [1, 2],
        [3, [4]],
      ]),
    ).toThrow(/ragged: data\[1\]\[1\] is an array, expected a number/);
    expect(() => ck.tensor([[1, 2], 3])).toThrow(/ragged: data\[1\] is number 3, expected an array of 2/);
  });

  it('rejects non-numeric elements, naming the flat index', () => {
    expect(() => ck.tensor([1, '2', 3] as unknown as number[])).toThrow(TypeError);
    expect(() => ck.tensor([1, '2', 3] as unknown as number[])).toThrow(
      /tensor data\[1\] must be a number, got string 2/,
    );
    expect(() =>
      ck.tensor([
        [1, 2],
        [3, null],
      ] as unknown as number[][]),
    ).toThrow(/tensor data\[3\] must be a number, got null/);
  });

  it('rejects data that is neither an array nor a typed array', () => {
    expect(() => ck.tensor('abc' as unknown as number[])).toThrow(TypeError);
    expect(() => ck.tensor({ length: 1, 0: 1 } as unknown as number[])).toThrow(
      /tensor data must be a Float32Array or an array of numbers, got an object \(Object\)/,
    );
  });
});

describe('reshape, slice and toArray', () => {
  it('reshape shares the data and checks the size', () => {
    const t = ck.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const r = t.reshape([3, 2]);
    expect(r.data).toBe(t.data);
    expect(r.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    r.data[5] = 60;
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 60],
    ]);
    expect(() => t.reshape([4, 2])).toThrow(/tensor shape \[4, 2\] needs 8 elements, but data has 6/);
  });

  it('slice takes rows along the first axis and shares the data', () => {
    const t = ck.tensor(
      Float32Array.from({ length: 24 }, (_, i) => i),
      [4, 3, 2],
    );
    const s = t.slice(1, 3);
    expect(s.shape).toEqual([2, 3, 2]);
    expect(Array.from(s.data)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(s.data.buffer).toBe(t.data.buffer);
    s.data[0] = -1;
    expect(t.data[6]).toBe(-1);
    expect(t.slice(2, 2).shape).toEqual([0, 3, 2]);
    expect(t.slice(0, 4).size).toBe(24);
  });

  it('slice rejects out-of-range, reversed and fractional bounds', () => {
    const t = ck.tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(() => t.slice(0, 4)).toThrow(/slice \[0, 4\) is out of range for 3 rows/);
    expect(() => t.slice(-1, 2)).toThrow(RangeError);
    expect(() => t.slice(2, 1)).toThrow(/slice \[2, 1\) is out of range/);
    expect(() => t.slice(0.5, 2)).toThrow(RangeError);
    expect(() => new ck.Tensor(new Float32Array([1]), []).slice(0, 0)).toThrow(
      /slice needs a tensor of rank 1 or more/,
    );
  });

  it('slice of a tensor with zero rows', () => {
    const empty = new ck.Tensor(new Float32Array(0), [0, 5]);
    expect(empty.slice(0, 0).shape).toEqual([0, 5]);
  });

  it('toArray nests by shape, including size-0 axes', () => {
    const t = ck.tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2]);
    expect(t.toArray()).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    expect(ck.tensor(new Float32Array(0), [2, 0]).toArray()).toEqual([[], []]);
    expect(ck.tensor([3]).toArray()).toEqual([3]);
  });
});
