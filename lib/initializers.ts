// Weight initializers with Keras's definitions. fanIn/fanOut follow Keras: for a conv kernel
// [kh, kw, in, out], fanIn = kh*kw*in and fanOut = kh*kw*out; for a dense kernel [in, out], in and out.
import { oneOf } from './errors';
import { Random } from './random';
import { shapeSize, type Shape } from './tensor';

/**
 * Weight initializers with Keras's definitions (Keras writes 'glorot_uniform', ...): glorotUniform
 * U(+-sqrt(6 / (fanIn + fanOut))), glorotNormal and heNormal (truncated normals of stddev
 * sqrt(2 / (fanIn + fanOut)) and sqrt(2 / fanIn)), heUniform U(+-sqrt(6 / fanIn)), zeros, ones,
 * randomNormal N(0, 0.05), randomUniform U(+-0.05).
 */
export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heNormal'
  | 'heUniform'
  | 'zeros'
  | 'ones'
  | 'randomNormal'
  | 'randomUniform';
export const initializerNames: readonly InitializerName[] = [
  'glorotUniform',
  'glorotNormal',
  'heNormal',
  'heUniform',
  'zeros',
  'ones',
  'randomNormal',
  'randomUniform',
];

export function initializerOption(value: unknown, field: string, fallback: InitializerName): InitializerName {
  return value === undefined ? fallback : oneOf(value, field, initializerNames);
}

function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: receptive * shape[shape.length - 2], fanOut: receptive * shape[shape.length - 1] };
}

/** Keras's truncated normal: resample values beyond two standard deviations. */
function truncatedNormal(random: Random, stddev: number): number {
  for (;;) {
    const z = random.normal();
    if (Math.abs(z) <= 2) return z * stddev;
  }
}

export function initialize(name: InitializerName, shape: Shape, seed: number): Float32Array {
  const size = shapeSize(shape);
  const out = new Float32Array(size);
  const random = new Random(seed);
  const { fanIn, fanOut } = fans(shape);
  // Keras divides by .87962566 so the truncated distribution keeps the intended variance.
  const truncatedScale = 0.8796256610342398;
  const fill = (sample: () => number) => {
    for (let i = 0; i < size; i++) out[i] = sample();
  };
  switch (name) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      fill(() => (2 * random.next() - 1) * limit);
      break;
    }
    case 'glorotNormal': {
      const stddev = Math.sqrt(2 / (fanIn + fanOut)) / truncatedScale;
      fill(() => truncatedNormal(random, stddev));
      break;
    }
    case 'heUniform': {
      const limit = Math.sqrt(6 / fanIn);
      fill(() => (2 * random.next() - 1) * limit);
      break;
    }
    case 'heNormal': {
      const stddev = Math.sqrt(2 / fanIn) / truncatedScale;
      fill(() => truncatedNormal(random, stddev));
      break;
    }
    case 'randomNormal':
      fill(() => random.normal() * 0.05);
      break;
    case 'randomUniform':
      fill(() => (2 * random.next() - 1) * 0.05);
      break;
  }
  return out;
}
