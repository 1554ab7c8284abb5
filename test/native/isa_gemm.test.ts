// Every ISA this CPU runs, checked against the float64 reference. The ISA is chosen once per
// process, so each one runs in a child process (isa_gemm_child.cjs) with CONVKIT_ISA set; ISAs the
// CPU lacks are skipped, and asking for one must fall back to the best available ISA.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendInfo } from '../../lib/backend';
import { backendFunctions, type Isa } from '../../lib/native/kernel_registry';
import { expectClose } from '../helpers/assert';
import {
  allIsas,
  decodeFloats,
  describeEachIsa,
  encodeFloats,
  type IsaChildReport,
  runIsaChild,
} from '../helpers/isa_process';
import { randomArray, randomInt, rng } from '../helpers/random';
import { referenceActivation } from '../reference/activation';
import { referenceGemm } from '../reference/gemm';

const childScript = join(__dirname, 'isa_gemm_child.cjs');
const available = backendFunctions.availableIsas();
const best = available[available.length - 1];

// Register tiles (mr x nr) are scalar 4x16, avx2 6x16, avx512 14x32, neon 8x8; depth blocks are
// 192, 256 and 512, row blocks 126, 128 and 144, column blocks 2048, 4080 and 4096. A is packed
// only when a column block holds more than 4 slivers of B (n > 4 * nr), and read in place
// otherwise. B (not transposed) is read in place when n is a multiple of nr and m fits one row
// block, and packed otherwise. Each shape sits just below, on or just above one of those edges, so
// every ragged loop end runs, in every way of reading A and B.
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 15, 5],
  [4, 16, 3],
  [5, 17, 2],
  [5, 15, 7],
  [6, 16, 8],
  [7, 17, 9],
  [8, 8, 8],
  [9, 7, 4],
  [13, 31, 5],
  [14, 32, 4],
  [15, 33, 6],
  [28, 64, 3],
  [29, 65, 2],
  [9, 32, 15],
  [9, 33, 15],
  [20, 128, 7],
  [20, 129, 7],
  [6, 16, 191],
  [15, 33, 193],
  [7, 9, 255],
  [9, 17, 257],
  [6, 80, 511],
  [5, 31, 513],
  [7, 90, 513],
  [125, 9, 11],
  [127, 33, 10],
  [129, 17, 12],
  [143, 5, 9],
  [145, 16, 7],
  [127, 130, 20],
  [145, 80, 30],
  [129, 70, 300],
  [3, 2049, 2],
  [2, 4081, 3],
  [2, 4097, 2],
  [3, 5, 3000],
  [17, 19, 1500],
  [1, 70, 300],
  [70, 1, 300],
  [9, 32, 1100],
  [64, 32, 144],
  [126, 64, 600],
  [144, 96, 1030],
  [145, 32, 40],
  // Keras MNIST convnet im2col shapes: pixels x filters x patch.
  [676, 32, 9],
  [121, 64, 288],
  [9, 64, 576],
];

interface GemmCase {
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  /** The epilogue (gemm.h), on every other case: bias per column, then relu or leakyRelu. */
  activation: 'linear' | 'relu' | 'leakyRelu';
  activationAlpha: number;
  bias: Float32Array | null;
}

const random = rng(2024);
for (let i = 0; i < 8; i++)
  shapes.push([randomInt(random, 1, 90), randomInt(random, 1, 90), randomInt(random, 1, 600)]);
const cases: GemmCase[] = shapes.map(([m, n, k], index) => {
  const r = rng(index + 1);
  // beta 0 over a C full of NaN checks that C is overwritten, never read.
  const beta = [0, 1, -0.75][index % 3];
  const c = beta === 0 ? new Float32Array(m * n).fill(Number.NaN) : randomArray(r, m * n);
  const activation = (['linear', 'relu', 'linear', 'leakyRelu'] as const)[index % 4];
  const bias = activation === 'linear' ? null : randomArray(r, n);
  return {
    m,
    n,
    k,
    alpha: 0.5 + r(),
    beta,
    a: randomArray(r, m * k),
    b: randomArray(r, k * n),
    c,
    activation,
    activationAlpha: 0.1,
    bias,
  };
});
// alpha 1 and beta 0 under each epilogue the micro-kernels store without a branch (TileStore in
// native/kernels/isa/gemm_ukernels.h), at the depths compiled whole for a first layer's im2col (9, 27) and beside
// them, with enough rows for B to be packed and whole columns of 16.
const wholeStoreShapes: [number, number, number][] = [
  [676, 32, 9],
  [150, 48, 9],
  [97, 16, 27],
  [300, 64, 27],
  [40, 32, 26],
];
for (const [shapeIndex, [m, n, k]] of wholeStoreShapes.entries()) {
  for (const [activation, withBias] of [
    ['linear', false],
    ['linear', true],
    ['relu', false],
    ['relu', true],
  ] as const) {
    const r = rng(1000 + shapeIndex);
    cases.push({
      m,
      n,
      k,
      alpha: 1,
      beta: 0,
      a: randomArray(r, m * k),
      b: randomArray(r, k * n),
      c: new Float32Array(m * n).fill(Number.NaN),
      activation,
      activationAlpha: 0.1,
      bias: withBias ? randomArray(r, n) : null,
    });
  }
}
const transposes = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

/** Runs `subset` in a fresh process with CONVKIT_ISA = requested. */
function runChild(requested: string, subset: GemmCase[]): IsaChildReport<Float32Array[][]> {
  const request = {
    cases: subset.map(({ m, n, k, alpha, beta, a, b, c, activation, activationAlpha, bias }) => ({
      m,
      n,
      k,
      alpha,
      beta,
      activation,
      activationAlpha,
      a: encodeFloats(a),
      b: encodeFloats(b),
      c: encodeFloats(c),
      bias: bias && encodeFloats(bias),
    })),
  };
  const report = runIsaChild<string[][]>(childScript, requested, request);
  return { ...report, results: report.results.map((outputs) => outputs.map(decodeFloats)) };
}

// The reference of each case and transpose pair, computed once and shared by every ISA.
const references = new Map<string, Float64Array>();

function expectMatchesReference(gemmCase: GemmCase, transpose: number, actual: Float32Array, label: string): void {
  const { m, n, k, alpha, beta, a, b, c, activation, activationAlpha, bias } = gemmCase;
  const [transA, transB] = transposes[transpose];
  const key = `${cases.indexOf(gemmCase)}:${transpose}`;
  let expected = references.get(key);
  if (!expected) {
    const product = referenceGemm(m, n, k, a, b, transA, transB, alpha, beta, c);
    if (bias)
      product.forEach((v, i) => {
        product[i] = v + bias[i % n];
      });
    expected = referenceActivation(activation, activationAlpha, m, n, product);
    references.set(key, expected);
  }
  expectClose(actual, expected, { atol: 1e-5 * Math.sqrt(k), rtol: 1e-4 }, label);
}

describeEachIsa(
  'gemm',
  (isa) => runChild(isa, cases),
  (isa, report) => {
    cases.forEach((gemmCase, index) => {
      const { m, n, k, activation } = gemmCase;
      transposes.forEach(([transA, transB], transpose) => {
        it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB} ${activation}${gemmCase.bias ? ' with bias' : ''}`, () => {
          expectMatchesReference(gemmCase, transpose, report().results[index][transpose], `${isa} c`);
        });
      });
    });
  },
);

describe('ISA selection', () => {
  it('lists scalar first and reports the in-process ISA among the available ones', () => {
    expect(available[0]).toBe('scalar');
    expect(new Set(available).size).toBe(available.length);
    for (const isa of available) expect(allIsas).toContain(isa);
    const info = backendInfo();
    expect(available).toContain(info.isa);
    expect(info.isa).toBe(backendFunctions.isa());
    expect(info.availableIsas).toEqual(available);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  it('defaults to the best available ISA', () => {
    expect(runChild('', cases.slice(0, 1)).isa).toBe(best);
  });

  it('reads CONVKIT_ISA regardless of case', () => {
    expect(runChild('SCALAR', cases.slice(0, 1)).isa).toBe('scalar');
  });

  const unavailable = [...allIsas.filter((isa) => !available.includes(isa)), 'sse9', 'portable'];
  for (const requested of unavailable) {
    it(`falls back to the best available ISA for CONVKIT_ISA=${requested} and still computes correctly`, () => {
      const subset = cases.slice(0, 12);
      const report = runChild(requested, subset);
      expect(report.isa).toBe(best);
      subset.forEach((gemmCase, index) => {
        transposes.forEach((_, transpose) => {
          expectMatchesReference(gemmCase, transpose, report.results[index][transpose], `${requested} -> ${best} c`);
        });
      });
    });
  }
});

describe('peakFlops', () => {
  it('measures a positive rate for every available ISA', () => {
    for (const isa of available) expect(backendFunctions.peakFlops(isa, 0.02)).toBeGreaterThan(1e8);
  });

  it('rejects an ISA the CPU lacks, an unknown name and a bad duration', () => {
    for (const isa of allIsas.filter((name) => !available.includes(name))) {
      expect(() => backendFunctions.peakFlops(isa, 0.01)).toThrow(
        new RangeError(`peakFlops: isa ${isa} is not available on this CPU`),
      );
    }
    expect(() => backendFunctions.peakFlops('mmx' as Isa, 0.01)).toThrow(RangeError);
    expect(() => backendFunctions.peakFlops('scalar', 0)).toThrow(/seconds must be in \(0, 10\]/);
    expect(() => backendFunctions.peakFlops(1 as unknown as Isa, 0.01)).toThrow(
      new TypeError('peakFlops: isa must be a string'),
    );
  });
});
