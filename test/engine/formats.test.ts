import { describe, expect, it } from 'vitest';
import { FormatRegistry } from '../../lib/engine/formats';

describe('FormatRegistry', () => {
  it('hands back the writer registered under a name', async () => {
    const registry = new FormatRegistry<string>();
    const written: string[] = [];
    registry.register('onnx', async (model, path) => {
      written.push(`${model} -> ${path}`);
    });
    await registry.get('onnx')('m', '/tmp/m.onnx');
    expect(written).toEqual(['m -> /tmp/m.onnx']);
  });

  it('throws an Error naming lib/io for a writer nothing registered', () => {
    expect(() => new FormatRegistry<string>().get('save')).toThrow(
      /no 'save' writer is registered: it comes with lib\/io/,
    );
  });
});
