// Closeness assertions that name the worst element, so a wrong index shows where it is.
import { expect } from 'vitest';

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance (to |expected|). */
  rtol: number;
}

/**
 * The tolerance for float32 results that are sums of `length` products of values in [-1, 1]: the
 * rounding error grows with the square root of the length (and Winograd's transforms scale it by a
 * small constant, which 1e-5 covers).
 */
export function sumTolerance(length: number): Tolerance {
  return { atol: 1e-5 * Math.sqrt(length), rtol: 1e-4 };
}

/** Asserts |actual - expected| <= atol + rtol * |expected| elementwise. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
  label = '',
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const excess = Math.abs(a - e) - (tolerance.atol + tolerance.rtol * Math.abs(e));
    if (Number.isNaN(a) !== Number.isNaN(e) || excess > worstExcess) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${tolerance.atol}, rtol ${tolerance.rtol})`,
    );
  }
}

/** Asserts actual holds the very same float32 bits as expected (as results that must not depend on the thread count do). */
export function expectSameBits(actual: Float32Array, expected: Float32Array, label = ''): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const actualBits = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const expectedBits = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const first = actualBits.findIndex((bits, i) => bits !== expectedBits[i]);
  if (first >= 0)
    expect.fail(`${label}: element ${first} is ${actual[first]}, expected the bits of ${expected[first]}`);
}

/**
 * Runs `run` with 1 thread, then with 2 and 3, and asserts every run returns the same arrays bit
 * for bit: a kernel's results must not depend on how the thread pool splits its work. The pool's
 * size is restored afterwards.
 */
export async function expectSameWithAnyThreadCount(run: () => Float32Array[]): Promise<void> {
  const { setNumThreads, backendInfo } = await import('../../lib/backend');
  const initial = backendInfo().threads;
  try {
    setNumThreads(1);
    const single = run();
    for (const threads of [2, 3]) {
      setNumThreads(threads);
      expect(backendInfo().threads).toBe(threads);
      expect(run()).toEqual(single);
    }
  } finally {
    setNumThreads(initial);
  }
}
