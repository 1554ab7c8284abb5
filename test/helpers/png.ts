// Reading the visualize pictures back: decode a PNG and cut a grid of tiles out of it.
import { PNG } from 'pngjs';
import { expect } from 'vitest';

export interface Decoded {
  width: number;
  height: number;
  /** RGBA bytes. */
  data: Buffer;
}

export function decodePng(bytes: Buffer): Decoded {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, data: png.data };
}

/** RGB of pixel (x, y). */
export function pixel(image: Decoded, x: number, y: number): [number, number, number] {
  const at = (y * image.width + x) * 4;
  return [image.data[at], image.data[at + 1], image.data[at + 2]];
}

/**
 * The tiles of a grid of `rows` x `cols` tiles of `tileWidth` x `tileHeight` pixels with equal
 * separators (their width is whatever is left over), each as RGB bytes row by row, row-major.
 */
export function gridTiles(
  image: Decoded,
  rows: number,
  cols: number,
  tileWidth: number,
  tileHeight: number,
): number[][] {
  const gap = (image.width - cols * tileWidth) / (cols + 1);
  expect(Number.isInteger(gap) && gap > 0, `separator width ${gap}`).toBe(true);
  expect(image.height).toBe(rows * tileHeight + (rows + 1) * gap);
  const tiles: number[][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const values: number[] = [];
      for (let y = 0; y < tileHeight; y++) {
        for (let x = 0; x < tileWidth; x++)
          values.push(...pixel(image, gap + c * (tileWidth + gap) + x, gap + r * (tileHeight + gap) + y));
      }
      tiles.push(values);
    }
  }
  return tiles;
}

/** Per-tile normalization as the pictures promise it: [min, max] -> [0, 255], a constant tile black. */
export function normalized(values: ArrayLike<number>): number[] {
  const list = Array.from(values);
  const low = Math.min(...list);
  const high = Math.max(...list);
  return list.map((v) => (high > low ? Math.round(((v - low) / (high - low)) * 255) : 0));
}

/** A tile's expected RGB bytes: each value (grey) or RGB triple enlarged to scale x scale pixels. */
export function enlarged(levels: number[], height: number, width: number, channels: 1 | 3, scale: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      const at = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
      out.push(...(channels === 3 ? levels.slice(at, at + 3) : [levels[at], levels[at], levels[at]]));
    }
  }
  return out;
}
