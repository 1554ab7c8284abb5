// float32 values as little-endian bytes: the byte order of ONNX's raw_data (and of the
// weights.bin that model_io writes, which has its own copy of these two helpers for now).
import { endianness } from 'node:os';

const littleEndian = endianness() === 'LE';

/** float32 values as little-endian bytes (a copy-free view on little-endian hosts). */
export function toLittleEndian(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

/** `count` float32 values read from little-endian bytes at `offset`. */
export function fromLittleEndian(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
