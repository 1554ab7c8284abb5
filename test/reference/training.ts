// Plain float64 references for dropout, batch normalization and the optimizers, written from the
// formulas (Keras's where it defines them), independently of the native code.

/** Inverted dropout with a given mask: kept elements scaled by 1 / (1 - rate), dropped ones 0. */
export function referenceDropout(values: ArrayLike<number>, mask: ArrayLike<number>, rate: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = mask[i] ? values[i] / (1 - rate) : 0;
  return out;
}

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
export function referenceNormalize(rows: number, channels: number, x: ArrayLike<number>,
  gamma: ArrayLike<number>, beta: ArrayLike<number>, mean: ArrayLike<number>,
  variance: ArrayLike<number>, epsilon: number): Float64Array {
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
export function referenceBatchNormTraining(rows: number, channels: number, x: ArrayLike<number>,
  gamma: ArrayLike<number>, beta: ArrayLike<number>, epsilon: number): ChannelMoments & { y: Float64Array } {
  const moments = referenceMoments(rows, channels, x);
  return { ...moments, y: referenceNormalize(rows, channels, x, gamma, beta, moments.mean, moments.variance, epsilon) };
}

/** Keras's moving statistic: moving * momentum + batch * (1 - momentum). */
export function referenceMovingAverage(moving: ArrayLike<number>, batch: ArrayLike<number>, momentum: number): Float64Array {
  return Float64Array.from(moving, (value, c) => value * momentum + batch[c] * (1 - momentum));
}

// Optimizer states hold float64 copies of the parameter and slot arrays; each step mutates them.

export interface SgdState { param: Float64Array; velocity: Float64Array | null }

/** Keras SGD.update_step. */
export function referenceSgdStep(state: SgdState, grad: ArrayLike<number>, learningRate: number,
  momentum: number, nesterov: boolean): void {
  const { param, velocity } = state;
  for (let i = 0; i < param.length; i++) {
    if (velocity === null) {
      param[i] -= learningRate * grad[i];
      continue;
    }
    velocity[i] = velocity[i] * momentum - grad[i] * learningRate;
    param[i] += nesterov ? velocity[i] * momentum - grad[i] * learningRate : velocity[i];
  }
}

export interface RmspropState { param: Float64Array; meanSquare: Float64Array }

/** Uncentered RMSprop without momentum, as Keras: epsilon inside the square root. */
export function referenceRmspropStep(state: RmspropState, grad: ArrayLike<number>,
  learningRate: number, rho: number, epsilon: number): void {
  const { param, meanSquare } = state;
  for (let i = 0; i < param.length; i++) {
    meanSquare[i] = rho * meanSquare[i] + (1 - rho) * grad[i] ** 2;
    param[i] -= (learningRate * grad[i]) / Math.sqrt(meanSquare[i] + epsilon);
  }
}

export interface AdamState { param: Float64Array; m: Float64Array; v: Float64Array }

/** Keras Adam.update_step at 1-based `step`, preceded by AdamW's decoupled decay when weightDecay > 0. */
export function referenceAdamStep(state: AdamState, grad: ArrayLike<number>, learningRate: number,
  beta1: number, beta2: number, epsilon: number, step: number, weightDecay: number): void {
  const { param, m, v } = state;
  const alpha = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
  for (let i = 0; i < param.length; i++) {
    if (weightDecay > 0) param[i] -= param[i] * weightDecay * learningRate;
    m[i] += (grad[i] - m[i]) * (1 - beta1);
    v[i] += (grad[i] ** 2 - v[i]) * (1 - beta2);
    param[i] -= (m[i] * alpha) / (Math.sqrt(v[i]) + epsilon);
  }
}
