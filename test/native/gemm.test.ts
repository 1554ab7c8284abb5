import { describe, expect, it } from 'vitest';
import { linearKernels as k } from '../../lib/native';
import { expectClose } from '../helpers/assert';
import { randomArray, randomInt, rng } from '../helpers/random';
import { referenceGemm } from '../reference/linear';

// Sizes around the portable register tile (4 x 16) and cache blocks (128 rows, depth 256, 2048
// columns), so ragged edges of every loop are exercised, here with the process's dispatched ISA;
// gemm_isa.test.ts runs every available ISA over the tile and block edges of each.
const sizes: [number, number, number][] = [
  [1, 1, 1], [4, 16, 1], [3, 15, 7], [5, 17, 9], [128, 32, 256], [129, 33, 257],
  [7, 2049, 3], [64, 64, 300], [1, 100, 100], [100, 1, 100], [33, 47, 513],
];

describe('gemm matches the triple-loop reference', () => {
  const random = rng(42);
  const shapes = [...sizes, ...Array.from({ length: 10 }, () =>
    [randomInt(random, 1, 70), randomInt(random, 1, 70), randomInt(random, 1, 300)] as [number, number, number])];
  for (const [m, n, kk] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`m=${m} n=${n} k=${kk} transA=${transA} transB=${transB}`, () => {
          const r = rng(m * 1000 + n * 10 + kk);
          const a = randomArray(r, m * kk);
          const b = randomArray(r, kk * n);
          const c = randomArray(r, m * n);
          const alpha = 0.5 + r();
          const beta = r() < 0.5 ? 0 : r() - 0.5;
          const expected = referenceGemm(m, n, kk, a, b, transA, transB, alpha, beta, c);
          k.gemm({ m, n, k: kk, transA, transB, alpha, beta }, a, b, c);
          expectClose(c, expected, { atol: 1e-5 * Math.sqrt(kk), rtol: 1e-4 }, 'c');
        });
      }
    }
  }

  it('beta = 0 overwrites C even when it holds NaN', () => {
    const c = new Float32Array(6).fill(Number.NaN);
    k.gemm({ m: 2, n: 3, k: 1 }, Float32Array.of(1, 2), Float32Array.of(1, 2, 3), c);
    expect(Array.from(c)).toEqual([1, 2, 3, 2, 4, 6]);
  });

  it('beta = 1 accumulates into C', () => {
    const c = Float32Array.of(10, 20, 30, 40);
    k.gemm({ m: 2, n: 2, k: 2, beta: 1 }, Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), c);
    expect(Array.from(c)).toEqual([11, 22, 33, 44]);
  });

  it('computes the same result on repeated calls (no state leaks through the pack buffers)', () => {
    const r = rng(5);
    const a = randomArray(r, 200 * 300);
    const b = randomArray(r, 300 * 100);
    const first = new Float32Array(200 * 100);
    const second = new Float32Array(200 * 100);
    k.gemm({ m: 200, n: 100, k: 300 }, a, b, first);
    k.gemm({ m: 3, n: 5, k: 7 }, a.subarray(0, 21), b.subarray(0, 35), new Float32Array(15));
    k.gemm({ m: 200, n: 100, k: 300 }, a, b, second);
    expect(second).toEqual(first);
  });
});

describe('gemm rejects bad input', () => {
  it('names the operand with the wrong length', () => {
    expect(() => k.gemm({ m: 2, n: 2, k: 3 }, new Float32Array(6), new Float32Array(5), new Float32Array(4)))
      .toThrow(new RangeError('gemm: b must have 6 elements (k*n), got 5'));
  });
  it('rejects a non-finite alpha and a non-boolean transpose flag', () => {
    const args = [new Float32Array(1), new Float32Array(1), new Float32Array(1)] as const;
    expect(() => k.gemm({ m: 1, n: 1, k: 1, alpha: Number.NaN }, ...args)).toThrow(/alpha must be a finite number/);
    expect(() => k.gemm({ m: 1, n: 1, k: 1, transA: 1 as unknown as boolean }, ...args)).toThrow(TypeError);
  });
  it('rejects C aliasing A', () => {
    const x = new Float32Array(4);
    expect(() => k.gemm({ m: 2, n: 2, k: 2 }, x, new Float32Array(4), x)).toThrow(/c and a must not share memory/);
  });
});
