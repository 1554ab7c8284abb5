// Scene -> SVG text.
import type { Rgb } from './image';
import type { Mark, Scene } from './scene';

const color = ([r, g, b]: Rgb) => `rgb(${r},${g},${b})`;
const number = (value: number) => String(Math.round(value * 100) / 100);
const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function element(mark: Mark): string {
  switch (mark.kind) {
    case 'line':
      return (
        `<line x1="${number(mark.x1)}" y1="${number(mark.y1)}" x2="${number(mark.x2)}" y2="${number(mark.y2)}" ` +
        `stroke="${color(mark.color)}" stroke-width="${mark.width}"/>`
      );
    case 'polyline':
      return (
        `<polyline data-series="${escapeXml(mark.series)}" points="${mark.points.map(([x, y]) => `${number(x)},${number(y)}`).join(' ')}" ` +
        `fill="none" stroke="${color(mark.color)}" stroke-width="${mark.width}" stroke-linejoin="round" stroke-linecap="round"/>`
      );
    case 'circle':
      return `<circle cx="${number(mark.x)}" cy="${number(mark.y)}" r="${mark.radius}" fill="${color(mark.color)}"/>`;
    case 'text': {
      const rotation = mark.rotated ? ` transform="rotate(-90 ${number(mark.x)} ${number(mark.y)})"` : '';
      const weight = mark.bold ? ' font-weight="bold"' : '';
      return (
        `<text x="${number(mark.x)}" y="${number(mark.y)}" font-size="${mark.size}" text-anchor="${mark.anchor}" ` +
        `fill="${color(mark.color)}"${weight}${rotation}>${escapeXml(mark.text)}</text>`
      );
    }
  }
}

export function renderSvg(scene: Scene): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" ` +
      `viewBox="0 0 ${scene.width} ${scene.height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="${color(scene.background)}"/>`,
    ...scene.marks.map(element),
    '</svg>',
    '',
  ].join('\n');
}
