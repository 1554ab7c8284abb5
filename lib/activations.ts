// Activation functions by name, as Keras spells them in tfjs (camelCase).
import type { ActivationName, NativeLayerSpec } from './native/network';
import { shapeSize, type Shape } from './tensor';
import { oneOf } from './errors';

export type { ActivationName };

/** What an activation option accepts: a name, or 'silu', the other name of 'swish'. */
export type ActivationSpelling = ActivationName | 'silu';

export const activationNames: readonly ActivationName[] = [
  'linear',
  'relu',
  'leakyRelu',
  'elu',
  'sigmoid',
  'tanh',
  'softmax',
  'relu6',
  'swish',
  'hardSwish',
  'hardSigmoid',
  'gelu',
  'softplus',
  'selu',
  'mish',
];

/** Other spellings an activation option accepts: 'silu' is swish (PyTorch's and Keras 3's name). */
const activationAliases: ReadonlyMap<string, ActivationName> = new Map([['silu', 'swish']]);

/** SELU's constants, as Keras gives them (the kernels use the same). */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

/** Default alpha per activation: Keras's leaky ReLU slope (0.3) and ELU scale (1.0). */
export function defaultAlpha(name: ActivationName): number {
  if (name === 'leakyRelu') return 0.3;
  if (name === 'elu') return 1.0;
  return 0;
}

/** Reads a required activation name, resolving aliases ('silu' is 'swish'). */
export function activationName(value: unknown, field: string): ActivationName {
  const alias = typeof value === 'string' ? activationAliases.get(value) : undefined;
  return alias ?? oneOf(value, field, activationNames);
}

/** Reads an activation option; `null`/undefined mean linear, as in Keras. */
export function activationOption(value: unknown, field = 'activation'): ActivationName {
  if (value === undefined || value === null) return 'linear';
  return activationName(value, field);
}

/** The native spec of a layer that applies one activation to an input of `inputShape`. */
export function activationLayerSpec(inputShape: Shape, activation: ActivationName, alpha: number): NativeLayerSpec {
  return {
    kind: 'activation',
    size: shapeSize(inputShape),
    channels: inputShape[inputShape.length - 1],
    activation,
    alpha,
  };
}
