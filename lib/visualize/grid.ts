// Grids of small images (kernels, feature maps): each tile stretched to its own range, enlarged
// by whole pixels (nearest neighbour, so a 3x3 kernel stays nine crisp squares) and separated by
// thin lines.
import { positiveInt } from '../errors';
import { deliver, Raster, type Picture, type Rgb } from './image';

/** One picture of a grid: values [height, width, channels], channels 1 (grey) or 3 (RGB). */
export interface Tile {
  height: number;
  width: number;
  channels: 1 | 3;
  values: Float32Array;
}

/** Rows and columns of a grid, filled row by row. */
export interface GridLayout {
  rows: number;
  cols: number;
}

/** A PNG grid of tiles and how it is laid out. */
export interface GridPicture extends Picture, GridLayout {
  /** Pixels per value: the tiles' enlargement. */
  scale: number;
}

// A hue no grey tile has, so the grid reads as tiles however bright their edges are.
const separatorColor: Rgb = [70, 110, 160];
/** Separator width: one pixel, two once tiles are enlarged enough to carry it. */
const widestGap = 2;
const gapFor = (scale: number) => (scale >= 6 ? widestGap : 1);

/**
 * A near-square layout for `count` tiles, wider than tall: an exact factorization when one is
 * close to square (32 tiles: 8 x 4), otherwise ceil(sqrt(count)) columns.
 */
export function nearSquare(count: number): GridLayout {
  const side = Math.ceil(Math.sqrt(count));
  for (let cols = side; cols <= Math.floor(side * 1.5); cols++) {
    if (count % cols === 0) return { rows: count / cols, cols };
  }
  return { rows: Math.ceil(count / side), cols: side };
}

/**
 * The enlargement: `scale` when given (validated), otherwise about `targetSide` pixels per tile,
 * reduced so the picture stays within 2048 pixels a side when whole pixels allow it.
 */
export function chooseScale(
  scale: unknown,
  tile: { height: number; width: number },
  layout: GridLayout,
  targetSide: number,
): number {
  if (scale !== undefined) return positiveInt(scale, 'scale');
  const tileSide = Math.max(tile.height, tile.width);
  const cells = Math.max(layout.rows, layout.cols);
  const fitting = Math.floor((2048 - (cells + 1) * widestGap) / (cells * tileSide));
  return Math.max(1, Math.min(Math.round(targetSide / tileSide), fitting));
}

/** Draws the tiles into a PNG grid and delivers it (see deliver). */
export async function gridPicture(
  tiles: Tile[],
  layout: GridLayout,
  scale: number,
  path: string | undefined,
): Promise<GridPicture> {
  const picture = await deliver(drawGrid(tiles, layout, scale).toPicture(), path);
  return { ...picture, ...layout, scale };
}

/** Draws equally sized tiles row by row into a grid; each tile is normalized to its own range. */
function drawGrid(tiles: Tile[], layout: GridLayout, scale: number): Raster {
  const { height, width } = tiles[0];
  const tileHeight = height * scale;
  const tileWidth = width * scale;
  const gap = gapFor(scale);
  const pictureWidth = layout.cols * (tileWidth + gap) + gap;
  const pictureHeight = layout.rows * (tileHeight + gap) + gap;
  const raster = new Raster(pictureWidth, pictureHeight, separatorColor);
  tiles.forEach((tile, index) => {
    const left = gap + (index % layout.cols) * (tileWidth + gap);
    const top = gap + Math.floor(index / layout.cols) * (tileHeight + gap);
    const [low, high] = range(tile.values);
    // A constant tile (a dead ReLU channel, say) has no contrast to stretch: it is drawn black.
    const factor = high > low ? 255 / (high - low) : 0;
    const level = (v: number) => Math.round((v - low) * factor);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = (y * width + x) * tile.channels;
        const first = level(tile.values[at]);
        const color: Rgb =
          tile.channels === 3 ? [first, level(tile.values[at + 1]), level(tile.values[at + 2])] : [first, first, first];
        raster.fill(left + x * scale, top + y * scale, scale, scale, color);
      }
    }
  });
  return raster;
}

function range(values: Float32Array): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return [low, high];
}
