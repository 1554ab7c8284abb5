// Training curves: a panel per metric (loss, accuracy, ...) with its training and validation
// series per epoch, axes, ticks, labels and a legend; written as SVG or PNG.
import type { History } from '../engine/sequential';
import { describe, oneOf } from '../errors';
import { deliver, optionsObject, pathFormat, type Picture, type PictureFormat, type Rgb } from './image';
import { rasterize } from './rasterize';
import { textWidth, type Mark, type Scene } from './scene';
import { renderSvg } from './svg';

/** Options of `ck.visualize.history`. */
export interface HistoryOptions {
  /** Where to write the plot: a path ending in .svg or .png picks the format. */
  path?: string;
  /** The format when no path is given (default 'svg'); with a path, it must agree with it. */
  format?: PictureFormat;
}

const panelWidth = 420;
const panelHeight = 300;
const margin = { left: 64, right: 18, top: 44, bottom: 46 };
const ink: Rgb = [51, 51, 51];
const gridColor: Rgb = [225, 225, 225];
const seriesColors: Record<'training' | 'validation', Rgb> = { training: [31, 119, 180], validation: [230, 110, 20] };

/**
 * Plots the History that fit() returns (or its JSON): one panel per metric — loss first, then
 * accuracy and any others — each with the training series and its `val_` validation series
 * against the epoch (counted from 1, as fit's log does), with axes, ticks, labels and a legend.
 *
 * SVG (the default, with real text) or PNG (drawn at twice the size, with a built-in bitmap
 * font). Returns the file's bytes; writes it too when `path` is given. Throws a RangeError for a
 * history without epochs and for series of unequal lengths or with non-finite values.
 */
export async function history(history: History, options?: HistoryOptions): Promise<Picture> {
  const { path, format: formatOption } = optionsObject(options, 'history');
  const pathFormatValue = pathFormat(path, 'history: path', ['svg', 'png']);
  const format =
    formatOption === undefined
      ? (pathFormatValue ?? 'svg')
      : oneOf(formatOption, 'history: format', ['svg', 'png'] as const);
  if (pathFormatValue !== undefined && format !== pathFormatValue) {
    throw new RangeError(`history: format '${format}' does not match path '${path}'`);
  }
  const scene = plotScene(checkHistory(history));
  if (format === 'svg') {
    return deliver(
      { data: Buffer.from(renderSvg(scene), 'utf8'), format, width: scene.width, height: scene.height },
      path,
    );
  }
  return deliver(rasterize(scene).toPicture(), path);
}

interface Series {
  name: string;
  role: 'training' | 'validation';
  values: number[];
}

interface Checked {
  epochs: number[];
  panels: { metric: string; series: Series[] }[];
}

/** Validates a History (or its JSON) and groups its series into panels. */
function checkHistory(history: unknown): Checked {
  const logs = history !== null && typeof history === 'object' ? (history as { history?: unknown }).history : undefined;
  if (logs === null || typeof logs !== 'object' || Array.isArray(logs)) {
    throw new TypeError(
      `history must be the History fit() returns ({ epoch: [...], history: { loss: [...] } }), got ${describe(history)}`,
    );
  }
  const entries = Object.entries(logs as Record<string, unknown>);
  const length = entries.length === 0 ? 0 : Array.isArray(entries[0][1]) ? entries[0][1].length : -1;
  if (length === 0) throw new RangeError('history has no epochs to plot');
  for (const [name, values] of entries) {
    if (!Array.isArray(values))
      throw new TypeError(`history.history.${name} must be an array of numbers, got ${describe(values)}`);
    if (values.length !== length) {
      throw new RangeError(
        `history.history.${name} has ${values.length} values but history.history.${entries[0][0]} has ${length}`,
      );
    }
    const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0)
      throw new RangeError(`history.history.${name}[${bad}] must be a finite number, got ${describe(values[bad])}`);
  }
  const epochField = (history as { epoch?: unknown }).epoch;
  const epochs = epochField === undefined ? Array.from({ length }, (_, i) => i) : epochField;
  if (
    !Array.isArray(epochs) ||
    epochs.length !== length ||
    epochs.some((e, i) => !Number.isSafeInteger(e) || (i > 0 && e <= epochs[i - 1]))
  ) {
    throw new RangeError(
      `history.epoch must be ${length} ascending integers (one per logged value), got ${JSON.stringify(epochField)}`,
    );
  }

  const metrics = [...new Set(entries.map(([name]) => name.replace(/^val_/, '')))];
  metrics.sort((a, b) => Number(b === 'loss') - Number(a === 'loss'));
  const panels = metrics.map((metric) => ({
    metric,
    series: (['training', 'validation'] as const)
      .map((role) => ({ role, name: role === 'training' ? metric : `val_${metric}` }))
      .filter(({ name }) => Object.hasOwn(logs, name))
      .map(({ role, name }) => ({ role, name, values: (logs as Record<string, number[]>)[name] })),
  }));
  return { epochs: epochs.map((e: number) => e + 1), panels };
}

/** About `count` round tick values (steps of 1, 2 or 5 times a power of ten) covering [low, high]. */
function ticks(low: number, high: number, count: number, integers: boolean): number[] {
  if (high - low < 1e-12 * Math.max(1, Math.abs(low))) {
    const pad = integers ? 1 : Math.abs(low) * 0.1 || 1;
    [low, high] = [low - pad, high + pad];
  }
  const rough = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  if (integers) step = Math.max(1, Math.round(step));
  const values: number[] = [];
  for (let v = Math.floor(low / step) * step; v < high + step * 0.999; v += step)
    values.push(Number(v.toPrecision(12)));
  return values;
}

function tickLabel(value: number, step: number): string {
  return value.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
}

function panelMarks(panel: Checked['panels'][number], epochs: number[], left: number): Mark[] {
  const plot = {
    left: left + margin.left,
    top: margin.top,
    right: left + panelWidth - margin.right,
    bottom: panelHeight - margin.bottom,
  };
  const all = panel.series.flatMap((s) => s.values);
  const yTicks = ticks(Math.min(...all), Math.max(...all), 5, false);
  const xTicks = ticks(epochs[0], epochs[epochs.length - 1], 6, true);
  // The x axis spans the epochs exactly (a lone epoch gets one to each side).
  const [xLow, xHigh] = epochs.length > 1 ? [epochs[0], epochs[epochs.length - 1]] : [epochs[0] - 1, epochs[0] + 1];
  const [yLow, yHigh] = [yTicks[0], yTicks[yTicks.length - 1]];
  const px = (epoch: number) => plot.left + ((epoch - xLow) / (xHigh - xLow)) * (plot.right - plot.left);
  const py = (value: number) => plot.bottom - ((value - yLow) / (yHigh - yLow)) * (plot.bottom - plot.top);
  const text = (
    x: number,
    y: number,
    content: string,
    size: number,
    anchor: 'start' | 'middle' | 'end',
    extra: { bold?: boolean; rotated?: boolean } = {},
  ): Mark => ({ kind: 'text', x, y, text: content, size, color: ink, anchor, ...extra });
  const marks: Mark[] = [];

  const yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
  for (const value of yTicks) {
    marks.push({
      kind: 'line',
      x1: plot.left,
      y1: py(value),
      x2: plot.right,
      y2: py(value),
      color: gridColor,
      width: 1,
    });
    marks.push({ kind: 'line', x1: plot.left - 5, y1: py(value), x2: plot.left, y2: py(value), color: ink, width: 1 });
    marks.push(text(plot.left - 8, py(value) + 4, tickLabel(value, yStep), 11, 'end'));
  }
  for (const epoch of xTicks.filter((e) => e >= xLow && e <= xHigh)) {
    marks.push({
      kind: 'line',
      x1: px(epoch),
      y1: plot.bottom,
      x2: px(epoch),
      y2: plot.bottom + 5,
      color: ink,
      width: 1,
    });
    marks.push(text(px(epoch), plot.bottom + 18, String(epoch), 11, 'middle'));
  }
  marks.push({ kind: 'line', x1: plot.left, y1: plot.top, x2: plot.left, y2: plot.bottom, color: ink, width: 1 });
  marks.push({ kind: 'line', x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom, color: ink, width: 1 });
  marks.push(text((plot.left + plot.right) / 2, panelHeight - 8, 'epoch', 12, 'middle'));
  marks.push(text(left + 16, (plot.top + plot.bottom) / 2, panel.metric, 12, 'middle', { rotated: true }));
  const title =
    panel.series.length > 1 ? `training and validation ${panel.metric}` : `${panel.series[0].role} ${panel.metric}`;
  marks.push(text(plot.left, 20, title, 14, 'start', { bold: true }));

  // The legend sits in the header, right-aligned, so it never covers the curves.
  let legendRight = plot.right;
  for (const series of [...panel.series].reverse()) {
    const color = seriesColors[series.role];
    const labelLeft = legendRight - textWidth(series.role, 11);
    marks.push(text(labelLeft, 37, series.role, 11, 'start'));
    marks.push({ kind: 'line', x1: labelLeft - 24, y1: 33, x2: labelLeft - 6, y2: 33, color, width: 2 });
    legendRight = labelLeft - 36;
  }
  for (const series of panel.series) {
    const color = seriesColors[series.role];
    const points = series.values.map((value, i): [number, number] => [px(epochs[i]), py(value)]);
    marks.push({ kind: 'polyline', points, color, width: 2, series: series.name });
    for (const [x, y] of points) marks.push({ kind: 'circle', x, y, radius: 3, color });
  }
  return marks;
}

function plotScene(checked: Checked): Scene {
  return {
    width: panelWidth * checked.panels.length,
    height: panelHeight,
    background: [255, 255, 255],
    marks: checked.panels.flatMap((panel, i) => panelMarks(panel, checked.epochs, i * panelWidth)),
  };
}
