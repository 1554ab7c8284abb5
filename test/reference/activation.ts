// Plain float64 references for the activations and maxout, written from their textbook (Keras)
// definitions, independently of the native code.
import type { ActivationName } from '../../lib/native/network';

const seluAlpha = 1.6732632423543772;
const seluScale = 1.0507009873554805;

/**
 * erf(x) in float64 from the series 2/sqrt(pi) * exp(-x^2) * sum 2^n x^(2n+1) / (1*3*...*(2n+1)),
 * whose terms are all positive (no cancellation); erf is +-1 to double precision past |x| = 6.
 */
export function erf(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

const relu6 = (v: number) => Math.min(Math.max(v, 0), 6);
const softplus = (v: number) => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0);

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
    case 'relu6':
      return relu6;
    case 'swish':
      return (v) => v / (1 + Math.exp(-v));
    case 'hardSwish':
      return (v) => (v * relu6(v + 3)) / 6;
    case 'hardSigmoid':
      return (v) => relu6(v + 3) / 6;
    case 'gelu':
      return (v) => 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 'softplus':
      return softplus;
    case 'selu':
      return (v) => seluScale * (v > 0 ? v : seluAlpha * (Math.exp(v) - 1));
    case 'mish':
      return (v) => v * Math.tanh(softplus(v));
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

/** PReLU over x [rows, channels]: x for x > 0, alpha[c] * x below (Keras). */
export function referencePrelu(channels: number, x: ArrayLike<number>, alpha: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: x.length }, (_, i) => (x[i] > 0 ? x[i] : alpha[i % channels] * x[i]));
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
