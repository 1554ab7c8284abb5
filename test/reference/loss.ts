// Plain float64 references for the losses, from Keras's definitions, written independently of the
// native code. Cross-entropies are means over the batch (over every pixel of every sample for an
// [n, height, width, classes] output); the elementwise losses (binary cross-entropy, mean squared
// error) are means over every element (Keras's mean over the last axis, then over the batch).

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
export function referenceSoftmaxCrossEntropyFromLogits(
  batch: number,
  classes: number,
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
): number {
  let total = 0;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < classes; c++) total -= targets[b * classes + c] * logSoftmax(logits, b * classes, classes, c);
  }
  return total / batch;
}

/** mean over rows of -log(softmax(logits))[label]. */
export function referenceSparseSoftmaxCrossEntropyFromLogits(
  batch: number,
  classes: number,
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
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
export function referenceCategoricalCrossentropy(
  batch: number,
  classes: number,
  probs: ArrayLike<number>,
  targets: ArrayLike<number>,
): number {
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
export function referenceSparseCategoricalCrossentropy(
  batch: number,
  classes: number,
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
  let total = 0;
  for (let b = 0; b < batch; b++) total -= Math.log(kerasProbability(probs, b * classes, classes, labels[b]));
  return total / batch;
}

/** mean over elements of -(t log p + (1 - t) log(1 - p)), p clipped to [eps, 1 - eps]. */
export function referenceBinaryCrossentropy(
  batch: number,
  outputs: number,
  probs: ArrayLike<number>,
  targets: ArrayLike<number>,
): number {
  const count = batch * outputs;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const p = clip(probs[i], PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
    total -= targets[i] * Math.log(p) + (1 - targets[i]) * Math.log(1 - p);
  }
  return total / count;
}

/** mean over elements of -(t log s(z) + (1 - t) log(1 - s(z))), s the sigmoid; 1 - s(z) = s(-z). */
export function referenceBinaryCrossentropyFromLogits(
  batch: number,
  outputs: number,
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
): number {
  const count = batch * outputs;
  let total = 0;
  for (let i = 0; i < count; i++)
    total -= targets[i] * logSigmoid(logits[i]) + (1 - targets[i]) * logSigmoid(-logits[i]);
  return total / count;
}

/** mean over elements of (prediction - target)^2. */
export function referenceMeanSquaredError(
  batch: number,
  outputs: number,
  predictions: ArrayLike<number>,
  targets: ArrayLike<number>,
): number {
  const count = batch * outputs;
  let total = 0;
  for (let i = 0; i < count; i++) total += (predictions[i] - targets[i]) ** 2;
  return total / count;
}

/** An NHWC output [n, height, width, classes]: a segmentation head's, one class vector per pixel. */
export interface PixelShape {
  n: number;
  height: number;
  width: number;
  classes: number;
}

/** Index of pixel (b, y, x) in the labels [n, height, width]; times classes, of its first class in the output. */
function pixelIndex(s: PixelShape, b: number, y: number, x: number): number {
  return (b * s.height + y) * s.width + x;
}

/** Calls visit(pixel) for every pixel of every sample, in NHWC order. */
function forEachPixel(s: PixelShape, visit: (pixel: number) => void): void {
  for (let b = 0; b < s.n; b++) {
    for (let y = 0; y < s.height; y++) {
      for (let x = 0; x < s.width; x++) visit(pixelIndex(s, b, y, x));
    }
  }
}

/**
 * Keras's categorical_crossentropy of probabilities [n, height, width, classes] against targets of
 * the same shape: at each pixel, -sum_c t log q over the last axis (q renormalized and clipped as
 * above), then the mean over all n * height * width pixels.
 */
export function referencePixelCategoricalCrossentropy(
  s: PixelShape,
  probs: ArrayLike<number>,
  targets: ArrayLike<number>,
): number {
  let total = 0;
  forEachPixel(s, (pixel) => {
    for (let c = 0; c < s.classes; c++) {
      const t = targets[pixel * s.classes + c];
      if (t !== 0) total -= t * Math.log(kerasProbability(probs, pixel * s.classes, s.classes, c));
    }
  });
  return total / (s.n * s.height * s.width);
}

/** Keras's sparse_categorical_crossentropy with labels [n, height, width]: the mean over pixels of -log q[label]. */
export function referencePixelSparseCategoricalCrossentropy(
  s: PixelShape,
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
  let total = 0;
  forEachPixel(s, (pixel) => {
    total -= Math.log(kerasProbability(probs, pixel * s.classes, s.classes, labels[pixel]));
  });
  return total / (s.n * s.height * s.width);
}

/**
 * Keras's sparse_categorical_accuracy with labels [n, height, width] (categorical_accuracy with
 * one-hot targets is the same on their argmax): the share of pixels whose first largest
 * probability is at the label.
 */
export function referencePixelAccuracy(s: PixelShape, probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let correct = 0;
  forEachPixel(s, (pixel) => {
    let best = 0;
    for (let c = 1; c < s.classes; c++) if (probs[pixel * s.classes + c] > probs[pixel * s.classes + best]) best = c;
    correct += best === labels[pixel] ? 1 : 0;
  });
  return correct / (s.n * s.height * s.width);
}
