// The pictures' common ground: an RGB raster to draw PNGs into, the result every visualize
// function returns, and its delivery (always as bytes, also written atomically when given a path).
import { extname } from 'node:path';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../io/model_io';
import { describe } from '../errors';

/** A colour as red, green, blue in [0, 255]. */
export type Rgb = readonly [number, number, number];

/** The file format of a Picture. */
export type PictureFormat = 'png' | 'svg';

/** A finished picture, as the visualize functions return it. */
export interface Picture {
  /** The encoded file: PNG bytes, or SVG text in UTF-8. */
  data: Buffer;
  /** 'png' or 'svg'. */
  format: PictureFormat;
  /** Width in pixels (for SVG, its user units). */
  width: number;
  /** Height in pixels (for SVG, its user units). */
  height: number;
  /** Where the picture was written; absent when no path was given. */
  path?: string;
}

/** Picture sides beyond this are refused: many viewers and PNG decoders give up on them. */
export const maxSide = 16384;

/** An RGB raster; drawing outside it is clipped. */
export class Raster {
  /** RGBA bytes, row by row (alpha is always opaque). */
  readonly pixels: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    if (width > maxSide || height > maxSide) {
      throw new RangeError(
        `the picture would be ${width}x${height} pixels, more than ${maxSide} on a side; choose a smaller scale`,
      );
    }
    this.pixels = Buffer.alloc(width * height * 4);
    this.fill(0, 0, width, height, background);
  }

  set(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (y * this.width + x) * 4;
    this.pixels[at] = color[0];
    this.pixels[at + 1] = color[1];
    this.pixels[at + 2] = color[2];
    this.pixels[at + 3] = 255;
  }

  /** Mixes `color` over the pixel with weight alpha in [0, 1] (antialiased edges). */
  blend(x: number, y: number, color: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (y * this.width + x) * 4;
    for (let k = 0; k < 3; k++) this.pixels[at + k] = Math.round(this.pixels[at + k] * (1 - alpha) + color[k] * alpha);
  }

  /** Fills the rectangle [x, x + w) x [y, y + h). */
  fill(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let row = Math.max(0, y); row < Math.min(this.height, y + h); row++) {
      for (let col = Math.max(0, x); col < Math.min(this.width, x + w); col++) this.set(col, row, color);
    }
  }

  /** The raster as a PNG file (8-bit RGB: the alpha channel carries nothing). */
  toPicture(): Omit<Picture, 'path'> {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = this.pixels;
    return { data: PNG.sync.write(png, { colorType: 2 }), format: 'png', width: this.width, height: this.height };
  }
}

/** The options argument of a visualize function: an object, or {} when omitted. */
export function optionsObject<T extends object>(options: T | undefined, what: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${what}: options must be an object, got ${describe(options)}`);
  return options;
}

/**
 * The format a `path` option asks for by its extension, or undefined when there is no path.
 * Throws a TypeError for a path that is not a string and a RangeError for another extension.
 */
export function pathFormat(path: unknown, field: string, formats: readonly PictureFormat[]): PictureFormat | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`${field} must be a non-empty string, got ${describe(path)}`);
  const extension = extname(path).slice(1).toLowerCase();
  const format = formats.find((f) => f === extension);
  if (format === undefined) {
    throw new RangeError(`${field} must end in ${formats.map((f) => `.${f}`).join(' or ')}, got '${path}'`);
  }
  return format;
}

/** Writes the picture to `path` (atomically) when one is given; returns it either way. */
export async function deliver(picture: Omit<Picture, 'path'>, path: string | undefined): Promise<Picture> {
  if (path === undefined) return picture;
  await writeFileAtomic(path, [picture.data]);
  return { ...picture, path };
}
