// Plain float64 references for the losses, from Keras's definitions, written independently of the
// native code. Cross-entropies are means over the batch; the elementwise losses (binary
// cross-entropy, mean squared error) are means over every element (Keras's mean over the last
// axis, then over the batch).

/** Keras's epsilon (1e-7) as the float32 its clip works in. */
export const PROBABILITY_EPSILON = Math.fround(1e-7);

function clip(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** log(softmax(z))[c] for the row z[offset .. offset + n), through the row max so exp stays finite. */
function logSoftmax(z: ArrayLike<number>, offset: number, n: number, c: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, z[offset + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(z[offset + j] - max);
  return z[offset + c] - max - Math.log(sum);
}

/** log(sigmoid(z)), finite for any z: -log(1 + e^-z), or z - log(1 + e^z) when e^-z would overflow. */
function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

/** mean over rows of -sum_c targets[c] * log(softmax(logits))[c]. Targets may be soft. */
export function referenceSoftmaxCrossEntropyFromLogits(batch: number, classes: number,
  logits: ArrayLike<number>, targets: ArrayLike<number>): number {
  let total = 0;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < classes; c++) total -= targets[b * classes + c] * logSoftmax(logits, b * classes, classes, c);
  }
  return total / batch;
}

/** mean over rows of -log(softmax(logits))[label]. */
export function referenceSparseSoftmaxCrossEntropyFromLogits(batch: number, classes: number,
  logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  let total = 0;
  for (let b = 0; b < batch; b++) total -= logSoftmax(logits, b * classes, classes, labels[b]);
  return total / batch;
}

/** Each row of probabilities divided by its sum, then clipped to [eps, 1 - eps], as Keras does. */
function kerasProbability(probs: ArrayLike<number>, offset: number, n: number, c: number): number {
  let sum = 0;
  for (let j = 0; j < n; j++) sum += probs[offset + j];
  return clip(probs[offset + c] / sum, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
}

/** mean over rows of -sum_c targets[c] * log(q[c]), q the renormalized, clipped probabilities. */
export function referenceCategoricalCrossentropy(batch: number, classes: number,
  probs: ArrayLike<number>, targets: ArrayLike<number>): number {
  let total = 0;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < classes; c++) {
      const t = targets[b * classes + c];
      if (t !== 0) total -= t * Math.log(kerasProbability(probs, b * classes, classes, c));
    }
  }
  return total / batch;
}

/** mean over rows of -log(q[label]). */
export function referenceSparseCategoricalCrossentropy(batch: number, classes: number,
  probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let total = 0;
  for (let b = 0; b < batch; b++) total -= Math.log(kerasProbability(probs, b * classes, classes, labels[b]));
  return total / batch;
}

/** mean over elements of -(t log p + (1 - t) log(1 - p)), p clipped to [eps, 1 - eps]. */
export function referenceBinaryCrossentropy(batch: number, outputs: number,
  probs: ArrayLike<number>, targets: ArrayLike<number>): number {
  const count = batch * outputs;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const p = clip(probs[i], PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
    total -= targets[i] * Math.log(p) + (1 - targets[i]) * Math.log(1 - p);
  }
  return total / count;
}

/** mean over elements of -(t log s(z) + (1 - t) log(1 - s(z))), s the sigmoid; 1 - s(z) = s(-z). */
export function referenceBinaryCrossentropyFromLogits(batch: number, outputs: number,
  logits: ArrayLike<number>, targets: ArrayLike<number>): number {
  const count = batch * outputs;
  let total = 0;
  for (let i = 0; i < count; i++) total -= targets[i] * logSigmoid(logits[i]) + (1 - targets[i]) * logSigmoid(-logits[i]);
  return total / count;
}

/** mean over elements of (prediction - target)^2. */
export function referenceMeanSquaredError(batch: number, outputs: number,
  predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  const count = batch * outputs;
  let total = 0;
  for (let i = 0; i < count; i++) total += (predictions[i] - targets[i]) ** 2;
  return total / count;
}
