// ck.visualize.history: training curves as SVG (parsed back here) and PNG (decoded and probed).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { blobImages } from '../helpers/data';
import { decodePng, pixel } from '../helpers/png';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convkit-history-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const logged: ck.History = {
  epoch: [0, 1, 2, 3],
  history: {
    loss: [1.2, 0.7, 0.5, 0.42],
    accuracy: [0.55, 0.74, 0.81, 0.85],
    val_loss: [0.9, 0.75, 0.62, 0.6],
    val_accuracy: [0.66, 0.72, 0.78, 0.79],
  },
  params: { epochs: 4, batchSize: 32, samples: 100, steps: 4 },
};

function polylines(svg: string): Map<string, [number, number][]> {
  const lines = new Map<string, [number, number][]>();
  for (const match of svg.matchAll(/<polyline data-series="([^"]+)" points="([^"]+)"/g)) {
    lines.set(
      match[1],
      match[2].split(' ').map((pair) => pair.split(',').map(Number) as [number, number]),
    );
  }
  return lines;
}

const texts = (svg: string) => [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('visualize.history', () => {
  it('SVG: a panel per metric with axes labels, ticks, legend and one polyline per series', async () => {
    const path = join(dir, 'history.svg');
    const result = await ck.visualize.history(logged, { path });
    expect(result).toMatchObject({ path, format: 'svg', width: 840, height: 300 });
    const svg = await readFile(path, 'utf8');
    expect(svg).toBe(result.data.toString('utf8'));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="840" height="300"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);

    const labels = texts(svg);
    expect(labels).toEqual(
      expect.arrayContaining([
        'training and validation loss',
        'training and validation accuracy',
        'epoch',
        'loss',
        'accuracy',
        'training',
        'validation',
      ]),
    );
    expect(labels.filter((t) => t === 'epoch')).toHaveLength(2);
    // Epochs are counted from 1 on the x axis; the y ticks are round values that cover the data.
    for (const epoch of ['1', '2', '3', '4']) expect(labels.filter((t) => t === epoch)).toHaveLength(2);
    expect(labels).toEqual(expect.arrayContaining(['0.4', '1.2', '0.5', '0.9']));

    const lines = polylines(svg);
    expect([...lines.keys()].sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    for (const [name, points] of lines) {
      const values = logged.history[name];
      expect(points).toHaveLength(values.length);
      // x grows with the epoch; y (pointing down) orders the points as their values, reversed.
      points.slice(1).forEach(([x, y], i) => {
        expect(x).toBeGreaterThan(points[i][0]);
        expect(Math.sign(points[i][1] - y)).toBe(Math.sign(values[i + 1] - values[i]));
      });
    }
    // Loss panel on the left, accuracy on the right; both panels share the x positions.
    expect(Math.max(...lines.get('loss')!.map(([x]) => x))).toBeLessThan(420);
    expect(Math.min(...lines.get('accuracy')!.map(([x]) => x))).toBeGreaterThan(420);
    expect(lines.get('val_loss')!.map(([x]) => x)).toEqual(lines.get('loss')!.map(([x]) => x));
  });

  it('PNG: twice the size, white background, both series drawn in their colours', async () => {
    const path = join(dir, 'history.png');
    const result = await ck.visualize.history(logged, { path });
    expect(result).toMatchObject({ path, format: 'png', width: 1680, height: 600 });
    const image = decodePng(await readFile(path));
    expect([image.width, image.height]).toEqual([1680, 600]);
    expect(pixel(image, 2, 2)).toEqual([255, 255, 255]);
    const counts = new Map<string, number>();
    for (let at = 0; at < image.data.length; at += 4) {
      const key = `${image.data[at]},${image.data[at + 1]},${image.data[at + 2]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // Lines and markers of each series (and its legend swatch) in full colour; the axes and text in ink.
    expect(counts.get('31,119,180')).toBeGreaterThan(2000);
    expect(counts.get('230,110,20')).toBeGreaterThan(2000);
    expect(counts.get('51,51,51')).toBeGreaterThan(2000);
  });

  it('plots a real fit history (one epoch, no validation) and its JSON; format without a path', async () => {
    const model = ck.sequential({
      layers: [ck.layers.flatten({ inputShape: [8, 8, 1] }), ck.layers.dense({ units: 2, activation: 'softmax' })],
    });
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const { x, y } = blobImages(16, 2, 1);
    const fitted = await model.fit(x, y, { epochs: 1, verbose: 0 });
    const svg = await ck.visualize.history(JSON.parse(JSON.stringify(fitted)) as ck.History);
    expect(svg.format).toBe('svg');
    expect('path' in svg).toBe(false);
    const text = svg.data.toString('utf8');
    expect([...polylines(text).keys()]).toEqual(['loss', 'accuracy']);
    expect(texts(text)).toEqual(expect.arrayContaining(['training loss', 'training accuracy']));
    const png = await ck.visualize.history(fitted, { format: 'png' });
    expect(decodePng(png.data).width).toBe(1680);
  });

  it('rejects empty, ragged or non-finite histories and mismatched paths', async () => {
    const empty = { epoch: [], history: { loss: [] }, params: logged.params };
    await expect(ck.visualize.history(empty)).rejects.toThrow(new RangeError('history has no epochs to plot'));
    await expect(ck.visualize.history({ ...logged, history: {} })).rejects.toThrow(
      new RangeError('history has no epochs to plot'),
    );
    await expect(ck.visualize.history({ ...logged, history: { loss: [1, 2], val_loss: [1] } })).rejects.toThrow(
      new RangeError('history.history.val_loss has 1 values but history.history.loss has 2'),
    );
    await expect(ck.visualize.history({ ...logged, epoch: [0, 1], history: { loss: [1, NaN] } })).rejects.toThrow(
      new RangeError('history.history.loss[1] must be a finite number, got number NaN'),
    );
    await expect(ck.visualize.history({ ...logged, epoch: [1, 0], history: { loss: [1, 2] } })).rejects.toThrow(
      /history\.epoch must be 2 ascending integers/,
    );
    await expect(ck.visualize.history([1, 2] as unknown as ck.History)).rejects.toThrow(TypeError);
    await expect(ck.visualize.history(logged, { path: join(dir, 'h.jpg') })).rejects.toThrow(
      /history: path must end in \.svg or \.png, got '.*h\.jpg'/,
    );
    await expect(ck.visualize.history(logged, { path: join(dir, 'h.svg'), format: 'png' })).rejects.toThrow(RangeError);
    await expect(ck.visualize.history(logged, { format: 'gif' as 'png' })).rejects.toThrow(RangeError);
  });
});
