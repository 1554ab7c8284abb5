// Losses by name. Each runs natively with its gradient; a softmax (sigmoid) last layer feeding a
// categorical (binary) cross-entropy is fused into the exact from-logits form. As in Keras, the
// categorical cross-entropies (and accuracy) run over the output's last axis at each position (a
// pixel of a [h, w, classes] output) and average over positions and samples; binary cross-entropy
// and mean squared error average over every element.
import type { LossName } from './native/network';
import { oneOf } from './errors';

export type { LossName };

export const lossNames: readonly LossName[] = [
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'meanSquaredError',
];

/** Keras's snake_case spellings are accepted too. */
const aliases: Record<string, LossName> = {
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
};

export function getLoss(value: unknown): LossName {
  if (typeof value === 'string' && Object.hasOwn(aliases, value)) return aliases[value];
  return oneOf(value, 'loss', lossNames);
}
