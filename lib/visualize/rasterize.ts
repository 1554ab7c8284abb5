// Scene -> raster, for PNG plots: strokes and dots antialiased from their exact distance to each
// pixel centre, text in the built-in bitmap font.
import { glyphAdvance, glyphAscent, glyphPixels } from './font';
import { Raster, type Rgb } from './image';
import { textWidth, type Mark, type Scene } from './scene';

/** Draws the scene at `pixelRatio` pixels per scene unit (2 keeps the bitmap text legible). */
export function rasterize(scene: Scene, pixelRatio = 2): Raster {
  const raster = new Raster(
    Math.round(scene.width * pixelRatio),
    Math.round(scene.height * pixelRatio),
    scene.background,
  );
  const at = (value: number) => value * pixelRatio;
  for (const mark of scene.marks) {
    switch (mark.kind) {
      case 'line':
        stroke(
          raster,
          [
            [at(mark.x1), at(mark.y1)],
            [at(mark.x2), at(mark.y2)],
          ],
          at(mark.width),
          mark.color,
        );
        break;
      case 'polyline':
        stroke(
          raster,
          mark.points.map(([x, y]) => [at(x), at(y)]),
          at(mark.width),
          mark.color,
        );
        break;
      case 'circle':
        dot(raster, at(mark.x), at(mark.y), at(mark.radius), mark.color);
        break;
      case 'text':
        text(raster, mark, pixelRatio);
        break;
    }
  }
  return raster;
}

/** Paints a polyline of the given width; overlapping segments take the larger coverage, not the sum. */
function stroke(raster: Raster, points: [number, number][], width: number, color: Rgb): void {
  const reach = width / 2 + 1;
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const left = Math.max(0, Math.floor(Math.min(...xs) - reach));
  const top = Math.max(0, Math.floor(Math.min(...ys) - reach));
  const right = Math.min(raster.width, Math.ceil(Math.max(...xs) + reach));
  const bottom = Math.min(raster.height, Math.ceil(Math.max(...ys) + reach));
  if (right <= left || bottom <= top) return;
  const spanX = right - left;
  const coverage = new Float32Array(spanX * (bottom - top));
  const segments = points.length === 1 ? [[points[0], points[0]]] : points.slice(1).map((end, i) => [points[i], end]);
  for (const [[x1, y1], [x2, y2]] of segments) {
    const dx = x2 - x1;
    const dy = y2 - y1;
    const lengthSquared = dx * dx + dy * dy;
    for (
      let y = Math.max(top, Math.floor(Math.min(y1, y2) - reach));
      y < Math.min(bottom, Math.ceil(Math.max(y1, y2) + reach));
      y++
    ) {
      for (
        let x = Math.max(left, Math.floor(Math.min(x1, x2) - reach));
        x < Math.min(right, Math.ceil(Math.max(x1, x2) + reach));
        x++
      ) {
        const px = x + 0.5 - x1;
        const py = y + 0.5 - y1;
        const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, (px * dx + py * dy) / lengthSquared));
        const distance = Math.hypot(px - t * dx, py - t * dy);
        const cell = (y - top) * spanX + (x - left);
        coverage[cell] = Math.max(coverage[cell], Math.min(1, Math.max(0, width / 2 + 0.5 - distance)));
      }
    }
  }
  coverage.forEach((alpha, cell) => {
    if (alpha > 0) raster.blend(left + (cell % spanX), top + Math.floor(cell / spanX), color, alpha);
  });
}

function dot(raster: Raster, cx: number, cy: number, radius: number, color: Rgb): void {
  for (let y = Math.floor(cy - radius - 1); y <= Math.ceil(cy + radius + 1); y++) {
    for (let x = Math.floor(cx - radius - 1); x <= Math.ceil(cx + radius + 1); x++) {
      const alpha = Math.min(1, Math.max(0, radius + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy)));
      if (alpha > 0) raster.blend(x, y, color, alpha);
    }
  }
}

function text(raster: Raster, mark: Extract<Mark, { kind: 'text' }>, pixelRatio: number): void {
  // The glyph scale whose advance is closest to the scene's textWidth estimate.
  const scale = Math.max(1, Math.round((textWidth('x', mark.size) * pixelRatio) / glyphAdvance));
  const length = (mark.text.length * glyphAdvance - 1) * scale;
  const shift = mark.anchor === 'middle' ? -length / 2 : mark.anchor === 'end' ? -length : 0;
  // Along the text, `along` pixels from the origin; `above` pixels above its baseline.
  const originX = Math.round(mark.x * pixelRatio + (mark.rotated ? 0 : shift));
  const originY = Math.round(mark.y * pixelRatio - (mark.rotated ? shift : 0));
  const place = (along: number, above: number): [number, number] =>
    mark.rotated ? [originX - above, originY - along] : [originX + along, originY - above];
  const weight = mark.bold ? 2 : 1;
  [...mark.text].forEach((char, index) => {
    for (const [column, row] of glyphPixels(char)) {
      const along = (index * glyphAdvance + column) * scale;
      const above = (glyphAscent - row) * scale;
      // The cell spans [along, along + scale) along the text and (above - scale, above] upwards.
      const [x, y] = mark.rotated ? place(along + scale, above) : place(along, above);
      raster.fill(
        x,
        y,
        mark.rotated ? scale : scale + weight - 1,
        mark.rotated ? scale + weight - 1 : scale,
        mark.color,
      );
    }
  });
}
