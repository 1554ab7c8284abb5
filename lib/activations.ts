// Activation functions by name, as Keras spells them in tfjs (camelCase).
import type { ActivationName } from './native/network';
import { oneOf } from './errors';

export type { ActivationName };

export const activationNames: readonly ActivationName[] = [
  'linear',
  'relu',
  'leakyRelu',
  'elu',
  'sigmoid',
  'tanh',
  'softmax',
];

/** Default alpha per activation: Keras's leaky ReLU slope (0.3) and ELU scale (1.0). */
export function defaultAlpha(name: ActivationName): number {
  if (name === 'leakyRelu') return 0.3;
  if (name === 'elu') return 1.0;
  return 0;
}

/** Reads an activation option; `null`/undefined mean linear, as in Keras. */
export function activationOption(value: unknown, field = 'activation'): ActivationName {
  if (value === undefined || value === null) return 'linear';
  return oneOf(value, field, activationNames);
}
