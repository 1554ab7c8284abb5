// Plain float64 references for batch normalization, written from Keras's formulas independently of
// the native code.

export interface ChannelMoments {
  mean: Float64Array;
  /** Biased: divided by rows. */
  variance: Float64Array;
}

/** Per-channel mean and biased variance of x[rows, channels], the textbook two-pass way. */
export function referenceMoments(rows: number, channels: number, x: ArrayLike<number>): ChannelMoments {
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += x[r * channels + c];
    mean[c] = sum / rows;
    let squares = 0;
    for (let r = 0; r < rows; r++) squares += (x[r * channels + c] - mean[c]) ** 2;
    variance[c] = squares / rows;
  }
  return { mean, variance };
}

/** y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, per channel. */
export function referenceNormalize(
  rows: number,
  channels: number,
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  epsilon: number,
): Float64Array {
  const y = new Float64Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      y[i] = (gamma[c] * (x[i] - mean[c])) / Math.sqrt(variance[c] + epsilon) + beta[c];
    }
  }
  return y;
}

/** Training-mode batch norm: normalizes with the batch's own statistics. */
export function referenceBatchNormTraining(
  rows: number,
  channels: number,
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  epsilon: number,
): ChannelMoments & { y: Float64Array } {
  const moments = referenceMoments(rows, channels, x);
  return { ...moments, y: referenceNormalize(rows, channels, x, gamma, beta, moments.mean, moments.variance, epsilon) };
}

/** Keras's moving statistic: moving * momentum + batch * (1 - momentum). */
export function referenceMovingAverage(
  moving: ArrayLike<number>,
  batch: ArrayLike<number>,
  momentum: number,
): Float64Array {
  return Float64Array.from(moving, (value, c) => value * momentum + batch[c] * (1 - momentum));
}
