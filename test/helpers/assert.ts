// Closeness assertions that name the worst element, so a wrong index shows where it is.
import { expect } from 'vitest';

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance (to |expected|). */
  rtol: number;
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
