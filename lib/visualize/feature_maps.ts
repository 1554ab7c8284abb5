// Pictures of what one layer makes of one image: a tile per channel of its output.
import type { Model } from '../engine/model';
import { describe } from '../errors';
import { Tensor } from '../tensor';
import { chooseScale, gridPicture, nearSquare, type GridPicture, type Tile } from './grid';
import { optionsObject, pathFormat } from './image';
import { pickLayer, requireModel } from './model_layers';

/** Options of `ck.visualize.featureMaps`. */
export interface FeatureMapsOptions {
  /** Where to write the PNG (must end in .png); without it the picture is only returned. */
  path?: string;
  /** Pixels per activation (default: about 64-pixel tiles, within 2048 pixels a side). */
  scale?: number;
}

/**
 * A PNG grid of the feature maps one layer produces for one image (`input`: [height, width,
 * channels] as the model's input, or a batch of one): a grey tile per output channel, each
 * stretched to its own range (a channel that is constant, such as a dead ReLU, is black), in a
 * near-square grid. Computed with model.activations, off the event loop.
 *
 * Returns the PNG bytes and the layout; writes the file too when `path` is given.
 * Throws a RangeError for an unknown layer name or a layer without spatial output (listing the
 * layers that have feature maps), and for an input of the wrong shape.
 */
export async function featureMaps(
  model: Model,
  input: Tensor,
  layerName: string,
  options?: FeatureMapsOptions,
): Promise<GridPicture> {
  requireModel(model, 'featureMaps');
  const { path, scale } = optionsObject(options, 'featureMaps');
  pathFormat(path, 'featureMaps: path', ['png']);
  const { layer } = pickLayer(model, layerName, 'featureMaps', 'feature-map', ({ outputShape }) =>
    outputShape.length === 3
      ? null
      : `outputs [${outputShape.join(', ')}] per image, not feature maps [height, width, channels]`,
  );
  const image = oneImage(input, model.inputShape);
  const output = (await model.activations(image, { layers: [layer.name] })).get(layer.name)!;
  const [, height, width, channels] = output.shape;
  const tiles: Tile[] = Array.from({ length: channels }, (_, c) => {
    const values = new Float32Array(height * width);
    for (let i = 0; i < values.length; i++) values[i] = output.data[i * channels + c];
    return { height, width, channels: 1, values };
  });
  const layout = nearSquare(channels);
  return gridPicture(tiles, layout, chooseScale(scale, { height, width }, layout, 64), path);
}

/** The input as a batch of one, checked against the model's input shape. */
function oneImage(input: unknown, inputShape: readonly number[]): Tensor {
  const expected = `[${inputShape.join(', ')}] or [1, ${inputShape.join(', ')}]`;
  if (!(input instanceof Tensor))
    throw new TypeError(`featureMaps: input must be a Tensor of shape ${expected}, got ${describe(input)}`);
  const shape = input.rank === inputShape.length ? [1, ...input.shape] : input.shape;
  if (shape.length !== inputShape.length + 1 || shape[0] !== 1 || inputShape.some((d, i) => shape[i + 1] !== d)) {
    throw new RangeError(`featureMaps: input must be one image of shape ${expected}, got [${input.shape.join(', ')}]`);
  }
  return input.reshape(shape);
}
