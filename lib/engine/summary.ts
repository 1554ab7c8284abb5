// Keras-style model summary table.
import type { Shape } from '../tensor';

export interface SummaryRow {
  name: string;
  className: string;
  outputShape: Shape;
  params: number;
  trainableParams: number;
  /** The layers (or input) it reads: a graph model's "Connected to" column. */
  connectedTo?: string[];
}

export function formatSummary(modelName: string, rows: SummaryRow[]): string {
  const graph = rows.some((r) => r.connectedTo !== undefined);
  const headers = ['Layer (type)', 'Output Shape', 'Param #', ...(graph ? ['Connected to'] : [])];
  const cells = rows.map((r) => [
    `${r.name} (${r.className})`,
    `(None, ${r.outputShape.join(', ')})`,
    r.params.toLocaleString('en-US'),
    ...(graph ? [(r.connectedTo ?? []).join(', ')] : []),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === 2 ? v.padStart(widths[i] - 2).padEnd(widths[i]) : v.padEnd(widths[i])))
      .join(' ')
      .trimEnd();
  const total = rows.reduce((sum, r) => sum + r.params, 0);
  const trainable = rows.reduce((sum, r) => sum + r.trainableParams, 0);
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0) + widths.length - 1);
  return [
    `Model: "${modelName}"`,
    rule('_'),
    line(headers),
    rule('='),
    ...cells.flatMap((c, i) => (i === 0 ? [line(c)] : [rule('_'), line(c)])),
    rule('='),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    rule('_'),
  ].join('\n');
}
