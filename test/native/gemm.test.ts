import { describe, expect, it } from 'vitest';
import { gemmKernels as k } from '../helpers/kernels/gemm';
import { expectClose } from '../helpers/assert';
import { randomArray, randomInt, rng } from '../helpers/random';
import { referenceActivation } from '../reference/activation';
import { referenceGemm } from '../reference/gemm';

// Sizes around the portable register tile (4 x 16) and cache blocks (128 rows, depth 256, 2048
// columns), so ragged edges of every loop are exercised, here with the process's dispatched ISA;
// isa_gemm.test.ts runs every available ISA over the tile and block edges of each.
const sizes: [number, number, number][] = [
  [1, 1, 1],
  [4, 16, 1],
  [3, 15, 7],
  [5, 17, 9],
  [128, 32, 256],
  [129, 33, 257],
  [7, 2049, 3],
  [64, 64, 300],
  [1, 100, 100],
  [100, 1, 100],
  [33, 47, 513],
  [5, 4100, 520], // several column blocks and depth panels of the AVX2 blocking too
];

describe('gemm matches the triple-loop reference', () => {
  const random = rng(42);
  const shapes = [
    ...sizes,
    ...Array.from(
      { length: 10 },
      () => [randomInt(random, 1, 70), randomInt(random, 1, 70), randomInt(random, 1, 300)] as [number, number, number],
    ),
  ];
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
          const packed = c.slice();
          k.gemm({ m, n, k: kk, transA, transB, alpha, beta }, a, b, c);
          expectClose(c, expected, { atol: 1e-5 * Math.sqrt(kk), rtol: 1e-4 }, 'c');
          // B packed up front (the path of a layer's weights) multiplies the same way, bit for bit.
          k.gemm({ m, n, k: kk, transA, transB, alpha, beta, packB: true }, a, b, packed);
          expect(packed).toEqual(c);
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
    expect(() => k.gemm({ m: 2, n: 2, k: 3 }, new Float32Array(6), new Float32Array(5), new Float32Array(4))).toThrow(
      new RangeError('gemm: b must have 6 elements (k*n), got 5'),
    );
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

describe('gemm epilogue: bias and activation applied to each finished tile', () => {
  // Shapes with ragged tiles, several depth panels (only the last may apply the epilogue) and
  // both ways of reading A.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [7, 17, 9],
    [13, 33, 600],
    [30, 90, 40],
    [129, 70, 300],
  ];
  const epilogues = [
    { activation: 'linear', activationAlpha: 0 },
    { activation: 'relu', activationAlpha: 0 },
    { activation: 'leakyRelu', activationAlpha: 0.3 },
  ] as const;
  for (const [m, n, kk] of shapes) {
    for (const epilogue of epilogues) {
      it(`m=${m} n=${n} k=${kk} ${epilogue.activation}`, () => {
        const r = rng(m + n * 7 + kk * 13);
        const a = randomArray(r, m * kk);
        const b = randomArray(r, kk * n);
        const c = randomArray(r, m * n);
        const bias = randomArray(r, n);
        const beta = kk % 2 === 0 ? 0 : 0.5;
        const product = referenceGemm(m, n, kk, a, b, false, false, 1.5, beta, c);
        for (let i = 0; i < m * n; i++) product[i] += bias[i % n];
        const expected = referenceActivation(epilogue.activation, epilogue.activationAlpha, m, n, product);
        k.gemm({ m, n, k: kk, alpha: 1.5, beta, ...epilogue }, a, b, c, bias);
        expectClose(c, expected, { atol: 1e-5 * Math.sqrt(kk), rtol: 1e-4 }, 'c');
        expect(c.some((v) => v < 0)).toBe(epilogue.activation !== 'relu');
      });
    }
  }

  it('applies the epilogue when alpha = 0 skips the product (C = activation(beta * C + bias))', () => {
    const c = Float32Array.of(1, -2, 3, -4);
    k.gemm(
      { m: 2, n: 2, k: 1, alpha: 0, beta: 1, activation: 'relu' },
      new Float32Array(2),
      new Float32Array(2),
      c,
      Float32Array.of(0.5, 1),
    );
    expect(Array.from(c)).toEqual([1.5, 0, 3.5, 0]);
  });

  it('lets NaN through relu, as the activation kernel does', () => {
    const c = new Float32Array(2);
    k.gemm({ m: 1, n: 2, k: 1, activation: 'relu' }, Float32Array.of(Number.NaN), Float32Array.of(1, -1), c);
    expect(Number.isNaN(c[0]) && Number.isNaN(c[1])).toBe(true);
  });

  it('refuses activations that cannot run in the epilogue, and a bias of the wrong length', () => {
    const args = [new Float32Array(4), new Float32Array(4), new Float32Array(4)] as const;
    expect(() => k.gemm({ m: 2, n: 2, k: 2, activation: 'elu' as 'relu' }, ...args)).toThrow(
      new RangeError('gemm: activation must be linear, relu or leakyRelu to be applied in the GEMM epilogue'),
    );
    expect(() => k.gemm({ m: 2, n: 2, k: 2, activation: 'leakyRelu', activationAlpha: -1 }, ...args)).toThrow(
      RangeError,
    );
    expect(() => k.gemm({ m: 2, n: 2, k: 2 }, ...args, new Float32Array(3))).toThrow(/columnBias must have 2 elements/);
  });
});
