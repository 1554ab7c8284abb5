// Plain float64 references for the optimizers, written from Keras's update steps independently of
// the native code.

// Optimizer states hold float64 copies of the parameter and slot arrays; each step mutates them.

export interface SgdState {
  param: Float64Array;
  velocity: Float64Array | null;
}

/** Keras SGD.update_step. */
export function referenceSgdStep(
  state: SgdState,
  grad: ArrayLike<number>,
  learningRate: number,
  momentum: number,
  nesterov: boolean,
): void {
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

export interface RmspropState {
  param: Float64Array;
  meanSquare: Float64Array;
}

/** Uncentered RMSprop without momentum, as Keras: epsilon inside the square root. */
export function referenceRmspropStep(
  state: RmspropState,
  grad: ArrayLike<number>,
  learningRate: number,
  rho: number,
  epsilon: number,
): void {
  const { param, meanSquare } = state;
  for (let i = 0; i < param.length; i++) {
    meanSquare[i] = rho * meanSquare[i] + (1 - rho) * grad[i] ** 2;
    param[i] -= (learningRate * grad[i]) / Math.sqrt(meanSquare[i] + epsilon);
  }
}

export interface AdamState {
  param: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** Keras Adam.update_step at 1-based `step`, preceded by AdamW's decoupled decay when weightDecay > 0. */
export function referenceAdamStep(
  state: AdamState,
  grad: ArrayLike<number>,
  learningRate: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  step: number,
  weightDecay: number,
): void {
  const { param, m, v } = state;
  const alpha = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
  for (let i = 0; i < param.length; i++) {
    if (weightDecay > 0) param[i] -= param[i] * weightDecay * learningRate;
    m[i] += (grad[i] - m[i]) * (1 - beta1);
    v[i] += (grad[i] ** 2 - v[i]) * (1 - beta2);
    param[i] -= (m[i] * alpha) / (Math.sqrt(v[i]) + epsilon);
  }
}
