// Plain float64 references for the activations and maxout, written from their textbook (Keras)
// definitions, independently of the native code.
import type { ActivationName } from '../../lib/native/network';

/** f for one value of an elementwise activation. */
function elementwise(kind: Exclude<ActivationName, 'softmax'>, alpha: number): (v: number) => number {
  switch (kind) {
    case 'linear':
      return (v) => v;
    case 'relu':
      return (v) => (v > 0 ? v : 0);
    case 'leakyRelu':
      return (v) => (v > 0 ? v : alpha * v);
    case 'elu':
      return (v) => (v > 0 ? v : alpha * (Math.exp(v) - 1));
    case 'sigmoid':
      return (v) => 1 / (1 + Math.exp(-v));
    case 'tanh':
      return (v) => Math.tanh(v);
  }
}

/**
 * y = f(x) for x [rows, cols]. Softmax runs over each row (shifted by the row max, which leaves
 * the value unchanged and keeps exp finite); every other kind is elementwise.
 */
export function referenceActivation(
  kind: ActivationName,
  alpha: number,
  rows: number,
  cols: number,
  x: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(rows * cols);
  if (kind !== 'softmax') {
    const f = elementwise(kind, alpha);
    for (let i = 0; i < y.length; i++) y[i] = f(x[i]);
    return y;
  }
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[r * cols + c] - max);
    for (let c = 0; c < cols; c++) y[r * cols + c] = Math.exp(x[r * cols + c] - max) / sum;
  }
  return y;
}

/** y[r, u] = max over p of x[r, u * pieces + p]: each unit takes `pieces` consecutive channels. */
export function referenceMaxout(rows: number, units: number, pieces: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      let max = -Infinity;
      for (let p = 0; p < pieces; p++) max = Math.max(max, x[r * units * pieces + u * pieces + p]);
      y[r * units + u] = max;
    }
  }
  return y;
}
