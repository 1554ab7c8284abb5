// File helpers shared by the model formats: atomic writes, little-endian float32, load errors that
// name the file, and the weight files a saved model.json lists.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, join } from 'node:path';

const littleEndian = endianness() === 'LE';

/** float32 values as little-endian bytes (a copy-free view on little-endian hosts). */
export function toLittleEndian(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

/** `count` float32 values from little-endian bytes (one block copy on little-endian hosts). */
export function fromLittleEndian(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const start = bytes.byteOffset + offset;
  if (littleEndian) return new Float32Array(bytes.buffer.slice(start, start + count * 4));
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, start, count * 4);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Writes a file atomically: temporary file in the same directory, fsync, rename over the target. */
export async function writeFileAtomic(path: string, chunks: Uint8Array[] | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temporary, 'w');
  try {
    if (typeof chunks === 'string') {
      await handle.writeFile(chunks, 'utf8');
    } else {
      for (const chunk of chunks) await handle.write(chunk);
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A RangeError for a file whose content is wrong, naming the file. */
export function invalid(path: string, message: string): never {
  throw new RangeError(`loadModel: ${path}: ${message}`);
}

/** Reads a file for loadModel; a missing or unreadable file is an Error naming it. */
export async function readModelFile(path: string, why = ''): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`loadModel: ${path} cannot be read${why} (${(error as Error).message})`);
  }
}

/**
 * The weight files the model.json in `dir` lists (any format with a weightsManifest), or none.
 * Only plain file names count, so cleaning up after a save never reaches outside `dir`.
 */
export async function listedWeightFiles(dir: string): Promise<string[]> {
  try {
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { weightsManifest?: { paths?: unknown[] }[] };
    const paths = (json.weightsManifest ?? []).flatMap((group) => group.paths ?? []);
    return paths.filter((p): p is string => typeof p === 'string' && p.length > 0 && basename(p) === p && p !== 'model.json');
  } catch {
    return [];
  }
}

/** After a save committed its model.json: removes the previous save's weight files it no longer uses. */
export async function removeStaleWeightFiles(dir: string, previous: string[], current: string[]): Promise<void> {
  await Promise.all(previous.filter((p) => !current.includes(p)).map((p) => rm(join(dir, p), { force: true })));
}
