// A plain, obviously-correct float64 reference for dense, written independently of the native code
// (direct loops).

export function referenceDense(
  batch: number,
  inFeatures: number,
  units: number,
  input: ArrayLike<number>,
  kernel: ArrayLike<number>,
  bias: ArrayLike<number> | null,
): Float64Array {
  const out = new Float64Array(batch * units);
  for (let b = 0; b < batch; b++) {
    for (let u = 0; u < units; u++) {
      let sum = bias ? bias[u] : 0;
      for (let i = 0; i < inFeatures; i++) sum += input[b * inFeatures + i] * kernel[i * units + u];
      out[b * units + u] = sum;
    }
  }
  return out;
}
