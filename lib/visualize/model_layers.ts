// Finding the layer a picture is of, with errors that list the layers that would do.
import { Model } from '../engine/model';
import type { Layer } from '../layers/base';
import { describe } from '../errors';
import type { Shape } from '../tensor';

/** A layer of a model with its per-sample input and output shapes. */
export interface PlacedLayer {
  layer: Layer;
  index: number;
  inputShape: Shape;
  outputShape: Shape;
}

export function requireModel(model: unknown, what: string): Model {
  if (!(model instanceof Model)) throw new TypeError(`${what}: model must be a convkit model, got ${describe(model)}`);
  return model;
}

/**
 * The layer named `name` among those that `suit` (which returns why not, or null), or a
 * RangeError naming the suitable layers (`kind` describes them).
 */
export function pickLayer(
  model: Model,
  name: unknown,
  what: string,
  kind: string,
  suit: (placed: PlacedLayer) => string | null,
): PlacedLayer {
  if (typeof name !== 'string') throw new TypeError(`${what}: layerName must be a string, got ${describe(name)}`);
  const placed = placeLayers(model);
  const suitable = placed.filter((p) => suit(p) === null).map((p) => `'${p.layer.name}'`);
  const choices = suitable.length > 0 ? `${kind} layers: ${suitable.join(', ')}` : `the model has no ${kind} layers`;
  const found = placed.find((p) => p.layer.name === name);
  if (!found) throw new RangeError(`${what}: no layer named '${name}' (${choices})`);
  const reason = suit(found);
  if (reason !== null)
    throw new RangeError(`${what}: layer '${name}' (${found.layer.className}) ${reason} (${choices})`);
  return found;
}

function placeLayers(model: Model): PlacedLayer[] {
  let shape = model.inputShape;
  return model.layers.map((layer, index) => {
    const inputShape = shape;
    shape = layer.computeOutputShape(inputShape);
    return { layer, index, inputShape, outputShape: shape };
  });
}
