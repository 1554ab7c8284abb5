// A plain float64 reference for dropout, written from the formula independently of the native code.

/** Inverted dropout with a given mask: kept elements scaled by 1 / (1 - rate), dropped ones 0. */
export function referenceDropout(values: ArrayLike<number>, mask: ArrayLike<number>, rate: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = mask[i] ? values[i] / (1 - rate) : 0;
  return out;
}
