// A plot described once, as marks in a coordinate space of its own (y down, like SVG), and drawn
// by either renderer: svg.ts writes it as SVG text, rasterize.ts paints it into a PNG.
import type { Rgb } from './image';

export type Anchor = 'start' | 'middle' | 'end';

export type Mark =
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; color: Rgb; width: number }
  /** A data series; `series` names it (the SVG carries it as data-series). */
  | { kind: 'polyline'; points: [number, number][]; color: Rgb; width: number; series: string }
  | { kind: 'circle'; x: number; y: number; radius: number; color: Rgb }
  /** Text on a baseline through (x, y); `rotated` runs it upwards (a y-axis label). */
  | {
      kind: 'text';
      x: number;
      y: number;
      text: string;
      size: number;
      color: Rgb;
      anchor: Anchor;
      bold?: boolean;
      rotated?: boolean;
    };

export interface Scene {
  width: number;
  height: number;
  background: Rgb;
  marks: Mark[];
}

/** About how wide text is (both renderers' fonts advance about 0.55 em per character). */
export function textWidth(text: string, size: number): number {
  return text.length * size * 0.55;
}
