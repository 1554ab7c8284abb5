// A plain, obviously-correct float64 reference for gemm, written independently of the native code
// (direct loops, no blocking or packing).

export function referenceGemm(
  m: number,
  n: number,
  k: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
  c: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        sum += av * bv;
      }
      out[i * n + j] = alpha * sum + (beta === 0 ? 0 : beta * c[i * n + j]);
    }
  }
  return out;
}
