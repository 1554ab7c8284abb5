// Pictures of a conv2d layer's kernels: what each filter looks for.
import type { Model } from '../engine/model';
import { finiteNumber } from '../errors';
import { Conv2D } from '../layers/convolutional';
import { chooseScale, gridPicture, nearSquare, type GridLayout, type GridPicture, type Tile } from './grid';
import { optionsObject, pathFormat } from './image';
import { pickLayer, requireModel } from './model_layers';

/** Options of `ck.visualize.filters`. */
export interface FiltersOptions {
  /** Where to write the PNG (must end in .png); without it the picture is only returned. */
  path?: string;
  /** Shows only this input channel of every filter: one grey tile per filter. */
  channel?: number;
  /** Pixels per kernel value (default: about 32-pixel tiles, within 2048 pixels a side). */
  scale?: number;
}

/**
 * A PNG grid of a conv2d layer's kernels, each tile stretched to its own range and enlarged
 * without smoothing. The tiles, by what the layer sees:
 * - one input channel: a grey tile per filter, in a near-square grid;
 * - the model's first conv2d layer on 3-channel (RGB) images: a colour tile per filter;
 * - deeper layers: a row per filter with a grey tile per input channel (rows = filters,
 *   cols = input channels), or with `channel`, that input channel only, one tile per filter.
 *
 * Returns the PNG bytes and the layout; writes the file too when `path` is given.
 * Throws a RangeError for an unknown or non-conv2d layer name (listing the conv2d layers).
 */
export async function filters(model: Model, layerName: string, options?: FiltersOptions): Promise<GridPicture> {
  requireModel(model, 'filters');
  const { path, channel, scale } = optionsObject(options, 'filters');
  pathFormat(path, 'filters: path', ['png']);
  const placed = pickLayer(model, layerName, 'filters', 'conv2d', ({ layer }) =>
    layer instanceof Conv2D ? null : 'is not a conv2d layer',
  );
  const weightIndex = model.weightSpecs().findIndex((w) => w.layer === layerName && w.name === 'kernel');
  const kernel = model.getWeights()[weightIndex];
  const [kernelHeight, kernelWidth, inChannels, filterCount] = kernel.shape;
  // Only the first conv2d layer's input channels are the image's colours.
  const seesImage =
    placed.index === model.layers.findIndex((layer) => layer instanceof Conv2D) &&
    inChannels === model.inputShape[model.inputShape.length - 1];

  const tileOf = (filter: number, channels: number[]): Tile => {
    const values = new Float32Array(kernelHeight * kernelWidth * channels.length);
    for (let position = 0; position < kernelHeight * kernelWidth; position++) {
      channels.forEach((c, k) => {
        values[position * channels.length + k] = kernel.data[(position * inChannels + c) * filterCount + filter];
      });
    }
    return { height: kernelHeight, width: kernelWidth, channels: channels.length as 1 | 3, values };
  };
  const each = <T>(count: number, make: (i: number) => T) => Array.from({ length: count }, (_, i) => make(i));

  let tiles: Tile[];
  let layout: GridLayout;
  if (channel !== undefined || inChannels === 1 || (inChannels === 3 && seesImage)) {
    const shown = channel !== undefined ? [channelIndex(channel, inChannels)] : inChannels === 1 ? [0] : [0, 1, 2];
    tiles = each(filterCount, (f) => tileOf(f, shown));
    layout = nearSquare(filterCount);
  } else {
    tiles = each(filterCount * inChannels, (i) => tileOf(Math.floor(i / inChannels), [i % inChannels]));
    layout = { rows: filterCount, cols: inChannels };
  }
  return gridPicture(tiles, layout, chooseScale(scale, { height: kernelHeight, width: kernelWidth }, layout, 32), path);
}

function channelIndex(value: unknown, inChannels: number): number {
  const channel = finiteNumber(value, 'channel', 0, inChannels - 1);
  if (!Number.isInteger(channel))
    throw new RangeError(`channel must be an integer in [0, ${inChannels - 1}], got ${channel}`);
  return channel;
}
