import { describe, expect, it, vi } from 'vitest';
import * as ck from '../../lib';
import { formatSummary } from '../../lib/engine/summary';

function tinyModel() {
  return ck.sequential({
    name: 'tiny',
    layers: [
      ck.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: 'conv' }),
      ck.layers.batchNormalization({ name: 'bn' }),
      ck.layers.flatten({ name: 'flat' }),
      ck.layers.dense({ units: 3, name: 'out' }),
    ],
  });
}

// Columns: 23 + 2 for 'bn (BatchNormalization)', 15 + 2 for '(None, 2, 2, 2)', 7 + 2 for 'Param #';
// rules span 25 + 17 + 9 + 2 separating spaces = 53 characters. Parameter counts right-aligned.
// conv 3*3*1*2 + 2 = 20; bn 4 * 2 = 8 (moving mean and variance: 4 non-trainable); dense 8*3 + 3 = 27.
const expected = [
  'Model: "tiny"',
  '_'.repeat(53),
  'Layer (type)              Output Shape      Param #',
  '='.repeat(53),
  'conv (Conv2D)             (None, 2, 2, 2)        20',
  '_'.repeat(53),
  'bn (BatchNormalization)   (None, 2, 2, 2)         8',
  '_'.repeat(53),
  'flat (Flatten)            (None, 8)               0',
  '_'.repeat(53),
  'out (Dense)               (None, 3)              27',
  '='.repeat(53),
  'Total params: 55',
  'Trainable params: 51',
  'Non-trainable params: 4',
  '_'.repeat(53),
].join('\n');

describe('model.summary', () => {
  it('prints the Keras-style table: header, one row per layer, totals, non-trainable BN statistics', () => {
    const printed: string[] = [];
    const text = tinyModel().summary((line) => printed.push(line));
    expect(text).toBe(expected);
    expect(printed).toEqual([expected]);
  });

  it('prints with console.log by default', () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      tinyModel().summary();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy).toHaveBeenCalledWith(expected);
    } finally {
      spy.mockRestore();
    }
  });

  it('counts the weights of frozen layers as non-trainable', () => {
    const model = ck.sequential({
      layers: [
        ck.layers.dense({ inputShape: [999], units: 2, trainable: false, name: 'frozen' }),
        ck.layers.dense({ units: 1, name: 'head' }),
      ],
    });
    const text = model.summary(() => {});
    expect(text).toContain('frozen (Dense)   (None, 2)        2,000');
    expect(text).toContain('\nTotal params: 2,003\nTrainable params: 3\nNon-trainable params: 2,000\n');
  });

  it('needs a built model', () => {
    const model = ck.sequential({ layers: [ck.layers.dense({ units: 2 })] });
    expect(() => model.summary(() => {})).toThrow(
      /the model is not built: give the first layer an inputShape, or call build\(inputShape\)/,
    );
    model.build([5]);
    expect(model.summary(() => {})).toMatch(/\n\w+ \(Dense\) +\(None, 2\) +12\n/);
  });
});

describe('formatSummary', () => {
  it('widens columns to the longest cell and groups thousands', () => {
    const text = formatSummary('big', [
      {
        name: 'a_rather_long_layer_name',
        className: 'Conv2D',
        outputShape: [128, 128, 64],
        params: 1234567,
        trainableParams: 1000000,
      },
      { name: 'b', className: 'Dense', outputShape: [10], params: 10, trainableParams: 10 },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Model: "big"');
    // 'a_rather_long_layer_name (Conv2D)' is 33 wide, '(None, 128, 128, 64)' 20, '1,234,567' 9.
    const width = 35 + 22 + 11 + 2;
    expect(lines[1]).toBe('_'.repeat(width));
    expect(lines[2]).toBe(`${'Layer (type)'.padEnd(35)} ${'Output Shape'.padEnd(22)}   Param #`);
    expect(lines[4]).toBe('a_rather_long_layer_name (Conv2D)   (None, 128, 128, 64)   1,234,567');
    expect(lines[6]).toBe(`${'b (Dense)'.padEnd(35)} ${'(None, 10)'.padEnd(22)}        10`);
    expect(lines.slice(-4)).toEqual([
      'Total params: 1,234,577',
      'Trainable params: 1,000,010',
      'Non-trainable params: 234,567',
      '_'.repeat(width),
    ]);
  });
});
