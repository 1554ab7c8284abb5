// Central finite differences of float64 reference functions. The native backward kernels are
// compared against the numeric gradient of the reference forward (which the forward tests tie to
// the native forward), so float32 rounding never drowns the signal.

/** Up to `limit` distinct indices in [0, length), spread over the whole array. */
export function sampleIndices(length: number, limit: number, random: () => number): number[] {
  if (length <= limit) return Array.from({ length }, (_, i) => i);
  const picked = new Set<number>([0, length - 1]);
  while (picked.size < limit) picked.add(Math.floor(random() * length));
  return [...picked];
}

/**
 * d f / d x[i] for each index, by (f(x + eps) - f(x - eps)) / 2eps. x is restored afterwards.
 */
export function numericGradient(
  f: (x: Float64Array) => number,
  x: Float64Array,
  indices: number[],
  eps = 1e-6,
): Map<number, number> {
  const gradient = new Map<number, number>();
  for (const i of indices) {
    const saved = x[i];
    x[i] = saved + eps;
    const plus = f(x);
    x[i] = saved - eps;
    const minus = f(x);
    x[i] = saved;
    gradient.set(i, (plus - minus) / (2 * eps));
  }
  return gradient;
}

/** Sum of weights[i] * values[i]: a scalar "loss" whose gradient with respect to values is weights. */
export function weightedSum(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * weights[i];
  return sum;
}

export function toFloat64(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values as ArrayLike<number>);
}

/** Asserts analytic[i] matches each numeric gradient entry within atol + rtol * |numeric|. */
export function expectGradientClose(
  analytic: ArrayLike<number>,
  numeric: Map<number, number>,
  atol: number,
  rtol: number,
  label: string,
): void {
  for (const [i, expected] of numeric) {
    const actual = analytic[i];
    if (!(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected))) {
      throw new Error(`${label}: gradient[${i}] is ${actual}, finite differences give ${expected}`);
    }
  }
}
